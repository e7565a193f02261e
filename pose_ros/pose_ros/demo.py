"""``make demo``: start the real pose_ros node and show what it publishes."""

from __future__ import annotations

import subprocess
import sys

import rclpy
from pose_ros_msgs.msg import Skeleton

from pose_ros.node.qos import LATCHED

TIMEOUT_S = 30.0


def main() -> int:
    node_proc = subprocess.Popen(["pose_node"])
    rclpy.init()
    node = rclpy.create_node("pose_ros_demo")
    received: list[Skeleton] = []
    node.create_subscription(Skeleton, "skeleton", received.append, LATCHED)
    try:
        deadline = node.get_clock().now().nanoseconds + int(TIMEOUT_S * 1e9)
        while not received and node.get_clock().now().nanoseconds < deadline:
            rclpy.spin_once(node, timeout_sec=0.1)
    finally:
        node_proc.send_signal(subprocess.signal.SIGINT)
        node_proc.wait(10)
        node.destroy_node()
        rclpy.shutdown()
    if not received:
        print("demo: the node published no skeleton", file=sys.stderr)
        return 1
    skeleton = received[0]
    print(f"demo: skeleton with {len(skeleton.keypoint_names)} keypoints and "
          f"{len(skeleton.edge_start)} edges from the pose_estimator node")
    return 0


if __name__ == "__main__":
    sys.exit(main())
