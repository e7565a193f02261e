"""A one-frame mailbox between the subscription and the inference thread.

The subscription only ever replaces the waiting frame, so inference always takes
the newest one and nothing queues up; each replaced frame is counted as dropped.

Handing over: when the inference thread is waiting for a frame, ``put`` blocks
until it has taken it (at most ``handoff_s``). Returning at once, the executor's
thread would go on through rclpy's executor loop holding the GIL, and the woken
inference thread waited for it: 0.5-0.6 ms per frame in the node, 0.1 ms with
the wait (docs/performance.md). Blocked, it holds no GIL.
"""

from __future__ import annotations

import threading
from typing import Any

#: put's longest wait for an idle taker: a taker that is waiting wakes within
#: about 0.1 ms, so this only bounds a slow wake-up on a loaded machine
HANDOFF_S = 0.002


class LatestFrame:
    def __init__(self, handoff_s: float = HANDOFF_S) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self._taker_waiting = False
        self.handoff_s = handoff_s
        self.dropped = 0

    def put(self, item: Any) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify_all()
            if self._taker_waiting:
                self._cond.wait_for(lambda: self._item is not item, self.handoff_s)

    def take(self, timeout: float) -> Any:
        """The newest frame, or None after ``timeout`` seconds without one."""
        with self._cond:
            if self._item is None:
                self._taker_waiting = True
                self._cond.wait(timeout)
                self._taker_waiting = False
            item, self._item = self._item, None
            self._cond.notify_all()  # a put waiting for this hand-over returns
            return item
