"""pose_node as a managed node: the real process, driven through its lifecycle
services and the real ``ros2 lifecycle`` CLI, fed a real photo over Fast DDS."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from rcl_interfaces.msg import Parameter
from rcl_interfaces.srv import SetParameters
from sensor_msgs.msg import Image
from std_srvs.srv import SetBool
from visualization_msgs.msg import Marker, MarkerArray

from image_messages import make_image
from pose_ros_msgs.msg import PersonArray
from ros_helpers import (
    call,
    diagnostic_values,
    lifecycle_cli,
    parameter_value,
    reliable,
    spawn,
    spin_until,
    stop,
)

NODE = "pose_estimator"  # the name the issue's `ros2 lifecycle set /pose_estimator` uses
IMAGE = "/lifecycle/image"
POSES = "/lifecycle/poses"
CLOCK_TICKS = 100  # USER_HZ: /proc/PID/stat counts CPU time in these on Linux
GOAL_STATES = {Transition.TRANSITION_CONFIGURE: "inactive",
               Transition.TRANSITION_CLEANUP: "unconfigured",
               Transition.TRANSITION_ACTIVATE: "active",
               Transition.TRANSITION_DEACTIVATE: "inactive",
               Transition.TRANSITION_UNCONFIGURED_SHUTDOWN: "finalized",
               Transition.TRANSITION_INACTIVE_SHUTDOWN: "finalized",
               Transition.TRANSITION_ACTIVE_SHUTDOWN: "finalized"}


def start_managed(ros, model_dir: Path, *extra: str) -> tuple[subprocess.Popen, Managed]:
    """A pose_node with autostart:=false, its lifecycle services up (unconfigured)."""
    proc = spawn(["pose_node", "--ros-args", "-r", f"__node:={NODE}", "-p", "autostart:=false",
                  "-p", "backend:=onnxruntime", "-p", f"model_dir:={model_dir}",
                  "-p", "qos_reliability:=reliable", "-p", "qos_depth:=10",
                  "-r", f"image:={IMAGE}", "-r", f"poses:={POSES}", *extra])
    managed = Managed(ros)
    if not managed.get_state.wait_for_service(timeout_sec=30):
        pytest.fail(f"{NODE} did not start:\n{stop(proc)}")
    return proc, managed


class Managed:
    """The node's lifecycle services, its enable service, and a camera feeding it."""

    def __init__(self, ros) -> None:
        self.ros = ros
        self.change_state = ros.create_client(ChangeState, f"/{NODE}/change_state")
        self.get_state = ros.create_client(GetState, f"/{NODE}/get_state")
        self.enable = ros.create_client(SetBool, f"/{NODE}/enable")
        self.set_parameters = ros.create_client(SetParameters, f"/{NODE}/set_parameters")
        self.image_pub = ros.create_publisher(Image, IMAGE, reliable())
        self.poses: list[PersonArray] = []
        self._poses_sub = ros.create_subscription(PersonArray, POSES, self.poses.append, 10)

    def call(self, client, request):
        return call(self.ros, client, request, timeout=60.0)

    def transition(self, transition_id: int) -> bool:
        """Whether the transition succeeded. Sent twice, a transition that did would
        fail from its goal state, so an answer Fast DDS lost (ros_helpers.call) is read
        from the state instead: the one executor answers get_state only after it."""
        assert self.change_state.wait_for_service(timeout_sec=10)
        future = self.change_state.call_async(
            ChangeState.Request(transition=Transition(id=transition_id)))
        if not spin_until(self.ros, future.done, 30):
            return self.state() == GOAL_STATES[transition_id]
        return future.result().success

    def state(self) -> str:
        return self.call(self.get_state, GetState.Request()).current_state.label

    def subscribed(self) -> bool:
        return self.image_pub.get_subscription_count() > 0

    def send(self, msg: Image, sec: int, timeout: float = 20.0) -> PersonArray | None:
        """Publish ``msg`` stamped ``sec``; its poses, or None after ``timeout``."""
        msg.header.stamp.sec = sec
        self.image_pub.publish(msg)
        spin_until(self.ros, lambda: any(p.header.stamp.sec == sec for p in self.poses),
                   timeout)
        return next((p for p in self.poses if p.header.stamp.sec == sec), None)

    def close(self) -> None:
        for client in (self.change_state, self.get_state, self.enable, self.set_parameters):
            self.ros.destroy_client(client)
        self.ros.destroy_publisher(self.image_pub)
        self.ros.destroy_subscription(self._poses_sub)


@pytest.fixture
def photo(astronaut) -> Image:
    return make_image(astronaut, "rgb8")


