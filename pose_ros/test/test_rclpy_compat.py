"""What differs between the rclpy releases robots run, against this machine's real rclpy.

Humble's rclpy (3.3) calls a subscription callback with the message alone; Jazzy's
(7.1) passes message info without ``publisher_gid``. The node detects both and says
in /diagnostics when it cannot count transport losses, rather than reporting 0.
"""

from __future__ import annotations

import time

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image
from std_msgs.msg import String

from pose_ros.node import pose_node, rclpy_features
from pose_ros.node.transport_losses import NO_MESSAGE_INFO, TransportLosses, why_uncountable
from pose_ros_msgs.msg import PersonArray
from ros_helpers import reliable, spin_until

JAZZY_INFO_KEYS = {"source_timestamp", "received_timestamp", "publication_sequence_number",
                   "reception_sequence_number"}  # rclpy 7.1's subscription.cpp, no publisher_gid


@pytest.fixture(scope="module")
def infos(ros) -> list[dict]:
    """The message info rclpy delivers to a two-argument callback with five real
    messages through Fast DDS (Humble's rclpy would call it with one: TypeError)."""
    received: list[dict] = []
    sub = ros.create_subscription(String, "/compat/info", lambda msg, info: received.append(info),
                                  reliable())
    pub = ros.create_publisher(String, "/compat/info", reliable())
    try:
        assert spin_until(ros, lambda: pub.get_subscription_count() > 0, 10)
        for i in range(5):
            pub.publish(String(data=str(i)))
        assert spin_until(ros, lambda: len(received) == 5, 10), f"got {len(received)} of 5"
    finally:
        ros.destroy_subscription(sub)
        ros.destroy_publisher(pub)
    return received


def test_detection_matches_what_rclpy_delivers(infos):
    """Two-argument callbacks get message info, as the feature check says."""
    assert rclpy_features.CALLBACK_GETS_MESSAGE_INFO
    assert all(isinstance(info, dict) and "source_timestamp" in info for info in infos)


def needs_publisher_gid(info: dict) -> None:
    if "publisher_gid" not in info:
        pytest.skip("this rclpy's message info has no publisher_gid (Jazzy)")


def test_losses_are_counted_from_real_sequence_numbers(infos):
    needs_publisher_gid(infos[0])
    losses = TransportLosses(message_info=True)
    for info in (infos[0], infos[1], infos[4]):  # as if the middleware replaced 3 and 4
        losses.observe(info)
    assert losses.unavailable is None
    assert (losses.lost, losses.report()) == (2, "2")


def test_jazzy_info_without_publisher_gid_is_reported_unavailable(infos):
    losses = TransportLosses(message_info=True)
    for info in (infos[0], infos[1], infos[4]):
        jazzy = {k: v for k, v in info.items() if k in JAZZY_INFO_KEYS}
        losses.observe(jazzy)
    assert losses.lost == 0
    assert losses.report() == "unavailable (this rclpy's message info has no publisher_gid)"


def test_unnumbered_messages_are_reported_unavailable(infos):
    needs_publisher_gid(infos[0])  # else that is the reason given
    assert why_uncountable(dict(infos[0], publication_sequence_number=None)) == \
        "the middleware does not number its messages"


@pytest.fixture
def in_process_node(ros, model_dir, monkeypatch, request):
    """A real PoseNode in this process, built as on an rclpy that ``request.param`` says."""
    monkeypatch.setenv("POSE_ROS_MODEL_DIR", str(model_dir))
    monkeypatch.setattr(pose_node, "CALLBACK_GETS_MESSAGE_INFO", request.param)
    node = pose_node.PoseNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    yield node, executor
    executor.shutdown()
    node.destroy_node()


def transport_diagnostic(ros, node, executor, timeout: float = 5.0) -> str:
    """frames_dropped_transport from the node's next /diagnostics, received over DDS."""
    from diagnostic_msgs.msg import DiagnosticArray

    seen: list[str] = []

    def on_diag(msg: DiagnosticArray) -> None:
        seen.extend(kv.value for s in msg.status if s.name.endswith(node.get_name())
                    for kv in s.values if kv.key == "frames_dropped_transport")
    sub = ros.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)
    try:
        deadline = time.monotonic() + timeout
        while not seen and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.05)
            rclpy.spin_once(ros, timeout_sec=0.05)
    finally:
        ros.destroy_subscription(sub)
    assert seen, "no diagnostics from the node"
    return seen[-1]


def frame_bytes(astronaut) -> bytes:
    msg = Image(height=astronaut.shape[0], width=astronaut.shape[1], encoding="rgb8",
                step=astronaut.shape[1] * 3, data=astronaut.tobytes())
    msg.header.stamp.sec = 1_700_000_000
    return serialize_message(msg)


@pytest.mark.parametrize("in_process_node", [False], indirect=True)
def test_humble_one_argument_callback_serves_frames(ros, in_process_node, astronaut):
    """As rclpy 3.3's executor does: the image callback is called with the message alone;
    the frame is answered and the loss count is said to be unavailable."""
    node, executor = in_process_node
    poses: list[PersonArray] = []
    sub = ros.create_subscription(PersonArray, "poses", poses.append, 10)
    try:
        assert spin_until(ros, lambda: node.poses_pub.get_subscription_count() > 0, 10)
        node._image_sub.callback(frame_bytes(astronaut))  # TypeError if it wanted two
        assert spin_until(ros, lambda: bool(poses), 20), "the frame was not answered"
        assert node.processed == 1
        assert len(poses[0].persons) == 1
    finally:
        ros.destroy_subscription(sub)
    assert transport_diagnostic(ros, node, executor) == f"unavailable ({NO_MESSAGE_INFO})"


@pytest.mark.parametrize("in_process_node", [True], indirect=True)
def test_jazzy_message_info_makes_the_diagnostics_say_unavailable(ros, in_process_node, infos,
                                                                  astronaut):
    """As rclpy 7.1's executor does: the callback gets message info without publisher_gid."""
    node, executor = in_process_node
    jazzy = {k: v for k, v in infos[0].items() if k in JAZZY_INFO_KEYS}
    node._image_sub.callback(frame_bytes(astronaut), jazzy)
    assert spin_until(ros, lambda: node.processed == 1, 20), "the frame was not processed"
    assert transport_diagnostic(ros, node, executor) == \
        "unavailable (this rclpy's message info has no publisher_gid)"
