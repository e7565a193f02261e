"""The pose_estimator node."""

from __future__ import annotations

from rclpy.node import Node
from pose_ros_msgs.msg import Skeleton

from pose_ros.node.messages import skeleton_message
from pose_ros.node.qos import LATCHED

NODE_NAME = "pose_estimator"


class PoseNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        self._skeleton_pub = self.create_publisher(Skeleton, "skeleton", LATCHED)
        self._skeleton_pub.publish(skeleton_message())
        self.get_logger().info("published the skeleton description on 'skeleton'")
