"""A raw image subscriber in its own process that reports the page faults it takes
per received frame (the median frame), with or without ``reuse_frame_buffers()``.

    python -m frame_faults TOPIC FRAMES reuse|default
"""

from __future__ import annotations

import json
import resource
import statistics
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
    seen, quiet_since = 0, time.monotonic()
    while len(faults) < frames and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
        if len(faults) != seen:
            seen, quiet_since = len(faults), time.monotonic()
        elif seen and time.monotonic() - quiet_since > 2.0:
            break  # the publisher is done; a frame lost in transport is not coming
    # the median frame: a one-off growth of the middleware's pool (one frame's pages,
    # seen now and then with Jazzy's Fast DDS) is not a cost paid per frame
    steps = [b - a for a, b in zip(faults[SETTLE:], faults[SETTLE + 1:])]
    per_frame = statistics.median(steps) if steps else None
    print(json.dumps({"frames": len(faults), "faults_per_frame": per_frame,
                      "faults_after_settling": sum(steps)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
