"""The frame slot hands a frame to a waiting inference thread before put returns."""

from __future__ import annotations

import threading
import time

from pose_ros.node.frame_slot import LatestFrame

GENEROUS_S = 5.0  # the hand-over bound here: far above any scheduling delay


def test_put_returns_once_the_waiting_taker_has_the_frame():
    """Returning at once, the putting thread kept the GIL through rclpy's executor
    loop while the woken inference thread waited for it."""
    slot = LatestFrame(handoff_s=GENEROUS_S)
    taken: list[object] = []
    thread = threading.Thread(target=lambda: taken.append(slot.take(timeout=GENEROUS_S)))
    thread.start()
    deadline = time.monotonic() + GENEROUS_S
    while not slot._taker_waiting and time.monotonic() < deadline:
        time.sleep(0.001)
    slot.put("frame")
    # this thread holds the GIL from put's return to here: had put returned at once,
    # the taker could not have run yet and the frame would still be in the slot
    assert slot._item is None
    thread.join(GENEROUS_S)
    assert taken == ["frame"] and slot.dropped == 0


def test_put_without_a_waiting_taker_does_not_wait():
    slot = LatestFrame(handoff_s=GENEROUS_S)
    start = time.monotonic()
    slot.put("first")
    slot.put("second")  # replaces the first: the newest frame wins
    assert time.monotonic() - start < GENEROUS_S / 2
    assert slot.take(timeout=0.0) == "second" and slot.dropped == 1