def stop_cleanly(proc: subprocess.Popen, managed: Managed) -> str:
    managed.close()
    out = stop(proc)
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out
    return out


def test_cli_configure_then_activate_brings_poses_out(ros, model_dir, photo):
    proc, managed = start_managed(ros, model_dir)
    try:
        assert not managed.subscribed(), "unconfigured, the node must not take frames"
        assert lifecycle_cli(NODE, "set", "configure") == "Transitioning successful\n"
        assert managed.state() == "inactive"
        assert not managed.subscribed(), "inactive, the node must not take frames"
        assert lifecycle_cli(NODE, "set", "activate") == "Transitioning successful\n"
        assert spin_until(ros, managed.subscribed, 10)
        poses = managed.send(photo, 1)
        assert poses is not None and len(poses.persons) == 1
        assert diagnostic_values(ros, NODE)["lifecycle_state"] == "active"
    finally:
        stop_cleanly(proc, managed)


def test_deactivate_takes_the_skeletons_out_of_rviz(ros, model_dir, photo):
    """The last frame's skeletons would otherwise stand in RViz until their lifetime
    (marker_lifetime) ends, or for good with a lifetime of 0."""
    topic = "/lifecycle/markers"
    proc, managed = start_managed(ros, model_dir, "-r", f"markers:={topic}")
    got: list[MarkerArray] = []
    sub = ros.create_subscription(MarkerArray, topic, got.append, 10)
    try:
        assert managed.state() == "unconfigured"  # its services answer: ready
        assert managed.transition(Transition.TRANSITION_CONFIGURE)
        assert managed.transition(Transition.TRANSITION_ACTIVATE)
        assert spin_until(ros, managed.subscribed, 10)
        drawn = lambda: [a for a in got if len(a.markers) > 1]  # noqa: E731
        for sec in range(1, 6):  # until the node has matched this subscription too
            managed.send(photo, sec)
            if spin_until(ros, lambda: bool(drawn()), 2):
                break
        (first, *_) = drawn()
        assert {(m.lifetime.sec, m.lifetime.nanosec) for m in first.markers[1:]} == {(1, 0)}
        before = len(got)
        assert managed.transition(Transition.TRANSITION_DEACTIVATE)
        assert spin_until(ros, lambda: len(got) > before, 5)
        assert [m.action for m in got[-1].markers] == [Marker.DELETEALL]
    finally:
        ros.destroy_subscription(sub)
        stop_cleanly(proc, managed)


def test_every_transition_twice_round_the_cycle(ros, model_dir, photo):
    proc, managed = start_managed(ros, model_dir)
    try:
        for lap in (1, 2):
            assert managed.state() == "unconfigured"
            assert spin_until(ros, lambda: not ros.count_publishers(POSES), 10), \
                "unconfigured, the node must not advertise poses"
            assert managed.transition(Transition.TRANSITION_CONFIGURE)
            assert managed.state() == "inactive"
            assert diagnostic_values(ros, NODE)["backend"] == "onnxruntime"
            assert spin_until(ros, lambda: ros.count_publishers(POSES) == 1, 10)
            assert managed.transition(Transition.TRANSITION_ACTIVATE)
            assert managed.state() == "active"
            assert spin_until(ros, managed.subscribed, 10)
            poses = managed.send(photo, lap)
            assert poses is not None and len(poses.persons) == 1, f"lap {lap}"
            assert managed.transition(Transition.TRANSITION_DEACTIVATE)
            assert managed.state() == "inactive"
            assert spin_until(ros, lambda: not managed.subscribed(), 10)
            assert managed.transition(Transition.TRANSITION_CLEANUP)
            assert managed.state() == "unconfigured"
            assert diagnostic_values(ros, NODE)["backend"] == "not loaded"
        # refused transitions answer FAILURE and change nothing
        assert not managed.transition(Transition.TRANSITION_ACTIVATE)
        assert managed.state() == "unconfigured"
    finally:
        out = stop_cleanly(proc, managed)
    assert out.count("configure: now inactive") == 2, out


@pytest.mark.parametrize("start_state,steps", [
    ("unconfigured", ()),
    ("inactive", (Transition.TRANSITION_CONFIGURE,)),
    ("active", (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE)),
])
def test_shutdown_from_every_state(ros, model_dir, start_state, steps):
    shutdown = {"unconfigured": Transition.TRANSITION_UNCONFIGURED_SHUTDOWN,
                "inactive": Transition.TRANSITION_INACTIVE_SHUTDOWN,
                "active": Transition.TRANSITION_ACTIVE_SHUTDOWN}[start_state]
    proc, managed = start_managed(ros, model_dir)
    try:
        for step in steps:
            assert managed.transition(step)
        assert managed.state() == start_state
        assert managed.transition(shutdown)
        assert managed.state() == "finalized"
        assert not managed.subscribed()
        assert diagnostic_values(ros, NODE)["backend"] == "not loaded"
    finally:
        out = stop_cleanly(proc, managed)
    assert "shutdown: now finalized" in out, out


