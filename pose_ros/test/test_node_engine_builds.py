"""The node with a backend slow to make, as a TensorRT engine is: the real PoseNode in
this process, real rclpy, the real ONNX Runtime backend made BUILD_S slow and serving
its profile only (slow_backends.py), frames put serialized as the subscription puts
them. Shows the node side of off-thread builds (engine_building, poses meanwhile) and
that a stop during configure stops the build there (the node's stop event is the
estimator's cancel event)."""

from __future__ import annotations

import os
import signal
import threading
import time

import cv2
import pytest
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.serialization import serialize_message
from std_msgs.msg import Header

from pose_ros.backends.build_progress import BuildCancelled
from slow_backends import BUILD_S, SlowFactory

ARGS = ["--ros-args", "-p", "model:=posenet_mobilenet", "-p", "decoding:=single",
        "-p", "backend:=onnxruntime", "-p", "autostart:=false",
        "-p", "publish_debug_image:=false", "-p", "publish_markers:=false"]
SUCCESS = TransitionCallbackReturn.SUCCESS


@pytest.fixture
def slow_node(request, monkeypatch, model_dir):
    """An unconfigured PoseNet node whose estimator makes its backends slowly (more
    parameters: the test's indirect parameter)."""
    import rclpy

    from pose_ros.node import pose_node

    factory, real = SlowFactory(), pose_node.create_estimator

    def with_slow_backends(*args, **kwargs):
        estimator = real(*args, **kwargs)
        estimator._make_backend = factory
        return estimator
    monkeypatch.setattr(pose_node, "create_estimator", with_slow_backends)
    rclpy.init(args=[*ARGS, *getattr(request, "param", [])])
    node = pose_node.PoseNode()
    yield node, factory
    node.destroy_node()
    rclpy.try_shutdown()  # a test may have stopped it with a real SIGINT already


def serialized(rgb) -> bytes:
    from pose_ros.node.pose_node import rgb_image

    return serialize_message(rgb_image(Header(frame_id="camera"), rgb))


def feed(node, data: bytes, timeout_s: float = 10.0) -> str:
    """Put one frame as the subscription does; 'poses' or 'engine_building'."""
    with node._lock:
        before = (node.processed, node.rejected["engine_building"])
    node._on_image(data, False)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with node._lock:
            now = (node.processed, node.rejected["engine_building"])
        if now[0] > before[0]:
            return "poses"
        if now[1] > before[1]:
            return "engine_building"
        time.sleep(0.005)
    raise AssertionError(f"a frame neither served nor rejected in {timeout_s} s "
                         f"(rejected: {dict(node.rejected)})")


def test_the_node_serves_while_a_new_engine_builds_and_counts_what_it_drops(slow_node,
                                                                            astronaut):
    node, factory = slow_node
    assert node.trigger_configure() == SUCCESS and node.trigger_activate() == SUCCESS
    small = serialized(cv2.resize(astronaut, (640, 480)))  # the warm-up's size
    large = serialized(cv2.resize(astronaut, (960, 720)))  # beyond its PoseNet profile
    outcomes: list[tuple[str, str]] = []
    deadline = time.monotonic() + 10 * BUILD_S
    while time.monotonic() < deadline and [o for n, o in outcomes if n == "large"][-2:] != \
            ["poses"] * 2:
        outcomes += [("small", feed(node, small)), ("large", feed(node, large))]
    large_outcomes = [o for n, o in outcomes if n == "large"]
    building = large_outcomes.count("engine_building")
    assert building >= 2 and large_outcomes[building:] == ["poses"] * 2, outcomes
    assert all(o == "poses" for n, o in outcomes if n == "small"), outcomes
    assert node.rejected["engine_building"] == building
    assert factory.threads == ["pose_inference", "pose_backend_build_0"], factory.threads


def test_a_stop_during_configure_stops_the_engine_build(slow_node):
    """Ctrl-C while configure builds the first engine: the node sets its stop event, the
    build (waiting on the estimator's cancel event, as TensorRT's monitor polls it) ends
    at once instead of after BUILD_S, and the signal goes on to stop the process."""
    node, factory = slow_node
    timer = threading.Timer(BUILD_S / 4, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        node.trigger_configure()
    took = time.monotonic() - start
    assert took < BUILD_S * 0.75, f"configure took {took:.2f} s to stop"
    assert factory.threads == ["pose_inference"] and not factory.made
    assert isinstance(factory.failed[0], BuildCancelled)


@pytest.mark.parametrize("slow_node", [["-p", "camera_sizes:=640x480,960x720"]], indirect=True)
def test_the_configured_camera_sizes_are_served_by_the_engine_built_at_configure(slow_node,
                                                                                astronaut):
    node, factory = slow_node
    assert node.trigger_configure() == SUCCESS and node.trigger_activate() == SUCCESS
    for size in ((640, 480), (960, 720), (640, 480), (960, 720)):
        assert feed(node, serialized(cv2.resize(astronaut, size))) == "poses"
    assert factory.threads == ["pose_inference"]  # one engine, at configure
    served = {shape[1:3] for shape, _ in factory.made[0].ran}
    assert served == {(417, 545), (625, 833)}  # 480x640 and 720x960 at scale 0.875
