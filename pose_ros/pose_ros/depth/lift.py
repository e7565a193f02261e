"""Poses in colour pixels to 3D people in the depth camera's optical frame."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose_ros.depth.camera import Intrinsics, back_project, colour_to_depth
from pose_ros.depth.image import DepthImage
from pose_ros.depth.sampling import keypoint_depths, masked_median
from pose_ros.keypoints import NUM_KEYPOINTS, TORSO
from pose_ros.types import Pose


@dataclass(frozen=True)
class DepthOptions:
    min_range_m: float = 0.1  # nearer pixels are the sensor's noise, not a person
    max_range_m: float = 10.0
    # window half-size: this fraction of the person's size in depth pixels, within
    # [1, max_window_radius] (a far person's wrist is a few pixels wide)
    window_fraction: float = 0.02
    max_window_radius: int = 10
    min_usable_fraction: float = 0.2
    # a keypoint further than this from its body's depth (the median of the person's
    # keypoint depths) sees something else: a wall behind a thin arm, a table in front
    body_tolerance_m: float = 0.5
    min_keypoint_score: float = 0.3  # less confident keypoints are never valid


@dataclass(frozen=True)
class Person3D:
    """One person in metres, in the depth image's optical frame (x right, y down, z
    forward). ``points`` (17, 3): NaN where the keypoint's window had no usable depth;
    a point that disagrees with its body keeps its measured place but is not ``valid``
    (17,). ``centre``: the mean of the valid torso points (shoulders, hips), else of all
    valid points; NaN with none."""

    points: np.ndarray
    valid: np.ndarray
    centre: np.ndarray
    track_id: int = -1

    @property
    def centre_valid(self) -> bool:
        return bool(np.isfinite(self.centre).all())


def lift_poses(poses: Sequence[Pose], depth: DepthImage, depth_k: Intrinsics,
               colour_k: Intrinsics, options: DepthOptions = DepthOptions()) -> list[Person3D]:
    """3D people from ``poses`` (colour pixels, ``colour_k``) and the aligned ``depth``
    image (``depth_k``, rescaled when the image's size differs from its camera_info's)."""
    if not poses:
        return []
    if (depth_k.width, depth_k.height) != (depth.width, depth.height):
        depth_k = depth_k.rescaled(depth.width, depth.height)
    count = len(poses)
    xy = np.stack([p.xy for p in poses]).reshape(-1, 2).astype(np.float64)
    confident = np.stack([p.scores for p in poses]) >= options.min_keypoint_score  # (P, 17)
    uv = colour_to_depth(xy, colour_k, depth_k)
    radii = np.clip(np.rint(options.window_fraction * _sizes(uv.reshape(count, -1, 2),
                                                             confident)),
                    1, options.max_window_radius).astype(np.int64)
    z = keypoint_depths(depth, uv, np.repeat(radii, NUM_KEYPOINTS), options.min_range_m,
                        options.max_range_m, options.min_usable_fraction).reshape(count, -1)
    measured = confident & np.isfinite(z)
    body = masked_median(z, measured)
    with np.errstate(invalid="ignore"):  # NaN depths compare False: not valid
        valid = measured & (np.abs(z - body[:, None]) <= options.body_tolerance_m)
    points = back_project(uv, z.reshape(-1), depth_k).reshape(count, -1, 3)
    centres = _centres(points, valid)
    return [Person3D(points[i], valid[i], centres[i], poses[i].track_id) for i in range(count)]


def _sizes(uv: np.ndarray, confident: np.ndarray) -> np.ndarray:
    """Each person's size (P,): the longer side of its confident keypoints' box, pixels."""
    low = np.where(confident[..., None], uv, np.inf).min(axis=1)
    high = np.where(confident[..., None], uv, -np.inf).max(axis=1)
    return np.where(confident.any(axis=1), (high - low).max(axis=1), 0.0)


def _centres(points: np.ndarray, valid: np.ndarray) -> np.ndarray:
    torso = np.zeros(valid.shape[1], dtype=bool)
    torso[list(TORSO)] = True
    use = valid & torso
    use[~use.any(axis=1)] = valid[~use.any(axis=1)]  # no torso: every valid point
    n = use.sum(axis=1, keepdims=True)
    total = np.where(use[..., None], points, 0.0).sum(axis=1)
    return np.divide(total, n, out=np.full(total.shape, np.nan), where=n > 0)
