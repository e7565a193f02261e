"""Where the RViz markers are placed: on a plane in front of the camera, through
camera_info's intrinsics rescaled to the image (a resized image keeps its camera)."""

from __future__ import annotations

import numpy as np

from pose_ros.depth.camera import Intrinsics
from pose_ros.node.messages import MarkerPlacer


def test_a_resized_image_keeps_its_cameras_rays():
    placer = MarkerPlacer()
    placer.intrinsics = Intrinsics.from_k([600, 0, 639.5, 0, 600, 359.5, 0, 0, 1], 1280, 720)
    # the image's right edge, at camera_info's size and in the image resized to half
    full = placer.points(np.array([[1279.5, 359.5]]), 1280, 720, 2.0)
    half = placer.points(np.array([[639.5, 179.5]]), 640, 360, 2.0)
    assert np.allclose(full, [[640 / 600 * 2.0, 0.0, 2.0]])
    assert np.allclose(half, full)


def test_without_camera_info_the_image_centre_is_straight_ahead():
    points = MarkerPlacer().points(np.array([[319.5, 239.5], [639.5, 239.5]]), 640, 480, 3.0)
    assert np.allclose(points[0], [0.0, 0.0, 3.0])
    assert points[1, 0] > 0 and points[1, 1] == 0.0  # right of the camera: +x (REP 103)
