"""A camera stand-in for the node benchmark: real video frames published as
sensor_msgs/Image (rgb8) at a fixed rate, each stamped with the time it is sent,
as a driver stamps a capture. Runs as its own process, as a driver would.

Each frame is serialized once; per publish only the stamp is written into the
bytes, so the camera costs what a C++ driver's serialization would (one copy),
not rclpy's Python-to-C message conversion, which is no part of the node.

    python bench/camera.py --size 640x480 --rate 30 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import time

import rclpy
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image

from core import video_frames
from pose_ros.command_line import parse_size
from pose_ros.frame_buffers import reuse_frame_buffers
from pose_ros.node.qos import camera_qos


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--size", type=parse_size, default="640x480")
    p.add_argument("--rate", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--topic", default="/bench/image")
    args = p.parse_args()
    width, height = args.size
    messages = [Image(height=height, width=width, encoding="rgb8", step=width * 3,
                      data=frame.tobytes()) for frame in video_frames(30, (width, height))]
    for m in messages:
        m.header.frame_id = "camera_optical_frame"
    # little-endian CDR: a 4-byte encapsulation header, then stamp.sec and stamp.nanosec
    serialized = [bytearray(serialize_message(m)) for m in messages]
    reuse_frame_buffers()  # as the node does; a C++ driver reuses its buffers too
    rclpy.init()
    node = rclpy.create_node("bench_camera")
    pub = node.create_publisher(Image, args.topic, camera_qos("best_effort", 1))
    while pub.get_subscription_count() == 0:
        time.sleep(0.05)
    time.sleep(0.5)  # discovery is not symmetric: let the subscriber match us too
    period = 1.0 / args.rate
    start = time.monotonic()
    sent = 0
    try:
        while time.monotonic() - start < args.seconds:  # or until SIGINT
            frame = serialized[sent % len(serialized)]
            struct.pack_into("<iI", frame, 4, *divmod(time.time_ns(), 10**9))
            pub.publish(bytes(frame))
            sent += 1
            delay = start + sent * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    except KeyboardInterrupt:
        pass
    print(json.dumps({"sent": sent, "seconds": time.monotonic() - start}), flush=True)
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
