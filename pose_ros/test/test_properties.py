"""Property-based tests: whatever arrives on the camera topic, conversion either
gives a well-formed RGB image or refuses the frame with a cause, never anything else."""

from __future__ import annotations

import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CompressedImage, Image

from pose_ros.node.cdr_image import parse_compressed_image, parse_image
from pose_ros.node.image_conversion import ENCODINGS, ImageError, compressed_to_rgb, image_to_rgb

CAUSES = {"empty_image", "too_large", "unsupported_encoding", "bad_step", "bad_data_length",
          "corrupt_compressed", "malformed_message", "odd_width"}
encodings = st.sampled_from([*sorted(ENCODINGS), "32FC1", "bayer_rggb8", "", "RGB8", "jpeg"])


def converts_or_refuses(msg, max_pixels: int = 1 << 20) -> None:
    try:
        rgb = image_to_rgb(msg, max_pixels)
    except ImageError as e:
        assert e.cause in CAUSES
        return
    assert rgb.dtype == np.uint8 and rgb.shape == (msg.height, msg.width, 3)


@settings(max_examples=300, deadline=None)
@given(height=st.integers(0, 40), width=st.integers(0, 40), encoding=encodings,
       step_delta=st.integers(-8, 8), length_delta=st.integers(-16, 16),
       bigendian=st.booleans(), seed=st.integers(0, 2**16))
def test_any_image_message_converts_or_is_refused(height, width, encoding, step_delta,
                                                  length_delta, bigendian, seed):
    bpp = ENCODINGS.get(encoding.lower(), (3, None))[0]
    step = max(0, width * bpp + step_delta)
    data = np.random.default_rng(seed).integers(0, 256, max(0, height * step + length_delta),
                                                np.uint8).tobytes()
    converts_or_refuses(Image(height=height, width=width, encoding=encoding, step=step,
                              is_bigendian=int(bigendian), data=data))


@settings(max_examples=50, deadline=None)
@given(height=st.sampled_from([0, 1, 2**16, 2**31 - 1]), width=st.sampled_from([0, 1, 2**16]))
def test_huge_or_zero_dimensions_are_refused_before_any_allocation(height, width):
    """Refused from the header alone: the refusal allocates a few kB at most (tracemalloc
    sees numpy's buffers too), never the h x w x 3 bytes the header claims."""
    max_pixels = 1 << 20
    msg = Image(height=height, width=width, encoding="rgb8", step=width * 3, data=b"\0" * 64)
    tracemalloc.start()
    try:
        image_to_rgb(msg, max_pixels)
    except ImageError as e:
        cause = e.cause
    else:
        cause = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if height * width == 0 or height * width > max_pixels:
        assert cause == ("empty_image" if height * width == 0 else "too_large")
        assert peak < 64 * 1024, f"refusing {width}x{height} allocated {peak} bytes"
    else:  # small enough to look at: refused for its 64 bytes of data, or converted
        converts_or_refuses(msg, max_pixels)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_malformed(data):
    for parse in (parse_image, parse_compressed_image):
        try:
            parse(data)
        except ImageError as e:
            assert e.cause == "malformed_message"


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, 400), flip=st.integers(0, 399))
def test_truncated_or_corrupted_serialized_images(cut, flip):
    msg = Image(height=8, width=8, encoding="rgb8", step=24, data=bytes(range(192)))
    msg.header.frame_id = "camera"
    data = bytearray(serialize_message(msg))[:cut]
    if flip < len(data):
        data[flip] ^= 0xFF
    try:
        converts_or_refuses(parse_image(bytes(data)))
    except ImageError as e:
        assert e.cause == "malformed_message"


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from([b"", b"\xff\xd8", b"\x89PNG\r\n\x1a\n"]),
       body=st.binary(max_size=200))
def test_corrupt_compressed_data_is_refused(prefix, body):
    try:
        rgb = compressed_to_rgb(CompressedImage(format="jpeg", data=prefix + body), 1 << 20)
    except ImageError as e:
        assert e.cause in CAUSES
    else:
        assert rgb.dtype == np.uint8 and rgb.ndim == 3
