"""The inference core's result types: poses in source-image pixels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_ros.keypoints import KEYPOINT_NAMES


@dataclass(frozen=True)
class Keypoint:
    name: str
    x: float
    y: float
    score: float


@dataclass
class Pose:
    """One person. Pixel coordinates of the source image (x right, y down, pixel centres).

    ``xy`` is (17, 2) float32 in COCO keypoint order, ``scores`` (17,) float32.
    ``box`` is (x_min, y_min, x_max, y_max) in pixels, or None when the model has none.
    """

    xy: np.ndarray
    scores: np.ndarray
    score: float
    box: np.ndarray | None = None
    track_id: int = -1

    @property
    def keypoints(self) -> tuple[Keypoint, ...]:
        return tuple(Keypoint(n, float(x), float(y), float(s))
                     for n, (x, y), s in zip(KEYPOINT_NAMES, self.xy, self.scores))

    def keypoint(self, name: str) -> Keypoint:
        i = KEYPOINT_NAMES.index(name)
        return Keypoint(name, float(self.xy[i, 0]), float(self.xy[i, 1]), float(self.scores[i]))

    def bounding_box(self, min_score: float = 0.0) -> np.ndarray:
        """The model's box if it has one, else the extent of keypoints above ``min_score``."""
        if self.box is not None:
            return self.box
        above = self.scores > min_score
        visible = self.xy[above] if above.any() else self.xy
        return np.concatenate((visible.min(axis=0), visible.max(axis=0))).astype(np.float32,
                                                                                 copy=False)
