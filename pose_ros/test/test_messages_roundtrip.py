"""pose_ros_msgs travel between two real processes through Fast DDS, unchanged."""

from __future__ import annotations

from pose_ros.keypoints import KEYPOINT_NAMES, SKELETON_EDGES
from pose_ros.node.qos import LATCHED
from pose_ros_msgs.msg import PersonArray, Skeleton
from ros_helpers import receive, spawn, spawn_python, stop
from sample_messages import sample_person_array


def test_person_array_received_equal_from_another_process(ros):
    publisher = spawn_python("sample_messages")
    try:
        received = receive(ros, PersonArray, "people", LATCHED, count=1)
    finally:
        output = stop(publisher)
    assert received, f"no PersonArray arrived from the publisher process; it printed:\n{output}"
    expected = sample_person_array()
    assert received[0] == expected
    assert [k.name for k in received[0].persons[0].keypoints] == list(KEYPOINT_NAMES)


def test_pose_node_latches_the_skeleton(ros):
    pose_node = spawn(["pose_node"])
    try:
        received = receive(ros, Skeleton, "skeleton", LATCHED, count=1)
    finally:
        output = stop(pose_node)
    assert received, f"pose_node published no skeleton; it printed:\n{output}"
    skeleton = received[0]
    assert list(skeleton.keypoint_names) == list(KEYPOINT_NAMES)
    assert list(zip(skeleton.edge_start, skeleton.edge_end)) == list(SKELETON_EDGES)
