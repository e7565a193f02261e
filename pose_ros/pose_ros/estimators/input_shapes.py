"""The model input's size for a camera image, per family, and the TensorRT shape
profile covering every size a configuration can feed.

One place for the sizing rules: the estimators size their inputs with these
functions, and :func:`input_profile` spans what they give over the run-time range of
each option, so an engine built at configure serves a PoseNet scale change within
range, or (MultiPose, single-pose MoveNet) any camera resolution, without a rebuild.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pose_ros.backends.shape_profiles import ShapeProfile
from pose_ros.models.registry import ModelSpec
from pose_ros.movenet_constants import MULTIPOSE_DIMENSION_DIVISOR

if TYPE_CHECKING:  # the estimator modules import this one
    from pose_ros.estimators.movenet_multipose import MultiPoseConfig
    from pose_ros.estimators.posenet import PoseNetConfig

#: PoseNet's image_scale_factor: what the config accepts and the profile covers
IMAGE_SCALE_RANGE = (0.2, 1.0)
#: the camera a model is warmed up for, and its engine tuned for, unless told (the node's
#: camera_sizes, engine build --camera-sizes)
DEFAULT_CAMERA_SIZES = "640x480"


def valid_resolution(image_scale_factor: float, size: int, output_stride: int) -> int:
    """tfjs ``getValidResolution``: the scaled size rounded down to k * stride + 1,
    with k at least 1 (tfjs would go negative on images a few pixels wide)."""
    even = size * image_scale_factor - 1
    return max(int(even - (even % output_stride) + 1), output_stride + 1)


def posenet_input_size(image_scale_factor: float, output_stride: int, width: int,
                       height: int) -> tuple[int, int]:
    """(width, height) of PoseNet's input for an image of this size."""
    return (valid_resolution(image_scale_factor, width, output_stride),
            valid_resolution(image_scale_factor, height, output_stride))


def multipose_input_size(max_dimension: int, width: int,
                         height: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """MultiPose's (resized, padded) (width, height): the long side resized to
    ``max_dimension``, then each side padded to a multiple of 32, as the reference does."""
    m = max_dimension
    if width > height:  # at least one row or column, however thin the image
        rw, rh = m, max(1, round(m * height / width))
    else:
        rw, rh = max(1, round(m * width / height)), m
    divisor = MULTIPOSE_DIMENSION_DIVISOR
    return (rw, rh), (math.ceil(rw / divisor) * divisor, math.ceil(rh / divisor) * divisor)


def _nhwc(width: int, height: int) -> tuple[int, int, int, int]:
    return (1, height, width, 3)


def input_profile(spec: ModelSpec, config: object, camera_sizes: Sequence[tuple[int, int]],
                  output_stride: int | None = None) -> ShapeProfile:
    """The profile an engine of ``spec`` needs under ``config`` for cameras of
    ``camera_sizes`` ((width, height), the first one tuned for), at ``output_stride``
    (PoseNet: one model, hence one engine, per stride).

    - PoseNet: every image_scale_factor in IMAGE_SCALE_RANGE at each camera size (the
      sizes grow with the scale, so its ends bound them);
    - MultiPose: every camera: both sides are multiples of 32 up to max_dimension;
    - single-pose MoveNet: the crop size, whatever the camera.
    """
    name = spec.input.name
    width, height = camera_sizes[0]
    if spec.family == "posenet":
        posenet: PoseNetConfig = config  # type: ignore[assignment]  # the family's config
        stride = output_stride or posenet.output_stride
        ends = [_nhwc(*posenet_input_size(scale, stride, w, h))
                for scale in IMAGE_SCALE_RANGE for w, h in camera_sizes]
        return ShapeProfile.spanning(name, ends, _nhwc(*posenet_input_size(
            posenet.image_scale_factor, stride, width, height)))
    if spec.family == "movenet_multipose":
        multipose: MultiPoseConfig = config  # type: ignore[assignment]
        m, divisor = multipose.max_dimension, MULTIPOSE_DIMENSION_DIVISOR
        return ShapeProfile.spanning(name, [_nhwc(divisor, divisor), _nhwc(m, m)],
                                     _nhwc(*multipose_input_size(m, width, height)[1]))
    crop = int(spec.input.shape[1])  # square, as MoveNetSinglePoseEstimator reads it
    return ShapeProfile.fixed({name: _nhwc(crop, crop)})
