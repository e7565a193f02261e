"""A camera in its own process for the lifecycle and launch tests: one real photo
published as rgb8 at 10 Hz on TOPIC (default /robust/image), stamped with the time of
sending, until killed.

    python -m camera_process PHOTO [TOPIC]
"""

from __future__ import annotations

import sys
import time

import cv2
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image


def main() -> int:
    bgr = cv2.imread(sys.argv[1])
    assert bgr is not None, f"cannot read {sys.argv[1]}"
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    msg = Image(height=h, width=w, encoding="rgb8", step=w * 3, data=rgb.tobytes())
    msg.header.frame_id = "camera_optical_frame"
    rclpy.init()
    node = rclpy.create_node("robust_camera")
    topic = sys.argv[2] if len(sys.argv) > 2 else "/robust/image"
    pub = node.create_publisher(Image, topic,
                                QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
    while True:
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(time.time_ns(), 10**9)
        pub.publish(msg)
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
