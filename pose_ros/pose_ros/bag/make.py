"""Write a rosbag2 of camera images (and a matching camera_info) from a video or images."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys.store import Typestore

from pose_ros.bag.frames import open_frames
from pose_ros.bag.typestore import typestore
from pose_ros.progress import ProgressBar

STORAGES = {"sqlite3": StoragePlugin.SQLITE3, "mcap": StoragePlugin.MCAP}
BAG_VERSION: Final = 9  # rosbag2 metadata version read by Jazzy, Kilted and later
DEFAULT_START_NS = 1_700_000_000 * 10**9


@dataclass(frozen=True)
class MakeOptions:
    topic: str = "/camera/image_raw"
    frame_id: str = "camera_optical_frame"
    storage: str = "sqlite3"
    compressed: bool = False  # JPEG on <topic>/compressed instead of raw bgr8
    jpeg_quality: int = 90
    fps: float | None = None  # None: the video's own rate
    hfov_deg: float = 60.0  # pinhole intrinsics for camera_info
    start_ns: int = DEFAULT_START_NS  # stamp of the first frame


def storage_plugin(name: str) -> StoragePlugin:
    if name not in STORAGES:
        raise ValueError(f"storage {name!r}: use one of {sorted(STORAGES)}")
    return STORAGES[name]


def camera_info_topic(image_topic: str) -> str:
    """The camera_info topic beside an image topic (/camera/image_raw -> /camera/camera_info)."""
    parent, slash, _ = image_topic.rpartition("/")
    return f"{parent}/camera_info" if slash else "camera_info"


def make_bag(source: Path, output: Path, options: MakeOptions = MakeOptions()) -> int:
    """Write the frames of ``source`` to a new bag at ``output``; returns the frame count."""
    plugin = storage_plugin(options.storage)
    frames = open_frames(source, options.fps)
    store = typestore()
    Header, Time = store.types["std_msgs/msg/Header"], store.types["builtin_interfaces/msg/Time"]
    image_topic = options.topic + "/compressed" if options.compressed else options.topic
    image_type = ("sensor_msgs/msg/CompressedImage" if options.compressed
                  else "sensor_msgs/msg/Image")
    info = _camera_info(store, frames.width, frames.height, options.hfov_deg)
    bar = ProgressBar(f"writing {output.name}", frames.count)
    count = 0
    with Writer(output, version=BAG_VERSION, storage_plugin=plugin) as writer:
        image_conn = writer.add_connection(image_topic, image_type, typestore=store)
        info_conn = writer.add_connection(camera_info_topic(options.topic),
                                          "sensor_msgs/msg/CameraInfo", typestore=store)
        for frame in frames:
            stamp_ns = options.start_ns + frame.offset_ns
            header = Header(stamp=Time(sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9),
                            frame_id=options.frame_id)
            image = _image(store, header, frame.bgr, options)
            writer.write(image_conn, stamp_ns, store.serialize_cdr(image, image_type))
            info.header = header
            writer.write(info_conn, stamp_ns,
                         store.serialize_cdr(info, "sensor_msgs/msg/CameraInfo"))
            count += 1
            bar.update()
    bar.close(f"{frames.width}x{frames.height} at {frames.fps:g} Hz, {options.storage}")
    return count


def _image(store: Typestore, header: Any, bgr: np.ndarray, options: MakeOptions) -> Any:
    if options.compressed:
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, options.jpeg_quality])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        return store.types["sensor_msgs/msg/CompressedImage"](header=header, format="jpeg",
                                                              data=jpeg.reshape(-1))
    h, w = bgr.shape[:2]
    return store.types["sensor_msgs/msg/Image"](
        header=header, height=h, width=w, encoding="bgr8", is_bigendian=0, step=w * 3,
        data=np.ascontiguousarray(bgr).reshape(-1))


def _camera_info(store: Typestore, width: int, height: int, hfov_deg: float) -> Any:
    """An ideal pinhole camera (no distortion) with the given horizontal field of view."""
    if not 1.0 <= hfov_deg <= 179.0:
        raise ValueError(f"hfov_deg {hfov_deg}: must be in [1, 179]")
    f = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    RegionOfInterest = store.types["sensor_msgs/msg/RegionOfInterest"]
    return store.types["sensor_msgs/msg/CameraInfo"](
        # header: each frame sets its own
        header=None,  # type: ignore[arg-type]
        height=height, width=width, distortion_model="plumb_bob",
        d=np.zeros(5), k=np.array([f, 0, cx, 0, f, cy, 0, 0, 1], dtype=np.float64),
        r=np.eye(3).reshape(-1),
        p=np.array([f, 0, cx, 0, 0, f, cy, 0, 0, 0, 1, 0], dtype=np.float64),
        binning_x=0, binning_y=0,
        roi=RegionOfInterest(x_offset=0, y_offset=0, height=0, width=0, do_rectify=False))
