"""JavaScript's rounding, where the reference implementations' results depend on it."""

from __future__ import annotations

import math


def js_round(value: float) -> int:
    """``Math.round``: a half rounds up (2.5 -> 3, -2.5 -> -2); Python's ``round()``
    rounds it to even (2), which moves a cell or a pixel where the reference does not."""
    return math.floor(value + 0.5)
