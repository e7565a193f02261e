"""Frames of a video file or an image folder, with the time each was taken."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}


@dataclass(frozen=True)
class Frame:
    index: int
    offset_ns: int  # since the first frame
    bgr: np.ndarray


@dataclass(frozen=True)
class FrameSource:
    path: Path
    fps: float
    count: int
    width: int
    height: int

    def __iter__(self) -> Iterator[Frame]:
        period_ns = 1e9 / self.fps
        if self.path.is_dir():
            for i, file in enumerate(_image_files(self.path)):
                bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
                if bgr is None:
                    raise ValueError(f"{file} is not a readable image")
                if bgr.shape[:2] != (self.height, self.width):
                    bgr = cv2.resize(bgr, (self.width, self.height), interpolation=cv2.INTER_AREA)
                yield Frame(i, round(i * period_ns), bgr)
            return
        capture = cv2.VideoCapture(str(self.path))
        try:
            i = 0
            while True:
                ok, bgr = capture.read()
                if not ok:
                    return
                yield Frame(i, round(i * period_ns), bgr)
                i += 1
        finally:
            capture.release()


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def open_frames(path: Path, fps: float | None = None) -> FrameSource:
    """A video (its own frame rate unless ``fps`` is given) or a folder of images
    (sorted by name, all resized to the first one's size, ``fps`` default 10)."""
    if path.is_dir():
        files = _image_files(path)
        if not files:
            raise ValueError(f"{path} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        first = cv2.imread(str(files[0]), cv2.IMREAD_COLOR)
        if first is None:
            raise ValueError(f"{files[0]} is not a readable image")
        return FrameSource(path, fps or 10.0, len(files), first.shape[1], first.shape[0])
    if not path.is_file():
        raise ValueError(f"{path} does not exist")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise ValueError(f"{path} is not a video OpenCV can read")
        video_fps = capture.get(cv2.CAP_PROP_FPS)
        rate = fps or (video_fps if video_fps > 0 else 30.0)
        return FrameSource(path, rate, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)),
                           int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                           int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        capture.release()
