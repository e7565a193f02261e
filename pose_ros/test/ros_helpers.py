"""Helpers for tests that talk to real ROS 2 processes through Fast DDS."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import rclpy
from rclpy.client import Client
from rclpy.node import Node

TEST_DIR = Path(__file__).resolve().parent
SHARED_MEMORY = Path("/dev/shm")


def spawn(args: list[str], cwd: Path | None = None, new_session: bool = False) -> subprocess.Popen:
    """Start a process in the test's environment, output captured for failures.

    The test folder joins PYTHONPATH so helper modules here run with ``-m``.
    ``new_session``: in a session and process group of its own, as a terminal runs a
    command (a Ctrl-C then reaches the group, and nothing else).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TEST_DIR), env.get("PYTHONPATH")]))
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=cwd, start_new_session=new_session)


def spawn_python(module: str, *args: str) -> subprocess.Popen:
    return spawn([sys.executable, "-m", module, *args])


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> str:
    """SIGINT the process, wait for it, and return what it printed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stdout.read() if proc.stdout else ""


def spin_until(node: Node, done: Callable[[], bool], timeout: float) -> bool:
    """Spin ``node`` until ``done()`` holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
        if done():
            return True
    return done()


RESEND_AFTER_S = 5.0


def call(node: Node, client: Client, request: Any, timeout: float = 30.0) -> Any:
    """``client``'s answer to ``request``, which must be safe to send twice.

    Fast DDS drops a service's answer when the server has not matched this client's
    response reader 100 ms after the request came (rmw_fastrtps #390, #467): on a
    loaded machine a first call now and then gets no answer, ever, though
    wait_for_service said yes. So a request unanswered for ``RESEND_AFTER_S`` goes
    again; whichever answer comes first is the one."""
    assert client.wait_for_service(timeout_sec=10), f"no {client.srv_name}"
    deadline = time.monotonic() + timeout
    futures = [client.call_async(request)]
    while not spin_until(node, lambda: any(f.done() for f in futures),
                         min(RESEND_AFTER_S, deadline - time.monotonic())):
        assert time.monotonic() < deadline, f"no answer from {client.srv_name} in {timeout} s"
        futures.append(client.call_async(request))
    return next(f for f in futures if f.done()).result()


def receive(node: Node, msg_type: Any, topic: str, qos: Any, count: int = 1,
            timeout: float = 20.0) -> list[Any]:
    """Subscribe to ``topic`` and collect ``count`` messages (fewer on timeout)."""
    received: list[Any] = []
    sub = node.create_subscription(msg_type, topic, received.append, qos)
    try:
        spin_until(node, lambda: len(received) >= count, timeout)
    finally:
        node.destroy_subscription(sub)
    return received


def diagnostic_values(node: Node, name: str, timeout: float = 5.0) -> dict[str, str]:
    """The key/values of the next /diagnostics status whose name ends with ``name``."""
    from diagnostic_msgs.msg import DiagnosticArray

    seen: list[DiagnosticArray] = []
    sub = node.create_subscription(DiagnosticArray, "/diagnostics", seen.append, 10)

    def ours():
        return [s for m in seen for s in m.status if s.name.endswith(name)]
    try:
        assert spin_until(node, lambda: bool(ours()), timeout), f"no diagnostics from {name}"
    finally:
        node.destroy_subscription(sub)
    return {kv.key: kv.value for kv in ours()[-1].values}


def lifecycle_cli(node: str, verb: str, *args: str, attempts: int = 6) -> str:
    """``ros2 lifecycle <verb> /<node> ...``, the real CLI; its output.

    No daemon (none may outlive the test): each call discovers the node afresh in
    --spin-time, which a loaded machine sometimes misses ("Node not found" though the
    node is up); such a miss is tried again, any other failure is final."""
    for _ in range(attempts):
        result = subprocess.run(["ros2", "lifecycle", verb, "--no-daemon", "--spin-time", "3",
                                 f"/{node}", *args], capture_output=True, text=True, timeout=60)
        if result.stderr.strip() != "Node not found":
            break
    assert result.returncode == 0, result
    return result.stdout


def reliable(depth: int = 10):
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    return QoSProfile(depth=depth, reliability=ReliabilityPolicy.RELIABLE)


def start_node(node: Node, model_dir, name: str, *extra: str) -> subprocess.Popen:
    """A pose_node process named ``name`` publishing on /<name>/poses, with a reliable
    camera subscription (tests must not lose frames), ready when this returns."""
    import pytest
    from rcl_interfaces.srv import GetParameters

    proc = spawn(["pose_node", "--ros-args", "-r", f"__node:={name}", "-p", "backend:=onnxruntime",
                  "-p", f"model_dir:={model_dir}", "-p", "qos_reliability:=reliable",
                  "-p", "qos_depth:=10", "-r", f"poses:=/{name}/poses", *extra])
    client: Client = node.create_client(GetParameters, f"/{name}/get_parameters")
    try:
        # parameter services come up first; the poses publisher once the model is loaded
        if not (client.wait_for_service(timeout_sec=30) and spin_until(
                node, lambda: node.count_publishers(f"/{name}/poses") > 0, 30)):
            pytest.fail(f"{name} did not start:\n{stop(proc)}")
    finally:
        node.destroy_client(client)
    return proc


def parameter_value(value: Any):
    """An rcl_interfaces ParameterValue of a Python value, typed as the value is."""
    from rcl_interfaces.msg import ParameterType, ParameterValue

    v = ParameterValue()
    if isinstance(value, bool):
        v.type, v.bool_value = ParameterType.PARAMETER_BOOL, value
    elif isinstance(value, int):
        v.type, v.integer_value = ParameterType.PARAMETER_INTEGER, value
    elif isinstance(value, float):
        v.type, v.double_value = ParameterType.PARAMETER_DOUBLE, value
    elif isinstance(value, str):
        v.type, v.string_value = ParameterType.PARAMETER_STRING, value
    else:
        v.type, v.double_array_value = ParameterType.PARAMETER_DOUBLE_ARRAY, list(value)
    return v


def remove_dead_shared_memory() -> int:
    """Remove the Fast DDS shared-memory segments and ports of processes that died
    without cleaning up (killed), as ``fastdds shm clean`` does: a live process holds
    the lock on each one's ``_el`` file. Returns how many were removed."""
    removed = 0
    for lock_file in SHARED_MEMORY.glob("fastdds_*_el"):
        name = lock_file.name[:-len("_el")]
        try:
            fd = os.open(lock_file, os.O_RDWR)
        except FileNotFoundError:
            continue  # its process cleaned up just now
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # alive
        finally:
            os.close(fd)
        for path in (SHARED_MEMORY / name, lock_file, SHARED_MEMORY / f"sem.{name}_mutex"):
            path.unlink(missing_ok=True)
        removed += 1
    return removed
