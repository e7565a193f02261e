"""Smooths one person's keypoints over time, resetting on a time jump."""

from __future__ import annotations

import numpy as np

from pose_ros.filters.one_euro import OneEuroConfig, OneEuroFilter
from pose_ros.filters.stamp_gap import DEFAULT_MAX_GAP_S, breaks


class KeypointSmoother:
    """One-euro filtering of (N, 2) keypoints given in 0..1 image units.

    Timestamps going backwards (a bag replayed from its start) or jumping
    forward by more than ``max_gap_s`` reset the filter instead of dragging the
    keypoints across the gap.
    """

    def __init__(self, config: OneEuroConfig = OneEuroConfig(),
                 max_gap_s: float = DEFAULT_MAX_GAP_S) -> None:
        self.config = config
        self.max_gap_s = max_gap_s
        self._filter = OneEuroFilter(config)

    def reset(self) -> None:
        self._filter = OneEuroFilter(self.config)

    def apply(self, xy: np.ndarray, timestamp_s: float) -> np.ndarray:
        last_us = self._filter.last_us
        if breaks(last_us * 1e-6 if last_us else None, timestamp_s, self.max_gap_s):
            self.reset()
        return self._filter.apply(xy, int(timestamp_s * 1e6)).astype(np.float32)

    def apply_pixels(self, xy: np.ndarray, timestamp_s: float, width: int,
                     height: int) -> np.ndarray:
        """:meth:`apply` to keypoints in image pixels: the filter's settings are in 0..1
        image units, so they are normalised, smoothed and scaled back."""
        scale = np.array([width, height], dtype=np.float32)
        return self.apply(xy / scale, timestamp_s) * scale
