"""The pose_estimator node: camera images in, poses, markers and an annotated image out.

Thin over the inference core: the subscription drops each frame into a one-frame
mailbox; an inference thread takes the newest, runs the estimator and publishes.

A managed (lifecycle) node: ``configure`` checks the parameters and loads and warms
up the model, ``activate`` subscribes to the camera and opens the outputs,
``deactivate`` unsubscribes (the model stays loaded), ``cleanup`` frees the model,
``shutdown`` works from every state. A transition that fails returns FAILURE with
one line in the log saying why. ``autostart`` (the default) configures and
activates at start, as an unmanaged node would run.

Two threads: the executor's (callbacks, timers, services, transitions) and the
inference thread, which lives from configure to cleanup: it makes, warms up, runs
and closes the estimator, so a backend is only ever used in the thread that made it
(a CUDA context is current per thread). Everything both touch goes through
``self._lock``: the executor only queues work for the inference thread (parameter
changes, a reset) and reads snapshots of its counters.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import SetParametersResult
from rclpy.lifecycle import (
    LifecycleNode,
    LifecyclePublisher,
    LifecycleState,
    TransitionCallbackReturn,
)
from rclpy.parameter import Parameter
from rclpy.subscription import Subscription
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header
from std_srvs.srv import SetBool
from visualization_msgs.msg import MarkerArray

from pose_ros.api import create_estimator
from pose_ros.backends import backend_usable
from pose_ros.command_line import parse_sizes
from pose_ros.depth.camera import Intrinsics
from pose_ros.drawing import draw
from pose_ros.estimators.base import (
    EngineBuildFailed,
    EngineBuilding,
    InvalidModelOutput,
    PoseEstimator,
)
from pose_ros.frame_buffers import release_free_memory
from pose_ros.models.locate import ModelNotFoundError, model_files
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
from pose_ros.node.parameters import (
    BY_NAME,
    PARAMS,
    check,
    conflict,
    descriptor,
    estimator_options,
    ignored,
)
from pose_ros.node.people_3d import People3D
from pose_ros.node.qos import LATCHED, camera_qos
from pose_ros.node.rclpy_features import (
    CALLBACK_GETS_MESSAGE_INFO,
    refuse_unavailable_transitions,
)
from pose_ros.node.transport_losses import TransportLosses
from pose_ros.output_sanity import sane_poses
from pose_ros_msgs.msg import PersonArray, Skeleton

NODE_NAME = "pose_estimator"
LOG_EVERY_S = 5.0
WORKER_STOP_S = 10.0  # a frame takes well under a second; longer is a hang
STATUS_WINDOW_S = 5.0  # /diagnostics: the rate, recent rejections and a silent camera
# depth: the 3D outputs, after the others (their pairing may wait for the depth image)
# refine: MoveNet's second pass on a first frame (or a still), timed apart from decode
STAGES = ("convert", "preprocess", "inference", "decode", "refine", "build", "publish",
          "depth")


class StartFailed(RuntimeError):
    """autostart's configure or activate failed (the reason is in the log and here)."""


