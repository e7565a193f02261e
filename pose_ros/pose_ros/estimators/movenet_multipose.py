"""MoveNet MultiPose Lightning: up to six people, boxes, tracking, smoothing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_ros.backends.shape_profiles import ShapeProfile, nhwc
from pose_ros.decoders.movenet import decode_multiple_poses
from pose_ros.estimators.base import (
    BackendFactory,
    PoseEstimator,
    Prepared,
    validate_shared,
)
from pose_ros.filters.keypoint_smoother import KeypointSmoother
from pose_ros.filters.one_euro import OneEuroConfig
from pose_ros.filters.stamp_gap import DEFAULT_MAX_GAP_S
from pose_ros.js_math import js_round
from pose_ros.models.registry import ModelSpec
from pose_ros.movenet_constants import (
    DEFAULT_MIN_POSE_SCORE,
    MULTIPOSE_DEFAULT_MAX_DIMENSION,
    MULTIPOSE_DIMENSION_DIVISOR,
)
from pose_ros.tracking.bounding_box_tracker import BoundingBoxTracker
from pose_ros.tracking.keypoint_tracker import KeypointTracker
from pose_ros.tracking.tracker import Tracker
from pose_ros.transforms import ImageToInput
from pose_ros.types import Pose

# "none", not "off": YAML (ros2 param set, -p, params files) reads a bare off as false
TRACKERS = ("none", "bounding_box", "keypoint")


def multipose_input_size(max_dimension: int, width: int,
                         height: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """MultiPose's (resized, padded) (width, height): the long side resized to
    ``max_dimension``, then each side padded to a multiple of 32, as the reference does."""
    m = max_dimension
    # at least one row or column, however thin the image
    if width > height:
        rw, rh = m, max(1, js_round(m * height / width))
    else:
        rw, rh = max(1, js_round(m * width / height)), m
    divisor = MULTIPOSE_DIMENSION_DIVISOR
    return (rw, rh), (math.ceil(rw / divisor) * divisor, math.ceil(rh / divisor) * divisor)


@dataclass(frozen=True)
class MultiPoseConfig:
    max_dimension: int = MULTIPOSE_DEFAULT_MAX_DIMENSION
    min_pose_score: float = DEFAULT_MIN_POSE_SCORE
    tracking: str = "bounding_box"
    smoothing: bool = True
    filter: OneEuroConfig = OneEuroConfig()
    max_gap_s: float = DEFAULT_MAX_GAP_S

    def validate(self, spec: ModelSpec) -> None:
        validate_shared(self)
        divisor = MULTIPOSE_DIMENSION_DIVISOR
        if self.max_dimension < divisor or self.max_dimension % divisor:
            raise ValueError(f"max_dimension must be a positive multiple of "
                             f"{divisor}, not {self.max_dimension}")
        if self.tracking not in TRACKERS:
            raise ValueError(f"tracking must be one of {TRACKERS}, not {self.tracking!r}")

    def inert(self) -> dict[str, str]:
        """The options that do nothing under this configuration, with the reason."""
        if self.tracking == "none":  # a smoother follows one person: it needs their track
            return {"smoothing": "smoothing follows tracked people (tracking is none)"}
        return {}

    def untracked(self) -> str:
        """Why people get no track id ('' where they do)."""
        return "tracking is none" if self.tracking == "none" else ""


def make_tracker(kind: str) -> Tracker | None:
    trackers = {"bounding_box": BoundingBoxTracker, "keypoint": KeypointTracker}
    return trackers.get(kind, lambda: None)()


class MoveNetMultiPoseEstimator(PoseEstimator):
    config: MultiPoseConfig

    def __init__(self, spec: ModelSpec, model_dir: Path, make_backend: BackendFactory,
                 config: MultiPoseConfig = MultiPoseConfig()) -> None:
        super().__init__(spec, model_dir, make_backend, config)
        self._tracker = make_tracker(config.tracking)
        self._smoothers: dict[int, KeypointSmoother] = {}

    def _reconfigured(self, old: MultiPoseConfig) -> None:
        if self.config.tracking != old.tracking:
            self._tracker = make_tracker(self.config.tracking)
        self._smoothers.clear()

    def reset(self) -> None:
        if self._tracker is not None:
            self._tracker.reset()
        self._smoothers.clear()

    def input_transform(self, width: int, height: int) -> ImageToInput:
        """Long side resized to ``max_dimension``, the short side padded (bottom or
        right) to a multiple of 32, as the reference does."""
        (rw, rh), (pw, ph) = multipose_input_size(self.config.max_dimension, width, height)
        return ImageToInput.from_box((0.0, 0.0, width * pw / rw, height * ph / rh), pw, ph)

    def input_profile(self, camera_sizes: Sequence[tuple[int, int]],
                      output_stride: int | None) -> ShapeProfile:
        """Any camera: both sides are multiples of 32 up to max_dimension."""
        m, divisor = self.config.max_dimension, MULTIPOSE_DIMENSION_DIVISOR
        return ShapeProfile.spanning(
            self.spec.input.name, [nhwc(divisor, divisor), nhwc(m, m)],
            nhwc(*multipose_input_size(m, *camera_sizes[0])[1]))

    def preprocess(self, image: np.ndarray, timestamp: float | None = None) -> Prepared:
        self._reset_on_break(timestamp, self.config.max_gap_s)
        height, width = image.shape[:2]
        transform = self.input_transform(width, height)
        return Prepared(self._buffers.int32_input(transform, image), transform, width, height)

    def postprocess(self, outputs: dict[str, np.ndarray], prepared: Prepared,
                    timestamp: float | None = None) -> list[Pose]:
        (output,) = outputs.values()
        t = prepared.transform
        poses = self._to_image(decode_multiple_poses(
            output, t.input_width, t.input_height, self.config.min_pose_score), t)
        if timestamp is not None and self._tracker is not None:
            self._tracker.apply(poses, timestamp, prepared.width, prepared.height)
            if self.config.smoothing:
                self._smooth(poses, timestamp, prepared.width, prepared.height,
                             self._tracker.track_ids())
        return poses

    def _smooth(self, poses: list[Pose], timestamp: float, width: int, height: int,
                alive: set[int]) -> None:
        """One smoother per track; those of tracks no longer ``alive`` are dropped."""
        for pose in poses:
            smoother = self._smoothers.setdefault(
                pose.track_id, KeypointSmoother(self.config.filter))
            pose.xy = smoother.apply_pixels(pose.xy, timestamp, width, height)
        for track_id in [t for t in self._smoothers if t not in alive]:
            del self._smoothers[track_id]
