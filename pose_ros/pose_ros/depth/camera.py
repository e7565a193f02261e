"""Pinhole intrinsics from a camera_info's K, and the two ways a pixel moves through them:
from the colour image to the aligned depth image, and from a depth pixel to a 3D point."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Intrinsics:
    """K of one image size. Pixel coordinates as everywhere in pose_ros (and OpenCV):
    integers are pixel centres, so the image spans [-0.5, width - 0.5]."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_k(cls, k: Sequence[float], width: int, height: int) -> Intrinsics:
        """From sensor_msgs/CameraInfo's row-major 3x3 ``k`` and its image size."""
        if len(k) != 9:
            raise ValueError(f"K has {len(k)} values: a camera_info K is 3x3, row-major")
        fx, cx, fy, cy = (float(k[i]) for i in (0, 2, 4, 5))
        if not (fx > 0 and fy > 0 and math.isfinite(fx + fy + cx + cy)):
            raise ValueError(f"K has fx={fx}, fy={fy}, cx={cx}, cy={cy}: an uncalibrated "
                             "camera_info (publish the camera's calibration)")
        if width <= 0 or height <= 0:
            raise ValueError(f"camera_info size {width}x{height}: must be positive")
        return cls(fx, fy, cx, cy, int(width), int(height))

    def rescaled(self, width: int, height: int) -> Intrinsics:
        """The same camera at another resolution (the image resized, not cropped)."""
        if (width, height) == (self.width, self.height):
            return self
        sx, sy = width / self.width, height / self.height
        # pixel edges scale, not centres: an edge at -0.5 stays at -0.5
        return Intrinsics(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5,
                          (self.cy + 0.5) * sy - 0.5, width, height)


def colour_to_depth(xy: np.ndarray, colour: Intrinsics, depth: Intrinsics) -> np.ndarray:
    """Colour pixels (N, 2) to pixels of the aligned depth image (N, 2).

    Aligned depth shares the colour camera's optical centre and axes, so a pixel's
    ray is the same in both: through the colour K to a ray, through the depth K back
    to a pixel. That covers a depth image at another resolution, and cropped ones.
    """
    out = np.empty(xy.shape, dtype=np.float64)
    out[:, 0] = (xy[:, 0] - colour.cx) * (depth.fx / colour.fx) + depth.cx
    out[:, 1] = (xy[:, 1] - colour.cy) * (depth.fy / colour.fy) + depth.cy
    return out


def back_project(uv: np.ndarray, z: np.ndarray, k: Intrinsics) -> np.ndarray:
    """Depth pixels (N, 2) at depths ``z`` (N,) metres to points (N, 3) in the camera's
    optical frame (REP 103: x right, y down, z forward); a NaN depth gives a NaN point."""
    points = np.empty((len(uv), 3), dtype=np.float64)
    points[:, 0] = (uv[:, 0] - k.cx) / k.fx * z
    points[:, 1] = (uv[:, 1] - k.cy) / k.fy * z
    points[:, 2] = z
    return points
