"""sensor_msgs/Image and CompressedImage read straight from their serialized (CDR) bytes.

rclpy's own deserialization copies the pixels twice (into a C message, then into a
Python array); a 1080p frame is 6 MB. The node subscribes with ``raw=True`` and
reads the few header fields here, leaving the pixels as a view into the received
buffer. Both CDR byte orders are read; anything that does not parse is an
:class:`ImageError` with the cause ``malformed_message``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from builtin_interfaces.msg import Time
from std_msgs.msg import Header

from pose_ros.node.image_conversion import ImageError

_ENCAPSULATION = {b"\x00\x00": ">", b"\x00\x01": "<"}  # CDR_BE, CDR_LE


@dataclass(frozen=True)
class RawImage:
    """The fields of sensor_msgs/Image that conversion reads; ``data`` is a view."""

    header: Header
    height: int
    width: int
    encoding: str
    is_bigendian: int
    step: int
    data: memoryview


@dataclass(frozen=True)
class RawCompressedImage:
    header: Header
    format: str
    data: memoryview


class _Reader:
    """Sequential CDR reads; alignment is relative to the end of the 4-byte encapsulation."""

    def __init__(self, buffer: bytes) -> None:
        self.view = memoryview(buffer)
        order = _ENCAPSULATION.get(bytes(self.view[:2]))
        if order is None:
            raise ImageError("malformed_message", "not CDR-encapsulated data")
        self.order, self.pos = order, 4

    def _align(self, size: int) -> None:
        self.pos += (-(self.pos - 4)) % size

    def uint32(self) -> int:
        self._align(4)
        end = self.pos + 4
        if end > len(self.view):
            raise ImageError("malformed_message", "message ends early")
        (value,) = struct.unpack_from(self.order + "I", self.view, self.pos)
        self.pos = end
        return value

    def int32(self) -> int:
        value = self.uint32()
        return value - (1 << 32) if value >= 1 << 31 else value

    def uint8(self) -> int:
        if self.pos >= len(self.view):
            raise ImageError("malformed_message", "message ends early")
        self.pos += 1
        return self.view[self.pos - 1]

    def octets(self) -> memoryview:
        n = self.uint32()
        if self.pos + n > len(self.view):
            raise ImageError("malformed_message", f"a field of {n} bytes runs past the message")
        self.pos += n
        return self.view[self.pos - n:self.pos]

    def string(self) -> str:
        raw = self.octets()  # the length counts the terminating NUL
        try:
            return bytes(raw[:-1]).decode() if len(raw) else ""
        except UnicodeDecodeError as e:
            raise ImageError("malformed_message", "a string is not UTF-8") from e

    def header(self) -> Header:
        sec, nanosec = self.int32(), self.uint32()
        if nanosec >= 10**9:
            raise ImageError("malformed_message", f"stamp nanoseconds {nanosec} >= 1e9")
        return Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=self.string())


def parse_image(buffer: bytes) -> RawImage:
    r = _Reader(buffer)
    header = r.header()
    height, width = r.uint32(), r.uint32()
    encoding = r.string()
    is_bigendian = r.uint8()
    step = r.uint32()
    return RawImage(header, height, width, encoding, is_bigendian, step, r.octets())


def parse_compressed_image(buffer: bytes) -> RawCompressedImage:
    r = _Reader(buffer)
    header = r.header()
    return RawCompressedImage(header, r.string(), r.octets())
