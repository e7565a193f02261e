"""CPU backends against each other: ONNX Runtime and LiteRT running the same
converted weights on the same inputs, interleaved in one run, at 1 thread and at
one thread per core. Its table is what backend auto's CPU choice per model
(``cpu_backend`` in models/manifest.json) rests on; test_litert.py checks that
auto follows it.

    make bench-backends      (prints the table; docs/performance.md holds the last one)
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from pose_ros.api import create_estimator
from pose_ros.backends import create_backend
from pose_ros.models.locate import model_files
from pose_ros.models.registry import default_model_dir, model_names, model_spec


def camera_input(name: str, width: int = 640, height: int = 480) -> tuple[int, int, int, int]:
    """The input ``name`` gets from a camera of this size with the shipped defaults."""
    t = create_estimator(name, model_dir=default_model_dir()).input_transform(width, height)
    return 1, t.input_height, t.input_width, 3


BLOCK, PAUSE_S = 10, 0.1


def median_ms(name: str, shape: tuple[int, ...], threads: int,
              repeats: int) -> dict[str, float]:
    spec = model_spec(name)
    files = model_files(spec, default_model_dir())
    x = (np.random.default_rng(0).integers(0, 256, shape).astype(np.int32)
         if spec.input.dtype == "int32" else
         np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32))
    backends = {k: create_backend(k, files, input_shapes={spec.input.name: shape},
                                  threads=threads) for k in ("onnxruntime", "litert")}
    times: dict[str, list[float]] = {k: [] for k in backends}
    for backend in backends.values():
        backend.run({spec.input.name: x})  # warm-up
    # Blocks of runs, interleaved so that the machine's load hits both alike, with a
    # pause between blocks: ONNX Runtime's threads spin on after a run and, run by run,
    # took the cores from LiteRT's (LiteRT at 2 threads measured 2x slower than alone).
    for _ in range(max(1, repeats // BLOCK)):
        for k, backend in backends.items():
            time.sleep(PAUSE_S)
            for _ in range(BLOCK):
                t0 = time.perf_counter()
                backend.run({spec.input.name: x})
                times[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v) * 1e3) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"Measured on {platform.machine()} with {cores} cores, one run, "
          f"{args.repeats} inferences per cell (median).\n")
    print("| model | input | threads | ONNX Runtime ms | LiteRT ms | LiteRT / ONNX Runtime |"
          " auto on CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    disagree = []
    for name in model_names():
        spec = model_spec(name)
        if not spec.litert:
            print(f"| {name} | | | | no TFLite file | | {spec.cpu_backend} |")
            continue
        shape = camera_input(name)
        for threads in (1, 0):  # 0: one per core, the node's default
            ms = median_ms(name, shape, threads=threads, repeats=args.repeats)
            size = "x".join(map(str, shape[1:3]))
            print(f"| {name} | {size} | {threads or cores} | {ms['onnxruntime']:.2f} | "
                  f"{ms['litert']:.2f} | {ms['litert'] / ms['onnxruntime']:.2f} | "
                  f"{spec.cpu_backend} |", flush=True)
        if min(ms, key=ms.__getitem__) != spec.cpu_backend:
            disagree.append(name)
    if disagree:
        print(f"\nhere the faster backend at one thread per core is not the registry's "
              f"cpu_backend for: {', '.join(disagree)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
