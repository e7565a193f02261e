"""PersonArray bytes written by the node read back right in rclpy and in rosbags."""

from __future__ import annotations

import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from std_msgs.msg import Header

from pose_ros.keypoints import KEYPOINT_NAMES
from pose_ros.node.cdr_person_array import person_array_cdr
from pose_ros.types import Pose
from pose_ros_msgs.msg import PersonArray


def random_poses(n: int, seed: int = 0) -> list[Pose]:
    rng = np.random.default_rng(seed)
    return [Pose(xy=rng.uniform(-50, 700, (17, 2)).astype(np.float32),
                 scores=rng.uniform(0, 1, 17).astype(np.float32), score=float(rng.uniform()),
                 box=rng.uniform(0, 600, 4).astype(np.float32) if i % 2 else None,
                 track_id=i * 7 - 1)
            for i in range(n)]


def header(frame_id: str) -> Header:
    h = Header(frame_id=frame_id)
    h.stamp.sec, h.stamp.nanosec = -3, 999_999_999
    return h


@pytest.mark.parametrize("people", [0, 1, 6])
@pytest.mark.parametrize("frame_id,model", [("", "m"), ("cam", "movenet_lightning"),
                                            ("camera_optical_frame", "posenet_mobilenet"),
                                            ("kamera-ü", "movenet_multipose")])
def test_every_field_reads_back_in_rclpy(people, frame_id, model):
    poses = random_poses(people)
    data = person_array_cdr(header(frame_id), 640, 480, model, poses, min_keypoint_score=0.3)
    msg = deserialize_message(data, PersonArray)
    assert msg.header == header(frame_id)
    assert (msg.image_width, msg.image_height, msg.model) == (640, 480, model)
    assert len(msg.persons) == people
    for person, pose in zip(msg.persons, poses):
        assert person.score == np.float32(pose.score)
        assert person.track_id == pose.track_id
        assert [k.name for k in person.keypoints] == list(KEYPOINT_NAMES)
        got = np.array([[k.x, k.y, k.score] for k in person.keypoints], np.float32)
        np.testing.assert_array_equal(got, np.column_stack([pose.xy, pose.scores]))
        box = person.bbox
        np.testing.assert_array_equal(np.float32([box.x_min, box.y_min, box.x_max, box.y_max]),
                                      pose.bounding_box(0.3))
    # rclpy writes the same layout: only its padding bytes (left unset there) may differ
    assert len(serialize_message(msg)) == len(data)


def test_bytes_read_back_in_rosbags():
    from pose_ros.bag.typestore import typestore

    poses = random_poses(2, seed=1)
    data = person_array_cdr(header("cam"), 1920, 1080, "movenet_multipose", poses, 0.0)
    msg = typestore().deserialize_cdr(data, "pose_ros_msgs/msg/PersonArray")
    assert (msg.header.frame_id, msg.image_width, msg.model) == ("cam", 1920, "movenet_multipose")
    assert [p.track_id for p in msg.persons] == [-1, 6]
    np.testing.assert_array_equal(np.float32([k.x for k in msg.persons[1].keypoints]),
                                  poses[1].xy[:, 0])
