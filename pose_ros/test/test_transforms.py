"""Every coordinate maps between source image and model input exactly."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ros.crop_region import full_image_region, region_to_box
from pose_ros.estimators.movenet_multipose import (
    MoveNetMultiPoseEstimator,
    MultiPoseConfig,
    multipose_input_size,
)
from pose_ros.estimators.posenet import valid_resolution
from pose_ros.js_math import js_round
from pose_ros.transforms import ImageToInput, normalized_to_input_pixels


def letterbox(width: int, height: int) -> tuple[float, float, float, float]:
    """The box MoveNet single-pose reads a still image or first frame through (its
    ``input_transform`` with no crop yet): the whole image padded to a square."""
    return region_to_box(full_image_region(width, height), width, height)


BOXES = [(0, 0, 640, 480), letterbox(640, 480), letterbox(300, 700),
         (-50.5, 20.25, 400.0, 300.0), (100, 50, 228, 178)]


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("flip", [False, True])
def test_round_trip(box, flip):
    t = ImageToInput.from_box(box, 192, 160, flip=flip)
    pts = np.random.default_rng(0).uniform(-100, 800, size=(50, 2))
    assert np.allclose(t.to_image(t.to_input(pts)), pts, atol=1e-9)


@pytest.mark.parametrize("flip", [False, True])
def test_box_edges_map_to_input_edges(flip):
    """The box's outer edges are the input's outer edges (pixel centres +- 0.5)."""
    t = ImageToInput.from_box((10, 20, 110, 70), 200, 100, flip=flip)
    top_left_edge = np.array([[10 - 0.5, 20 - 0.5]])     # edge point, in centre coords
    bottom_right_edge = np.array([[110 - 0.5, 70 - 0.5]])
    left, right = (-0.5, 199.5) if not flip else (199.5, -0.5)
    assert np.allclose(t.to_input(top_left_edge), [[left, -0.5]])
    assert np.allclose(t.to_input(bottom_right_edge), [[right, 99.5]])


def test_warp_puts_a_pixel_where_to_input_says():
    image = np.zeros((480, 640, 3), np.uint8)
    image[300:304, 400:404] = 255  # a 4x4 dot centred at (401.5, 301.5)
    for flip in (False, True):
        t = ImageToInput.from_box(letterbox(640, 480), 320, 320, flip=flip)
        warped = t.warp(image)
        ys, xs = np.nonzero(warped[..., 0] > 100)
        centre = np.array([xs.mean(), ys.mean()])
        assert np.allclose(centre, t.to_input([[401.5, 301.5]])[0], atol=0.3)


def test_normalized_outputs_become_pixel_centres():
    xy = normalized_to_input_pixels(np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.25]]), 192, 100)
    assert np.allclose(xy, [[-0.5, -0.5], [191.5, 99.5], [47.5, 49.5]])


@pytest.mark.parametrize("scale,size,stride,expected", [
    (0.5, 480, 16, 225), (0.5, 640, 16, 305), (1.0, 385, 16, 385), (0.5, 481, 8, 233),
    (0.75, 1080, 32, 801)])
def test_posenet_valid_resolution(scale, size, stride, expected):
    got = valid_resolution(scale, size, stride)
    assert got == expected and (got - 1) % stride == 0


def test_multipose_input_pads_the_short_side_to_32():
    est = MoveNetMultiPoseEstimator.__new__(MoveNetMultiPoseEstimator)
    est.config = MultiPoseConfig(max_dimension=256)
    t = est.input_transform(640, 480)
    assert (t.input_width, t.input_height) == (256, 192)
    t = est.input_transform(1000, 667)  # 256 x 171 resized, padded to 192
    assert (t.input_width, t.input_height) == (256, 192)
    # the image occupies the top-left 256 x 171 of the input
    assert np.allclose(t.to_input([[-0.5, -0.5]]), [[-0.5, -0.5]])
    assert np.allclose(t.to_input([[999.5, 666.5]]), [[255.5, 170.5]], atol=0.2)


def test_js_round_rounds_halves_up_as_math_round():
    assert [js_round(v) for v in (2.5, -2.5, 0.5, -0.5, 1.4999, 190.5)] == [3, -2, 1, 0, 1, 191]


def test_multipose_rounds_halves_up_as_javascript():
    """256 x 381 / 512 = 190.5: the reference's Math.round gives 191, round() 190."""
    assert multipose_input_size(256, 512, 381) == ((256, 191), (256, 192))
    assert multipose_input_size(256, 381, 512) == ((191, 256), (192, 256))
