"""pose_ros_msgs/Person3DArray written straight to its serialized (CDR) bytes, as
``cdr_person_array`` writes the 2D array and for the same reason: rclpy would build
and convert a Python message per keypoint and per point (a millisecond a frame for a
few people, most of what depth costs).

A Person3D holds doubles, which CDR aligns to 8 from the encapsulation's end, so its
padding depends on where it starts: one template per start (4-aligned, so 0 or 4
past a multiple of 8), each frame's numbers written into a copy with numpy.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
from builtin_interfaces.msg import Time
from std_msgs.msg import Header

from pose_ros.depth.lift import Person3D
from pose_ros.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS
from pose_ros.node.cdr_person_array import ENCAPSULATION, put_string
from pose_ros.types import Pose


@dataclass(frozen=True)
class _Template:
    """One Person3D's bytes with zeros for its numbers, and their byte offsets."""

    data: bytes
    keypoints: np.ndarray  # offset of each keypoint's x (y and score follow)
    points: int  # 17 x (x, y, z) doubles, contiguous
    valid: int  # 17 bools
    centre: int  # x, y, z doubles
    centre_valid: int


def _template(start: int) -> _Template:
    """The template of a Person3D starting ``start`` bytes (mod 8) past the
    encapsulation's end; ``put_string`` aligns from a buffer that begins with it."""
    out = bytearray(ENCAPSULATION) + bytes(start)

    def at() -> int:  # offset within the person
        return len(out) - len(ENCAPSULATION) - start

    def align(size: int) -> None:
        out.extend(bytes(-(len(out) - len(ENCAPSULATION)) % size))

    out += struct.pack("<ifI", -1, 0.0, NUM_KEYPOINTS)  # track_id, score, keypoint count
    keypoints = []
    for name in KEYPOINT_NAMES:
        put_string(out, name)
        keypoints.append(at())
        out += bytes(12)  # x, y, score
    out += struct.pack("<I", NUM_KEYPOINTS)
    align(8)
    points = at()
    out += bytes(NUM_KEYPOINTS * 24)
    out += struct.pack("<I", NUM_KEYPOINTS)
    valid = at()
    out += bytes(NUM_KEYPOINTS)
    align(8)
    centre = at()
    out += bytes(24)
    centre_valid = at()
    out += bytes(1)
    return _Template(bytes(out[len(ENCAPSULATION) + start:]), np.array(keypoints), points,
                     valid, centre, centre_valid)


_TEMPLATES = {start: _template(start) for start in (0, 4)}


def person_3d_array_cdr(header: Header, depth_stamp: Time, model: str, poses: list[Pose],
                        people: list[Person3D]) -> bytes:
    """The serialized Person3DArray of ``poses`` and their 3D ``people``."""
    out = bytearray(ENCAPSULATION)
    out += struct.pack("<iI", header.stamp.sec, header.stamp.nanosec)
    put_string(out, header.frame_id)
    out += struct.pack("<iI", depth_stamp.sec, depth_stamp.nanosec)
    put_string(out, model)
    out += struct.pack("<I", len(poses))
    for pose, person in zip(poses, people):
        out += bytes(-(len(out) - len(ENCAPSULATION)) % 4)  # after the last one's bool
        t = _TEMPLATES[(len(out) - len(ENCAPSULATION)) % 8]
        buf = bytearray(t.data)
        struct.pack_into("<if", buf, 0, pose.track_id, pose.score)
        # each keypoint's x, y, score after its name: 12 bytes at its own offset
        raw = np.frombuffer(buf, np.uint8)
        xys = np.column_stack([pose.xy, pose.scores]).astype("<f4").view(np.uint8)
        raw[(t.keypoints[:, None] + np.arange(12)).ravel()] = xys.ravel()
        np.ndarray((NUM_KEYPOINTS, 3), "<f8", buffer=buf, offset=t.points)[:] = person.points
        np.ndarray((NUM_KEYPOINTS,), np.bool_, buffer=buf, offset=t.valid)[:] = person.valid
        np.ndarray((3,), "<f8", buffer=buf, offset=t.centre)[:] = person.centre
        buf[t.centre_valid] = person.centre_valid
        out += buf
    return bytes(out)
