"""MoveNet single-pose smart cropping (tfjs-models pose-detection ``crop_utils``).

The next frame's crop is a square centred on the hips, large enough for the torso
(x1.9) and every confident keypoint (x1.2) of this frame; when the torso is not
visible there is nothing to follow, and the whole image is used again. Regions are
(y_min, x_min, y_max, x_max) in 0..1 of the image; they may extend past it (the crop
is zero-padded there).
"""

from __future__ import annotations

import numpy as np

from pose_ros.keypoints import KEYPOINT_INDEX
from pose_ros.movenet_constants import (
    BODY_EXPANSION_RATIO,
    MIN_CROP_KEYPOINT_SCORE,
    TORSO_EXPANSION_RATIO,
)

TORSO = np.array([KEYPOINT_INDEX[n] for n in
                  ("left_shoulder", "right_shoulder", "left_hip", "right_hip")])
HIPS = np.array([KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]])
SHOULDERS = np.array([KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"]])


def full_image_region(width: int, height: int) -> np.ndarray:
    """The whole image padded to a square (the reference's fallback crop).

    The reference starts a video with a centred square crop instead, which never
    sees people near the edges of a wide image; we start with the whole image.
    """
    if width > height:
        h = width / height
        return np.array([0.5 - h / 2, 0.0, 0.5 + h / 2, 1.0])
    w = height / width
    return np.array([0.0, 0.5 - w / 2, 1.0, 0.5 + w / 2])


def torso_visible(scores: np.ndarray) -> bool:
    return bool(np.any(scores[HIPS] > MIN_CROP_KEYPOINT_SCORE)
                and np.any(scores[SHOULDERS] > MIN_CROP_KEYPOINT_SCORE))


def next_crop_region(xy: np.ndarray, scores: np.ndarray, width: int,
                     height: int) -> np.ndarray | None:
    """Crop for the next frame from keypoints ``xy`` (pixels) and their ``scores``;
    None when they give none (no torso, or a crop larger than the image): the
    reference then falls back to the whole image."""
    if not torso_visible(scores):
        return None
    yx = xy[:, ::-1].astype(np.float64)
    center = yx[HIPS].mean(axis=0)
    torso_range = np.abs(yx[TORSO] - center).max(axis=0)
    confident = scores >= MIN_CROP_KEYPOINT_SCORE
    body_range = np.abs(yx[confident] - center).max(axis=0) if confident.any() else np.zeros(2)
    half = max(torso_range.max() * TORSO_EXPANSION_RATIO,
               body_range.max() * BODY_EXPANSION_RATIO)
    cy, cx = center
    half = min(half, max(cx, width - cx, cy, height - cy))
    if half > max(width, height) / 2:
        return None
    y0, x0 = cy - half, cx - half
    return np.array([y0 / height, x0 / width, (y0 + 2 * half) / height, (x0 + 2 * half) / width])


def region_to_box(region: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    """(y_min, x_min, y_max, x_max) in 0..1 -> (x0, y0, x1, y1) pixel edges."""
    y0, x0, y1, x1 = region
    return (x0 * width, y0 * height, x1 * width, y1 * height)
