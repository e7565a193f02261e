"""Helpers for tests that talk to real ROS 2 processes through Fast DDS."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

import rclpy
from rclpy.node import Node


TEST_DIR = Path(__file__).resolve().parent


def spawn(args: list[str]) -> subprocess.Popen:
    """Start a process in the test's environment, output captured for failures.

    The test folder joins PYTHONPATH so helper modules here run with ``-m``.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TEST_DIR), env.get("PYTHONPATH")]))
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)


def spawn_python(module: str, *args: str) -> subprocess.Popen:
    return spawn([sys.executable, "-m", module, *args])


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> str:
    """SIGINT the process, wait for it, and return what it printed."""
    if proc.poll() is None:
        proc.send_signal(subprocess.signal.SIGINT)
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
