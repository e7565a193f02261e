"""Where a stream of frame stamps breaks off, so that state carried between frames
(crop region, smoothers, tracks) no longer describes the scene.

It breaks when a stamp goes backwards (a bag replayed from its start, a looping bag,
a camera driver restarted) or jumps forward past ``max_gap_s`` (a paused bag, a
camera that stalled).
"""

from __future__ import annotations

#: A forward gap longer than this (seconds) starts temporal state afresh.
DEFAULT_MAX_GAP_S = 1.0


def breaks(previous_s: float | None, stamp_s: float, max_gap_s: float) -> bool:
    """Whether ``stamp_s`` does not continue a stream last stamped ``previous_s``."""
    return previous_s is not None and (stamp_s < previous_s
                                       or stamp_s - previous_s > max_gap_s)
