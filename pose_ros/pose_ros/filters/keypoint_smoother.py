"""Smooths one person's keypoints over time."""

from __future__ import annotations

import numpy as np

from pose_ros.filters.one_euro import OneEuroConfig, OneEuroFilter


class KeypointSmoother:
    """One-euro filtering of (N, 2) keypoints given in 0..1 image units.

    Where the stamps break off (a bag replayed from its start, a stalled camera), the
    estimator resets it together with the rest of its temporal state
    (``PoseEstimator._reset_on_break``): one place decides what a break is.
    """

    def __init__(self, config: OneEuroConfig = OneEuroConfig()) -> None:
        self.config = config
        self._filter = OneEuroFilter(config)

    def reset(self) -> None:
        self._filter = OneEuroFilter(self.config)

    def apply(self, xy: np.ndarray, timestamp_s: float) -> np.ndarray:
        return self._filter.apply(xy, int(timestamp_s * 1e6)).astype(np.float32)

    def apply_pixels(self, xy: np.ndarray, timestamp_s: float, width: int,
                     height: int) -> np.ndarray:
        """:meth:`apply` to keypoints in image pixels: the filter's settings are in 0..1
        image units, so they are normalised, smoothed and scaled back."""
        scale = np.array([width, height], dtype=np.float32)
        return self.apply(xy / scale, timestamp_s) * scale
