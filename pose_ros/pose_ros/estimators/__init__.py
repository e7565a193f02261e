"""Pose estimators, one per model family, behind :class:`PoseEstimator`.

Adding a model of a known family is a manifest entry; adding a family is one
module here and one line in :data:`FAMILIES`. A family's config dataclass is the
list of options it takes: the node passes each node parameter of the same name
(``pose_ros.node.parameters``), and its ``inert()`` names those that do nothing
under the config's current values.
"""

from __future__ import annotations

from pose_ros.estimators.base import PoseEstimator
from pose_ros.estimators.movenet_multipose import MoveNetMultiPoseEstimator, MultiPoseConfig
from pose_ros.estimators.movenet_singlepose import MoveNetConfig, MoveNetSinglePoseEstimator
from pose_ros.estimators.posenet import PoseNetConfig, PoseNetEstimator

#: model family (registry) -> (estimator class, its config class)
FAMILIES = {
    "posenet": (PoseNetEstimator, PoseNetConfig),
    "movenet_singlepose": (MoveNetSinglePoseEstimator, MoveNetConfig),
    "movenet_multipose": (MoveNetMultiPoseEstimator, MultiPoseConfig),
}

__all__ = [
    "FAMILIES",
    "MoveNetConfig",
    "MoveNetMultiPoseEstimator",
    "MoveNetSinglePoseEstimator",
    "MultiPoseConfig",
    "PoseEstimator",
    "PoseNetConfig",
    "PoseNetEstimator",
]
