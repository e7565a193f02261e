"""The node's depth pairing on its own: a real rclpy node's DepthInput fed serialized
depth images and camera_infos as its subscriptions are, asked for colour stamps."""

from __future__ import annotations

import numpy as np
import pytest
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from pose_ros.node.depth_input import KEEP, DepthInput, Unpaired
from pose_ros.node.qos import camera_qos

BASE_NS = 1_700_000_000 * 10**9


def depth_bytes(stamp_ns: int) -> bytes:
    header = Header(frame_id="depth_optical")
    header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 10**9)
    mm = np.full((4, 6), 1500, np.uint16)
    return serialize_message(Image(header=header, height=4, width=6, encoding="16UC1",
                                   step=12, data=mm.tobytes()))


def info(fx: float = 5.0) -> CameraInfo:
    return CameraInfo(width=6, height=4, k=[fx, 0.0, 2.5, 0.0, fx, 1.5, 0.0, 0.0, 1.0])


@pytest.fixture
def depth_input(ros):
    return DepthInput(ros)


def cause(depth_input: DepthInput, stamp_ns: int, tolerance_s: float) -> str:
    with pytest.raises(Unpaired) as unpaired:
        depth_input.pair(stamp_ns, tolerance_s)
    return unpaired.value.cause


def test_the_nearest_depth_within_the_tolerance_is_taken(depth_input):
    assert cause(depth_input, BASE_NS, 0.02) == "no_depth"
    for offset_ms in (0, 33, 66):
        depth_input._on_image(depth_bytes(BASE_NS + offset_ms * 10**6))
    assert cause(depth_input, BASE_NS, 0.02) == "no_depth_camera_info"
    depth_input._on_info(info(), depth=True)
    paired = depth_input.pair(BASE_NS + 40 * 10**6, 0.02)  # 7 ms from 33, 26 from 66
    assert paired.image.header.stamp.nanosec == 33 * 10**6
    assert paired.image.header.frame_id == "depth_optical" and paired.colour_k is None
    assert cause(depth_input, BASE_NS + 50 * 10**6, 0.01) == "no_depth_in_tolerance"
    depth_input._on_info(info(fx=9.0), depth=False)
    assert depth_input.pair(BASE_NS + 66 * 10**6, 0.0).colour_k.fx == 9.0


def test_only_the_newest_depth_images_are_kept(depth_input):
    depth_input._on_info(info(), depth=True)
    for i in range(KEEP + 3):
        depth_input._on_image(depth_bytes(BASE_NS + i * 10**8))
    assert cause(depth_input, BASE_NS, 0.05) == "no_depth_in_tolerance"  # dropped
    newest = depth_input.pair(BASE_NS + (KEEP + 2) * 10**8, 0.0)
    assert newest.image.header.stamp.sec == (BASE_NS + (KEEP + 2) * 10**8) // 10**9


def test_bad_input_is_ignored_not_fatal(depth_input):
    depth_input._on_image(b"\x00\x01\x00\x00\x01")  # ends early
    depth_input._on_info(CameraInfo(width=6, height=4), depth=True)  # K all zeros
    assert cause(depth_input, BASE_NS, 1.0) == "no_depth"
    depth_input._on_image(depth_bytes(BASE_NS))
    assert cause(depth_input, BASE_NS, 1.0) == "no_depth_camera_info"


def test_subscribed_while_asked_and_nothing_kept_across(ros, depth_input):
    depth_input.subscribe(camera_qos("reliable", 1))
    assert ros.count_subscribers("/depth/image") == 1
    assert ros.count_subscribers("/depth/camera_info") == 1
    depth_input._on_info(info(), depth=True)
    depth_input._on_image(depth_bytes(BASE_NS))
    depth_input.pair(BASE_NS, 0.0)
    depth_input.unsubscribe()  # deactivate
    assert ros.count_subscribers("/depth/image") == 0
    assert cause(depth_input, BASE_NS, 0.0) == "no_depth"  # the old images are gone
