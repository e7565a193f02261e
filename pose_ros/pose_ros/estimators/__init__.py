"""Pose estimators, one per model family, behind :class:`PoseEstimator`.

Adding a model of a known family is a manifest entry; adding a family is its module
here (with its decoder in ``pose_ros.decoders``) and one line in :data:`FAMILIES`. A
family's config dataclass (:class:`EstimatorConfig`) is the list of options it takes:
the node passes each node parameter of the same name (``pose_ros.node.parameters``:
an option without one is the library's alone), and its ``inert()`` names those that do
nothing under the config's current values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pose_ros.estimators.base import BackendFactory, EstimatorConfig, PoseEstimator
from pose_ros.estimators.movenet_multipose import MoveNetMultiPoseEstimator, MultiPoseConfig
from pose_ros.estimators.movenet_singlepose import MoveNetConfig, MoveNetSinglePoseEstimator
from pose_ros.estimators.posenet import PoseNetConfig, PoseNetEstimator
from pose_ros.models.registry import ModelSpec


class Family(NamedTuple):
    #: (spec, model_dir, make_backend, config) -> the estimator
    estimator: Callable[[ModelSpec, Path, BackendFactory, Any], PoseEstimator]
    config: type[EstimatorConfig]


#: model family (registry) -> its estimator class and config class
FAMILIES: dict[str, Family] = {
    "posenet": Family(PoseNetEstimator, PoseNetConfig),
    "movenet_singlepose": Family(MoveNetSinglePoseEstimator, MoveNetConfig),
    "movenet_multipose": Family(MoveNetMultiPoseEstimator, MultiPoseConfig),
}

__all__ = [
    "FAMILIES",
    "EstimatorConfig",
    "Family",
    "MoveNetConfig",
    "MoveNetMultiPoseEstimator",
    "MoveNetSinglePoseEstimator",
    "MultiPoseConfig",
    "PoseEstimator",
    "PoseNetConfig",
    "PoseNetEstimator",
]
