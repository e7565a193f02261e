"""Publish a bag's messages into a live ROS graph at the recorded rate.

Messages go out as the bag stores them (serialized CDR, header stamps unchanged);
nothing is deserialized on the way, so playing costs no more than reading.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosbags.rosbag2 import Reader

from pose_ros.bag import WAIT_FOR_SUBSCRIBERS_S
from pose_ros.bag.typestore import message_class
from pose_ros.progress import ProgressBar

IMAGE_TYPES = {"sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage",
               "sensor_msgs/msg/CameraInfo"}


@dataclass(frozen=True)
class PlayOptions:
    rate: float = 1.0
    loop: bool = False
    start_offset_s: float = 0.0
    clock: bool = False  # publish /clock from the bag's time, for use_sim_time
    topics: tuple[str, ...] = ()  # empty: every image and camera_info topic
    wait_for_subscribers_s: float = WAIT_FOR_SUBSCRIBERS_S
    depth: int = 10


def play_bag(node: Node, path: Path, options: PlayOptions = PlayOptions()) -> int:
    """Publish the bag once (or forever with ``loop``); returns the messages published."""
    if options.rate <= 0:
        raise ValueError(f"rate {options.rate}: must be positive")
    if options.start_offset_s < 0:
        raise ValueError(f"start offset {options.start_offset_s:g} s: must not be negative")
    qos = QoSProfile(depth=options.depth, reliability=ReliabilityPolicy.RELIABLE)
    published = 0
    with Reader(path) as reader:
        missing = sorted(set(options.topics) - {c.topic for c in reader.connections})
        if missing:  # a typo would drop a stream without a word
            raise ValueError(f"{path} has no topic {', '.join(missing)} (it has "
                             f"{', '.join(sorted({c.topic for c in reader.connections}))})")
        connections = [c for c in reader.connections
                       if (c.topic in options.topics if options.topics
                           else c.msgtype in IMAGE_TYPES)]
        if not connections:
            raise ValueError(f"{path} has none of the topics to play "
                             f"({', '.join(options.topics) or 'images, camera_info'})")
        length_s = (reader.end_time - reader.start_time) / 1e9
        if options.start_offset_s > length_s:
            raise ValueError(f"start offset {options.start_offset_s:g} s is past the end of "
                             f"{path.name} ({length_s:.3g} s long)")
        publishers: dict[int, Publisher] = {
            c.id: node.create_publisher(message_class(c.msgtype), c.topic, qos)
                      for c in connections}
        clock_pub = _clock_publisher(node) if options.clock else None
        _wait_for_subscribers(publishers.values(), options.wait_for_subscribers_s)
        start_ns = reader.start_time + round(options.start_offset_s * 1e9)
        total = sum(c.msgcount for c in connections)
        while True:
            bar = ProgressBar(f"playing {path.name}", total)
            wall_start = time.monotonic()
            for conn, stamp_ns, data in reader.messages(connections=connections, start=start_ns):
                if not node.context.ok():  # SIGINT or SIGTERM: stop where we are
                    return published
                delay = wall_start + (stamp_ns - start_ns) / 1e9 / options.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if clock_pub is not None:
                    clock_pub.publish(_clock(stamp_ns))
                publishers[conn.id].publish(bytes(data))
                published += 1
                bar.update(note=conn.topic)
            bar.close()
            if not node.context.ok():
                return published
            if not options.loop:
                _drain(publishers.values())
                return published


DISCOVERY_SETTLE_S = 2.0


def _wait_for_subscribers(publishers: Collection[Publisher], timeout_s: float) -> None:
    if timeout_s <= 0:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not all(p.get_subscription_count() for p in publishers):
        time.sleep(0.05)
    # Discovery is not symmetric: a subscriber we see may not have matched us yet, and
    # a volatile one would miss the first frame. Nothing tells us when it has (Jazzy on
    # two loaded cores once took over 0.5 s), so give it time, once, before the first.
    time.sleep(DISCOVERY_SETTLE_S)


ACK_TIMEOUT_S = 5.0
BEST_EFFORT_LINGER_S = 0.5


def _drain(publishers: Iterable[Publisher]) -> None:
    """Stay until subscribers hold the last messages. A reliable one acknowledges
    them; a best-effort one (a camera subscription, REP 2003) is still reading them
    from this process's shared memory, which goes when the process does: without the
    linger the last frame was lost now and then."""
    for publisher in publishers:
        if not publisher.wait_for_all_acked(Duration(seconds=ACK_TIMEOUT_S)):
            print(f"pose-ros bag play: {publisher.topic_name}: a reliable subscriber had not "
                  f"acknowledged the last messages {ACK_TIMEOUT_S:g} s after them; leaving",
                  file=sys.stderr)
    time.sleep(BEST_EFFORT_LINGER_S)


def _clock_publisher(node: Node) -> Publisher:
    from rosgraph_msgs.msg import Clock

    return node.create_publisher(Clock, "/clock", 10)


def _clock(stamp_ns: int) -> Any:
    from rosgraph_msgs.msg import Clock

    msg = Clock()
    msg.clock.sec, msg.clock.nanosec = divmod(stamp_ns, 10**9)
    return msg
