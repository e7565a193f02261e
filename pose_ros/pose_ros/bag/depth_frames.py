"""Depth images for a bag, aligned to its colour frames: 16-bit PNG or TIFF in
millimetres (16UC1) or 32-bit float TIFF in metres (32FC1); 0 or NaN is no depth."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

DEPTH_SUFFIXES = {".png", ".tif", ".tiff"}
ENCODING_OF = {np.dtype(np.uint16): "16UC1", np.dtype(np.float32): "32FC1"}


def read_depth(file: Path) -> tuple[np.ndarray, str]:
    """The pixels of one depth image file and their ROS encoding."""
    pixels = cv2.imread(str(file), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise ValueError(f"{file} is not a readable image")
    if pixels.ndim != 2:
        raise ValueError(f"{file} has {pixels.shape[2]} channels: a depth image has one")
    if pixels.dtype not in ENCODING_OF:
        raise ValueError(f"{file} holds {pixels.dtype} pixels: depth is 16-bit (millimetres) "
                         "or 32-bit float (metres)")
    return pixels, ENCODING_OF[pixels.dtype]


def depth_files(path: Path, count: int) -> list[Path]:
    """The depth image of each of ``count`` colour frames: one file for all of them, or
    a folder of one per frame (sorted by name, as the colour images are)."""
    if path.is_file():
        return [path] * count
    if not path.is_dir():
        raise ValueError(f"{path} does not exist")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in DEPTH_SUFFIXES)
    if len(files) != count:
        kinds = ", ".join(sorted(DEPTH_SUFFIXES))
        raise ValueError(f"{path} holds {len(files)} depth images ({kinds}) for {count} "
                         "colour frames: give one per frame, or one file")
    return files
