"""A robust depth per keypoint: the median of the usable pixels in a window around it.

One gather for every keypoint of every person (no per-pixel Python): the windows are
laid on a grid of the largest radius and masked to each keypoint's own.
"""

from __future__ import annotations

import numpy as np

from pose_ros.depth.image import DepthImage


def masked_median(values: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """The median of each row's ``usable`` values (N, K) -> (N,); NaN for a row with
    none. Sorting with the rest pushed to the end avoids nanmedian's all-NaN warnings."""
    filled = np.where(usable, values, np.inf)
    filled.sort(axis=1)
    n = usable.sum(axis=1)
    rows = np.arange(len(values))
    low = filled[rows, np.maximum(n - 1, 0) // 2]
    high = filled[rows, np.minimum(n // 2, values.shape[1] - 1)]
    return np.where(n > 0, (low + high) / 2.0, np.nan)


def keypoint_depths(depth: DepthImage, uv: np.ndarray, radii: np.ndarray, min_m: float,
                    max_m: float, min_usable_fraction: float) -> np.ndarray:
    """Depth in metres (N,) at depth pixels ``uv`` (N, 2), each from the square window
    of half-size ``radii`` (N,) around it; NaN where too few pixels are usable.

    A pixel is usable when it is inside the image (a window is cut at the edge, never
    clamped: that would repeat the edge pixels), not 0 or NaN (no depth) and within
    [min_m, max_m]. Too few: under ``min_usable_fraction`` of the window's pixels in
    the image, as a sensor leaves around a hole."""
    n = len(uv)
    if n == 0:
        return np.empty(0)
    h, w = depth.pixels.shape
    r_max = int(radii.max())
    offsets = np.arange(-r_max, r_max + 1)
    dy, dx = (a.ravel() for a in np.meshgrid(offsets, offsets, indexing="ij"))
    # off-image and non-finite centres move just outside, where no window pixel lands
    lo, hi = -r_max - 1, max(w, h) + r_max + 1
    centre = np.rint(np.clip(np.nan_to_num(uv, nan=lo), lo, hi)).astype(np.int64)
    cols = centre[:, :1] + dx
    rows = centre[:, 1:] + dy
    radius = radii.reshape(n, 1)
    inside = ((np.abs(dx) <= radius) & (np.abs(dy) <= radius)
              & (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h))
    metres = depth.pixels[np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)].astype(np.float64)
    metres *= depth.scale
    usable = inside & (metres > 0) & (metres >= min_m) & (metres <= max_m)  # NaN: False
    z = masked_median(metres, usable)
    z[usable.sum(axis=1) < min_usable_fraction * inside.sum(axis=1)] = np.nan
    return z