class PoseNode(LifecycleNode):
    # made at configure, used and closed by the inference thread, gone after cleanup
    estimator: PoseEstimator | None = None
    _worker: threading.Thread | None = None
    # made with the model, at configure: a node that advertises poses can serve them
    poses_pub: LifecyclePublisher
    markers_pub: LifecyclePublisher
    debug_pub: LifecyclePublisher
    # depth:=true: the 3D people (node/people_3d.py), made at configure
    people_3d: People3D[LifecyclePublisher] | None = None

    def __init__(self, namespace: str = "") -> None:
        # a camera's namespace (--cameras) is this node's own remap: the process's (__ns,
        # which launch always passes) would otherwise put every camera's node at one name
        super().__init__(NODE_NAME, cli_args=(["--ros-args", "-r", f"__ns:={namespace}"]
                                              if namespace else None))
        refuse_unavailable_transitions(self)
        for p in PARAMS:
            self.declare_parameter(p.name, p.default, descriptor(p))
        self.values = self._parameter_values()
        self.state = "unconfigured"  # the lifecycle state, as /diagnostics reports it
        self._pending: dict[str, object] = {}
        self._reset_pending = False
        self._lock = threading.Lock()
        # the outputs are open (active): a frame in flight as the node deactivates publishes
        # before the markers are cleared or not at all, never after
        self._publish_lock = threading.Lock()
        self._publishing = False
        self._stop = threading.Event()
        self.failure = ""  # why the last transition failed
        self.add_on_set_parameters_callback(self._on_set_parameters)

        self._outputs: list[LifecyclePublisher] = []
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_publisher(Skeleton, "skeleton", LATCHED).publish(messages.skeleton_message())
        self.placer = messages.MarkerPlacer()

        self.slot = LatestFrame()
        self.transport = TransportLosses(message_info=CALLBACK_GETS_MESSAGE_INFO)
        self.rejected: Counter[str] = Counter()
        self._logged_at: dict[str, float] = {}  # one entry per cause: a fixed, small set
        self.processed = 0
        self.stage_s: dict[str, deque] = {s: deque(maxlen=200) for s in STAGES}
        self.latency_s: deque = deque(maxlen=200)
        self.done_at: deque = deque(maxlen=1024)  # STATUS_WINDOW_S at up to 200 Hz
        self._rejected_at = -math.inf  # when a frame was last rejected
        self._active_since = self._heard_at = -math.inf  # activated; camera last heard
        self._image_sub: Subscription | None = None
        self._info_sub: Subscription | None = None
        self.create_service(SetBool, "~/enable", self._on_enable)
        self.create_timer(1.0, self._publish_diagnostics)
        if self.values["autostart"]:
            for step in (self.trigger_configure, self.trigger_activate):
                if step() != TransitionCallbackReturn.SUCCESS:
                    raise StartFailed(self.failure)
        else:
            self.get_logger().info("unconfigured (autostart is false): waiting for "
                                   f"ros2 lifecycle set {self.get_fully_qualified_name()} "
                                   "configure")

    def _parameter_values(self) -> dict[str, Any]:
        return {p.name: self.get_parameter(p.name).value for p in PARAMS}

    # -- lifecycle ---------------------------------------------------------
    def _transition(self, name: str, step: Callable[[], None],
                    reaches: str) -> TransitionCallbackReturn:
        """Run ``step``; any error is FAILURE with one log line, never a traceback
        (rclpy would turn an exception into ERROR and log nothing on Humble)."""
        try:
            step()
        except Exception as e:
            # a bad value, a missing file, an unwritable folder: the message says it all
            expected = isinstance(e, (ValueError, OSError))
            self.failure = f"{name} failed: {e if expected else f'{type(e).__name__}: {e}'}"
            self.get_logger().error(self.failure)
            return TransitionCallbackReturn.FAILURE
        self.state = reaches
        self.get_logger().info(f"{name}: now {reaches}")
        return TransitionCallbackReturn.SUCCESS

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        return self._transition("configure", self._configure, "inactive")

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        return self._transition("activate", lambda: self._activate(state), "active")

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        return self._transition("deactivate", lambda: self._deactivate(state), "inactive")

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        return self._transition("cleanup", self._cleanup, "unconfigured")

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        return self._transition("shutdown", lambda: self._release(state), "finalized")

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        # back to unconfigured with nothing held, whatever was half done
        return self._transition("error recovery", lambda: self._release(state), "unconfigured")

    def _release(self, state: LifecycleState) -> None:
        """Whatever the state: unsubscribed, outputs closed, model freed."""
        self._deactivate(state)
        self._cleanup()

    def _configure(self) -> None:
        """Check the parameters, then load and warm up the model on a new inference
        thread; returns once it is ready (a TensorRT engine may take minutes)."""
        self.values = self._parameter_values()
        for name, value in self.values.items():
            reason = check(name, value, running=False)
            if reason:
                raise ValueError(f"parameter {reason}")
        reason = conflict(self.values)
        if reason:
            raise ValueError(f"parameters: {reason}")
        self.spec = model_spec(self.values["model"])
        for name, reason in ignored(self.spec.name, self.values).items():
            if self.values[name] != BY_NAME[name].default:  # set on purpose, to no effect
                self.get_logger().warning(f"{name}={self.values[name]!r} does nothing: {reason}")
        loaded: Future[PoseEstimator] = Future()
        self._stop.clear()
        self._worker = threading.Thread(target=self._work, args=(loaded,),
                                        name="pose_inference", daemon=True)
        self._worker.start()
        try:
            estimator = self.estimator = loaded.result()  # a loading error raises here
        except BaseException:
            # a stop signal: the process must not end with the thread inside the
            # backend's native code (an abort); the thread closes what it loaded
            self._stop.set()
            self._worker.join()
            raise
        # managed: they publish only while the node is active
        self.poses_pub = self.create_lifecycle_publisher(PersonArray, "poses", 10)
        self.markers_pub = self.create_lifecycle_publisher(MarkerArray, "markers", 10)
        self.debug_pub = self.create_lifecycle_publisher(Image, "debug_image",
                                                         camera_qos("reliable", 1))
        self._outputs = [self.poses_pub, self.markers_pub, self.debug_pub]
        if self.values["depth"]:
            self.people_3d = People3D(self, self.spec.name, self.markers_pub,
                                      self.create_lifecycle_publisher)
            self._outputs += self.people_3d.publishers
        self.get_logger().info(f"{self.spec.name} loaded: backend {estimator.backend_name} "
                               f"({estimator.backend_reason})")

    def _directory(self, name: str) -> Path | None:
        """A folder parameter, None when empty; a launch or params file may give '~/...',
        which no shell expanded."""
        value = self.values[name]
        return Path(value).expanduser() if value else None

    def _model_dir(self) -> Path:
        return self._directory("model_dir") or default_model_dir()

    def _load(self) -> PoseEstimator:
        """On the inference thread: the estimator, its model checked and backend warm."""
        estimator = create_estimator(
            self.spec.name, backend=self.values["backend"], model_dir=self._model_dir(),
            threads=self.values["threads"], engine_dir=self._directory("engine_dir"),
            **estimator_options(self.spec.family, self.values))
        # the node's stop (cleanup, shutdown, Ctrl-C) stops an engine build under way;
        # the estimator sets it too as it closes, when the thread ends all the same
        estimator.cancel = self._stop
        estimator.camera_sizes = parse_sizes(self.values["camera_sizes"])  # checked
        try:
            estimator.check_model()  # a missing or modified model fails now, not at frame 1
            # the backend loads now, not while the first frames wait
            estimator.warm_up(*estimator.camera_sizes[0])
        except BaseException:
            estimator.close()
            raise
        return estimator

    def _activate(self, state: LifecycleState) -> None:
        if self._worker is None or not self._worker.is_alive():  # after a cleanup that
            # timed out the thread ended with its frame: active, the node would serve nothing
            raise RuntimeError("the inference thread has ended: clean up, then configure")
        if super().on_activate(state) != TransitionCallbackReturn.SUCCESS:
            raise RuntimeError("the managed publishers did not activate")
        with self._publish_lock:
            self._publishing = True
        self._subscribe()
        self._active_since = self._heard_at = time.monotonic()  # silent from now: reported
        topic = "image/compressed" if self.values["use_compressed"] else "image"
        self.get_logger().info(f"{self.spec.name} ready; listening on {topic}")

    def _deactivate(self, state: LifecycleState) -> None:
        self._unsubscribe()
        with self._publish_lock:  # cleared and closed at once: no frame in between
            if self._publishing:
                self.markers_pub.publish(messages.delete_all())
            self._publishing = False
        super().on_deactivate(state)

    def _publish_all(self, outgoing: list[tuple[Any, Any]]) -> bool:
        """Publish ``outgoing`` while the node is active; False once it is not."""
        with self._publish_lock:
            if not self._publishing:
                return False
            for publisher, out in outgoing:
                publisher.publish(out)
            return True

    def _unsubscribe(self) -> None:
        for sub in (self._image_sub, self._info_sub):
            if sub is not None:
                self.destroy_subscription(sub)
        self._image_sub = self._info_sub = None
        self.transport.forget_publishers()
        if self.people_3d is not None:
            self.people_3d.unsubscribe()
        self.slot.take(timeout=0.0)  # a frame taken before the unsubscribe is not served
        with self._lock:  # the inference thread resets between frames, never mid-frame
            self._reset_pending = True

    def _cleanup(self) -> None:
        """Stop the inference thread, which closes the estimator, and give the memory
        back to the system."""
        if self._worker is not None:
            self._stop.set()
            self._worker.join(timeout=WORKER_STOP_S)
            if self._worker.is_alive():
                raise RuntimeError(f"the inference thread did not stop in {WORKER_STOP_S:g} s")
            self._worker = None
        self.estimator = self.people_3d = None
        for publisher in self._outputs:
            self.destroy_lifecycle_publisher(publisher)
        self._outputs = []
        with self._lock:
            self._pending.clear()
        gc.collect()  # what reference cycles in the estimator held goes now, not later
        release_free_memory()

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
        if self.people_3d is not None:  # it places the markers, from its own camera_info
            self.people_3d.subscribe(qos)
        else:
            self._info_sub = self.create_subscription(CameraInfo, "camera_info",
                                                      self._on_camera_info,
                                                      camera_qos("best_effort", 1))

    def _on_image(self, data: bytes, compressed: bool) -> None:
        self._heard_at = now = time.monotonic()
        self.slot.put((data, compressed, now))

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            self.placer.intrinsics = Intrinsics.from_k(msg.k, msg.width, msg.height)
        except ValueError as e:  # the markers keep what they had
            self.get_logger().warning(f"camera_info ignored for the markers: {e}",
                                      throttle_duration_sec=LOG_EVERY_S)

    def _on_enable(self, request: SetBool.Request,
                   response: SetBool.Response) -> SetBool.Response:
        """Shorthand for the activate and deactivate transitions."""
        wanted = "active" if request.data else "inactive"
        if self.state in ("active", "inactive") and self.state != wanted:
            step = self.trigger_activate if request.data else self.trigger_deactivate
            response.success = step() == TransitionCallbackReturn.SUCCESS
        else:
            response.success = self.state == wanted
        if not response.success:
            response.message = (f"the node is {self.state}: "
                                f"{'configure it first' if request.data else 'not active'}")
        else:
            response.message = ("enabled" if request.data
                                else "disabled: not subscribed to the camera")
        return response

    # -- parameters --------------------------------------------------------
    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        configured = self.estimator is not None
        for p in params:
            reason = check(p.name, p.value, running=configured)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        if not configured:  # configure reads them all
            return SetParametersResult(successful=True)
        changes = {p.name: p.value for p in params}
        with self._lock:
            merged = {**self.values, **self._pending, **changes}
        inert = ignored(self.spec.name, merged)
        useless = sorted(changes.keys() & inert.keys())
        if useless:  # never accepted silently: say why it would not change a thing
            name = useless[0]
            return SetParametersResult(successful=False,
                                       reason=f"{name} does nothing here: {inert[name]}")
        reason = conflict(merged)
        if reason:
            return SetParametersResult(successful=False, reason=reason)
        if "output_stride" in changes:  # PoseNet's strides are files of their own
            problem = self._stride_problem(changes["output_stride"])
            if problem:
                return SetParametersResult(successful=False, reason=problem)
        with self._lock:
            self._pending.update(changes)
        return SetParametersResult(successful=True)

    def _stride_problem(self, output_stride: int) -> str | None:
        """Why this node's backend could not serve PoseNet at ``output_stride`` (its
        model file missing, or LiteRT asked for and none made for it); None if it can."""
        try:
            files = model_files(self.spec, self._model_dir(), output_stride)
        except ModelNotFoundError as e:
            return str(e)
        kind = self.values["backend"]
        usable, why = backend_usable(kind, files) if kind != "auto" else (True, "")
        return None if usable else f"output_stride {output_stride}: backend {kind}: {why}"

    def _apply_pending(self, estimator: PoseEstimator) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            reset, self._reset_pending = self._reset_pending, False
            self.values.update(pending)  # read by the executor's parameter callback
        if pending.get("publish_markers") is False:  # its skeletons out of RViz now
            self._publish_all([(self.markers_pub, messages.delete_all())])
        if reset:
            estimator.reset()
        changes = estimator_options(self.spec.family, pending)
        if changes:
            estimator.configure(**changes)

    # -- inference ---------------------------------------------------------
    def _work(self, loaded: Future[PoseEstimator]) -> None:
        """The inference thread, from configure to cleanup: loads the estimator (the
        outcome goes to ``loaded``), serves frames, and closes it."""
        try:
            estimator = self._load()
        except Exception as e:
            loaded.set_exception(e)
            return
        loaded.set_result(estimator)
        try:
            while not self._stop.is_set():
                item = self.slot.take(timeout=0.1)
                try:
                    self._apply_pending(estimator)
                    if item is not None:
                        self._process(estimator, *item)
                except Exception as e:  # one bad frame must never stop the inference thread
                    if not self.context.ok():
                        return  # a stop signal shut the context down under this frame
                    self._reject("frame_error", f"{type(e).__name__}: {e}",
                                 what="frame failed", error=True)
        finally:
            estimator.close()

    def _reject(self, cause: str, detail: str, count: int = 1, what: str = "frame skipped",
                error: bool = False) -> None:
        """Count a frame (or poses) not served; log it at most every LOG_EVERY_S per
        cause. ``error``: a fault of the node rather than of its input."""
        now = time.monotonic()
        with self._lock:
            self.rejected[cause] += count
            so_far = self.rejected[cause]
            self._rejected_at = now
        if now - self._logged_at.get(cause, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged_at[cause] = now
            text = f"{what} ({cause}): {detail} [{so_far} so far]"
            # One call site per severity: rclpy's logger refuses a severity change at a
            # call site (ValueError), which here would end the inference thread.
            if error:
                self.get_logger().error(text)
            else:
                self.get_logger().warning(text)

    def _process(self, estimator: PoseEstimator, data: bytes, compressed: bool,
                 received: float) -> None:
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
            prepared = estimator.preprocess(image, timestamp)
            t2 = time.perf_counter()
            outputs = estimator.infer(prepared)
            t3 = time.perf_counter()
            poses = estimator.postprocess(outputs, prepared, timestamp)
        except InvalidModelOutput as e:
            self._reject("invalid_model_output", str(e))
            return
        except EngineBuilding as e:  # a new camera size or stride: served once built
            self._reject("engine_building", str(e))
            return
        except EngineBuildFailed as e:
            self._reject("engine_build_failed", str(e))
            return
        except Exception as e:  # a backend failure on one frame must not stop the node
            self._reject("inference_error", f"{type(e).__name__}: {e}")
            return
        t4 = time.perf_counter()
        h, w = image.shape[:2]
        poses, insane = sane_poses(poses, w, h)
        # PersonArray's order; PoseNet's decoding, as the reference's, yields them in the
        # order their root parts scored
        poses.sort(key=lambda p: p.score, reverse=True)
        if insane:
            self._reject("invalid_model_output", "non-finite or out-of-range values", insane,
                         what=f"{insane} pose(s) dropped")
        outgoing = [(self.poses_pub, person_array_cdr(
            msg.header, w, h, self.spec.name, poses, v["min_keypoint_score"]))]
        if (v["publish_markers"] and self.people_3d is None  # with depth: markers in 3D
                and self.markers_pub.get_subscription_count()):
            outgoing.append((self.markers_pub, messages.marker_array(
                msg.header, poses, w, h, self.placer, v["marker_depth"], v["min_keypoint_score"],
                v["marker_lifetime"])))
        if v["publish_debug_image"] and self.debug_pub.get_subscription_count():
            outgoing.append((self.debug_pub, rgb_image(
                msg.header, draw(image, poses, v["min_keypoint_score"]))))
        t5 = time.perf_counter()
        if not self._publish_all(outgoing):
            return  # deactivated under this frame
        t6 = time.perf_counter()
        served_at = time.monotonic()  # latency and rate: of the poses, not the 3D after them
        refine = estimator.second_pass_s
        stage_s = [t1 - t0, t2 - t1, t3 - t2, t4 - t3 - refine, refine, t5 - t4, t6 - t5]
        if self.people_3d is not None:
            try:
                self._publish_all(self.people_3d.outgoing(msg.header, poses, w, h, v))
            except Exception as e:  # the poses are out: a fault in 3D costs the 3D alone
                self._reject("depth_error", f"{type(e).__name__}: {e}",
                             what="3D outputs failed", error=True)
            stage_s.append(time.perf_counter() - t6)
        with self._lock:
            for stage, dt in zip(STAGES, stage_s):
                self.stage_s[stage].append(dt)
            self.latency_s.append(served_at - received)
            self.done_at.append(served_at)
            self.processed += 1
        estimator.follow()  # the next frame's crop, once this one's poses are out

    # -- diagnostics -------------------------------------------------------
    def _publish_diagnostics(self) -> None:
        diag = DiagnosticArray(status=[self.diagnostic_status(time.monotonic())])
        diag.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(diag)

    def diagnostic_status(self, now: float) -> DiagnosticStatus:
        """The node's status at monotonic time ``now``: counters since start, medians of
        the last frames, and the rate and warnings of the last STATUS_WINDOW_S."""
        with self._lock:  # a snapshot: the inference thread adds to these meanwhile
            processed, rejected = self.processed, dict(self.rejected)
            latency, done_at = list(self.latency_s), list(self.done_at)
            stages = {stage: list(samples) for stage, samples in self.stage_s.items()}
            rejected_at = self._rejected_at
        estimator = self.estimator
        values = {"model": self.values["model"], "lifecycle_state": self.state,
                  "backend": estimator.backend_name if estimator else "not loaded",
                  "frames_processed": str(processed),
                  "frames_dropped_superseded": str(self.slot.dropped),
                  "frames_dropped_transport": self.transport.report(),
                  **{k: str(n) for k, n in (estimator.counters() if estimator else {}).items()}}
        active = self.state == "active"
        if active:  # over the window (or since activation): a camera gone quiet reads 0
            since = max(now - STATUS_WINDOW_S, self._active_since)
            served = sum(t > since for t in done_at)
            values["rate_hz"] = f"{served / max(now - since, 1e-3):.2f}"
        if latency:
            values["latency_ms_median"] = f"{np.median(latency) * 1e3:.2f}"
        for stage, samples in stages.items():
            if samples:
                values[f"{stage}_ms_median"] = f"{np.median(samples) * 1e3:.2f}"
        for cause, n in rejected.items():
            values[f"frames_rejected_{cause}"] = str(n)
        people_3d = self.people_3d
        if people_3d is not None:
            values.update(people_3d.diagnostics())
        problems = []
        if now - rejected_at < STATUS_WINDOW_S:
            problems.append(f"frames rejected in the last {STATUS_WINDOW_S:g} s")
        if active and now - self._heard_at >= STATUS_WINDOW_S:
            problems.append(f"no camera frames for {now - self._heard_at:.0f} s")
        return DiagnosticStatus(
            level=DiagnosticStatus.WARN if problems else DiagnosticStatus.OK,
            name=f"pose_ros: {self.get_fully_qualified_name()}", hardware_id=values["backend"],
            message="; ".join(problems) or "ok",
            values=[KeyValue(key=k, value=val) for k, val in values.items()])

    def destroy_node(self) -> None:
        if self._worker is not None:  # it closes the estimator as it ends
            self._stop.set()
            self._worker.join(timeout=WORKER_STOP_S)
        super().destroy_node()


def rgb_image(header: Header, rgb: np.ndarray) -> Image:
    h, w = rgb.shape[:2]
    return Image(header=header, height=h, width=w, encoding="rgb8", is_bigendian=0,
                 step=w * 3, data=rgb.tobytes())
