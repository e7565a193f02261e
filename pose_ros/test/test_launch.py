"""Real ``ros2 launch`` of pose.launch.py and bag_replay.launch.py, run as the README says.

Each launch is a subprocess in a session of its own, as in a terminal, and is stopped
as a terminal's Ctrl-C stops it: SIGINT to the whole process group, so every process
gets one from the terminal and one more from launch. Every stop must be clean: launch
exits 0, the node exits 0, no traceback or abort in the output, and no process of the
launch is left (in its session or among the children it had). Poses are read and
parameters set with the ros2 CLI, with --no-daemon so that no ros2 daemon outlives the
tests.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import yaml

from conftest import REPO_ROOT
from pose_ros_msgs.msg import PersonArray
from ros_helpers import lifecycle_cli, receive, reliable, spawn, spawn_python, stop

# the documents whose command lines the tests run: the README and the replay guide
DOCS = (REPO_ROOT / "README.md", REPO_ROOT / "docs" / "evaluation.md")
PHOTO = "video/pose.jpg"  # one person
VIDEO = "video/pose_squats.mp4"
CAMERA_TOPIC = "/camera/image_raw"  # the README's image:=
POSES = "/poses"
NODE = "/pose_estimator"
READY_S = 60.0  # a launch, the model loaded and warmed up, on a loaded 2-core machine
PARAM_ATTEMPT_S = 40.0  # a `ros2 param` command: start, discovery (up to 30 s), answer
BROKEN_STOP = ("Traceback", "KeyboardInterrupt", "terminate called", "process has died")


def readme_command(start: str) -> list[str]:
    """The documented command line that starts with ``start``, without its comment."""
    for doc in DOCS:
        for line in doc.read_text().splitlines():
            if line.startswith(start):
                return shlex.split(line, comments=True)
    pytest.fail(f"no command line starting with {start!r} in {[d.name for d in DOCS]}")


@dataclass
class Launch:
    """A ``ros2 launch`` running in its own session (pid = session id = group id)."""
    proc: subprocess.Popen
    children: list[psutil.Process] = field(default_factory=list)

    def ctrl_c(self, timeout: float = 30.0) -> str:
        """A terminal's Ctrl-C: SIGINT to the whole process group. Returns the output."""
        if self.proc.poll() is None:
            # what launch started, to check afterwards that none of it outlived the stop
            self.children = psutil.Process(self.proc.pid).children(recursive=True)
            os.killpg(self.proc.pid, signal.SIGINT)
        return self.wait(timeout)

    def wait(self, timeout: float) -> str:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            out, _ = self.proc.communicate()
            pytest.fail(f"ros2 launch did not stop in {timeout} s:\n{out}")
        return out

    def left(self) -> list[psutil.Process]:
        """The launch's processes still running: its session, and its former children
        (a process that left the session is still an orphan of this launch)."""
        alive = [p for p in self.children if _running(p)]
        for p in psutil.process_iter():
            try:
                if os.getsid(p.pid) == self.proc.pid and _running(p) and p not in alive:
                    alive.append(p)
            except (ProcessLookupError, PermissionError):
                pass
        return alive

    def kill(self) -> None:
        for p in self.left():
            p.kill()


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module", autouse=True)
def children_take_ctrl_c() -> Iterator[None]:
    """ros2 launch ignores Ctrl-C when started with SIGINT ignored (pytest run as
    `cmd &` from a script: ../shared/wheels/README.md). An exec'd child inherits an
    ignored signal but not a handled one, so the tests handle it while they run."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if ignored:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture
def launches() -> Iterator[list[Launch]]:
    """Starts ``ros2 launch`` as a terminal does; kills whatever a failed test left."""
    started: list[Launch] = []
    yield started
    for launch in started:
        if launch.proc.poll() is None:
            launch.ctrl_c()
        launch.kill()


def start(launches: list[Launch], command: list[str], cwd: Path | None = None) -> Launch:
    assert command[:2] == ["ros2", "launch"], command
    launch = Launch(spawn(command, new_session=True, cwd=cwd))
    launches.append(launch)
    return launch


def assert_stopped_cleanly(launch: Launch, out: str) -> None:
    left = launch.left()
    assert not left, f"left running after Ctrl-C: {[p.cmdline() for p in left]}\n{out}"
    assert launch.proc.returncode == 0, f"ros2 launch exited {launch.proc.returncode}:\n{out}"
    # launch took the Ctrl-C too, and sent its own SIGINT: the node had two
    assert "user interrupted with ctrl-c (SIGINT)" in out, out
    assert "[pose_node-1]: process has finished cleanly" in out, out
    broken = [s for s in BROKEN_STOP if s in out]
    assert not broken, f"{broken} in the output of the stop:\n{out}"


@pytest.fixture
def camera(shared_data: Path) -> Iterator[None]:
    """A real photo published on the README's camera topic at 10 Hz."""
    proc = spawn_python("camera_process", str(shared_data / PHOTO), CAMERA_TOPIC)
    yield
    stop(proc)


