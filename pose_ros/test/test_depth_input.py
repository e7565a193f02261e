"""The node's depth pairing on its own: a real rclpy node's DepthInput fed serialized
depth images and camera_infos as its subscriptions are, asked for colour stamps."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from pose_ros.node.depth_input import KEEP, DepthInput, Unpaired, next_would_pair
from pose_ros.node.qos import camera_qos

BASE_NS = 1_700_000_000 * 10**9
MS = 10**6


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


@pytest.mark.parametrize("kept_ms,frame_ms,waits", [
    ((0, 33), 66, True),  # the next, due at 66, is the frame's
    ((0, 33), 60, True),  # due at 66: within 20 ms of the frame
    ((0, 33, 66), 66, False),  # here already
    ((0, 33), 40, False),  # 33 is within the tolerance: taken
    ((0, 66), 99, False),  # depth at half the colour rate: the next, at 132, is too late
    ((0, 66), 132, True),  # ... and for the frames that have one, it is theirs
    ((0, 33), 200, False),  # stalled: several behind
    ((33,), 66, False),  # one image: no period to expect the next by
    ((0, 100), 50, False),  # between two kept: the next is due later
])
def test_the_wait_is_only_for_the_next_depth_image_when_it_is_the_frames(kept_ms, frame_ms,
                                                                          waits):
    assert next_would_pair([t * MS for t in kept_ms], frame_ms * MS, 20 * MS) is waits


def late_depth(depth_input: DepthInput, stamp_ns: int, after_s: float) -> threading.Thread:
    """A depth image arriving ``after_s`` from now, as the executor's callback gets it."""
    thread = threading.Timer(after_s, depth_input._on_image, [depth_bytes(stamp_ns)])
    thread.start()
    return thread


def test_a_frame_waits_for_its_depth_image_published_after_it(depth_input):
    depth_input._on_info(info(), depth=True)
    for offset_ms in (0, 33):
        depth_input._on_image(depth_bytes(BASE_NS + offset_ms * MS))
    assert cause(depth_input, BASE_NS + 66 * MS, 0.02) == "no_depth_in_tolerance"  # no wait
    arriving = late_depth(depth_input, BASE_NS + 66 * MS, 0.05)
    start = time.monotonic()
    paired = depth_input.pair(BASE_NS + 66 * MS, 0.02, wait_s=10.0)
    waited = time.monotonic() - start
    arriving.join()
    assert paired.image.header.stamp.nanosec == 66 * MS
    assert waited < 5.0  # woken by the arrival, not at the end of the wait


def test_the_wait_is_bounded_and_skipped_when_it_cannot_pair(depth_input):
    depth_input._on_info(info(), depth=True)
    for offset_ms in (0, 33):
        depth_input._on_image(depth_bytes(BASE_NS + offset_ms * MS))
    start = time.monotonic()
    with pytest.raises(Unpaired, match=r"0\.033 s from"):
        depth_input.pair(BASE_NS + 66 * MS, 0.02, wait_s=0.3)  # due, but never comes
    waited = time.monotonic() - start
    assert 0.3 <= waited < 1.8, waited  # bounded by wait_s (a loaded machine adds some)
    start = time.monotonic()
    with pytest.raises(Unpaired):
        depth_input.pair(BASE_NS + 500 * MS, 0.02, wait_s=10.0)  # stalled: no wait
    assert time.monotonic() - start < 5.0
