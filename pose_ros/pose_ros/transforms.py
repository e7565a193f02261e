"""Exact geometry between the source image and the model input.

Every pre-processing step (crop, letterbox, resize, padding, horizontal flip) is
one affine map from source pixels to input pixels, applied with a single
``cv2.warpAffine`` into a reused buffer. Decoded keypoints go back through the
inverse of the same map, so coordinates round-trip exactly.

Coordinates are pixel centres: pixel (u, v) covers [u - 0.5, u + 0.5]. A box
is given by its outer edges, so the box (0, 0, W, H) is the whole image.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np


@dataclass(frozen=True)
class ImageToInput:
    """Affine map from source-image pixels to model-input pixels."""

    matrix: np.ndarray  # 2x3, input = matrix @ [x, y, 1]
    input_width: int
    input_height: int

    @classmethod
    def from_box(cls, box: tuple[float, float, float, float], input_width: int,
                 input_height: int, flip: bool = False) -> ImageToInput:
        """Map the image region ``box`` (x0, y0, x1, y1 edges) onto the whole input.

        The box may extend past the image; what lies outside is zero (padding).
        With ``flip`` the input is mirrored left to right.
        """
        x0, y0, x1, y1 = box
        sx = input_width / (x1 - x0)
        sy = input_height / (y1 - y0)
        # Edges map to edges: (x + 0.5 - x0) * sx = x_in + 0.5, in pixel centres.
        tx = (0.5 - x0) * sx - 0.5
        ty = (0.5 - y0) * sy - 0.5
        if flip:
            sx, tx = -sx, input_width - 1 - tx
        matrix = np.array([[sx, 0.0, tx], [0.0, sy, ty]], dtype=np.float64)
        return cls(matrix, int(input_width), int(input_height))

    @cached_property
    def inverse(self) -> np.ndarray:
        return cv2.invertAffineTransform(self.matrix)

    @cached_property
    def _inverse_axes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The inverse as per-axis scale and offset when it has no rotation or shear
        (every map from_box makes): two elementwise operations per frame instead of
        a matrix product, with the same float64 values."""
        m = self.inverse
        if m[0, 1] != 0.0 or m[1, 0] != 0.0:
            return None
        return np.array([m[0, 0], m[1, 1]]), m[:, 2].copy()

    def warp(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Resample ``image`` (H x W x C) into the input, bilinear, zero outside."""
        return cv2.warpAffine(image, self.matrix, (self.input_width, self.input_height),
                              dst=out, flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def to_input(self, xy: np.ndarray) -> np.ndarray:
        return _apply(self.matrix, xy)

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        axes = self._inverse_axes
        if axes is None:
            return _apply(self.inverse, xy)
        scale, offset = axes
        return np.asarray(xy, dtype=np.float64) * scale + offset


def _apply(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    return xy @ m[:, :2].T + m[:, 2]


def normalized_to_input_pixels(yx: np.ndarray, input_width: int, input_height: int) -> np.ndarray:
    """Model outputs in 0..1 of the input (y, x order) to input pixel centres (x, y).
    Both axes in one multiply (the sizes are exact in float32, so a float32 output
    stays float32, as with the sizes given as integers)."""
    return yx[..., 1::-1] * np.array([input_width, input_height], np.float32) - 0.5
