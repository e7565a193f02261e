"""Soak: 10,000 frames through the real node; resident memory stays flat and
nothing queues up. Frames go in lockstep (the next when the last is answered),
so every one is processed and the run is as short as inference allows."""

from __future__ import annotations

import time

import cv2
import psutil
from rcl_interfaces.srv import GetParameters
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from image_messages import make_image
from pose_ros_msgs.msg import PersonArray
from ros_helpers import diagnostic_values, spawn, spin_until, stop

FRAMES = 10_000
CHECKPOINT = 1_000


def test_ten_thousand_frames_memory_flat(ros, model_dir, shared_data):
    proc = spawn(["pose_node", "--ros-args", "-r", "__node:=pose_soak",
                  "-p", "backend:=onnxruntime", "-p", f"model_dir:={model_dir}",
                  "-p", "qos_reliability:=reliable",
                  "-r", "image:=/soak/image", "-r", "poses:=/soak/poses"])
    try:
        client = ros.create_client(GetParameters, "/pose_soak/get_parameters")
        assert client.wait_for_service(timeout_sec=30), stop(proc)
        rgb = cv2.cvtColor(cv2.imread(str(shared_data / "video" / "pose.jpg")), cv2.COLOR_BGR2RGB)
        msg = make_image(cv2.resize(rgb, (320, 214)), "rgb8")
        pub = ros.create_publisher(Image, "/soak/image",
                                   QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
        answered = [0]
        ros.create_subscription(PersonArray, "/soak/poses",
                                lambda m: answered.__setitem__(0, m.header.stamp.nanosec), 10)
        assert spin_until(ros, lambda: pub.get_subscription_count() > 0, 10)
        node = psutil.Process(proc.pid)
        rss, start = {}, time.monotonic()
        for i in range(1, FRAMES + 1):
            msg.header.stamp.sec, msg.header.stamp.nanosec = 1, i
            pub.publish(msg)
            if not spin_until(ros, lambda i=i: answered[0] == i, 2.0):
                pub.publish(msg)  # best effort on the node's side may lose one: resend
                assert spin_until(ros, lambda i=i: answered[0] == i, 10), f"frame {i} unanswered"
            if i in (CHECKPOINT, FRAMES):
                rss[i] = node.memory_info().rss / 2**20
        took = time.monotonic() - start
        time.sleep(1.1)
        values = diagnostic_values(ros, "/pose_soak")
    finally:
        out = stop(proc, timeout=10)
    growth = (rss[FRAMES] - rss[CHECKPOINT]) / rss[CHECKPOINT]
    print(f"\nsoak: {FRAMES} frames in {took:.0f} s; node RSS {rss[CHECKPOINT]:.1f} MB at frame "
          f"{CHECKPOINT}, {rss[FRAMES]:.1f} MB at frame {FRAMES} ({growth:+.2%}); node counters: "
          + ", ".join(f"{k}={v}" for k, v in values.items() if k.startswith("frames_")))
    assert abs(growth) <= 0.05
    assert int(values["frames_processed"]) >= FRAMES
    assert "Traceback" not in out, out
