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


def test_markers_and_the_drawing_colour_a_person_alike():
    """By track id where tracked, else by place in the frame: the same colour in RViz and
    on the debug image."""
    from std_msgs.msg import Header

    from pose_ros.drawing import draw
    from pose_ros.node.messages import person_markers
    from pose_ros.types import Pose

    xy = np.tile(np.float32([[20.0, 20.0]]), (17, 1))
    for track_id, index in ((9, 0), (-1, 2)):
        pose = Pose(xy, np.ones(17, np.float32), 1.0, track_id=track_id)
        (joints, *_) = person_markers(Header(), index, pose, np.ones((17, 3)),
                                      np.ones(17, bool), 0.1, 1.0)
        drawn = draw(np.zeros((40, 40, 3), np.uint8), [pose] * (index + 1), 0.5)[20, 20]
        rgb = (joints.color.r, joints.color.g, joints.color.b)
        assert np.allclose(drawn, np.multiply(rgb, 255), atol=1), (drawn, rgb)


def test_markers_expire_after_their_lifetime():
    from std_msgs.msg import Header

    from pose_ros.node.messages import person_markers
    from pose_ros.types import Pose

    pose = Pose(np.zeros((17, 2), np.float32), np.ones(17, np.float32), 1.0)
    for lifetime_s, expected in ((2.25, (2, 250_000_000)), (0.0, (0, 0))):
        markers = person_markers(Header(), 0, pose, np.ones((17, 3)), np.ones(17, bool), 0.1,
                                 lifetime_s)
        assert len(markers) == 3
        assert {(m.lifetime.sec, m.lifetime.nanosec) for m in markers} == {expected}
