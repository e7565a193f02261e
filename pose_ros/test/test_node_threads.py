"""The node's two threads (executor and inference) share no state unguarded.

The real PoseNode in this process, with real rclpy: one thread plays the inference
thread's part (counting rejected frames of ever new causes) while this one runs the
executor's diagnostics tick as fast as it can.
"""

from __future__ import annotations

import sys
import threading
import time

from rclpy.logging import LoggingSeverity
from std_srvs.srv import SetBool

STRESS_TIMEOUT_S = 60.0
OVERLAPPED_TICKS = 20
CAUSES_PER_TICK = 20


def test_diagnostics_survive_new_rejection_causes(ros, model_dir):
    """Before the lock, a cause first counted during a tick raised 'dictionary changed
    size during iteration' out of the timer callback, and so out of spin()."""
    from pose_ros.node.pose_node import PoseNode

    node = PoseNode()
    node.get_logger().set_level(LoggingSeverity.ERROR)  # a warning per new cause would flood
    stop, ticking, counted, this_tick = threading.Event(), threading.Event(), [0], [0]

    def reject_new_causes() -> None:
        # New causes only while a tick runs, and a few per tick: without bounds they made
        # each tick slower than the last (3.3 million causes in 60 s on a loaded machine).
        while not stop.is_set():  # a spin: waking from a wait takes longer than a tick
            if ticking.is_set() and this_tick[0] < CAUSES_PER_TICK:
                node._reject(f"stress_{counted[0]}", "a new cause")
                counted[0] += 1
                this_tick[0] += 1
    worker = threading.Thread(target=reject_new_causes)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # hand the GIL over often, so that the threads interleave
    worker.start()
    overlapped = 0  # ticks during which the worker really added causes
    try:
        deadline = time.monotonic() + STRESS_TIMEOUT_S
        while overlapped < OVERLAPPED_TICKS and time.monotonic() < deadline:
            before, this_tick[0] = counted[0], 0
            ticking.set()
            node._publish_diagnostics()
            ticking.clear()
            overlapped += counted[0] > before
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(interval)
        node.destroy_node()
    assert overlapped >= OVERLAPPED_TICKS, (overlapped, counted[0])


def test_disable_resets_the_estimator_on_the_inference_thread(ros, model_dir):
    """~/enable false forgets temporal state; the reset must run where postprocess runs,
    not on the executor thread in the middle of a frame."""
    from pose_ros.node.pose_node import PoseNode

    node = PoseNode()
    real_reset, reset_on = node.estimator.reset, []

    def recording_reset() -> None:
        reset_on.append(threading.current_thread().name)
        real_reset()
    node.estimator.reset = recording_reset
    try:
        node._on_enable(SetBool.Request(data=False), SetBool.Response())
        deadline = time.monotonic() + 5.0
        while not reset_on and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        node.destroy_node()
    assert reset_on == ["pose_inference"]
