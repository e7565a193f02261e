"""A fully populated PersonArray, built the same way by publisher and test.

Run as a module it publishes that message until interrupted: the other
process of the round-trip test.
"""

from __future__ import annotations

import sys

from pose_ros.keypoints import KEYPOINT_NAMES
from pose_ros_msgs.msg import BoundingBox, Keypoint, Person, PersonArray


def sample_person_array() -> PersonArray:
    msg = PersonArray()
    msg.header.stamp.sec = 1_700_000_000
    msg.header.stamp.nanosec = 123_456_789
    msg.header.frame_id = "camera_optical_frame"
    msg.image_width = 640
    msg.image_height = 480
    msg.model = "movenet_multipose"
    for p in range(2):
        person = Person()
        person.score = 0.5 + 0.25 * p  # exactly representable in float32
        person.track_id = 7 + p
        person.bbox = BoundingBox(x_min=10.0 + p, y_min=20.0, x_max=110.5, y_max=300.25)
        person.keypoints = [
            Keypoint(name=name, x=float(3 * i + p), y=float(2 * i) + 0.5, score=i / 16.0)
            for i, name in enumerate(KEYPOINT_NAMES)
        ]
        msg.persons.append(person)
    return msg


def main() -> int:
    from pose_ros.node.qos import LATCHED
    from pose_ros.node.ros_session import ros_node, spin

    with ros_node("sample_person_array_publisher") as node:
        pub = node.create_publisher(PersonArray, "people", LATCHED)
        node.create_timer(0.1, lambda: pub.publish(sample_person_array()))
        spin(node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
