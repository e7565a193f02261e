"""``pose-ros eval --through-node``: a real pose_node process as the estimator.

The node is started as ``launch/pose.launch.py`` starts it (the shipped parameters file,
then the model, the backend and ``--set``'s parameters), in a namespace of its own, with a
reliable camera subscription: an evaluation must not lose an image. Each image goes to it
as a sensor_msgs/Image stamped STAMP_STEP_S after the previous one, beyond any
``max_gap_s``: the node forgets its temporal state and treats every image as a first
frame, as the core treats a still. The PersonArray carrying that stamp is the answer.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rclpy
from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
from builtin_interfaces.msg import Time
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from pose_ros.evaluation.coco_eval import EstimatorFactory, StillEstimator
from pose_ros.node.parameters import BY_NAME, check, models_taking
from pose_ros.node.pose_node import rgb_image
from pose_ros.types import Pose
from pose_ros_msgs.msg import PersonArray

STAMP_STEP_S = 10  # between two images: far beyond max_gap_s, so each is a first frame
START_TIMEOUT_S = 60.0  # the node loads its model before it publishes poses
ANSWER_TIMEOUT_S = 30.0
RESEND_S = 2.0  # an image sent before discovery settled is lost: send it again
SET_BY_EVAL = ("model", "backend", "model_dir", "qos_reliability")


def check_node_options(model: str, options: Mapping[str, Any]) -> None:
    """Raise a one-line ValueError for a name that is no pose_node parameter ``model``
    uses, one this tool sets itself, or a value the node would refuse."""
    for name, value in options.items():
        if name in SET_BY_EVAL:
            raise ValueError(f"--set {name}: pose-ros eval sets it (use --model, --backend, "
                             "--model-dir)")
        if name not in BY_NAME:
            raise ValueError(f"pose_node has no parameter {name!r} (docs/parameters.md "
                             "lists them)")
        if model not in models_taking(name):
            raise ValueError(f"{model} does not use parameter {name} (used by "
                             f"{', '.join(models_taking(name))})")
        reason = check(name, _typed(name, value), running=False)
        if reason:
            raise ValueError(f"--set {name}={value}: {reason}")


def node_estimators(backend: str = "onnxruntime",
                    model_dir: Path | None = None) -> EstimatorFactory:
    def make(model: str, options: dict) -> StillEstimator:
        return NodeEstimator(model, options, backend, model_dir)
    return make


def _typed(name: str, value: object) -> object:
    """``value`` as the parameter's type: --set min_pose_score=0 reads as the integer 0,
    which the node would refuse for a double parameter."""
    if isinstance(value, int) and not isinstance(value, bool) \
            and isinstance(BY_NAME[name].default, float):
        return float(value)
    return value


def _parameter_text(name: str, value: object) -> str:
    value = _typed(name, value)
    return str(value).lower() if isinstance(value, bool) else str(value)  # YAML's booleans


def shipped_parameters_file() -> Path:
    try:
        share = Path(get_package_share_directory("pose_ros"))
    except PackageNotFoundError as e:
        raise RuntimeError("pose_ros is not installed: source the workspace "
                           "(install/setup.bash) before pose-ros eval --through-node") from e
    return share / "config" / "pose_ros.yaml"


class NodeEstimator:
    """``estimate(rgb)`` sends the image to a pose_node process and returns its poses."""

    def __init__(self, model: str, options: dict, backend: str = "onnxruntime",
                 model_dir: Path | None = None) -> None:
        executable = shutil.which("pose_node")
        if executable is None:
            raise RuntimeError("pose_node is not on PATH: source the workspace "
                               "(install/setup.bash) before pose-ros eval --through-node")
        namespace = f"/pose_ros_eval_{os.getpid()}"
        args = [executable, "--ros-args", "--params-file", str(shipped_parameters_file()),
                "-r", f"__ns:={namespace}", "-p", f"model:={model}",
                "-p", f"backend:={backend}", "-p", "qos_reliability:=reliable"]
        args += ["-p", f"model_dir:={model_dir}"] if model_dir else []
        for name, value in options.items():
            args += ["-p", f"{name}:={_parameter_text(name, value)}"]
        # the node's output, for a failure's message; it lives as long as the node (close)
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self._process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        self._context = rclpy.Context()
        rclpy.init(context=self._context)
        self._node = rclpy.create_node(f"pose_ros_eval_{os.getpid()}", context=self._context)
        self._executor = SingleThreadedExecutor(context=self._context)
        self._executor.add_node(self._node)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._answers: dict[tuple[int, int], PersonArray] = {}
        self._node.create_subscription(PersonArray, f"{namespace}/poses", self._on_poses,
                                       reliable)
        self._images = self._node.create_publisher(Image, f"{namespace}/image", reliable)
        self._stamp_s = 0
        if not self._spin_until(lambda: self._images.get_subscription_count() > 0 and
                                self._node.count_publishers(f"{namespace}/poses") > 0,
                                START_TIMEOUT_S):
            self.close()
            raise RuntimeError(f"pose_node ({model}) did not start within "
                               f"{START_TIMEOUT_S:.0f} s: {self._output_tail()}")

    def _on_poses(self, msg: PersonArray) -> None:
        self._answers[(msg.header.stamp.sec, msg.header.stamp.nanosec)] = msg

    def _spin_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Spin until ``done()``: False after ``timeout_s``; raises if the node exited."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if self._process.poll() is not None:
                raise RuntimeError(f"pose_node exited ({self._process.returncode}): "
                                   f"{self._output_tail()}")
            if time.monotonic() > deadline:
                return False
            self._executor.spin_once(timeout_sec=0.02)
        return True

    def _output_tail(self, lines: int = 5) -> str:
        self._log.seek(0)
        return " | ".join(self._log.read().strip().splitlines()[-lines:]) or "no output"

    def estimate(self, image: np.ndarray) -> list[Pose]:
        self._stamp_s += STAMP_STEP_S
        key = (self._stamp_s, 0)
        message = rgb_image(Header(stamp=Time(sec=self._stamp_s), frame_id="camera"), image)
        self._answers.clear()  # a late second answer to an image sent twice
        for _ in range(round(ANSWER_TIMEOUT_S / RESEND_S)):
            self._images.publish(message)
            if self._spin_until(lambda: key in self._answers, RESEND_S):
                break
        else:
            raise RuntimeError(f"pose_node answered no image stamped {self._stamp_s} s "
                               f"within {ANSWER_TIMEOUT_S:.0f} s: {self._output_tail()}")
        return [Pose(np.array([(k.x, k.y) for k in p.keypoints], np.float32),
                     np.array([k.score for k in p.keypoints], np.float32), float(p.score))
                for p in self._answers[key].persons]

    def close(self) -> None:
        self._executor.shutdown()
        self._node.destroy_node()
        rclpy.shutdown(context=self._context)
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
