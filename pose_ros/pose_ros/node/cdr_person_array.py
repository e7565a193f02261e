"""pose_ros_msgs/PersonArray written straight to its serialized (CDR) bytes.

rclpy would build one Python message per keypoint and convert each to C before
serializing it. A Person's layout is the same every frame except for its numbers,
so it is laid out once as a template, and each frame's numbers are written into
copies of it with numpy; the node publishes the bytes as they are (rclpy's raw
publish). Little-endian CDR in rclpy's own layout (the test reads every field back
with rclpy and rosbags; rclpy leaves padding bytes unset, here they are zero), the
counterpart of ``cdr_image`` on the way in.
"""

from __future__ import annotations

import struct
from functools import lru_cache

import numpy as np
from std_msgs.msg import Header

from pose_ros.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS
from pose_ros.types import Pose

ENCAPSULATION = b"\x00\x01\x00\x00"  # CDR, little-endian


def put_string(out: bytearray, text: str) -> None:
    """A CDR string: its length with the NUL, its bytes and the NUL, then padding
    to 4 (every field that follows one here is 4-byte aligned). ``out`` must end
    4-byte aligned from the encapsulation's end, as before every string of these
    messages: the bytes are cached per text, not per position."""
    out += _cdr_string(text)


@lru_cache(maxsize=64)  # a node writes the same frame id and model name every frame
def _cdr_string(text: str) -> bytes:
    """put_string's bytes, which start 4-byte aligned here, so they do not depend on
    what precedes them."""
    raw = text.encode() + b"\x00"
    return struct.pack("<I", len(raw)) + raw + bytes(-len(raw) % 4)


def _person_layout() -> tuple[np.ndarray, np.ndarray, int]:
    """One Person as 32-bit words, the words of each keypoint's x (y and score follow)
    and of the box (track_id follows). Word 0 is the score, word 1 the keypoint count."""
    out = bytearray(ENCAPSULATION)  # so that put_string aligns as in a message
    out += struct.pack("<fI", 0.0, NUM_KEYPOINTS)
    keypoint_words = []
    for name in KEYPOINT_NAMES:
        put_string(out, name)
        keypoint_words.append((len(out) - len(ENCAPSULATION)) // 4)
        out += bytes(12)  # x, y, score
    box_word = (len(out) - len(ENCAPSULATION)) // 4
    out += bytes(16 + 4)  # x_min, y_min, x_max, y_max; track_id
    template = np.frombuffer(bytes(out[len(ENCAPSULATION):]), np.float32)
    return template, np.array(keypoint_words), box_word


_TEMPLATE, _KEYPOINTS, _BOX = _person_layout()
_SCORE, _TRACK = 0, _BOX + 4
# the words of each keypoint's x, y and score, keypoint by keypoint
_KEYPOINT_VALUES = (_KEYPOINTS[:, None] + np.arange(3)).reshape(-1)


def person_array_cdr(header: Header, width: int, height: int, model: str,
                     poses: list[Pose], min_keypoint_score: float) -> bytes:
    """The serialized PersonArray of ``poses``; the box of a pose without one spans
    its keypoints scoring above ``min_keypoint_score``."""
    out = bytearray(ENCAPSULATION)
    out += struct.pack("<iI", header.stamp.sec, header.stamp.nanosec)
    put_string(out, header.frame_id)
    out += struct.pack("<II", width, height)
    put_string(out, model)
    out += struct.pack("<I", len(poses))
    if not poses:
        return bytes(out)
    persons = np.tile(_TEMPLATE, (len(poses), 1))
    values = np.empty((len(poses), NUM_KEYPOINTS, 3), np.float32)  # each keypoint's x, y, score
    for person, keypoints, pose in zip(persons, values, poses):  # slices: no list to convert
        keypoints[:, :2] = pose.xy
        keypoints[:, 2] = pose.scores
        person[_SCORE] = pose.score
        person[_BOX:_BOX + 4] = pose.bounding_box(min_keypoint_score)
    persons[:, _KEYPOINT_VALUES] = values.reshape(len(poses), -1)
    persons.view(np.int32)[:, _TRACK] = [p.track_id for p in poses]
    return bytes(out) + persons.tobytes()
