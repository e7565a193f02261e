"""Images read from their serialized bytes equal what rclpy deserializes."""

from __future__ import annotations

import numpy as np
import pytest
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CompressedImage, Image

from pose_ros.node.cdr_image import parse_compressed_image, parse_image
from pose_ros.node.image_conversion import ImageError


@pytest.mark.parametrize("frame_id", ["", "c", "cam", "camera_optical_frame", "ü-utf8"])
@pytest.mark.parametrize("encoding", ["rgb8", "mono16", "yuv422_yuy2"])
def test_image_fields_and_pixels_match_rclpy(frame_id, encoding):
    pixels = np.random.default_rng(0).integers(0, 256, 5 * 14, np.uint8).tobytes()
    msg = Image(height=5, width=4, encoding=encoding, is_bigendian=1, step=14, data=pixels)
    msg.header.stamp.sec, msg.header.stamp.nanosec = -3, 999_999_999
    msg.header.frame_id = frame_id
    raw = parse_image(serialize_message(msg))
    assert raw.header == msg.header
    assert ((raw.height, raw.width, raw.encoding, raw.is_bigendian, raw.step)
            == (5, 4, encoding, 1, 14))
    assert bytes(raw.data) == pixels


def test_compressed_matches_rclpy():
    msg = CompressedImage(format="jpeg", data=b"\xff\xd8" + bytes(range(200)))
    msg.header.frame_id = "cam"
    msg.header.stamp.sec = 7
    raw = parse_compressed_image(serialize_message(msg))
    assert raw.header == msg.header and raw.format == "jpeg" and bytes(raw.data) == bytes(msg.data)


def test_big_endian_cdr_from_another_implementation():
    from pose_ros.bag.typestore import typestore

    store = typestore()
    Header, Time = store.types["std_msgs/msg/Header"], store.types["builtin_interfaces/msg/Time"]
    msg = store.types["sensor_msgs/msg/Image"](
        header=Header(stamp=Time(sec=12, nanosec=34), frame_id="be"), height=2, width=3,
        encoding="rgb8", is_bigendian=0, step=9, data=np.arange(18, dtype=np.uint8))
    raw = parse_image(bytes(store.serialize_cdr(msg, "sensor_msgs/msg/Image", little_endian=False)))
    assert (raw.header.stamp.sec, raw.header.stamp.nanosec, raw.header.frame_id) == (12, 34, "be")
    assert (raw.height, raw.width, raw.step) == (2, 3, 9) and bytes(raw.data) == bytes(range(18))


@pytest.mark.parametrize("cut", [0, 3, 10, 30, 60])
def test_truncated_or_garbage_bytes_are_malformed(cut):
    msg = Image(height=2, width=2, encoding="rgb8", step=6, data=bytes(12))
    msg.header.frame_id = "camera"
    data = serialize_message(msg)
    with pytest.raises(ImageError, match="malformed_message"):
        parse_image(data[:cut] if cut < 60 else b"\x07\x07" + data[2:])
