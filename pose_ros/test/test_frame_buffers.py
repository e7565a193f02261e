"""Frames through real Fast DDS between processes: the receiving process reuses its
frame buffers instead of faulting in fresh pages for every frame."""

from __future__ import annotations

import json
import mmap
import time

import cv2
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from ros_helpers import spawn_python, spin_until, stop

FRAMES = 30


def faults_per_frame(ros, publisher, frame: Image, mode: str) -> float:
    proc = spawn_python("frame_faults", "/frame_buffers/image", str(FRAMES), mode)
    try:
        assert spin_until(ros, lambda: publisher.get_subscription_count() > 0, 20)
        time.sleep(0.5)  # let the subscriber match us too
        for _ in range(FRAMES):
            if proc.poll() is not None:
                break
            publisher.publish(frame)
            # paced for a loaded 2-core machine: a subscriber that falls 5 frames behind
            # (keep-last 5) loses one, and repairs churn Jazzy's Fast DDS buffers
            time.sleep(0.1)
        proc.wait(30)
    finally:
        out = stop(proc)
    report = json.loads(out.strip().splitlines()[-1])
    # the figure is per frame received; a frame lost in transport leaves it valid
    assert report["frames"] >= 20, out
    return report["faults_per_frame"]


def test_a_1080p_frame_costs_no_fresh_pages(ros, shared_data):
    cap = cv2.VideoCapture(str(shared_data / "video" / "pose_squats.mp4"))
    ok, bgr = cap.read()
    assert ok
    rgb = cv2.cvtColor(cv2.resize(bgr, (1920, 1080)), cv2.COLOR_BGR2RGB)
    frame = Image(height=1080, width=1920, encoding="rgb8", step=1920 * 3, data=rgb.tobytes())
    publisher = ros.create_publisher(Image, "/frame_buffers/image",
                                     QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE))
    pages = len(frame.data) / mmap.PAGESIZE
    try:
        default = faults_per_frame(ros, publisher, frame, "default")
        reused = faults_per_frame(ros, publisher, frame, "reuse")
    finally:
        ros.destroy_publisher(publisher)
    print(f"\npage faults per 1080p frame ({pages:.0f} pages): default {default:.0f}, "
          f"reuse_frame_buffers {reused:.1f}")
    # the default allocator faults in fresh pages for every copy of the frame
    assert default > pages, "glibc no longer maps fresh pages per frame: frame_buffers is moot"
    assert reused < 0.01 * pages
