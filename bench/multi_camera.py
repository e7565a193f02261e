"""Several cameras: N camera topics served by one pose_node process (``--cameras``)
against N pose_node processes, one per camera (issue 20).

    make bench-cameras     (writes out/bench/multi_camera.json and .md; DOCS=1 puts the
                            table in docs/performance.md)

For N = 1, 2, 4: N camera processes (bench/camera.py: real video frames, stamped as
sent) each publish on /camK/image; the nodes answer on /camK/poses, received here.
Per layout: aggregate poses per second (frames served, over the cameras' seconds),
frames served of frames sent, latency p50/p95 over every camera's frames (stamp to
receipt), the node processes' CPU together (% of one core) and their memory together:
RSS (shared library pages counted once per process) and PSS (shared pages split
between the processes that map them: what they cost the machine together). The two
layouts of each N run back to back, so the machine's drift hits both alike; the load
average is recorded with each run, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import psutil
import rclpy

from node import WARMUP_FRAMES, Receiver, spin_for, start_camera

COUNTS = (1, 2, 4)
LAYOUTS = ("one process", "one process per camera")
NODE_NAME = "pose_estimator"  # pose_node's; each camera's node is /camK/pose_estimator


@dataclass
class CamerasRun:
    cameras: int
    layout: str
    model: str
    size: str
    rate_hz: float
    backend: str = ""  # as the nodes report it (auto resolved)
    sent: int = 0
    served: int = 0
    # frames not served, as the nodes count them: replaced by a newer frame while the
    # node was busy, or lost by the transport on the way in
    superseded: int = 0
    lost_in_transport: int = 0
    seconds: float = 0.0  # the cameras' sending time, averaged
    latency_ms: dict = field(default_factory=dict)
    cpu_percent: float = 0.0  # the node processes together, of one core
    rss_mb: float = 0.0
    pss_mb: float = 0.0
    load_before: float = 0.0  # 1-minute load average
    load_after: float = 0.0

    @property
    def poses_per_s(self) -> float:
        return self.served / self.seconds if self.seconds else 0.0


def node_commands(cameras: list[str], layout: str, model: str, backend: str) -> list[list[str]]:
    params = ["-p", f"model:={model}", "-p", f"backend:={backend}"]
    if layout == LAYOUTS[0]:
        return [["pose_node", "--cameras", *cameras, "--ros-args", *params]]
    return [["pose_node", "--ros-args", "-r", f"__ns:={ns}", *params] for ns in cameras]


def run_cameras(ros, count: int, layout: str, model: str, size: str, rate: float,
                seconds: float, backend: str) -> CamerasRun:
    cameras = [f"/cam{k}" for k in range(count)]
    run = CamerasRun(count, layout, model, size, rate, load_before=os.getloadavg()[0])
    nodes = [subprocess.Popen(cmd) for cmd in node_commands(cameras, layout, model, backend)]
    procs = [psutil.Process(n.pid) for n in nodes]
    receivers = [Receiver(ros, f"{ns}/{NODE_NAME}", f"{ns}/poses") for ns in cameras]
    cams: list[subprocess.Popen] = []
    try:
        if not spin_for_all(ros, lambda: all(ros.count_publishers(f"{ns}/poses")
                                             for ns in cameras), 60, nodes):
            raise RuntimeError(f"{layout}, {count} camera(s): the nodes did not start")
        spin_for(ros, 1.0)
        cams = [start_camera(size, rate, seconds, subprocess.PIPE, topic=f"{ns}/image")
                for ns in cameras]
        # CPU from the moment every camera's answers flow (the warm-up frames are left
        # out, as the latencies leave them out) to the cameras' end
        spin_for_all(ros, lambda: all(r.count >= WARMUP_FRAMES for r in receivers), 30, nodes)
        cpu_start = (sum(sum(p.cpu_times()[:2]) for p in procs), time.monotonic())
        while any(c.poll() is None for c in cams):
            spin_for(ros, 0.5)
        cpu_end = (sum(sum(p.cpu_times()[:2]) for p in procs), time.monotonic())
        spin_for(ros, 2.0)  # the last answers, and one more diagnostics period
        memory = [p.memory_full_info() for p in procs]
        run.rss_mb = round(sum(m.rss for m in memory) / 2**20, 1)
        run.pss_mb = round(sum(m.pss for m in memory) / 2**20, 1)
    finally:
        for proc in [*cams, *nodes]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in nodes:
            proc.wait(20)
        for r in receivers:
            r.close()
    reports = [json.loads(c.communicate()[0].strip().splitlines()[-1]) for c in cams]
    run.sent = sum(r["sent"] for r in reports)
    run.seconds = float(np.mean([r["seconds"] for r in reports]))
    run.served = sum(r.counters.get("frames_processed", r.count) for r in receivers)
    run.superseded = sum(r.counters.get("frames_dropped_superseded", 0) for r in receivers)
    run.lost_in_transport = sum(r.counters.get("frames_dropped_transport", 0) for r in receivers)
    run.backend = ", ".join(sorted({r.backend for r in receivers}))
    latencies = np.concatenate([np.array(r.latencies_ns, dtype=float) for r in receivers]) / 1e6
    if latencies.size:
        run.latency_ms = {q: round(float(np.percentile(latencies, p)), 2)
                          for q, p in (("p50", 50), ("p95", 95))}
    run.cpu_percent = round(100 * (cpu_end[0] - cpu_start[0]) / (cpu_end[1] - cpu_start[1]), 1)
    run.load_after = os.getloadavg()[0]
    return run


def spin_for_all(ros, done, seconds: float, nodes: list[subprocess.Popen]) -> bool:
    """Spin until ``done()``; a node process that ended is an error, not a wait."""
    spin_for(ros, seconds, until=lambda: done() or any(n.poll() is not None for n in nodes))
    if any(n.poll() is not None for n in nodes):
        raise RuntimeError("a pose_node process ended early (its output is above)")
    return bool(done())


def markdown(machine: str, runs: list[CamerasRun]) -> str:
    r0 = runs[0]
    lines = [f"Measured on {machine}, one run: {r0.model} on backend {r0.backend}, "
             f"{r0.size} frames at {r0.rate_hz:g} Hz per camera, each camera its own process; "
             f"{r0.seconds:.0f} s per row.", "",
             "| cameras | served by | poses/s, all cameras | frames served | not served: "
             "superseded / lost in transport | latency ms p50 / p95 | CPU % (nodes, of one "
             "core) | RSS MB (nodes) | PSS MB (nodes) | load average before / after |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        lat = r.latency_ms
        served = r.served / r.sent if r.sent else 0.0
        lines.append(f"| {r.cameras} | {r.layout} | {r.poses_per_s:.1f} | {r.served}/{r.sent} "
                     f"({served:.0%}) | {r.superseded} / {r.lost_in_transport} | "
                     f"{lat.get('p50', float('nan')):.2f} / "
                     f"{lat.get('p95', float('nan')):.2f} | {r.cpu_percent:.0f} | "
                     f"{r.rss_mb:.0f} | {r.pss_mb:.0f} | {r.load_before:.2f} / "
                     f"{r.load_after:.2f} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cameras", nargs="+", type=int, default=COUNTS)
    p.add_argument("--model", default="movenet_lightning")
    p.add_argument("--backend", default="auto")
    p.add_argument("--size", default="640x480")
    p.add_argument("--rate", type=float, default=30.0, help="per camera, Hz")
    p.add_argument("--seconds", type=float, default=10.0, help="per run")
    p.add_argument("--out", type=Path, default=Path("out/bench"))
    args = p.parse_args()
    machine = (f"{platform.machine()} with {os.cpu_count()} cores, "
               f"{psutil.virtual_memory().total / 2**30:.0f} GiB")
    print(f"# several cameras on {machine}: uptime {subprocess.getoutput('uptime')}",
          flush=True)
    rclpy.init()
    ros = rclpy.create_node("bench_cameras_receiver")
    runs = []
    try:
        for count in args.cameras:
            for layout in LAYOUTS[:1] if count == 1 else LAYOUTS:  # the same with one camera
                print(f"{count} camera(s), {layout} ...", flush=True)
                runs.append(run_cameras(ros, count, layout, args.model, args.size, args.rate,
                                        args.seconds, args.backend))
    finally:
        ros.destroy_node()
        rclpy.try_shutdown()
    table = markdown(machine, runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "multi_camera.json").write_text(
        json.dumps({"machine": machine, "runs": [asdict(r) for r in runs]}, indent=2) + "\n")
    (args.out / "multi_camera.md").write_text(table + "\n")
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
