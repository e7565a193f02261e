"""The pose_estimator node: camera images in, poses, markers and an annotated image out.

Thin over the inference core: the subscription drops each frame into a one-frame
mailbox; an inference thread takes the newest, runs the estimator and publishes.

Two threads: the executor's (callbacks, timers, services) and the inference thread.
Everything both touch goes through ``self._lock``: the executor only queues work for
the inference thread (parameter changes, a reset) and reads snapshots of its counters.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.subscription import Subscription
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header
from std_srvs.srv import SetBool
from visualization_msgs.msg import MarkerArray

from pose_ros.api import create_estimator
from pose_ros.drawing import draw
from pose_ros.estimators.base import InvalidModelOutput, PoseEstimator
from pose_ros.models.registry import default_model_dir, model_spec
from pose_ros.node import messages
from pose_ros.node.cdr_image import (
    RawCompressedImage,
    RawImage,
    parse_compressed_image,
    parse_image,
)
from pose_ros.node.cdr_person_array import person_array_cdr
from pose_ros.node.frame_slot import LatestFrame
from pose_ros.node.image_conversion import ImageError, compressed_to_rgb, image_to_rgb
from pose_ros.node.parameters import BY_NAME, PARAMS, check, descriptor, estimator_options, ignored
from pose_ros.node.people_3d import People3D
from pose_ros.node.qos import LATCHED, camera_qos
from pose_ros.node.rclpy_features import CALLBACK_GETS_MESSAGE_INFO
from pose_ros.node.transport_losses import TransportLosses
from pose_ros.output_sanity import sane_poses
from pose_ros_msgs.msg import PersonArray, Skeleton

NODE_NAME = "pose_estimator"
LOG_EVERY_S = 5.0
STAGES = ("convert", "preprocess", "inference", "decode", "build", "publish")


class PoseNode(Node):
    # what destroy_node releases, unset until made: a bad parameter or a signal can stop
    # a node still starting, and rclpy's shutdown destroys it all the same
    estimator: PoseEstimator  # no class default: destroy_node looks it up with getattr
    _worker: threading.Thread | None = None

    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        for p in PARAMS:
            self.declare_parameter(p.name, p.default, descriptor(p))
        self.values = {p.name: self.get_parameter(p.name).value for p in PARAMS}
        for name, value in self.values.items():
            reason = check(name, value, running=False)
            if reason:
                raise ValueError(f"parameter {reason}")
        self.spec = model_spec(self.values["model"])
        model_dir = (Path(self.values["model_dir"]) if self.values["model_dir"]
                     else default_model_dir())
        for name, reason in ignored(self.spec.name, self.values).items():
            if self.values[name] != BY_NAME[name].default:  # set on purpose, to no effect
                self.get_logger().warning(f"{name}={self.values[name]!r} does nothing: {reason}")
        options = estimator_options(self.spec.family, self.values)
        self.estimator = create_estimator(self.spec.name, backend=self.values["backend"],
                                          model_dir=model_dir, threads=self.values["threads"],
                                          **options)
        self.estimator.check_model()  # a missing or modified model fails now, not at frame 1
        self.estimator.warm_up()  # the backend loads now, not while the first frames wait
        self._pending: dict[str, object] = {}
        self._reset_pending = False
        self._lock = threading.Lock()
        self.add_on_set_parameters_callback(self._on_set_parameters)

        self.poses_pub = self.create_publisher(PersonArray, "poses", 10)
        self.markers_pub = self.create_publisher(MarkerArray, "markers", 10)
        self.debug_pub = self.create_publisher(Image, "debug_image", camera_qos("reliable", 1))
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_publisher(Skeleton, "skeleton", LATCHED).publish(messages.skeleton_message())
        self.placer = messages.MarkerPlacer()
        self.create_subscription(CameraInfo, "camera_info", self._on_camera_info,
                                 camera_qos("best_effort", 1))
        # depth: the 3D people's input and publishers (node/people_3d.py)
        self.people_3d = (People3D(self, self.spec.name, self.markers_pub, self.values)
                          if self.values["depth"] else None)

        self.slot = LatestFrame()
        self.transport = TransportLosses(message_info=CALLBACK_GETS_MESSAGE_INFO)
        self.rejected: Counter[str] = Counter()
        self._logged_at: dict[str, float] = {}  # one entry per cause: a fixed, small set
        self.processed = 0
        self.stage_s: dict[str, deque] = {s: deque(maxlen=200) for s in STAGES}
        self.latency_s: deque = deque(maxlen=200)
        self.done_at: deque = deque(maxlen=200)
        self._image_sub: Subscription | None = None
        self._subscribe()
        self.create_service(SetBool, "~/enable", self._on_enable)
        self.create_timer(1.0, self._publish_diagnostics)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name="pose_inference", daemon=True)
        self._worker.start()
        topic = "image/compressed" if self.values["use_compressed"] else "image"
        self.get_logger().info(f"{self.spec.name} ready; listening on {topic}")

    # -- camera in ---------------------------------------------------------
    def _subscribe(self) -> None:
        qos = camera_qos(self.values["qos_reliability"], self.values["qos_depth"])
        compressed = self.values["use_compressed"]
        if CALLBACK_GETS_MESSAGE_INFO:
            def on_image(data: bytes, info: Mapping[str, Any]) -> None:
                self._on_image(data, compressed)
                self.transport.observe(info)
        else:  # rclpy < 3.4 (Humble) calls with the message alone
            def on_image(data: bytes) -> None:  # type: ignore[misc]  # the other arity
                self._on_image(data, compressed)
        # raw: the frame stays serialized until the inference thread reads it in place
        self._image_sub = self.create_subscription(
            CompressedImage if compressed else Image, "image/compressed" if compressed else "image",
            on_image, qos, raw=True)

    def _on_image(self, data: bytes, compressed: bool) -> None:
        self.slot.put((data, compressed, time.monotonic()))

    def _on_camera_info(self, msg: CameraInfo) -> None:
        fx, fy, cx, cy = msg.k[0], msg.k[4], msg.k[2], msg.k[5]
        if fx > 0 and fy > 0:
            self.placer.intrinsics = (fx, fy, cx, cy)

    def _on_enable(self, request: SetBool.Request,
                   response: SetBool.Response) -> SetBool.Response:
        if request.data and self._image_sub is None:
            self._subscribe()
        elif not request.data and self._image_sub is not None:
            self.destroy_subscription(self._image_sub)
            self._image_sub = None
            with self._lock:  # the inference thread resets between frames, never mid-frame
                self._reset_pending = True
        response.success = True
        response.message = "enabled" if request.data else "disabled: not subscribed to the camera"
        return response

    # -- parameters --------------------------------------------------------
    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        for p in params:
            reason = check(p.name, p.value, running=True)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        changes = {p.name: p.value for p in params}
        with self._lock:
            inert = ignored(self.spec.name, {**self.values, **self._pending, **changes})
            useless = sorted(changes.keys() & inert.keys())
            if not useless:
                self._pending.update(changes)
        if useless:  # never accepted silently: say why it would not change a thing
            name = useless[0]
            return SetParametersResult(successful=False,
                                       reason=f"{name} does nothing here: {inert[name]}")
        return SetParametersResult(successful=True)

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            reset, self._reset_pending = self._reset_pending, False
            self.values.update(pending)  # read by the executor's parameter callback
        if reset:
            self.estimator.reset()
        changes = estimator_options(self.spec.family, pending)
        if changes:
            self.estimator.configure(**changes)

    # -- inference ---------------------------------------------------------
    def _work(self) -> None:
        while not self._stop.is_set():
            item = self.slot.take(timeout=0.1)
            try:
                self._apply_pending()
                if item is not None:
                    self._process(*item)
            except Exception as e:  # one bad frame must never stop the inference thread
                if not self.context.ok():
                    return  # a stop signal shut the context down under this frame
                self._reject("frame_error", f"{type(e).__name__}: {e}", what="frame failed",
                             error=True)

    def _reject(self, cause: str, detail: str, count: int = 1, what: str = "frame skipped",
                error: bool = False) -> None:
        """Count a frame (or poses) not served; log it at most every LOG_EVERY_S per
        cause. ``error``: a fault of the node rather than of its input."""
        with self._lock:
            self.rejected[cause] += count
            so_far = self.rejected[cause]
        now = time.monotonic()
        if now - self._logged_at.get(cause, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged_at[cause] = now
            log = self.get_logger().error if error else self.get_logger().warning
            log(f"{what} ({cause}): {detail} [{so_far} so far]")

    def _process(self, data: bytes, compressed: bool, received: float) -> None:
        v = self.values
        t0 = time.perf_counter()
        msg: RawCompressedImage | RawImage
        try:
            if compressed:
                msg = parse_compressed_image(data)
                image = compressed_to_rgb(msg, v["max_image_pixels"])
            else:
                msg = parse_image(data)
                image = image_to_rgb(msg, v["max_image_pixels"])
        except ImageError as e:
            self._reject(e.cause, str(e))
            return
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        timestamp = stamp if stamp > 0 else received
        try:
            t1 = time.perf_counter()
            prepared = self.estimator.preprocess(image, timestamp)
            t2 = time.perf_counter()
            outputs = self.estimator.infer(prepared)
            t3 = time.perf_counter()
            poses = self.estimator.postprocess(outputs, prepared, timestamp)
        except InvalidModelOutput as e:
            self._reject("invalid_model_output", str(e))
            return
        except Exception as e:  # a backend failure on one frame must not stop the node
            self._reject("inference_error", f"{type(e).__name__}: {e}")
            return
        t4 = time.perf_counter()
        h, w = image.shape[:2]
        poses, insane = sane_poses(poses, w, h)
        if insane:
            self._reject("invalid_model_output", "non-finite or out-of-range values", insane,
                         what=f"{insane} pose(s) dropped")
        outgoing = [(self.poses_pub, person_array_cdr(
            msg.header, w, h, self.spec.name, poses, v["min_keypoint_score"]))]
        if (v["publish_markers"] and self.people_3d is None  # with depth: markers in 3D
                and self.markers_pub.get_subscription_count()):
            outgoing.append((self.markers_pub, messages.marker_array(
                msg.header, poses, w, h, self.placer, v["marker_depth"], v["min_keypoint_score"])))
        if v["publish_debug_image"] and self.debug_pub.get_subscription_count():
            outgoing.append((self.debug_pub, rgb_image(
                msg.header, draw(image, poses, v["min_keypoint_score"]))))
        if self.people_3d is not None:
            outgoing += self.people_3d.outgoing(msg.header, poses, w, h, v)
        t5 = time.perf_counter()
        for publisher, out in outgoing:
            publisher.publish(out)
        t6 = time.perf_counter()
        with self._lock:
            for stage, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
                self.stage_s[stage].append(dt)
            self.latency_s.append(time.monotonic() - received)
            self.done_at.append(time.monotonic())
            self.processed += 1

    # -- diagnostics -------------------------------------------------------
    def _publish_diagnostics(self) -> None:
        with self._lock:  # a snapshot: the inference thread adds to these meanwhile
            processed, rejected = self.processed, dict(self.rejected)
            latency, done_at = list(self.latency_s), list(self.done_at)
            stages = {stage: list(samples) for stage, samples in self.stage_s.items()}
        values = {"model": self.spec.name, "backend": self.estimator.backend_name or "not loaded",
                  "frames_processed": str(processed),
                  "frames_dropped_superseded": str(self.slot.dropped),
                  "frames_dropped_transport": self.transport.report(),
                  **{k: str(n) for k, n in self.estimator.counters().items()}}
        if len(done_at) > 1:
            values["rate_hz"] = f"{(len(done_at) - 1) / (done_at[-1] - done_at[0]):.2f}"
        if latency:
            values["latency_ms_median"] = f"{np.median(latency) * 1e3:.2f}"
        for stage, samples in stages.items():
            if samples:
                values[f"{stage}_ms_median"] = f"{np.median(samples) * 1e3:.2f}"
        for cause, n in rejected.items():
            values[f"frames_rejected_{cause}"] = str(n)
        if self.people_3d is not None:
            values.update(self.people_3d.diagnostics())
        status = DiagnosticStatus(
            level=DiagnosticStatus.WARN if rejected else DiagnosticStatus.OK,
            name=f"pose_ros: {self.get_fully_qualified_name()}", hardware_id=values["backend"],
            message="frames rejected" if rejected else "ok",
            values=[KeyValue(key=k, value=val) for k, val in values.items()])
        diag = DiagnosticArray(status=[status])
        diag.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(diag)

    def destroy_node(self) -> None:
        if self._worker is not None:
            self._stop.set()
            self._worker.join(timeout=2.0)
        estimator = getattr(self, "estimator", None)
        if estimator is not None:
            estimator.close()
        super().destroy_node()


def rgb_image(header: Header, rgb: np.ndarray) -> Image:
    h, w = rgb.shape[:2]
    return Image(header=header, height=h, width=w, encoding="rgb8", is_bigendian=0,
                 step=w * 3, data=rgb.tobytes())
