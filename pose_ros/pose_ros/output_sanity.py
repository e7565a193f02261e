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
    xy, scores = pose.xy, pose.scores
    if not (np.isfinite(xy).all() and np.isfinite(scores).all() and np.isfinite(pose.score)):
        return False
    if pose.box is not None and not np.isfinite(pose.box).all():
        return False
    inside = ((xy[:, 0] >= -width) & (xy[:, 0] <= 2 * width)
              & (xy[:, 1] >= -height) & (xy[:, 1] <= 2 * height))
    in_range = (scores >= 0.0) & (scores <= 1.0)
    return bool(inside.all() and in_range.all() and 0.0 <= pose.score <= 1.0)


def sane_poses(poses: list[Pose], width: int, height: int) -> tuple[list[Pose], int]:
    """The poses fit to publish, and how many were dropped."""
    kept = [p for p in poses if is_sane(p, width, height)]
    return kept, len(poses) - len(kept)
