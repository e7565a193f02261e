"""Smooths one person's keypoints over time, resetting on a time jump."""

from __future__ import annotations

import numpy as np

from pose_ros.filters.one_euro import OneEuroConfig, OneEuroFilter

#: A forward gap longer than this (seconds) starts the filter afresh.
DEFAULT_MAX_GAP_S = 1.0


class KeypointSmoother:
    """One-euro filtering of (N, 2) keypoints given in 0..1 image units.

    Timestamps going backwards (a bag replayed from its start) or jumping
    forward by more than ``max_gap_s`` reset the filter instead of dragging the
    keypoints across the gap.
    """

    def __init__(self, config: OneEuroConfig = OneEuroConfig(),
                 max_gap_s: float = DEFAULT_MAX_GAP_S) -> None:
        self.config = config
        self.max_gap_us = int(max_gap_s * 1e6)
        self._filter = OneEuroFilter(config)

    def reset(self) -> None:
        self._filter = OneEuroFilter(self.config)

    def apply(self, xy: np.ndarray, timestamp_s: float) -> np.ndarray:
        t = int(timestamp_s * 1e6)
        last = self._filter.last_us
        if last and (t < last or t - last > self.max_gap_us):
            self.reset()
        return self._filter.apply(xy, t).astype(np.float32)

    def apply_pixels(self, xy: np.ndarray, timestamp_s: float, width: int,
                     height: int) -> np.ndarray:
        """:meth:`apply` to keypoints in image pixels: the filter's settings are in 0..1
        image units, so they are normalised, smoothed and scaled back."""
        scale = np.array([width, height], dtype=np.float32)
        return self.apply(xy / scale, timestamp_s) * scale