def test_configure_without_the_model_fails_and_the_node_stays_up(ros, model_dir, tmp_path):
    proc, managed = start_managed(ros, model_dir, "-p", f"model_dir:={tmp_path}")
    try:
        assert not managed.transition(Transition.TRANSITION_CONFIGURE)
        assert managed.state() == "unconfigured"
        refused = managed.call(managed.enable, SetBool.Request(data=True))
        assert not refused.success and "configure it first" in refused.message
        # unconfigured, a parameter that needs a new model can change
        result = managed.call(managed.set_parameters, SetParameters.Request(parameters=[
            Parameter(name="model_dir", value=parameter_value(str(model_dir)))]))
        assert result.results[0].successful, result.results[0].reason
        assert managed.transition(Transition.TRANSITION_CONFIGURE)
        assert managed.state() == "inactive"
        assert managed.call(managed.enable, SetBool.Request(data=True)).success
        assert managed.state() == "active"
    finally:
        out = stop_cleanly(proc, managed)
    assert "configure failed: model file" in out and "movenet_lightning.onnx is missing" in out
    assert "pose-ros-models" in out, out  # the fix


def test_configure_refuses_a_bad_parameter_and_the_node_stays_up(ros, model_dir):
    proc, managed = start_managed(ros, model_dir, "-p", "model:=movenet_huge")
    try:
        assert not managed.transition(Transition.TRANSITION_CONFIGURE)
        assert managed.state() == "unconfigured"
    finally:
        out = stop_cleanly(proc, managed)
    assert "configure failed: parameter model must be one of" in out, out


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid``, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def cpu_while_fed(managed: Managed, pid: int, photo: Image, seconds: float,
                  rate_hz: float = 10.0) -> tuple[float, int]:
    """CPU seconds the node used while the camera published at ``rate_hz`` for
    ``seconds``, and how many of those frames it answered."""
    answered_before = len(managed.poses)
    start = cpu_seconds(pid)
    deadline = time.monotonic() + seconds
    sec = 1000
    while time.monotonic() < deadline:
        sec += 1
        photo.header.stamp.sec = sec
        managed.image_pub.publish(photo)
        spin_until(managed.ros, lambda: False, 1.0 / rate_hz)
    spin_until(managed.ros, lambda: False, 0.5)  # the last frame's answer
    return cpu_seconds(pid) - start, len(managed.poses) - answered_before


def test_deactivate_stops_inference_and_cleanup_frees_the_model(ros, model_dir, photo):
    # thunder: the larger MoveNet, so that its model and inference stand out of the noise
    model_mb = (model_dir / "movenet_thunder.onnx").stat().st_size / 2**20
    proc, managed = start_managed(ros, model_dir, "-p", "model:=movenet_thunder")
    try:
        assert managed.transition(Transition.TRANSITION_CONFIGURE)
        assert managed.transition(Transition.TRANSITION_ACTIVATE)
        assert spin_until(ros, managed.subscribed, 10)
        active_cpu, answered = cpu_while_fed(managed, proc.pid, photo, 3.0)
        assert answered >= 10, f"active, the node answered only {answered} frames"
        assert managed.transition(Transition.TRANSITION_DEACTIVATE)
        inactive_cpu, answered = cpu_while_fed(managed, proc.pid, photo, 3.0)
        assert answered == 0
        # the camera goes on publishing; the node neither receives nor infers
        assert inactive_cpu < 0.1 * active_cpu, (inactive_cpu, active_cpu)

        freed_mb = []
        for _ in range(2):  # a second round: cleanup frees what configure took again
            if managed.state() == "unconfigured":
                assert managed.transition(Transition.TRANSITION_CONFIGURE)
            configured_mb = rss_mb(proc.pid)
            assert managed.transition(Transition.TRANSITION_CLEANUP)
            freed_mb.append(configured_mb - rss_mb(proc.pid))
    finally:
        out = stop_cleanly(proc, managed)
    # the session's weights and buffers go (ONNX Runtime's libraries stay mapped)
    assert all(freed > model_mb for freed in freed_mb), (freed_mb, model_mb, out)