def ros2(*args: str, timeout: float = READY_S) -> subprocess.CompletedProcess:
    """A ros2 CLI command; fails the test when it exits non-zero."""
    result = subprocess.run(["ros2", *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"ros2 {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def echo_poses(launch: Launch, topic: str = POSES) -> dict:
    """The next message on ``topic``, as `ros2 topic echo --once` prints it."""
    try:
        out = ros2("topic", "echo", "--once", "--no-daemon", topic,
                   "pose_ros_msgs/msg/PersonArray").stdout
    except (AssertionError, subprocess.TimeoutExpired) as e:
        pytest.fail(f"no poses on {topic}: {e}\n{launch.ctrl_c()}")
    return yaml.safe_load(out.split("\n---")[0])


def param(verb: str, *args: str, node: str = NODE) -> subprocess.CompletedProcess:
    """`ros2 param VERB NODE ARGS`: a refused set still exits 0, and says why on stderr.

    The CLI waits for its answer without end, and Fast DDS now and then drops a first
    call's answer (ros_helpers.call): one unanswered for PARAM_ATTEMPT_S runs again
    (get, set and describe are safe to repeat)."""
    command = ("param", verb, "--no-daemon", "--timeout", "30", node, *args)
    for _ in range(2):
        with contextlib.suppress(subprocess.TimeoutExpired):
            return ros2(*command, timeout=PARAM_ATTEMPT_S)
    return ros2(*command, timeout=PARAM_ATTEMPT_S)  # the last try: a timeout fails the test


def test_every_launch_argument_is_described():
    for launch_file in ("pose.launch.py", "bag_replay.launch.py"):
        out = ros2("launch", "pose_ros", launch_file, "--show-args").stdout
        assert "no description given" not in out, out
        for name in ("image", "camera_info", "params_file", "model", "backend", "threads",
                     "depth", "autostart", "use_compressed", "cameras", "depth_image",
                     "depth_camera_info", "rviz"):
            assert f"'{name}':" in out, (launch_file, out)


def test_readme_launch_serves_poses_takes_parameters_and_stops_on_ctrl_c(launches, camera,
                                                                         model_dir):
    command = readme_command("ros2 launch pose_ros pose.launch.py")
    assert f"image:={CAMERA_TOPIC}" in command, command  # the camera fed here
    launch = start(launches, command)

    poses = echo_poses(launch)
    assert poses["header"]["frame_id"] == "camera_optical_frame"  # the camera's frames
    assert poses["model"] == "movenet_lightning"
    assert len(poses["persons"]) == 1, poses  # the photo's one person

    assert param("set", "min_pose_score", "1.0").stdout == "Set parameter successful\n"
    assert echo_poses(launch)["persons"] == []  # no pose scores 1.0: the value is in use
    # a parameter that needs a restart is refused, with the reason
    refused = param("set", "model", "movenet_thunder")
    assert refused.stderr == ("Setting parameter failed: model cannot change while the node "
                              "is configured; restart it with the new value, or set it after "
                              "a lifecycle cleanup\n"), refused
    assert param("get", "model").stdout == "String value is: movenet_lightning\n"
    # which models a parameter applies to, where a user looks it up
    assert "(models: posenet_mobilenet)" in param("describe", "nms_radius").stdout

    assert_stopped_cleanly(launch, launch.ctrl_c())


def test_ctrl_c_stops_the_launch_cleanly_every_time(launches, camera, ros, model_dir):
    """The node used to crash on the way out in 2 of 6 stops (a second SIGINT, sent
    by launch, raised KeyboardInterrupt inside its clean-up)."""
    command = readme_command("ros2 launch pose_ros pose.launch.py")
    for run in range(5):
        launch = start(launches, command)
        # stopped while it is busy: frames in flight, poses going out
        got = receive(ros, PersonArray, POSES, reliable(), timeout=READY_S)
        assert got, f"run {run}: no poses\n{launch.ctrl_c()}"
        assert_stopped_cleanly(launch, launch.ctrl_c())


def test_the_params_file_model_runs_unless_the_model_argument_is_given(
        launches, camera, model_dir, tmp_path):
    params = tmp_path / "thunder.yaml"
    params.write_text("pose_estimator:\n  ros__parameters:\n    model: movenet_thunder\n"
                      "    threads: 1\n")
    command = readme_command("ros2 launch pose_ros pose.launch.py")
    from_file = [a for a in command if not a.startswith("model:=")] + [f"params_file:={params}"]

    launch = start(launches, from_file)
    assert echo_poses(launch)["model"] == "movenet_thunder"  # the model that runs
    assert param("get", "threads").stdout == "Integer value is: 1\n"
    assert_stopped_cleanly(launch, launch.ctrl_c())

    launch = start(launches, [*from_file, "model:=movenet_lightning", "threads:=2"])
    assert echo_poses(launch)["model"] == "movenet_lightning"
    assert param("get", "threads").stdout == "Integer value is: 2\n"
    assert_stopped_cleanly(launch, launch.ctrl_c())


def test_with_autostart_false_the_launched_node_waits_for_a_lifecycle_manager(
        launches, camera, ros, model_dir):
    """docs/lifecycle.md: the launched node stays unconfigured, taking no frames, until
    a manager (here the real `ros2 lifecycle` CLI) configures and activates it."""
    launch = start(launches, [*readme_command("ros2 launch pose_ros pose.launch.py"),
                              "autostart:=false"])
    node = NODE.lstrip("/")
    assert lifecycle_cli(node, "get") == "unconfigured [1]\n"
    assert not receive(ros, PersonArray, POSES, reliable(), timeout=3.0), \
        "an unconfigured node must not publish poses"
    assert lifecycle_cli(node, "set", "configure") == "Transitioning successful\n"
    assert lifecycle_cli(node, "set", "activate") == "Transitioning successful\n"
    assert lifecycle_cli(node, "get") == "active [3]\n"
    assert len(echo_poses(launch)["persons"]) == 1  # the photo's one person
    assert_stopped_cleanly(launch, launch.ctrl_c())


def test_the_cameras_argument_serves_each_camera_from_one_process(launches, shared_data,
                                                                 model_dir):
    cameras = ("cam_a", "cam_b")
    feeds = [spawn_python("camera_process", str(shared_data / PHOTO), f"/{name}/image_raw")
             for name in cameras]
    try:
        launch = start(launches, ["ros2", "launch", "pose_ros", "pose.launch.py",
                                  f"cameras:={' '.join(cameras)}", "threads:=1"])
        for name in cameras:  # each camera's own topics, under its namespace
            assert len(echo_poses(launch, f"/{name}/poses")["persons"]) == 1
        nodes = [p for p in psutil.Process(launch.proc.pid).children(recursive=True)
                 if "pose_node" in " ".join(p.cmdline())]
        assert len(nodes) == 1, [p.cmdline() for p in nodes]
        # the -p overrides reach every camera's node
        for name in cameras:
            threads = param("get", "threads", node=f"/{name}/pose_estimator").stdout
            assert threads == "Integer value is: 1\n"
        assert_stopped_cleanly(launch, launch.ctrl_c())
    finally:
        for feed in feeds:
            stop(feed)


def test_rviz_without_rviz2_says_so_and_the_node_runs(launches, camera, model_dir):
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix

    try:
        rviz2 = get_package_prefix("rviz2")
    except PackageNotFoundError:
        rviz2 = None  # a headless machine, as this test needs
    if rviz2:
        pytest.skip(f"rviz2 is installed here: {rviz2}")
    launch = start(launches, [*readme_command("ros2 launch pose_ros pose.launch.py"),
                              "rviz:=true"])
    assert echo_poses(launch)["persons"]
    out = launch.ctrl_c()
    assert_stopped_cleanly(launch, out)  # first: a failed launch used to orphan the node
    assert "rviz2 is not installed" in out and "without RViz" in out, out


def test_a_failing_node_fails_the_launch(launches):
    launch = start(launches, ["ros2", "launch", "pose_ros", "pose.launch.py",
                              "model:=movenet_nonexistent"])
    out = launch.wait(READY_S)
    assert launch.proc.returncode != 0, out
    # the node's own one-line reason, then launch's
    assert "model must be one of" in out and "pose_node-1 failed (exit code 1)" in out, out
    assert "Traceback" not in out, out
    assert not launch.left(), out


@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "compressed"])
def test_bag_replay_launch_plays_a_bag_into_the_node(launches, shared_data, model_dir, tmp_path,
                                                     compressed):
    # the README's two commands, with its video.mp4 a real one (JPEG frames: the node
    # told use_compressed, as a launch argument)
    make = readme_command("pose-ros bag make video.mp4") + ["--compressed"] * compressed
    made = subprocess.run([str(shared_data / VIDEO) if a == "video.mp4" else a for a in make],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    launch = start(launches, readme_command("ros2 launch pose_ros bag_replay.launch.py")
                   + ["use_compressed:=true"] * compressed, cwd=tmp_path)
    poses = echo_poses(launch)
    # a frame of the bag: `bag make` stamps them from 2023-11-14 22:13:20 on
    assert 1_700_000_000 <= poses["header"]["stamp"]["sec"] < 1_700_000_060, poses["header"]
    assert len(poses["persons"]) == 1, poses
    out = launch.ctrl_c()
    assert "[pose-ros-2]: process has finished cleanly" in out, out  # the player too
    assert_stopped_cleanly(launch, out)
