"""Stopping an engine build: the event -> progress-monitor contract TensorRT relies on
(``step_complete`` False aborts its build), and Ctrl-C -> event in ``engine build``.
TensorRT itself aborting is only seen where it runs (it is the builder's documented
behaviour): here the monitor's logic, plain Python, and the CLI's real SIGINT."""

from __future__ import annotations

import os
import signal
import threading
import time

from pose_ros.backends.build_progress import BuildCancelled, BuildProgress
from pose_ros.models.engine_cli import INTERRUPTED, until_interrupted


def test_the_monitor_keeps_building_until_the_event_is_set():
    cancel, said = threading.Event(), []
    progress = BuildProgress(cancel, said.append, heartbeat_s=3600)
    progress.phase_start("Building engine", None, 3)
    assert [progress.step_complete("Building engine", step) for step in range(3)] == [True] * 3
    cancel.set()
    assert progress.step_complete("Building engine", 3) is False
    assert progress.step_complete("Tactic timing", 0) is False  # every later step too
    assert said[0].startswith("TensorRT: Building engine, 3 steps (")
    assert said[1:] == [said[1]] and "stopping the build" in said[1], said  # said once


def test_the_monitor_says_top_level_phases_and_a_heartbeat_with_the_elapsed_time():
    said: list[str] = []
    progress = BuildProgress(None, said.append, heartbeat_s=0.05)
    progress.phase_start("Building engine", None, 2)
    progress.phase_start("Tactic timing", "Building engine", 40)  # nested: too many
    assert len(said) == 1
    progress.step_complete("Tactic timing", 0)  # no heartbeat yet
    time.sleep(0.06)
    assert progress.step_complete("Tactic timing", 6) is True
    assert said[1] == "TensorRT: Tactic timing: step 7 (0 s)", said
    progress.phase_finish("Building engine")
    assert len(said) == 2


def test_ctrl_c_during_engine_build_sets_the_event_and_waits_for_the_build():
    """A real SIGINT to this process while the build thread waits on the event, as
    TensorRT's monitor polls it between steps."""
    cancel, finished = threading.Event(), []

    def build() -> None:
        if cancel.wait(30):
            finished.append(time.monotonic())
            raise BuildCancelled("stopped, as asked")
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    assert until_interrupted(build, cancel) == INTERRUPTED
    assert cancel.is_set() and finished  # the build ended before the command returned
    assert time.monotonic() - start < 5


def test_a_build_that_ends_on_its_own_is_success_and_its_error_is_raised():
    assert until_interrupted(lambda: None, threading.Event()) == 0

    def broken() -> None:
        raise RuntimeError("TensorRT could not parse the ONNX model")
    try:
        until_interrupted(broken, threading.Event())
    except RuntimeError as e:
        assert "parse" in str(e)
    else:
        raise AssertionError("the build's error was swallowed")
