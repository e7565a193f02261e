"""Frames lost before the node's callback ran, from DDS publication sequence numbers.

With a keep-last camera QoS, the middleware replaces frames the executor has not
taken yet; the node never sees them. Each publisher numbers its messages, so a gap
in those numbers is the count of frames lost in transport.

Counting needs rclpy's message info with the sequence number and the publisher's
id (rclpy 9, Kilted). Humble's rclpy passes no message info and Jazzy's has no
``publisher_gid``: there the count is reported unavailable, never a silent 0.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

MAX_PUBLISHERS = 64  # a camera topic has one or two; the table must not grow without bound
SEQUENCE, PUBLISHER = "publication_sequence_number", "publisher_gid"
NO_MESSAGE_INFO = "this rclpy passes no message info to callbacks"


def why_uncountable(info: Mapping[str, Any]) -> str | None:
    """Why losses cannot be counted from messages with this ``info``; None if they can."""
    missing = [key for key in (SEQUENCE, PUBLISHER) if key not in info]
    if missing:
        return f"this rclpy's message info has no {' or '.join(missing)}"
    if info[SEQUENCE] is None:
        return "the middleware does not number its messages"
    return None


class TransportLosses:
    def __init__(self, message_info: bool) -> None:
        """``message_info``: whether the node's callback receives rclpy's MessageInfo."""
        self._last: OrderedDict[bytes, int] = OrderedDict()
        self.lost = 0
        self._checked = not message_info  # what the info holds is known at the first frame
        self.unavailable: str | None = None if message_info else NO_MESSAGE_INFO

    def observe(self, info: Mapping[str, Any]) -> None:
        """Count the gap before this message; ``info`` is rclpy's MessageInfo."""
        if not self._checked:
            self._checked = True
            self.unavailable = why_uncountable(info)
        if self.unavailable is not None:
            return
        seq, gid = info[SEQUENCE], info[PUBLISHER]
        if not seq or not gid:  # this message came unnumbered
            return
        key = bytes(gid["data"]) if isinstance(gid, Mapping) else bytes(gid)
        last = self._last.pop(key, None)
        if last is not None and seq > last:
            self.lost += seq - last - 1  # a smaller number: the publisher restarted
        self._last[key] = seq
        if len(self._last) > MAX_PUBLISHERS:
            self._last.popitem(last=False)

    def forget_publishers(self) -> None:
        """Unsubscribed on purpose (deactivated, disabled): frames sent meanwhile were
        not lost in transport, so the next from each publisher starts its count anew."""
        self._last.clear()

    def report(self) -> str:
        """The count for /diagnostics, or why there is none."""
        return str(self.lost) if self.unavailable is None else f"unavailable ({self.unavailable})"
