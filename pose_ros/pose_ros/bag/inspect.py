"""What a bag holds: topics, types, counts, duration, and a summary of its poses and
depth images."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.interfaces import Connection
from rosbags.rosbag2 import Reader
from rosbags.typesys.store import Typestore

from pose_ros.bag.typestore import typestore
from pose_ros.depth.image import DEPTH_ENCODINGS, depth_image

POSES_TYPE = "pose_ros_msgs/msg/PersonArray"
IMAGE_TYPE = "sensor_msgs/msg/Image"


@dataclass(frozen=True)
class TopicSummary:
    topic: str
    msgtype: str
    count: int


@dataclass(frozen=True)
class PosesSummary:
    topic: str
    frames: int
    persons_per_frame_mean: float
    persons_per_frame_min: int
    persons_per_frame_max: int
    mean_person_score: float
    mean_keypoint_score: float


@dataclass(frozen=True)
class DepthSummary:
    topic: str
    frames: int
    encoding: str
    width: int
    height: int
    frame_id: str
    valid_fraction_mean: float  # of the pixels, those with a depth (not 0, not NaN)
    median_m: float  # the median over frames of each frame's median depth


@dataclass(frozen=True)
class BagSummary:
    path: str
    storage: str
    duration_s: float
    messages: int
    topics: list[TopicSummary] = field(default_factory=list)
    poses: list[PosesSummary] = field(default_factory=list)
    depth: list[DepthSummary] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"bag:      {self.path} ({self.storage})",
                 f"duration: {self.duration_s:.3f} s, {self.messages} messages"]
        lines += [f"  {t.topic:32} {t.msgtype:36} {t.count:7d}" for t in self.topics]
        for p in self.poses:
            lines.append(f"poses on {p.topic}: {p.frames} frames, persons per frame "
                         f"{p.persons_per_frame_mean:.2f} (min {p.persons_per_frame_min}, "
                         f"max {p.persons_per_frame_max}), mean person score "
                         f"{p.mean_person_score:.3f}, "
                         f"mean keypoint score {p.mean_keypoint_score:.3f}")
        for d in self.depth:
            lines.append(f"depth on {d.topic}: {d.frames} frames, {d.width}x{d.height} "
                         f"{d.encoding} in {d.frame_id}, {d.valid_fraction_mean:.1%} of pixels "
                         f"with depth, median {d.median_m:.3f} m")
        return "\n".join(lines)


def inspect_bag(path: Path) -> BagSummary:
    store = typestore()
    with Reader(path) as reader:
        topics = [TopicSummary(c.topic, c.msgtype, c.msgcount) for c in reader.connections]
        poses = [_poses_summary(reader, store, c) for c in reader.connections
                 if c.msgtype == POSES_TYPE]
        depth = [d for c in reader.connections if c.msgtype == IMAGE_TYPE
                 if (d := _depth_summary(reader, store, c)) is not None]
        storage = "mcap" if any(path.glob("*.mcap")) else "sqlite3"
        duration_s = reader.duration / 1e9 if reader.message_count else 0.0
        return BagSummary(str(path), storage, duration_s, reader.message_count, topics, poses,
                          depth)


def _poses_summary(reader: Reader, store: Typestore, connection: Connection) -> PosesSummary:
    persons: list[int] = []
    person_scores: list[float] = []
    keypoint_scores: list[float] = []
    for _, _, data in reader.messages(connections=[connection]):
        msg: Any = store.deserialize_cdr(data, POSES_TYPE)  # a pose_ros_msgs PersonArray
        persons.append(len(msg.persons))
        person_scores += [p.score for p in msg.persons]
        keypoint_scores += [k.score for p in msg.persons for k in p.keypoints]
    return PosesSummary(
        connection.topic, len(persons), float(np.mean(persons)) if persons else 0.0,
        min(persons, default=0), max(persons, default=0),
        float(np.mean(person_scores)) if person_scores else 0.0,
        float(np.mean(keypoint_scores)) if keypoint_scores else 0.0)


def _depth_summary(reader: Reader, store: Typestore,
                   connection: Connection) -> DepthSummary | None:
    """None for an image topic that is not depth (its first message tells)."""
    fractions: list[float] = []
    medians: list[float] = []
    msg: Any = None
    for _, _, data in reader.messages(connections=[connection]):
        msg = store.deserialize_cdr(data, IMAGE_TYPE)
        if msg.encoding not in DEPTH_ENCODINGS:
            return None
        depth = depth_image(msg.data, msg.width, msg.height, msg.step, msg.encoding,
                            msg.is_bigendian)
        metres = depth.pixels * depth.scale
        valid = metres[np.isfinite(metres) & (metres > 0)]
        fractions.append(valid.size / metres.size)
        if valid.size:
            medians.append(float(np.median(valid)))
    if msg is None:
        return None
    return DepthSummary(connection.topic, len(fractions), msg.encoding, msg.width, msg.height,
                        msg.header.frame_id, float(np.mean(fractions)),
                        float(np.median(medians)) if medians else float("nan"))
