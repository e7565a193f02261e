"""PoseNet (MobileNetV1) as tfjs-models posenet 1.x runs it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pose_ros.backends.shape_profiles import ShapeProfile, nhwc
from pose_ros.decoders.posenet_multi import decode_multiple_poses
from pose_ros.decoders.posenet_single import decode_single_pose, sigmoid
from pose_ros.estimators.base import (
    BackendFactory,
    PoseEstimator,
    Prepared,
    validate_shared,
)
from pose_ros.models.registry import ModelSpec
from pose_ros.transforms import ImageToInput
from pose_ros.types import Pose

DECODINGS = ("single", "multi")
#: image_scale_factor: what the config accepts, and a TensorRT profile covers
IMAGE_SCALE_RANGE = (0.2, 1.0)


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


@dataclass(frozen=True)
class PoseNetConfig:
    output_stride: int = 16
    #: the best AP that still runs at 30 Hz on 2 CPU cores (docs/evaluation.md's PoseNet
    #: table); posenet 1.x's own default, 0.5, sees half the AP
    image_scale_factor: float = 0.875
    flip_horizontal: bool = False
    decoding: str = "multi"
    max_pose_detections: int = 5
    #: multi-pose decoding: a part scoring below this never starts a pose (posenet's
    #: ``scoreThreshold``)
    root_score_threshold: float = 0.5
    nms_radius: float = 20.0
    #: poses scoring below this are not reported (the posenet demos' ``minPoseConfidence``)
    min_pose_score: float = 0.0

    def inert(self) -> dict[str, str]:
        """The options that do nothing under this configuration, with the reason."""
        if self.decoding == "single":
            return dict.fromkeys(("max_pose_detections", "root_score_threshold", "nms_radius"),
                                 "only multi-pose decoding uses it (decoding is single)")
        return {}

    def untracked(self) -> str:
        """Why people get no track id ('' where they do)."""
        return "PoseNet tracks no one"

    def validate(self, spec: ModelSpec) -> None:
        strides = spec.output_strides
        validate_shared(self)
        if self.output_stride not in strides:
            raise ValueError(f"output_stride must be one of {list(strides)}, "
                             f"not {self.output_stride}")
        low, high = IMAGE_SCALE_RANGE
        if not low <= self.image_scale_factor <= high:
            raise ValueError(f"image_scale_factor must be in [{low}, {high}], "
                             f"not {self.image_scale_factor}")
        if self.decoding not in DECODINGS:
            raise ValueError(f"decoding must be one of {DECODINGS}, not {self.decoding!r}")
        if self.max_pose_detections < 1:
            raise ValueError(f"max_pose_detections must be at least 1, "
                             f"not {self.max_pose_detections}")
        if not 0.0 <= self.root_score_threshold <= 1.0:
            raise ValueError(f"root_score_threshold must be in [0, 1], "
                             f"not {self.root_score_threshold}")
        if not self.nms_radius > 0:
            raise ValueError(f"nms_radius must be positive, not {self.nms_radius}")


class PoseNetEstimator(PoseEstimator):
    config: PoseNetConfig

    def __init__(self, spec: ModelSpec, model_dir: Path, make_backend: BackendFactory,
                 config: PoseNetConfig = PoseNetConfig()) -> None:
        super().__init__(spec, model_dir, make_backend, config)

    def input_transform(self, width: int, height: int) -> ImageToInput:
        c = self.config
        return ImageToInput.from_box(
            (0.0, 0.0, float(width), float(height)),
            *posenet_input_size(c.image_scale_factor, c.output_stride, width, height),
            flip=c.flip_horizontal)

    def _output_stride(self) -> int:
        return self.config.output_stride

    def input_profile(self, camera_sizes: Sequence[tuple[int, int]],
                      output_stride: int | None) -> ShapeProfile:
        """Every image_scale_factor in IMAGE_SCALE_RANGE at each camera size (the input
        grows with the scale, so its ends bound it), at this stride (one model per
        stride)."""
        c = self.config
        stride = output_stride or c.output_stride
        ends = [nhwc(*posenet_input_size(scale, stride, w, h))
                for scale in IMAGE_SCALE_RANGE for w, h in camera_sizes]
        return ShapeProfile.spanning(self.spec.input.name, ends, nhwc(*posenet_input_size(
            c.image_scale_factor, stride, *camera_sizes[0])))

    def preprocess(self, image: np.ndarray, timestamp: float | None = None) -> Prepared:
        height, width = image.shape[:2]
        transform = self.input_transform(width, height)
        warped = self._buffers.warp(transform, image)
        x = self._buffers.model_input((1, *warped.shape), np.float32)
        np.multiply(warped, 1.0 / 127.5, out=x[0], casting="unsafe")
        x -= 1.0
        return Prepared(x, transform, width, height)

    def decode(self, outputs: dict[str, np.ndarray]) -> list[Pose]:
        c = self.config
        heatmap, offset = outputs["heatmap"][0], outputs["offset"][0]
        if c.decoding == "single":
            return [decode_single_pose(heatmap, offset, c.output_stride)]
        return decode_multiple_poses(
            sigmoid(heatmap), offset, outputs["displacement_fwd"][0],
            outputs["displacement_bwd"][0], c.output_stride, c.max_pose_detections,
            c.root_score_threshold, c.nms_radius)

    def postprocess(self, outputs: dict[str, np.ndarray], prepared: Prepared,
                    timestamp: float | None = None) -> list[Pose]:
        poses = [p for p in self.decode(outputs) if p.score >= self.config.min_pose_score]
        return self._to_image(poses, prepared.transform)

    @contextmanager
    def _options(self, **changes: Any) -> Iterator[None]:
        """``changes`` for one call only: validated and applied, and the configuration
        restored afterwards, even on error (a call's options never reach the next)."""
        saved = self.config
        self.configure(**changes)
        try:
            yield
        finally:
            self.config = saved

    def estimate_single_pose(self, image: np.ndarray, image_scale_factor: float = 0.5,
                             flip_horizontal: bool = False, output_stride: int = 16) -> Pose:
        """posenet 1.x ``estimateSinglePose``, parameters by name, for this call only."""
        with self._options(decoding="single", image_scale_factor=image_scale_factor,
                           flip_horizontal=flip_horizontal, output_stride=output_stride):
            return self.estimate(image)[0]

    def estimate_multiple_poses(self, image: np.ndarray, image_scale_factor: float = 0.5,
                                flip_horizontal: bool = False, output_stride: int = 16,
                                max_pose_detections: int = 5, score_threshold: float = 0.5,
                                nms_radius: float = 20.0) -> list[Pose]:
        """posenet 1.x ``estimateMultiplePoses``, parameters by name, for this call only."""
        with self._options(decoding="multi", image_scale_factor=image_scale_factor,
                           flip_horizontal=flip_horizontal, output_stride=output_stride,
                           max_pose_detections=max_pose_detections,
                           root_score_threshold=score_threshold, nms_radius=nms_radius):
            return self.estimate(image)
