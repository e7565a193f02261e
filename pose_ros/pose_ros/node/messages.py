"""Builders of pose_ros_msgs messages from the inference core's types."""

from __future__ import annotations

from pose_ros_msgs.msg import Skeleton

from pose_ros.keypoints import KEYPOINT_NAMES, SKELETON_EDGES


def skeleton_message() -> Skeleton:
    msg = Skeleton()
    msg.keypoint_names = list(KEYPOINT_NAMES)
    msg.edge_start = [a for a, _ in SKELETON_EDGES]
    msg.edge_end = [b for _, b in SKELETON_EDGES]
    return msg
