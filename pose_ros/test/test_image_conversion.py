"""Every supported encoding of the same real image converts to the same RGB pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import CompressedImage

from image_messages import gray_in_every_encoding, make_image
from pose_ros.node.image_conversion import ImageError, compressed_to_rgb, image_to_rgb


@pytest.fixture(scope="module")
def rgb(shared_data):
    return cv2.cvtColor(cv2.imread(str(shared_data / "video" / "pose.jpg")), cv2.COLOR_BGR2RGB)


def encodings(rgb):
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return {
        "rgb8": (rgb, rgb), "bgr8": (rgb[..., ::-1], rgb),
        "rgba8": (cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA), rgb),
        "bgra8": (cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA), rgb),
        "mono8": (gray, cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)),
        "mono16": (gray.astype(np.uint16) << 8, cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)),
    }


@pytest.mark.parametrize("pad", [0, 7])
@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8", "mono8", "mono16"])
def test_exact_encodings(rgb, encoding, pad):
    pixels, expected = encodings(rgb)[encoding]
    for bigendian in ([False, True] if encoding == "mono16" else [False]):
        got = image_to_rgb(make_image(np.ascontiguousarray(pixels), encoding, pad, bigendian))
        assert got.shape == rgb.shape and np.array_equal(got, expected)


@pytest.mark.parametrize("encoding,code", [("yuv422", cv2.COLOR_YUV2RGB_UYVY),
                                           ("yuv422_yuy2", cv2.COLOR_YUV2RGB_YUYV)])
def test_yuv422_encodings(rgb, encoding, code):
    # 4:2:2 from the image's own video-range BT.601 planes (OpenCV's I420 encoder)
    rgb = np.ascontiguousarray(rgb[: rgb.shape[0] // 2 * 2, : rgb.shape[1] // 2 * 2])
    h, w = rgb.shape[:2]
    i420 = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).reshape(-1)
    n = h * w
    y = i420[:n].reshape(h, w)
    u = np.repeat(i420[n:n + n // 4].reshape(h // 2, w // 2), 2, axis=0)
    v = np.repeat(i420[n + n // 4:].reshape(h // 2, w // 2), 2, axis=0)
    chroma = np.stack([u, v], -1).reshape(h, w)  # U0 V0 U1 V1 ... for pixel pairs
    packed = (np.stack([chroma, y], -1) if encoding == "yuv422" else np.stack([y, chroma], -1))
    got = image_to_rgb(make_image(np.ascontiguousarray(packed), encoding))
    assert np.array_equal(got, cv2.cvtColor(np.ascontiguousarray(packed), code))
    assert np.abs(got.astype(int) - rgb).mean() < 6  # chroma halved: close to the original


def test_grey_is_identical_in_every_encoding(rgb):
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    decoded = {e: image_to_rgb(m) for e, m in gray_in_every_encoding(gray).items()}
    assert len(decoded) == 8
    for encoding, got in decoded.items():
        assert np.array_equal(got, decoded["rgb8"]), encoding
    original = gray[:, : gray.shape[1] // 2 * 2].astype(int)
    assert np.abs(decoded["rgb8"][..., 0] - original).max() <= 1  # rounded to video range


def test_compressed_jpeg_and_png(rgb):
    for fmt, ext in (("jpeg", ".jpg"), ("png", ".png")):
        _, data = cv2.imencode(ext, rgb[..., ::-1])
        got = compressed_to_rgb(CompressedImage(format=fmt, data=data.tobytes()))
        assert got.shape == rgb.shape
        assert np.abs(got.astype(int) - rgb).mean() < (3 if fmt == "jpeg" else 1e-9)


@pytest.mark.parametrize("change,cause", [
    (dict(encoding="32FC1"), "unsupported_encoding"),
    (dict(step=10), "bad_step"),
    (dict(height=0), "empty_image"),
    (dict(data=b"\0" * 100), "bad_data_length"),
    (dict(height=100_000, width=100_000), "too_large"),
])
def test_malformed_images_are_refused_with_a_cause(rgb, change, cause):
    msg = make_image(rgb, "rgb8")
    for k, v in change.items():
        setattr(msg, k, v)
    with pytest.raises(ImageError) as err:
        image_to_rgb(msg)
    assert err.value.cause == cause


def test_decompression_bomb_refused_before_decoding():
    _, data = cv2.imencode(".png", np.zeros((3000, 3000, 3), np.uint8))
    with pytest.raises(ImageError, match="too_large"):
        compressed_to_rgb(CompressedImage(format="png", data=data.tobytes()), max_pixels=1_000_000)
    with pytest.raises(ImageError, match="corrupt_compressed"):
        compressed_to_rgb(CompressedImage(format="jpeg", data=b"\xff\xd8garbage" * 10))
