"""A node that does nothing: each camera frame is answered at once with an empty
PersonArray carrying the frame's header, through the same raw subscription, QoS
and serialized publish as pose_node. Its round trip (camera stamp to answer) is
what any rclpy node pays on this machine before it does any work of its own.

    python bench/idle_node.py --ros-args -r image:=/cam/image -r poses:=/cam/poses
"""

from __future__ import annotations

import sys

from sensor_msgs.msg import Image

from pose_ros.frame_buffers import reuse_frame_buffers
from pose_ros.node.cdr_image import parse_image
from pose_ros.node.cdr_person_array import person_array_cdr
from pose_ros.node.qos import camera_qos
from pose_ros.node.ros_session import ros_node, spin
from pose_ros_msgs.msg import PersonArray


def main() -> int:
    reuse_frame_buffers()  # as pose_node does
    with ros_node("bench_idle_node") as node:
        pub = node.create_publisher(PersonArray, "poses", 10)

        def answer(data: bytes) -> None:
            frame = parse_image(data)
            pub.publish(person_array_cdr(frame.header, frame.width, frame.height, "none", [],
                                         0.0))
        node.create_subscription(Image, "image", answer, camera_qos("best_effort", 1), raw=True)
        spin(node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
