"""What depth costs the node per frame: a 640x480 colour frame's work with depth off
(inference, the PersonArray, the fixed-plane markers) against the same frame with
depth on (inference, the PersonArray, then pairing, reading the 16UC1 depth image in
place, lifting the people, the Person3DArray, 3D markers and TF), both published
through a real rclpy node, as pose_node's inference thread does. Inference runs once a
frame (it is the same either way); what follows it runs both ways on the same poses,
interleaved, so load on the machine hits both alike. A frame's time is the median
inference plus the median of what follows; "depth adds" is the median per-frame
difference. The target (issue 17): depth adds under 2 ms a frame.

    make bench-depth      (or: python bench/depth.py --frames 60)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import rclpy
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

import core
from pose_ros.api import create_estimator
from pose_ros.node.cdr_person_array import person_array_cdr
from pose_ros.node.messages import MarkerPlacer, marker_array
from pose_ros.node.parameters import PARAMS
from pose_ros.node.people_3d import People3D
from pose_ros_msgs.msg import PersonArray

SIZE = (640, 480)
TARGET_MS = 2.0
MODEL = "movenet_multipose"


def depth_message(header: Header, rng: np.random.Generator) -> bytes:
    """A serialized 16UC1 depth image: a person-sized range of depths, 10% holes."""
    w, h = SIZE
    mm = rng.integers(1500, 3500, size=(h, w)).astype(np.uint16)
    mm[rng.random((h, w)) < 0.1] = 0
    return serialize_message(Image(header=header, height=h, width=w, encoding="16UC1",
                                   is_bigendian=0, step=w * 2, data=mm.tobytes()))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--frames", type=int, default=60)
    args = p.parse_args()
    frames = core.video_frames(args.frames, SIZE)
    crowd = core.cv2.resize(core.crowd(6), SIZE)  # six people: per-person costs show
    values = {p.name: p.default for p in PARAMS} | {"depth": True, "publish_tf": True}
    estimator = create_estimator(MODEL, backend="onnxruntime")
    rclpy.init()
    node = rclpy.create_node("bench_depth")
    try:
        markers_pub = node.create_publisher(MarkerArray, "markers", 10)
        poses_pub = node.create_publisher(PersonArray, "poses", 10)
        # a subscriber, so that markers are built and published as they are for RViz
        node.create_subscription(MarkerArray, "markers", lambda _: None, 10)
        people = People3D(node, MODEL, markers_pub, node.create_publisher)
        f = SIZE[0] / 2 / np.tan(np.radians(30))
        info = CameraInfo(width=SIZE[0], height=SIZE[1],
                          k=[f, 0.0, SIZE[0] / 2 - 0.5, 0.0, f, SIZE[1] / 2 - 0.5, 0.0, 0.0, 1.0])
        people.input._on_info(info, depth=True)
        people.input._on_info(info, depth=False)
        rng = np.random.default_rng(0)
        placer = MarkerPlacer()
        print(f"# depth on vs off, {MODEL} at {SIZE[0]}x{SIZE[1]}, ONNX Runtime CPU\n")
        print("| frames | people | frame ms, depth off | frame ms, depth on | depth adds ms "
              "(median / p90) | on / off | target < 2 ms |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for label, images in (("squats video", frames), ("six-person collage", [crowd] * 30)):
            infer: list[float] = []
            off: list[float] = []
            on: list[float] = []
            for i, rgb in enumerate(images):
                header = Header(frame_id="camera_optical_frame")
                header.stamp.sec, header.stamp.nanosec = 1_700_000_000 + i, 0
                people.input._on_image(depth_message(header, rng))  # as the subscription does
                t0 = time.perf_counter()
                poses = estimator.estimate(rgb, float(i))
                infer.append(time.perf_counter() - t0)
                # the same poses, what follows inference in either mode, interleaved
                for depth_on, times in ((False, off), (True, on)):
                    t1 = time.perf_counter()
                    out = [(poses_pub, person_array_cdr(header, *SIZE, MODEL, poses, 0.3))]
                    if depth_on:
                        out += people.outgoing(header, poses, *SIZE, values)
                    else:
                        out.append((markers_pub, marker_array(header, poses, *SIZE, placer,
                                                              2.0, 0.3, 1.0)))
                    for publisher, msg in out:
                        publisher.publish(msg)
                    times.append(time.perf_counter() - t1)
            extra = (np.array(on) - np.array(off)) * 1e3
            inference, after_off, after_on = (float(np.median(t)) * 1e3 for t in (infer, off, on))
            frame_off, frame_on = inference + after_off, inference + after_on
            added = float(np.median(extra))
            print(f"| {label} | {len(poses)} | {frame_off:.2f} | {frame_on:.2f} | {added:.2f} / "
                  f"{np.percentile(extra, 90):.2f} | {frame_on / frame_off:.3f} | "
                  f"{'PASS' if added < TARGET_MS else 'FAIL'} |", flush=True)
    finally:
        node.destroy_node()
        rclpy.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
