"""A depth image read in place from a message's bytes: 16UC1 (millimetres) or 32FC1
(metres), either byte order, rows padded or not."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: encoding -> (pixel type, metres per unit)
DEPTH_ENCODINGS: dict[str, tuple[type, float]] = {
    "16UC1": (np.uint16, 0.001),
    "32FC1": (np.float32, 1.0),
}


class DepthImageError(ValueError):
    """A depth image that cannot be used; ``cause`` is a short counter key."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(f"{cause}: {detail}")
        self.cause = cause


@dataclass(frozen=True)
class DepthImage:
    """``pixels`` (H, W) in the encoding's unit, times ``scale`` is metres. 0 (16UC1)
    and NaN (32FC1) are the drivers' "no depth"."""

    pixels: np.ndarray
    scale: float

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def depth_image(data: bytes | memoryview, width: int, height: int, step: int, encoding: str,
                is_bigendian: int = 0) -> DepthImage:
    """The pixels of a sensor_msgs/Image with a depth encoding, as a view of ``data``."""
    if encoding not in DEPTH_ENCODINGS:
        raise DepthImageError("unsupported_depth_encoding",
                              f"{encoding!r}: depth must be one of {sorted(DEPTH_ENCODINGS)}")
    kind, scale = DEPTH_ENCODINGS[encoding]
    dtype = np.dtype(kind).newbyteorder(">" if is_bigendian else "<")
    if width <= 0 or height <= 0:
        raise DepthImageError("empty_depth_image", f"{width}x{height}")
    if step < width * dtype.itemsize:
        raise DepthImageError("bad_depth_step",
                              f"step {step} < width {width} x {dtype.itemsize} bytes")
    if len(data) < step * (height - 1) + width * dtype.itemsize:
        raise DepthImageError("bad_depth_data_length",
                              f"{len(data)} bytes for {height} rows of {step}")
    # strides over the rows: no copy, whatever the padding (numpy 1.21 cannot .view()
    # a padded uint8 array as 16-bit)
    pixels = np.ndarray((height, width), dtype=dtype, buffer=data,
                        strides=(step, dtype.itemsize))
    return DepthImage(pixels, scale)
