"""Write a rosbag2 of camera images (and a matching camera_info) from a video or images,
with an aligned depth image per frame when given."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys.store import Typestore

from pose_ros.bag.depth_frames import depth_files, read_depth
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
    depth: Path | None = None  # depth image file (every frame) or folder (one per frame)
    depth_topic: str = ""  # empty: <topic's parent>/depth/image_raw
    depth_frame_id: str = ""  # empty: frame_id (aligned depth is in the colour camera's frame)


def storage_plugin(name: str) -> StoragePlugin:
    if name not in STORAGES:
        raise ValueError(f"storage {name!r}: use one of {sorted(STORAGES)}")
    return STORAGES[name]


def camera_info_topic(image_topic: str) -> str:
    """The camera_info topic beside an image topic (/camera/image_raw -> /camera/camera_info)."""
    parent, slash, _ = image_topic.rpartition("/")
    return f"{parent}/camera_info" if slash else "camera_info"


def depth_topic(image_topic: str) -> str:
    """The depth topic beside an image topic (/camera/image_raw -> /camera/depth/image_raw)."""
    parent, slash, _ = image_topic.rpartition("/")
    return f"{parent}/depth/image_raw" if slash else "depth/image_raw"


def make_bag(source: Path, output: Path, options: MakeOptions = MakeOptions()) -> int:
    """Write the frames of ``source`` to a new bag at ``output``; returns the frame count."""
    if options.fps is not None and not options.fps > 0:  # None: the source's own rate
        raise ValueError(f"fps {options.fps:g}: must be above 0 (leave it out for the "
                         "video's own rate)")
    plugin = storage_plugin(options.storage)
    frames = open_frames(source, options.fps)
    depths = depth_files(options.depth, frames.count) if options.depth else []
    if depths:
        read_depth(depths[0])  # a file that is no depth image fails before the bag is made
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
        depth_writer = _DepthWriter(writer, store, options) if depths else None
        for frame in frames:
            stamp_ns = options.start_ns + frame.offset_ns
            stamp = Time(sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
            if depth_writer is not None:  # first: a camera's depth is there when colour is
                depth_writer.write(depths[frame.index], stamp, stamp_ns)
            header = Header(stamp=stamp, frame_id=options.frame_id)
            image = _image(store, header, frame.bgr, options)
            writer.write(image_conn, stamp_ns, store.serialize_cdr(image, image_type))
            info.header = header
            writer.write(info_conn, stamp_ns,
                         store.serialize_cdr(info, "sensor_msgs/msg/CameraInfo"))
            count += 1
            bar.update()
    bar.close(f"{frames.width}x{frames.height} at {frames.fps:g} Hz, {options.storage}"
              + (", with depth" if depths else ""))
    return count


class _DepthWriter:
    """The depth image and its camera_info (the colour camera's field of view at the
    depth image's size: aligned depth) of each frame; a file read once however often."""

    def __init__(self, writer: Writer, store: Typestore, options: MakeOptions) -> None:
        self.writer, self.store, self.hfov_deg = writer, store, options.hfov_deg
        self.frame_id = options.depth_frame_id or options.frame_id
        topic = options.depth_topic or depth_topic(options.topic)
        self.image_conn = writer.add_connection(topic, "sensor_msgs/msg/Image", typestore=store)
        self.info_conn = writer.add_connection(camera_info_topic(topic),
                                               "sensor_msgs/msg/CameraInfo", typestore=store)
        self._file: Path | None = None
        self._pixels = np.empty((0, 0), np.uint16)
        self._encoding = ""
        self._info: Any = None

    def write(self, file: Path, stamp: Any, stamp_ns: int) -> None:
        if file != self._file:
            pixels, self._encoding = read_depth(file)
            self._pixels = pixels.astype(pixels.dtype.newbyteorder("<"))  # is_bigendian 0
            self._info = _camera_info(self.store, pixels.shape[1], pixels.shape[0],
                                      self.hfov_deg)
            self._file = file
        h, w = self._pixels.shape
        header = self.store.types["std_msgs/msg/Header"](stamp=stamp, frame_id=self.frame_id)
        image = self.store.types["sensor_msgs/msg/Image"](
            header=header, height=h, width=w, encoding=self._encoding, is_bigendian=0,
            step=w * self._pixels.itemsize, data=self._pixels.reshape(-1).view(np.uint8))
        self._info.header = header
        self.writer.write(self.image_conn, stamp_ns,
                          self.store.serialize_cdr(image, "sensor_msgs/msg/Image"))
        self.writer.write(self.info_conn, stamp_ns,
                          self.store.serialize_cdr(self._info, "sensor_msgs/msg/CameraInfo"))


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
