"""MoveNet SinglePose (Lightning, Thunder) with smart cropping and smoothing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_ros import crop_region
from pose_ros.backends.shape_profiles import ShapeProfile, nhwc
from pose_ros.decoders.movenet import decode_single_pose
from pose_ros.estimators.base import (
    BackendFactory,
    PoseEstimator,
    Prepared,
    validate_shared,
)
from pose_ros.filters.keypoint_smoother import KeypointSmoother
from pose_ros.filters.low_pass import LowPassFilter
from pose_ros.filters.one_euro import OneEuroConfig
from pose_ros.filters.stamp_gap import DEFAULT_MAX_GAP_S
from pose_ros.models.registry import ModelSpec
from pose_ros.movenet_constants import CROP_FILTER_ALPHA
from pose_ros.output_sanity import is_sane
from pose_ros.transforms import ImageToInput
from pose_ros.types import Pose


@dataclass(frozen=True)
class MoveNetConfig:
    smoothing: bool = True
    #: with no crop to follow (a still, a first frame, after a break or a lost person),
    #: run a second pass on the crop the first pass's keypoints give
    refine_first_frame: bool = True
    filter: OneEuroConfig = OneEuroConfig()
    max_gap_s: float = DEFAULT_MAX_GAP_S
    #: Poses scoring below this are not reported, and reset the crop and smoothing as
    #: the reference's do (0 reports every pose).
    min_pose_score: float = 0.0

    def inert(self) -> dict[str, str]:
        """The options that do nothing under this configuration: none."""
        return {}

    def untracked(self) -> str:
        """Why people get no track id ('' where they do)."""
        return "single-pose MoveNet tracks no one"

    def validate(self, spec: ModelSpec) -> None:
        validate_shared(self)


class MoveNetSinglePoseEstimator(PoseEstimator):
    """Runs on a square crop: on video the crop follows the person found in the
    previous frame. With nothing to follow, the whole image letterboxed finds the
    person first, where they cover few input pixels; a second pass on the crop
    that pose gives (the rule video follows with) sees them at the model's full
    resolution, and the better-scored of the two poses is kept."""

    config: MoveNetConfig

    def __init__(self, spec: ModelSpec, model_dir: Path, make_backend: BackendFactory,
                 config: MoveNetConfig = MoveNetConfig()) -> None:
        super().__init__(spec, model_dir, make_backend, config)
        self.input_size = int(spec.input.shape[1])
        self._region: np.ndarray | None = None
        self._image_size: tuple[int, int] | None = None
        self._crop_filter = LowPassFilter(CROP_FILTER_ALPHA)  # on each edge of the crop region
        self._to_follow: Pose | None = None  # the last pose, its crop not yet computed
        self._smoother = KeypointSmoother(config.filter)
        self.refinements = 0  # second passes run (diagnostics)

    def _reconfigured(self, old: MoveNetConfig) -> None:
        self._smoother = KeypointSmoother(self.config.filter)

    def reset(self) -> None:
        self._region = None
        self._to_follow = None
        self._crop_filter.reset()
        self._smoother.reset()

    def counters(self) -> dict[str, int]:
        return {**super().counters(), "first_frame_refinements": self.refinements}

    def input_transform(self, width: int, height: int) -> ImageToInput:
        region = self._region if self._region is not None else \
            crop_region.full_image_region(width, height)
        box = crop_region.region_to_box(region, width, height)
        return ImageToInput.from_box(box, self.input_size, self.input_size)

    def input_profile(self, camera_sizes: Sequence[tuple[int, int]],
                      output_stride: int | None) -> ShapeProfile:
        """The square crop, whatever the camera."""
        return ShapeProfile.fixed({self.spec.input.name: nhwc(self.input_size,
                                                              self.input_size)})

    def preprocess(self, image: np.ndarray, timestamp: float | None = None) -> Prepared:
        self.follow()
        height, width = image.shape[:2]
        if timestamp is None or self._image_size != (width, height):
            self.reset()  # a still image, or a new camera: no previous frame to follow
        self._reset_on_break(timestamp, self.config.max_gap_s)
        self._image_size = (width, height)
        transform = self.input_transform(width, height)
        refine = self.config.refine_first_frame and self._region is None
        return Prepared(self._buffers.int32_input(transform, image), transform, width, height,
                        image if refine else None)

    def postprocess(self, outputs: dict[str, np.ndarray], prepared: Prepared,
                    timestamp: float | None = None) -> list[Pose]:
        self.second_pass_s = 0.0
        pose = self._decode(outputs, prepared.transform)
        width, height = prepared.width, prepared.height
        if pose.score == 0.0:
            self.reset()
            return []
        if not is_sane(pose, width, height):  # garbage must not steer the next crop
            self.reset()
            return [pose]
        if prepared.image is not None:
            started = time.perf_counter()
            pose = self._refine(pose, prepared.image)
            self.second_pass_s = time.perf_counter() - started
        if pose.score < self.config.min_pose_score:
            self.reset()  # as the reference: a pose not reported steers nothing either
            return []
        if timestamp is not None:
            if self.config.smoothing:
                pose.xy = self._smoother.apply_pixels(pose.xy, timestamp, width, height)
            self._to_follow = pose
        return [pose]

    def follow(self) -> None:
        """The next frame's crop, from the last pose (tfjs ``determineNextCropRegion``)."""
        pose, self._to_follow = self._to_follow, None
        if pose is None or self._image_size is None:
            return
        region = crop_region.next_crop_region(pose.xy, pose.scores, *self._image_size)
        if region is None:  # no torso: towards the whole image, through the filter as
            # the reference does (its fallback region passes through filterCropRegion)
            region = crop_region.full_image_region(*self._image_size)
        self._region = self._crop_filter.apply(region)

    def _decode(self, outputs: dict[str, np.ndarray], transform: ImageToInput) -> Pose:
        (output,) = outputs.values()
        (pose,) = self._to_image([decode_single_pose(output, self.input_size, self.input_size)],
                                 transform)
        return pose

    def _refine(self, pose: Pose, image: np.ndarray) -> Pose:
        """The second pass, on the crop ``pose`` gives; the better-scored pose wins."""
        height, width = image.shape[:2]
        region = crop_region.next_crop_region(pose.xy, pose.scores, width, height)
        if region is None:  # no torso, or the person fills the image already
            return pose
        transform = ImageToInput.from_box(crop_region.region_to_box(region, width, height),
                                          self.input_size, self.input_size)
        second = Prepared(self._buffers.int32_input(transform, image), transform, width, height)
        refined = self._decode(self.infer(second), transform)
        self.refinements += 1
        return refined if refined.score > pose.score and is_sane(refined, width, height) else pose
