"""A one-frame mailbox between the subscription and the inference thread.

The subscription only ever replaces the waiting frame, so inference always takes
the newest one and nothing queues up; each replaced frame is counted as dropped.
"""

from __future__ import annotations

import threading
from typing import Any


class LatestFrame:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self.dropped = 0

    def put(self, item: Any) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify()

    def take(self, timeout: float) -> Any:
        """The newest frame, or None after ``timeout`` seconds without one."""
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item
