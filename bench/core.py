"""Inference-core benchmark: per model, pre-processing, inference and decoding time
(median and p90) on 640x480 and 1920x1080 video frames, what MoveNet single-pose's
second pass costs on a first frame, PoseNet multi-pose decoding time as the number
of people grows, and pose_node's own per-frame work without DDS, paced like a camera.
One run, one machine: compare the rows with each other, not with other machines.

    make bench-core        (or: python bench/core.py --frames 30)
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pose_ros.api import create_estimator
from pose_ros.models.registry import model_names

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video"
SIZES = [(640, 480), (1920, 1080)]


def video_frames(count: int, size: tuple[int, int]) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(DATA / "pose_squats.mp4"))
    if not cap.isOpened():  # else the loop below would wait for frames forever
        raise FileNotFoundError(f"cannot read {DATA / 'pose_squats.mp4'}: is ../shared there?")
    frames: list[np.ndarray] = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        frames.append(cv2.cvtColor(cv2.resize(frame, size), cv2.COLOR_BGR2RGB))
    return frames


def stats(samples: list[float]) -> dict[str, float]:
    ms = np.array(samples) * 1e3
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)),
            "p95_ms": float(np.percentile(ms, 95))}


def stage_times(name: str, frames: list[np.ndarray], threads: int, pace_hz: float = 0.0,
                backend: str = "onnxruntime") -> dict:
    """Per-stage times, back to back, or one frame every 1/``pace_hz`` s as a camera
    delivers them (ONNX Runtime's threads then start each frame cold)."""
    est = create_estimator(name, backend=backend, threads=threads)
    est.estimate(frames[0], 0.0)  # warm-up: session creation, first-run allocations
    pre, inf, post = [], [], []
    start, cpu_start = time.perf_counter(), time.process_time()
    for i, frame in enumerate(frames):
        t = i / 30.0
        if pace_hz:
            time.sleep(max(0.0, start + i / pace_hz - time.perf_counter()))
        t0 = time.perf_counter()
        prepared = est.preprocess(frame, t)
        t1 = time.perf_counter()
        outputs = est.infer(prepared)
        t2 = time.perf_counter()
        est.postprocess(outputs, prepared, t)
        est.follow()
        t3 = time.perf_counter()
        pre.append(t1 - t0)
        inf.append(t2 - t1)
        post.append(t3 - t2)
    # this process's CPU time, inference threads included, per frame
    cpu_ms = (time.process_time() - cpu_start) * 1e3 / len(frames)
    return {"preprocess": stats(pre), "inference": stats(inf), "decode": stats(post),
            "cpu_ms_per_frame": cpu_ms}


def first_frame_cost(name: str, frames: list[np.ndarray], threads: int) -> dict:
    """A whole estimate of a frame with nothing to follow (a still), one pass
    against refined by a second pass on the crop (``refine_first_frame``)."""
    times: dict[str, list[float]] = {"one_pass": [], "refined": []}
    estimators = {kind: create_estimator(name, backend="onnxruntime", threads=threads,
                                         refine_first_frame=kind == "refined")
                  for kind in times}
    for est in estimators.values():
        est.estimate(frames[0])  # warm-up
    for frame in frames:  # interleaved, so that load on the machine hits both alike
        for kind, est in estimators.items():
            t0 = time.perf_counter()
            est.estimate(frame)
            times[kind].append(time.perf_counter() - t0)
    return {kind: stats(samples) for kind, samples in times.items()}


def crowd(people: int) -> np.ndarray:
    """A 1920x1080 collage of ``people`` copies of a real photo of one person."""
    bgr = cv2.imread(str(DATA / "pose.jpg"))
    assert bgr is not None, f"cannot read {DATA / 'pose.jpg'}"
    person = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    cols = int(np.ceil(np.sqrt(people)))
    rows = int(np.ceil(people / cols))
    cell = (1920 // cols, 1080 // rows)
    canvas = np.zeros((1080, 1920, 3), np.uint8)
    tile = cv2.resize(person, cell)
    for i in range(people):
        r, c = divmod(i, cols)
        canvas[r * cell[1]:(r + 1) * cell[1], c * cell[0]:(c + 1) * cell[0]] = tile
    return canvas


def posenet_decoding_vs_people(threads: int, repeats: int) -> list[dict]:
    est = create_estimator("posenet_mobilenet", backend="onnxruntime", threads=threads,
                           image_scale_factor=1.0, max_pose_detections=20,
                           root_score_threshold=0.3)
    rows = []
    for people in (1, 2, 5, 10, 20):
        prepared = est.preprocess(crowd(people))
        outputs = est.infer(prepared)
        inference = []
        for _ in range(3):
            t0 = time.perf_counter()
            est.infer(prepared)
            inference.append(time.perf_counter() - t0)
        decode, found = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            found = len(est.postprocess(outputs, prepared))
            decode.append(time.perf_counter() - t0)
        rows.append({"people": people, "poses_decoded": found, "decode": stats(decode),
                     "inference": stats(inference)})
    return rows


def node_work(size: tuple[int, int], frames: int, threads: int, pace_hz: float = 30.0) -> dict:
    """pose_node's per-frame work in this process, without DDS, paced like its camera:
    the serialized Image read in place, the Lightning estimator's three stages, the
    sanity gate, the PersonArray bytes and, after them, the next crop; the node's own
    stage names. Paced, these
    reproduce the node's /diagnostics stage times; back to back they are a fraction."""
    # ROS message code for this section only: the rest of this file runs without ROS
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import Image

    from pose_ros.node.cdr_image import parse_image
    from pose_ros.node.cdr_person_array import person_array_cdr
    from pose_ros.node.image_conversion import image_to_rgb
    from pose_ros.output_sanity import sane_poses

    messages = []
    for frame in video_frames(min(frames, 60), size):
        msg = Image(height=size[1], width=size[0], encoding="rgb8", step=size[0] * 3,
                    data=frame.tobytes())
        msg.header.frame_id = "camera_optical_frame"
        messages.append(bytes(serialize_message(msg)))
    est = create_estimator("movenet_lightning", backend="onnxruntime", threads=threads)
    est.warm_up()
    names = ("convert", "preprocess", "inference", "decode", "build", "follow")
    times: dict[str, list[float]] = {n: [] for n in names}
    start = time.perf_counter()
    for i in range(frames):
        time.sleep(max(0.0, start + i / pace_hz - time.perf_counter()))
        t0 = time.perf_counter()
        msg = parse_image(messages[i % len(messages)])
        image = image_to_rgb(msg)
        t1 = time.perf_counter()
        prepared = est.preprocess(image, i / 30.0)
        t2 = time.perf_counter()
        outputs = est.infer(prepared)
        t3 = time.perf_counter()
        poses = est.postprocess(outputs, prepared, i / 30.0)
        t4 = time.perf_counter()
        poses, _ = sane_poses(poses, *size)
        person_array_cdr(msg.header, *size, "movenet_lightning", poses, 0.2)
        t5 = time.perf_counter()
        est.follow()  # as the node: the next crop once the poses are out
        t6 = time.perf_counter()
        for name, a, b in zip(names, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6)):
            times[name].append(b - a)
    return {name: stats(samples) for name, samples in times.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0: all cores)")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--node-frames", type=int, default=300,
                   help="frames of the node's own per-frame work, paced at 30 Hz (0: skip)")
    args = p.parse_args()
    results: dict[str, Any] = {"machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                          f"{__import__('os').cpu_count()} cores", "models": {}}
    print(f"# inference core, ONNX Runtime CPU, {results['machine']}\n")
    print("| model | frame | preprocess ms (median / p90) | inference ms | decode ms |")
    print("| --- | --- | --- | --- | --- |")
    for name in model_names():
        for size in SIZES:
            r = stage_times(name, video_frames(args.frames, size), args.threads)
            results["models"].setdefault(name, {})[f"{size[0]}x{size[1]}"] = r
            print(f"| {name} | {size[0]}x{size[1]} | " + " | ".join(
                f"{r[s]['median_ms']:.2f} / {r[s]['p90_ms']:.2f}"
                for s in ("preprocess", "inference", "decode")) + " |", flush=True)
    print("\n| first frame (a still), 640x480 | one pass ms (median / p90) | refined ms | "
          "refined / one pass |")
    print("| --- | --- | --- | --- |")
    for name in ("movenet_lightning", "movenet_thunder"):
        r = first_frame_cost(name, video_frames(args.frames, SIZES[0]), args.threads)
        results.setdefault("first_frame", {})[name] = r
        one, two = r["one_pass"], r["refined"]
        print(f"| {name} | {one['median_ms']:.2f} / {one['p90_ms']:.2f} | "
              f"{two['median_ms']:.2f} / {two['p90_ms']:.2f} | "
              f"{two['median_ms'] / one['median_ms']:.2f}x |", flush=True)
    print("\n| PoseNet multi-pose, people | poses decoded | decode ms (median / p90) | "
          "decode / inference |")
    print("| --- | --- | --- | --- |")
    results["posenet_decoding"] = posenet_decoding_vs_people(args.threads, args.frames)
    for row in results["posenet_decoding"]:
        d = row["decode"]
        ratio = d["median_ms"] / row["inference"]["median_ms"]
        print(f"| {row['people']} | {row['poses_decoded']} | {d['median_ms']:.2f} / "
              f"{d['p90_ms']:.2f} | {ratio:.1%} |")
    if args.node_frames:
        print("\n| pose_node's work without DDS, Lightning, paced at 30 Hz | convert ms | "
              "preprocess ms | inference ms | decode ms | build ms | "
              "next crop, after publishing ms |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for size in SIZES:
            r = node_work(size, args.node_frames, args.threads)
            results.setdefault("node_work", {})[f"{size[0]}x{size[1]}"] = r
            print(f"| {size[0]}x{size[1]} | " + " | ".join(
                f"{v['median_ms']:.2f}" for v in r.values()) + " |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
