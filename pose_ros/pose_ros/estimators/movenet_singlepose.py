"""MoveNet SinglePose (Lightning, Thunder) with smart cropping and smoothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from pose_ros import crop_region
from pose_ros.decoders.movenet import decode_single_pose
from pose_ros.estimators.base import BackendFactory, InputBuffers, PoseEstimator, Prepared
from pose_ros.filters.keypoint_smoother import DEFAULT_MAX_GAP_S, KeypointSmoother
from pose_ros.filters.low_pass import LowPassFilter
from pose_ros.filters.one_euro import OneEuroConfig
from pose_ros.models.registry import ModelSpec
from pose_ros.movenet_constants import CROP_FILTER_ALPHA
from pose_ros.output_sanity import is_sane
from pose_ros.transforms import ImageToInput
from pose_ros.types import Pose


@dataclass(frozen=True)
class MoveNetConfig:
    smoothing: bool = True
    filter: OneEuroConfig = OneEuroConfig()
    max_gap_s: float = DEFAULT_MAX_GAP_S
    #: Poses scoring below this are not reported (0 reports every pose).
    min_pose_score: float = 0.0

    def inert(self) -> dict[str, str]:
        """The options that do nothing under this configuration: none."""
        return {}


class MoveNetSinglePoseEstimator(PoseEstimator):
    """Runs on a square crop: on a still image or a first frame the whole image
    letterboxed; on video the crop follows the person found in the previous frame."""

    def __init__(self, spec: ModelSpec, model_dir: Path, make_backend: BackendFactory,
                 config: MoveNetConfig = MoveNetConfig()) -> None:
        super().__init__(spec, model_dir, make_backend)
        self.config = config
        self.input_size = int(spec.input.shape[1])
        self._buffers = InputBuffers()
        self._region: np.ndarray | None = None
        self._image_size: tuple[int, int] | None = None
        self._crop_filter = LowPassFilter(CROP_FILTER_ALPHA)  # on each edge of the crop region
        self._smoother = KeypointSmoother(config.filter, config.max_gap_s)

    def configure(self, **changes: Any) -> None:
        self.config = replace(self.config, **changes)
        self._smoother = KeypointSmoother(self.config.filter, self.config.max_gap_s)

    def reset(self) -> None:
        self._region = None
        self._crop_filter.reset()
        self._smoother.reset()

    def input_transform(self, width: int, height: int) -> ImageToInput:
        region = self._region if self._region is not None else \
            crop_region.full_image_region(width, height)
        box = crop_region.region_to_box(region, width, height)
        return ImageToInput.from_box(box, self.input_size, self.input_size)

    def preprocess(self, image: np.ndarray, timestamp: float | None = None) -> Prepared:
        height, width = image.shape[:2]
        if timestamp is None or self._image_size != (width, height):
            self.reset()  # a still image, or a new camera: no previous frame to follow
        self._image_size = (width, height)
        transform = self.input_transform(width, height)
        return Prepared(self._buffers.int32_input(transform, image), transform, width, height)

    def postprocess(self, outputs: dict[str, np.ndarray], prepared: Prepared,
                    timestamp: float | None = None) -> list[Pose]:
        (output,) = outputs.values()
        (pose,) = self._to_image([decode_single_pose(output, self.input_size, self.input_size)],
                                 prepared.transform)
        if pose.score == 0.0:
            self.reset()
            return []
        width, height = prepared.width, prepared.height
        if not is_sane(pose, width, height):  # garbage must not steer the next crop
            self.reset()
            return [pose]
        if timestamp is not None:
            if self.config.smoothing:
                pose.xy = self._smoother.apply_pixels(pose.xy, timestamp, width, height)
            self._region = self._crop_filter.apply(
                crop_region.next_crop_region(pose.xy, pose.scores, width, height))
        return [pose] if pose.score >= self.config.min_pose_score else []
