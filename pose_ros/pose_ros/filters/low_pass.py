"""Exponential low-pass filter, elementwise over numpy arrays (tfjs ``LowPassFilter``).

With a ``threshold`` the step is soft-limited through asinh, as the reference's
robust variant: small changes pass almost linearly, large ones are damped.
"""

from __future__ import annotations

import numpy as np


class LowPassFilter:
    def __init__(self, alpha: float | np.ndarray = 1.0) -> None:
        self.alpha = alpha
        self.raw: np.ndarray | None = None
        self.stored: np.ndarray | None = None

    @property
    def initialized(self) -> bool:
        return self.stored is not None

    def apply(self, value: np.ndarray, threshold: np.ndarray | None = None) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if self.stored is None:
            result = value.copy()
        elif threshold is None:
            result = self.stored + self.alpha * (value - self.stored)
        else:
            step = np.arcsinh((value - self.stored) / threshold)
            result = self.stored + self.alpha * threshold * step
        self.raw = value
        self.stored = result
        return result

    def apply_with_alpha(self, value: np.ndarray, alpha: float | np.ndarray,
                         threshold: np.ndarray | None = None) -> np.ndarray:
        self.alpha = alpha
        return self.apply(value, threshold)

    def reset(self) -> None:
        self.raw = None
        self.stored = None
