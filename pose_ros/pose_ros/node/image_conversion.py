"""sensor_msgs/Image and CompressedImage to RGB arrays, without cv_bridge.

Raw images are read in place (``np.frombuffer`` over the message's buffer,
honouring ``step`` padding); only colour conversions copy. Anything malformed
raises :class:`ImageError` with a short cause the node counts by.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:  # annotations only: the conversions need no message classes
    from sensor_msgs.msg import CompressedImage, Image

    from pose_ros.node.cdr_image import RawCompressedImage, RawImage

#: encoding -> (bytes per pixel, conversion to RGB or None when already RGB)
ENCODINGS: dict[str, tuple[int, int | None]] = {
    "rgb8": (3, None),
    "bgr8": (3, cv2.COLOR_BGR2RGB),
    "rgba8": (4, cv2.COLOR_RGBA2RGB),
    "bgra8": (4, cv2.COLOR_BGRA2RGB),
    "mono8": (1, cv2.COLOR_GRAY2RGB),
    "mono16": (2, cv2.COLOR_GRAY2RGB),
    "yuv422": (2, cv2.COLOR_YUV2RGB_UYVY),
    "uyvy": (2, cv2.COLOR_YUV2RGB_UYVY),
    "yuv422_yuy2": (2, cv2.COLOR_YUV2RGB_YUYV),
    "yuyv": (2, cv2.COLOR_YUV2RGB_YUYV),
}
DEFAULT_MAX_PIXELS = 4096 * 4096


class ImageError(ValueError):
    """A frame that cannot be used; ``cause`` is a short counter key."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(f"{cause}: {detail}")
        self.cause = cause


def image_to_rgb(msg: Image | RawImage, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """A sensor_msgs/Image as an RGB uint8 (H, W, 3) array."""
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    encoding = msg.encoding.lower()
    if h == 0 or w == 0:
        raise ImageError("empty_image", f"{w}x{h}")
    if h * w > max_pixels:
        raise ImageError("too_large", f"{w}x{h} is over {max_pixels} pixels")
    if encoding not in ENCODINGS:
        raise ImageError("unsupported_encoding",
                         f"{msg.encoding!r} (supported: {sorted(ENCODINGS)})")
    bpp, conversion = ENCODINGS[encoding]
    if bpp == 2 and encoding != "mono16" and w % 2:
        raise ImageError("odd_width",
                         f"{encoding} pairs pixels, so its width must be even, not {w}")
    if step < w * bpp:
        raise ImageError("bad_step", f"step {step} < width {w} x {bpp} bytes")
    if len(msg.data) < step * h:
        raise ImageError("bad_data_length", f"{len(msg.data)} bytes for {h} rows of {step}")
    rows = np.frombuffer(msg.data, np.uint8, count=step * h).reshape(h, step)[:, : w * bpp]
    if encoding == "mono16":  # 8 of 16 bits: each pixel's high byte, read in place (a
        # 16-bit .view() of padded rows needs numpy >= 1.23; Ubuntu 22.04 has 1.21)
        high = rows[:, 0 if msg.is_bigendian else 1::2]
        assert conversion is not None  # mono16 is converted (ENCODINGS)
        return cv2.cvtColor(np.ascontiguousarray(high), conversion)
    pixels = rows.reshape(h, w, bpp) if bpp > 1 else rows.reshape(h, w)
    if conversion is None:
        return pixels
    return cv2.cvtColor(np.ascontiguousarray(pixels), conversion)


def compressed_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header, without decoding the image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 <= len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
    return None


def compressed_to_rgb(msg: CompressedImage | RawCompressedImage,
                      max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """A sensor_msgs/CompressedImage (JPEG or PNG) as an RGB uint8 array.

    The header's size is checked before decoding, so a decompression bomb is
    refused without allocating it.
    """
    data = bytes(msg.data)
    if not data:
        raise ImageError("empty_image", "no compressed data")
    size = compressed_size(data)
    if size is None:
        raise ImageError("corrupt_compressed", f"{msg.format!r}: not a PNG or JPEG header")
    if size[0] * size[1] > max_pixels:
        raise ImageError("too_large", f"{size[0]}x{size[1]} is over {max_pixels} pixels")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageError("corrupt_compressed", f"{msg.format!r} data could not be decoded")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
