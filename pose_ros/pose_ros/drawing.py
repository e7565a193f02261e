"""Skeletons drawn on images: the node's debug image and the evaluation's worst cases."""

from __future__ import annotations

import cv2
import numpy as np

from pose_ros.keypoints import SKELETON_EDGES
from pose_ros.types import Pose

#: one colour per person or track id, RGB in 0..1
PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
                    [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230]]) / 255.0


def person_colour(pose: Pose, index: int) -> tuple[float, float, float]:
    """The colour of the frame's ``index``-th person, RGB in 0..1: by track id where
    there is one (a tracked person keeps it from frame to frame, in RViz and drawn)."""
    key = pose.track_id if pose.track_id >= 0 else index
    r, g, b = PALETTE[key % len(PALETTE)]
    return float(r), float(g), float(b)


def draw_pose(canvas: np.ndarray, xy: np.ndarray, visible: np.ndarray,
              rgb: tuple[int, int, int]) -> None:
    """Draw one skeleton in place: the visible keypoints and the edges between them."""
    radius = max(2, round(max(canvas.shape[:2]) / 200))
    pts = np.round(xy).astype(int)
    for a, b in SKELETON_EDGES:
        if visible[a] and visible[b]:
            cv2.line(canvas, tuple(pts[a]), tuple(pts[b]), rgb, radius, cv2.LINE_AA)
    for p in pts[visible]:
        cv2.circle(canvas, tuple(p), radius + 1, rgb, -1, cv2.LINE_AA)


def draw(image: np.ndarray, poses: list[Pose], min_score: float) -> np.ndarray:
    """A copy of the RGB image with skeletons drawn on it, coloured by track id."""
    canvas = np.ascontiguousarray(image).copy()
    for i, pose in enumerate(poses):
        r, g, b = (int(v * 255) for v in person_colour(pose, i))
        draw_pose(canvas, pose.xy, pose.scores >= min_score, (r, g, b))
    return canvas
