"""Person3DArray bytes written by the node read back right in rclpy and in rosbags,
whatever the strings before the people do to the 8-byte alignment of their points."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from rclpy.serialization import deserialize_message, serialize_message

from pose_ros.depth.lift import Person3D
from pose_ros.keypoints import KEYPOINT_NAMES
from pose_ros.node.cdr_person_3d_array import person_3d_array_cdr
from pose_ros_msgs.msg import Person3DArray
from test_cdr_person_array import header, random_poses


def random_people(n: int, seed: int = 0) -> list[Person3D]:
    rng = np.random.default_rng(seed)
    people = []
    for i in range(n):
        points = rng.uniform(-3, 8, (17, 3))
        points[rng.random(17) < 0.2] = np.nan  # no depth there
        centre = np.full(3, np.nan) if i == 2 else rng.uniform(-3, 8, 3)
        people.append(Person3D(points, rng.random(17) < 0.6, centre, track_id=i * 7 - 1))
    return people


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("people", [0, 1, 5])
# the people start 4 past a multiple of 8, except after ("", "movenet_thunder") and
# ("depth", "m"): there the first starts on one (then the next 4 past)
@pytest.mark.parametrize("frame_id,model", [("", "m"), ("", "movenet_thunder"), ("depth", "m"),
                                            ("depth_optical_frame", "posenet_mobilenet"),
                                            ("kamera-ü", "movenet_multipose")])
def test_every_field_reads_back_in_rclpy(people, frame_id, model):
    poses, lifted = random_poses(people), random_people(people)
    depth_stamp = Time(sec=7, nanosec=123)
    data = person_3d_array_cdr(header(frame_id), depth_stamp, model, poses, lifted)
    msg = deserialize_message(data, Person3DArray)
    assert msg.header == header(frame_id) and msg.depth_stamp == depth_stamp
    assert msg.model == model and len(msg.persons) == people
    for got, pose, person in zip(msg.persons, poses, lifted):
        assert got.track_id == pose.track_id and got.score == np.float32(pose.score)
        assert [k.name for k in got.keypoints] == list(KEYPOINT_NAMES)
        np.testing.assert_array_equal(np.float32([[k.x, k.y, k.score] for k in got.keypoints]),
                                      np.column_stack([pose.xy, pose.scores]))
        np.testing.assert_array_equal([[p.x, p.y, p.z] for p in got.points], person.points)
        assert list(got.valid) == person.valid.tolist()
        assert all(same(a, b) for a, b in zip((got.centre.x, got.centre.y, got.centre.z),
                                               person.centre))
        assert got.centre_valid == person.centre_valid
    # rclpy writes the same layout: only its padding bytes (left unset there) may differ
    assert len(serialize_message(msg)) == len(data)


def test_bytes_read_back_in_rosbags():
    from pose_ros.bag.typestore import typestore

    poses, lifted = random_poses(3, seed=1), random_people(3, seed=1)
    data = person_3d_array_cdr(header("d"), Time(sec=1, nanosec=2), "movenet_multipose",
                               poses, lifted)
    msg = typestore().deserialize_cdr(data, "pose_ros_msgs/msg/Person3DArray")
    assert (msg.header.frame_id, msg.model) == ("d", "movenet_multipose")
    assert [p.track_id for p in msg.persons] == [-1, 6, 13]
    np.testing.assert_array_equal([[p.x, p.y, p.z] for p in msg.persons[2].points],
                                  lifted[2].points)
    assert [bool(v) for v in msg.persons[1].valid] == lifted[1].valid.tolist()
