"""Frames lost before the node's callback ran, from DDS publication sequence numbers.

With a keep-last camera QoS, the middleware replaces frames the executor has not
taken yet; the node never sees them. Each publisher numbers its messages, so a gap
in those numbers is the count of frames lost in transport.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

MAX_PUBLISHERS = 64  # a camera topic has one or two; the table must not grow without bound


class TransportLosses:
    def __init__(self) -> None:
        self._last: OrderedDict[bytes, int] = OrderedDict()
        self.lost = 0

    def observe(self, info: Mapping[str, Any]) -> None:
        """Count the gap before this message; ``info`` is rclpy's MessageInfo."""
        seq, gid = info.get("publication_sequence_number"), info.get("publisher_gid")
        if not seq or not gid:  # the RMW does not number its messages
            return
        key = bytes(gid["data"]) if isinstance(gid, Mapping) else bytes(gid)
        last = self._last.pop(key, None)
        if last is not None and seq > last:
            self.lost += seq - last - 1  # a smaller number: the publisher restarted
        self._last[key] = seq
        if len(self._last) > MAX_PUBLISHERS:
            self._last.popitem(last=False)
