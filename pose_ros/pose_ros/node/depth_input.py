"""The node's depth input: an aligned depth image and the camera_infos, kept for
pairing with colour frames by stamp.

The executor's callbacks only store what arrives: the newest few depth images, still
serialized (their pixels are read in place when used), and both camera_infos as
intrinsics. The inference thread takes the depth image nearest a colour frame's stamp;
a frame with none within the tolerance is :class:`Unpaired`. Drivers publish aligned
depth after its colour frame, so when the very next depth image would be the frame's,
the inference thread waits for it, boundedly; otherwise depth adds no latency.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.subscription import Subscription
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from pose_ros.depth.camera import Intrinsics
from pose_ros.depth.image import DepthImageError
from pose_ros.node.cdr_image import RawImage, parse_image
from pose_ros.node.image_conversion import ImageError
from pose_ros.node.qos import camera_qos

KEEP = 8  # depth images kept for pairing: a quarter of a second at 30 Hz
LOG_EVERY_S = 5.0


class Unpaired(DepthImageError):
    """No depth image for a colour frame: like a bad one, the frame gets no 3D."""


@dataclass(frozen=True)
class Paired:
    image: RawImage  # the depth image; its pixels still a view of the received bytes
    depth_k: Intrinsics
    colour_k: Intrinsics | None  # None until the colour camera_info arrives


def stamp_ns(header: Header) -> int:
    return header.stamp.sec * 10**9 + header.stamp.nanosec


class DepthInput:
    """While subscribed: ``depth/image``, ``depth/camera_info`` and ``camera_info``."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._arrived = threading.Condition()  # guards what is kept; notified on each image
        self._images: deque[RawImage] = deque(maxlen=KEEP)
        self._depth_k: Intrinsics | None = None
        self._colour_k: Intrinsics | None = None
        self._subscriptions: list[Subscription] = []

    def subscribe(self, image_qos: QoSProfile) -> None:
        info_qos = camera_qos("best_effort", 1)
        self._subscriptions = [
            self._node.create_subscription(Image, "depth/image", self._on_image, image_qos,
                                           raw=True),
            self._node.create_subscription(CameraInfo, "depth/camera_info",
                                           lambda msg: self._on_info(msg, depth=True), info_qos),
            self._node.create_subscription(CameraInfo, "camera_info",
                                           lambda msg: self._on_info(msg, depth=False), info_qos)]

    def unsubscribe(self) -> None:
        """Unsubscribed, and the depth images kept so far dropped: a frame after the
        next subscribe never pairs with one from before."""
        for subscription in self._subscriptions:
            self._node.destroy_subscription(subscription)
        self._subscriptions = []
        with self._arrived:
            self._images.clear()
            self._arrived.notify_all()

    def _on_image(self, data: bytes) -> None:
        try:
            image = parse_image(data)  # the header fields only: the pixels stay where they are
        except ImageError as e:
            self._node.get_logger().warning(f"depth image ignored: {e}",
                                            throttle_duration_sec=LOG_EVERY_S)
            return
        with self._arrived:
            self._images.append(image)
            self._arrived.notify_all()

    def _on_info(self, msg: CameraInfo, depth: bool) -> None:
        try:
            k = Intrinsics.from_k(msg.k, msg.width, msg.height)
        except ValueError as e:
            topic = "depth/camera_info" if depth else "camera_info"
            self._node.get_logger().warning(f"{topic} ignored: {e}",
                                            throttle_duration_sec=LOG_EVERY_S)
            return
        with self._arrived:
            if depth:
                self._depth_k = k
            else:
                self._colour_k = k

    def pair(self, stamp: int, tolerance_s: float, wait_s: float = 0.0) -> Paired:
        """The depth image nearest ``stamp`` (ns) within ``tolerance_s``; raises
        :class:`Unpaired` without one (or without the depth camera_info). Waits up to
        ``wait_s`` for a depth image still to come that would be the one
        (:func:`next_would_pair`)."""
        deadline = time.monotonic() + wait_s
        tolerance_ns = round(tolerance_s * 1e9)
        with self._arrived:
            while next_would_pair([stamp_ns(i.header) for i in self._images], stamp,
                                  tolerance_ns):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            images, depth_k, colour_k = list(self._images), self._depth_k, self._colour_k
        if not images:
            raise Unpaired("no_depth", "no depth image received yet (depth/image)")
        nearest = min(images, key=lambda image: abs(stamp_ns(image.header) - stamp))
        gap_s = abs(stamp_ns(nearest.header) - stamp) / 1e9
        if gap_s > tolerance_s:
            raise Unpaired("no_depth_in_tolerance",
                           f"the nearest depth image is {gap_s:.3f} s from the colour frame "
                           f"(depth_pairing_tolerance {tolerance_s} s)")
        if depth_k is None:
            raise Unpaired("no_depth_camera_info",
                           "no calibrated depth/camera_info received yet")
        return Paired(nearest, depth_k, colour_k)


def next_would_pair(stamps: Sequence[int], stamp: int, tolerance_ns: int) -> bool:
    """Whether the depth image after those kept (``stamps``, ns), expected a depth
    period after the newest, is the one for the colour frame at ``stamp``: within the
    tolerance of it, and none kept is. So with depth slower than colour only the frames
    that have a depth image of their own wait, and nothing waits on a stream that lags
    by more than an image (stalled), which would only delay every frame after."""
    if len(stamps) < 2 or any(abs(s - stamp) <= tolerance_ns for s in stamps):
        return False
    ordered = sorted(stamps)
    gaps = [b - a for a, b in pairwise(ordered) if b > a]
    if not gaps:
        return False
    newest, period = ordered[-1], median(gaps)
    return abs(newest + period - stamp) <= tolerance_ns
