"""Record chosen topics of a live ROS graph to a new bag.

Topics are subscribed as soon as they appear (types come from the graph), with a
QoS every publisher of the topic is compatible with, and stored as received
(serialized CDR) stamped with the receive time, as rosbag2 does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.subscription import Subscription
from rclpy.topic_endpoint_info import TopicEndpointInfo
from rosbags.interfaces import Connection
from rosbags.rosbag2 import Writer

from pose_ros.bag.make import BAG_VERSION, storage_plugin
from pose_ros.bag.typestore import message_class, typestore


class Recorder:
    def __init__(self, node: Node, output: Path, topics: list[str],
                 storage: str = "sqlite3") -> None:
        plugin = storage_plugin(storage)
        self.node = node
        self.pending = [node.resolve_topic_name(t) for t in topics]
        self.counts: dict[str, int] = {}
        self._store = typestore()
        self._writer = Writer(output, version=BAG_VERSION, storage_plugin=plugin)
        self._writer.open()
        self._subscriptions: list[Subscription] = []
        self._timer = node.create_timer(0.2, self._subscribe_new)
        self._subscribe_new()

    def _subscribe_new(self) -> None:
        types = dict(self.node.get_topic_names_and_types())
        for topic in [t for t in self.pending if types.get(t)]:
            msgtype = types[topic][0]
            if msgtype not in self._store.types:
                self.node.get_logger().warning(f"not recording {topic}: unknown type {msgtype}")
                self.pending.remove(topic)
                continue
            publishers = self.node.get_publishers_info_by_topic(topic)
            if not publishers:
                continue
            connection = self._writer.add_connection(topic, msgtype, typestore=self._store)
            self.counts[topic] = 0
            self._subscriptions.append(self.node.create_subscription(
                message_class(msgtype), topic, self._writer_for(topic, connection),
                _compatible_qos(publishers), raw=True))
            self.pending.remove(topic)
            self.node.get_logger().info(f"recording {topic} ({msgtype})")
        if not self.pending:
            self._timer.cancel()

    def _writer_for(self, topic: str, connection: Connection) -> Callable[[bytes], None]:
        def write(data: bytes) -> None:
            self._writer.write(connection, self.node.get_clock().now().nanoseconds, data)
            self.counts[topic] += 1
        return write

    def close(self) -> None:
        """Finish the bag (writes metadata.yaml): call it, or nothing is readable."""
        for sub in self._subscriptions:
            self.node.destroy_subscription(sub)
        self._subscriptions.clear()
        self._writer.close()


def _compatible_qos(publishers: list[TopicEndpointInfo]) -> QoSProfile:
    """Reliable unless a publisher is best effort; latched only if every publisher is."""
    profiles = [p.qos_profile for p in publishers]
    best_effort = any(q.reliability == ReliabilityPolicy.BEST_EFFORT for q in profiles)
    latched = all(q.durability == DurabilityPolicy.TRANSIENT_LOCAL for q in profiles)
    return QoSProfile(
        depth=100,
        reliability=ReliabilityPolicy.BEST_EFFORT if best_effort else ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE)
