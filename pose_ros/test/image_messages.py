"""sensor_msgs/Image messages of every supported encoding, built from real pixels."""

from __future__ import annotations

import cv2
import numpy as np
from sensor_msgs.msg import Image


def make_image(pixels: np.ndarray, encoding: str, pad: int = 0, bigendian: bool = False) -> Image:
    """An Image of ``pixels`` (H, W[, C], uint8 or uint16) with ``pad`` bytes after each row."""
    h, w = pixels.shape[:2]
    rows = pixels.reshape(h, -1)
    if pad:
        rows = np.concatenate([rows, np.zeros((h, pad), rows.dtype)], axis=1)
    raw = rows.tobytes() if pixels.dtype == np.uint8 else rows.astype(
        ">u2" if bigendian else "<u2").tobytes()
    return Image(height=h, width=w, encoding=encoding, is_bigendian=int(bigendian),
                 step=len(raw) // h, data=raw)


def colour_in_every_encoding(rgb: np.ndarray) -> dict[str, Image]:
    """The same colour image in the four colour encodings, each with its channel order."""
    alpha = np.full_like(rgb[..., :1], 255)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    return {
        "rgb8": make_image(rgb, "rgb8"),
        "bgr8": make_image(bgr, "bgr8", pad=5),
        "rgba8": make_image(np.concatenate([rgb, alpha], axis=2), "rgba8"),
        "bgra8": make_image(np.concatenate([bgr, alpha], axis=2), "bgra8"),
    }


def gray_in_every_encoding(gray: np.ndarray) -> dict[str, Image]:
    """The same grey image in all eight encodings: each decodes to identical RGB pixels.

    Grey has no chroma (U = V = 128), so 4:2:2 loses nothing; YUV is video range
    (Y 16..235), so the grey levels are first rounded to those a Y value decodes to.
    """
    gray = gray[:, : gray.shape[1] // 2 * 2]  # 4:2:2 pairs pixels
    levels = cv2.cvtColor(np.stack([np.full(256, 128, np.uint8), np.arange(256, dtype=np.uint8)],
                                   -1)[None], cv2.COLOR_YUV2RGB_UYVY)[0, :, 0]  # Y -> grey
    nearest_y = np.abs(levels[None, :].astype(int) - np.arange(256)[:, None]).argmin(axis=1)
    y = nearest_y.astype(np.uint8)[gray]
    gray = levels[y]
    chroma = np.full_like(gray, 128)
    return {
        **colour_in_every_encoding(np.repeat(gray[..., None], 3, axis=2)),
        "mono8": make_image(gray, "mono8", pad=3),
        "mono16": make_image(gray.astype(np.uint16) << 8, "mono16", bigendian=True),
        "yuv422": make_image(np.stack([chroma, y], -1), "yuv422"),
        "yuv422_yuy2": make_image(np.stack([y, chroma], -1), "yuv422_yuy2"),
    }
