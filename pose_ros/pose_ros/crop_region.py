"""MoveNet single-pose smart cropping (tfjs-models pose-detection ``crop_utils``).

The next frame's crop is a square centred on the hips, large enough for the torso
(x1.9) and every confident keypoint (x1.2) of this frame; when the torso is not
visible there is nothing to follow, and the crop goes back to the whole image. Regions are
(y_min, x_min, y_max, x_max) in 0..1 of the image; they may extend past it (the crop
is zero-padded there).
"""

from __future__ import annotations

import numpy as np

from pose_ros.keypoints import KEYPOINT_INDEX, TORSO
from pose_ros.movenet_constants import (
    BODY_EXPANSION_RATIO,
    MIN_CROP_KEYPOINT_SCORE,
    TORSO_EXPANSION_RATIO,
)

HIPS = (KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"])
SHOULDERS = (KEYPOINT_INDEX["left_shoulder"], KEYPOINT_INDEX["right_shoulder"])


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


# In float32, as numpy compares the float32 scores with the float threshold.
_MIN_SCORE = float(np.float32(MIN_CROP_KEYPOINT_SCORE))


def next_crop_region(xy: np.ndarray, scores: np.ndarray, width: int,
                     height: int) -> np.ndarray | None:
    """Crop for the next frame from keypoints ``xy`` (pixels) and their ``scores``;
    None when they give none (no torso, or a crop larger than the image): the
    reference then falls back to the whole image.

    On 17 finite keypoints, plain Python floats: a dozen numpy calls on arrays this
    small cost more than the arithmetic, every frame. The float64 operations are
    the same, so the crop is too.

    The keypoints, pixel centres, are used as the reference uses its own (normalised
    times the image size) although the region is in edges: the reference's sampling
    (cropAndResize, corners aligned) does not keep to half-pixel conventions either,
    and shifting them by half a pixel measured worse (Lightning on coco-mini-train,
    AP 0.125 against 0.133)."""
    s = scores.tolist()
    if not (any(s[i] > _MIN_SCORE for i in HIPS) and any(s[i] > _MIN_SCORE for i in SHOULDERS)):
        return None
    points = xy.tolist()  # (x, y) pairs, float32 values as exact Python floats
    (lx, ly), (rx, ry) = points[HIPS[0]], points[HIPS[1]]
    cx, cy = (lx + rx) / 2, (ly + ry) / 2
    torso_range = max(max(abs(points[i][1] - cy), abs(points[i][0] - cx)) for i in TORSO)
    body_range = max((max(abs(y - cy), abs(x - cx))
                      for (x, y), score in zip(points, s) if score >= _MIN_SCORE), default=0.0)
    half = max(torso_range * TORSO_EXPANSION_RATIO, body_range * BODY_EXPANSION_RATIO)
    half = min(half, max(cx, width - cx, cy, height - cy))
    if half > max(width, height) / 2:
        return None
    y0, x0 = cy - half, cx - half
    return np.array([y0 / height, x0 / width, (y0 + 2 * half) / height, (x0 + 2 * half) / width])


def region_to_box(region: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    """(y_min, x_min, y_max, x_max) in 0..1 -> (x0, y0, x1, y1) pixel edges."""
    y0, x0, y1, x1 = region
    return (x0 * width, y0 * height, x1 * width, y1 * height)
