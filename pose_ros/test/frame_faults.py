"""A raw image subscriber in its own process that reports the page faults it takes
per received frame, with or without ``reuse_frame_buffers()``.

    python -m frame_faults TOPIC FRAMES reuse|default
"""

from __future__ import annotations

import json
import resource
import sys
import time

import rclpy
from sensor_msgs.msg import Image

from pose_ros.frame_buffers import reuse_frame_buffers
from pose_ros.node.qos import camera_qos

SETTLE = 5  # the first frames size the buffers either way


def main() -> int:
    topic, frames, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "reuse":
        assert reuse_frame_buffers(), "glibc's mallopt is not available"
    faults: list[int] = []
    rclpy.init()
    node = rclpy.create_node("frame_faults")
    node.create_subscription(Image, topic, lambda data: faults.append(
        resource.getrusage(resource.RUSAGE_SELF).ru_minflt), camera_qos("reliable", 5), raw=True)
    deadline = time.monotonic() + 30
    while len(faults) < frames and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    counted = len(faults) - SETTLE - 1
    per_frame = (faults[-1] - faults[SETTLE]) / counted if counted > 0 else None
    print(json.dumps({"frames": len(faults), "faults_per_frame": per_frame}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
