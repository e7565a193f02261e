"""One-euro filter (Casiez et al. 2012) as tfjs-models pose-detection implements it.

Elementwise over an array whose elements share one timestamp (all keypoint
coordinates of a pose). Frequency comes from the timestamps; the cut-off rises
with the filtered speed, so slow motion is smoothed and fast motion follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_ros.filters.low_pass import LowPassFilter


@dataclass(frozen=True)
class OneEuroConfig:
    """Defaults are MoveNet's ``KEYPOINT_FILTER_CONFIG`` (values in 0..1 image units)."""

    frequency: float = 30.0
    min_cutoff: float = 2.5
    beta: float = 300.0
    derivative_cutoff: float = 2.5
    threshold_cutoff: float | None = 0.5
    threshold_beta: float = 5.0


class OneEuroFilter:
    def __init__(self, config: OneEuroConfig = OneEuroConfig()) -> None:
        self.config = config
        self.frequency = config.frequency
        self.x = LowPassFilter()
        self.dx = LowPassFilter()
        self.last_us = 0

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray | float:
        return 1.0 / (1.0 + self.frequency / (2.0 * np.pi * cutoff))

    def apply(self, value: np.ndarray, timestamp_us: int) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        t = int(timestamp_us)
        if self.last_us >= t:
            return value  # as the reference: no defined rate, pass the value through
        if self.last_us != 0 and t != 0:
            self.frequency = 1e6 / (t - self.last_us)
        self.last_us = t
        c = self.config
        dvalue = ((value - self.x.raw) * self.frequency if self.x.initialized
                  else np.zeros_like(value))
        speed = np.abs(self.dx.apply_with_alpha(dvalue, self._alpha(c.derivative_cutoff)))
        cutoff = c.min_cutoff + c.beta * speed
        threshold = (c.threshold_cutoff + c.threshold_beta * speed
                     if c.threshold_cutoff is not None else None)
        return self.x.apply_with_alpha(value, self._alpha(cutoff), threshold)
