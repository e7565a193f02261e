"""The depth geometry of the inference core: 3D keypoints from a real photo's poses and
a depth image rendered from a known skeleton (depth_scene), in both encodings, at the
colour resolution and at half of it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from depth_scene import (
    THIN,
    UNMEASURABLE,
    WALL_M,
    bone_radii,
    colour_camera,
    depth_camera,
    encode,
    k_of,
    render,
    skeleton_3d,
)
from pose_ros.api import create_estimator
from pose_ros.depth.camera import Intrinsics, back_project, colour_to_depth
from pose_ros.depth.image import DepthImageError, depth_image
from pose_ros.depth.lift import DepthOptions, lift_poses
from pose_ros.depth.sampling import keypoint_depths, masked_median
from pose_ros.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES
from pose_ros.types import Pose

TOLERANCE_M = 0.01


@pytest.fixture(scope="module")
def photo_pose(shared_data, model_dir):
    """The real MoveNet pose of the real photo, and the photo's size."""
    bgr = cv2.imread(str(shared_data / "video" / "pose.jpg"))
    estimator = create_estimator("movenet_thunder", backend="onnxruntime", model_dir=model_dir)
    (pose,) = estimator.estimate(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    assert (pose.scores >= DepthOptions().min_keypoint_score).all(), pose.scores
    return pose, bgr.shape[1], bgr.shape[0]


def intrinsics(cam: Intrinsics) -> Intrinsics:
    """As the node makes them: from a camera_info's K and size."""
    return Intrinsics.from_k(k_of(cam), cam.width, cam.height)


@pytest.mark.parametrize("scale", [1.0, 0.5])
@pytest.mark.parametrize("encoding", ["16UC1", "32FC1"])
def test_keypoints_in_metres_where_depth_is_valid(photo_pose, encoding, scale):
    pose, width, height = photo_pose
    colour = colour_camera(width, height)
    cam = depth_camera(colour, scale)
    truth = skeleton_3d(pose.xy.astype(np.float64), colour)
    depth_m = render(truth, bone_radii(pose.xy), colour, cam)
    data, step = encode(depth_m, encoding)
    depth = depth_image(data, cam.width, cam.height, step, encoding)
    (person,) = lift_poses([pose], depth, intrinsics(cam), intrinsics(colour))

    expected_valid = np.array([n not in UNMEASURABLE for n in KEYPOINT_NAMES])
    error = np.linalg.norm(person.points - truth, axis=1)
    print(f"\n{encoding} at {cam.width}x{cam.height}: error per valid keypoint (mm) "
          f"{np.round(error[person.valid] * 1000, 1).tolist()}")
    np.testing.assert_array_equal(person.valid, expected_valid,
                                  err_msg=f"valid: {dict(zip(KEYPOINT_NAMES, person.valid))}")
    assert error[expected_valid].max() < TOLERANCE_M
    # no depth at all (hole, out of range): no point; the wrists saw the wall: measured
    # where the wall is, not moved onto the body, and flagged
    for name in ("left_knee", "right_ankle"):
        assert np.isnan(person.points[KEYPOINT_INDEX[name]]).all(), name
    for name in THIN:
        assert abs(person.points[KEYPOINT_INDEX[name], 2] - WALL_M) < TOLERANCE_M, name
    torso = truth[[KEYPOINT_INDEX[n] for n in ("left_shoulder", "right_shoulder",
                                               "left_hip", "right_hip")]].mean(axis=0)
    assert person.centre_valid and np.linalg.norm(person.centre - torso) < TOLERANCE_M


def test_colour_pixels_map_through_both_camera_infos():
    colour = Intrinsics(600.0, 610.0, 319.5, 239.5, 640, 480)
    half = colour.rescaled(320, 240)
    assert (half.fx, half.fy, half.cx, half.cy) == (300.0, 305.0, 159.5, 119.5)
    # the image's outer edges stay its outer edges
    edges = colour_to_depth(np.array([[-0.5, -0.5], [639.5, 479.5]]), colour, half)
    np.testing.assert_allclose(edges, [[-0.5, -0.5], [319.5, 239.5]])
    # a pixel's ray is the same in both images
    xy = np.array([[100.0, 50.0], [600.0, 470.0]])
    uv = colour_to_depth(xy, colour, half)
    rays_colour = back_project(xy, np.ones(2), colour)
    np.testing.assert_allclose(back_project(uv, np.ones(2), half), rays_colour, atol=1e-12)


def test_back_projection_is_rep103_optical():
    k = Intrinsics(500.0, 500.0, 320.0, 240.0, 640, 480)
    points = back_project(np.array([[320.0, 240.0], [820.0, 240.0], [320.0, -260.0]]),
                          np.array([2.0, 1.0, 3.0]), k)
    np.testing.assert_allclose(points, [[0, 0, 2], [1, 0, 1], [0, -3, 3]])  # x right, y down


def test_window_is_cut_at_the_image_edge_and_rejects_what_is_not_depth():
    pixels = np.full((20, 30), 2000, np.uint16)
    pixels[:, :2] = 9000  # a far column along the left edge
    depth = depth_image(pixels.tobytes(), 30, 20, 60, "16UC1")
    uv = np.array([[0.0, 0.0], [29.0, 19.0], [-4.0, 5.0], [np.nan, 3.0], [15.0, 10.0]])
    z = keypoint_depths(depth, uv, np.array([3, 3, 3, 3, 3]), 0.1, 10.0, 0.2)
    # the corner's window holds 4x4 pixels in the image, 8 of them far: the median
    # of the pixels inside (clamping to the edge would repeat them instead)
    assert z[0] == pytest.approx((2.0 + 9.0) / 2)
    assert z[1] == pytest.approx(2.0)
    assert np.isnan(z[2]) and np.isnan(z[3])  # off the image, not a number
    assert z[4] == pytest.approx(2.0)
    # out of range: rejected pixel by pixel; too few usable pixels left: no depth
    far = keypoint_depths(depth, np.array([[1.0, 10.0]]), np.array([1]), 0.1, 5.0, 0.2)
    assert far[0] == pytest.approx(2.0)  # a third of the window is in range
    assert np.isnan(keypoint_depths(depth, np.array([[1.0, 10.0]]), np.array([1]),
                                    0.1, 5.0, 0.5)[0])


def test_masked_median():
    values = np.array([[5.0, 1.0, 9.0, 3.0], [4.0, 7.0, 1.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    usable = np.array([[True, True, True, False], [True, True, False, False], [False] * 4])
    np.testing.assert_allclose(masked_median(values, usable), [5.0, 5.5, np.nan])


@pytest.mark.parametrize("encoding,dtype", [("16UC1", np.uint16), ("32FC1", np.float32)])
def test_both_byte_orders_and_padded_rows_read_in_place(encoding, dtype):
    values = (np.arange(12).reshape(3, 4) * 100 + 700).astype(dtype)
    for order, bigendian in (("<", 0), (">", 1)):
        rows = values.astype(values.dtype.newbyteorder(order)).view(np.uint8).reshape(3, -1)
        padded = np.concatenate([rows, np.zeros((3, 3), np.uint8)], axis=1)  # odd padding
        image = depth_image(padded.tobytes(), 4, 3, padded.shape[1], encoding, bigendian)
        np.testing.assert_array_equal(image.pixels, values)
        assert image.pixels.base is not None  # a view, not a copy


@pytest.mark.parametrize("args,cause", [
    ((b"\0" * 24, 4, 3, 8, "mono8"), "unsupported_depth_encoding"),
    ((b"\0" * 24, 4, 3, 6, "16UC1"), "bad_depth_step"),
    ((b"\0" * 20, 4, 3, 8, "16UC1"), "bad_depth_data_length"),
    ((b"", 0, 3, 8, "32FC1"), "empty_depth_image"),
])
def test_bad_depth_images_say_why(args, cause):
    with pytest.raises(DepthImageError) as error:
        depth_image(*args)
    assert error.value.cause == cause


def test_uncalibrated_camera_info_is_refused():
    with pytest.raises(ValueError, match="uncalibrated"):
        Intrinsics.from_k([0.0] * 9, 640, 480)


def test_a_person_without_confident_keypoints_has_no_3d():
    depth = depth_image(np.full((48, 64), 1.5, np.float32).tobytes(), 64, 48, 256, "32FC1")
    k = Intrinsics(50.0, 50.0, 31.5, 23.5, 64, 48)
    pose = Pose(xy=np.full((17, 2), 30.0, np.float32), scores=np.full(17, 0.1, np.float32),
                score=0.1, track_id=4)
    (person,) = lift_poses([pose], depth, k, k)
    assert not person.valid.any() and not person.centre_valid and person.track_id == 4
    assert lift_poses([], depth, k, k) == []
