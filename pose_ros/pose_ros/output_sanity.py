"""The last gate between a backend and a published message.

A broken engine, a wrong model file or a numerical blow-up can produce NaN, inf or
coordinates nowhere near the image; such a pose is dropped, never published.
Keypoints may lie a little outside the frame (a person cut off by the border),
so the bound is generous: one image size beyond each edge.
"""

from __future__ import annotations

import numpy as np

from pose_ros.types import Pose


def is_sane(pose: Pose, width: int, height: int) -> bool:
    # Four reductions instead of a mask per check: NaN propagates through min and
    # max and fails every comparison, and an inf is out of range, so the bounds
    # are the finiteness check too.
    if not 0.0 <= pose.score <= 1.0:
        return False
    if pose.box is not None and not np.isfinite(pose.box).all():
        return False
    (x_min, y_min), (x_max, y_max) = pose.xy.min(axis=0), pose.xy.max(axis=0)
    return bool(x_min >= -width and x_max <= 2 * width and y_min >= -height
                and y_max <= 2 * height and pose.scores.min() >= 0.0
                and pose.scores.max() <= 1.0)


def sane_poses(poses: list[Pose], width: int, height: int) -> tuple[list[Pose], int]:
    """The poses fit to publish, and how many were dropped."""
    kept = [p for p in poses if is_sane(p, width, height)]
    return kept, len(poses) - len(kept)
