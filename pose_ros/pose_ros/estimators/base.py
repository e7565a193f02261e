"""The one interface every pose estimator implements, and what they share."""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import DTypeLike

from pose_ros.backends import Backend, ModelFiles, create_backend
from pose_ros.backends.shape_profiles import ShapeProfile
from pose_ros.filters.stamp_gap import breaks
from pose_ros.models.locate import model_files
from pose_ros.models.registry import ModelSpec
from pose_ros.transforms import ImageToInput
from pose_ros.types import Pose

#: the camera a model is warmed up for, and its engine tuned for, unless told (the node's
#: camera_sizes, engine build --camera-sizes)
DEFAULT_CAMERA_SIZES = "640x480"

#: makes the backend of a model file for inputs of a profile (TensorRT: the engine's),
#: giving up once the event is set (a TensorRT build stops at its next step)
BackendFactory = Callable[[ModelFiles, ShapeProfile, threading.Event], Backend]


class InvalidModelOutput(ValueError):
    """The backend returned values no model produces (NaN, inf)."""


class EngineBuilding(RuntimeError):
    """No backend serves this frame yet: one is being made off the inference thread (a
    TensorRT engine: minutes), while the current one serves the frames it can; this
    frame is not served."""


class EngineBuildFailed(RuntimeError):
    """Making the backend for this input failed off the inference thread; frames of this
    input are refused with the reason, not built again, until the estimator is closed
    (the node: cleanup, configure)."""


@dataclass
class _PendingBackend:
    """A backend being made off the inference thread."""

    output_stride: int | None
    input_shape: tuple[int, ...]
    made: Future[Backend]
    started: float


def backend_factory(kind: str = "auto", threads: int = 0, precision: str = "fp16",
                    engine_dir: Path | None = None) -> BackendFactory:
    def make(files: ModelFiles, profile: ShapeProfile, cancel: threading.Event) -> Backend:
        return create_backend(kind, files, input_shapes=profile.opt(), profile=profile,
                              engine_dir=engine_dir, threads=threads, precision=precision,
                              cancel=cancel)
    return make


class EstimatorConfig(Protocol):
    """A family's config dataclass: its fields are the options the family takes."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    def inert(self) -> dict[str, str]:
        """The options that do nothing under this configuration, with the reason."""

    def untracked(self) -> str:
        """Why people get no track id ('' where they do)."""

    def validate(self, spec: ModelSpec) -> None:
        """Raise a one-line ValueError for a value ``spec``'s model cannot take."""


def validate_shared(config: EstimatorConfig) -> None:
    """What the families' configs share: a switch is true or false, a number a number,
    a score in [0, 1] and a stamp gap positive (each family checks its own besides)."""
    for f in fields(config):
        value = getattr(config, f.name)
        if isinstance(f.default, bool) and not isinstance(value, bool):
            raise ValueError(f"{f.name} must be true or false, not {value!r}")
        if (isinstance(f.default, (int, float)) and not isinstance(f.default, bool)
                and (isinstance(value, bool) or not isinstance(value, (int, float)))):
            raise ValueError(f"{f.name} must be a number, not {value!r}")
    score = getattr(config, "min_pose_score", 0.0)
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"min_pose_score must be in [0, 1], not {score}")
    gap = getattr(config, "max_gap_s", 1.0)
    if not gap > 0:
        raise ValueError(f"max_gap_s must be positive, not {gap}")


def check_image(image: np.ndarray) -> None:
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[2] == 3 and image.shape[0] > 0 and image.shape[1] > 0):
        got = (f"{image.dtype} array of shape {image.shape}" if isinstance(image, np.ndarray)
               else type(image).__name__)
        raise ValueError(f"expected an RGB uint8 image of shape (H, W, 3), got {got}")


@dataclass
class Prepared:
    """A frame made ready for the model: its input tensor and how it maps back."""

    input: np.ndarray
    transform: ImageToInput
    width: int
    height: int
    #: the source image, kept only when postprocess may run a second pass on it
    image: np.ndarray | None = None


class PoseEstimator(abc.ABC):
    """Image in (RGB uint8, H x W x 3), poses out (source-image pixels).

    ``estimate`` runs three stages that subclasses implement or inherit:
    ``preprocess`` (image -> model input), ``infer`` (backend) and
    ``postprocess`` (tensors -> poses, with temporal state).
    """

    config: EstimatorConfig  # the family's config dataclass (each subclass names its type)

    def __init__(self, spec: ModelSpec, model_dir: Path, make_backend: BackendFactory,
                 config: EstimatorConfig) -> None:
        config.validate(spec)
        self.config = config
        self._buffers = InputBuffers()  # the model input, reused from frame to frame
        self.spec = spec
        self.model_dir = Path(model_dir)
        self._make_backend = make_backend
        # per output stride, the backends made so far (one, unless shapes change
        # beyond what a TensorRT engine's profile serves)
        self._backends: dict[int | None, list[Backend]] = {}
        self.backend_name = ""
        self.backend_reason = ""  # why that backend (backend auto chooses)
        #: camera resolutions (width, height) a new backend's shape profile covers, besides
        #: the frame's own, which joins them: set before the first frame to build one
        #: TensorRT engine for several cameras (the node's camera_sizes, engine build's)
        self.camera_sizes: list[tuple[int, int]] = []
        #: set: a backend being made gives up (a TensorRT build stops at its next step);
        #: close() sets it, a node shares its stop event (Ctrl-C, cleanup)
        self.cancel = threading.Event()
        self._builder: ThreadPoolExecutor | None = None  # made on the first slow build
        self._pending: _PendingBackend | None = None
        #: (stride, input shape) -> why making its backend failed: not retried per frame
        self._failed_builds: dict[tuple[int | None, tuple[int, ...]], str] = {}
        #: how often the stamps broke off and temporal state was forgotten (diagnostics)
        self.temporal_resets = 0
        self._last_stamp: float | None = None
        #: seconds the last ``postprocess`` spent running the model again (MoveNet's
        #: first-frame refinement): a node reports it apart from decoding
        self.second_pass_s = 0.0

    def estimate(self, image: np.ndarray, timestamp: float | None = None) -> list[Pose]:
        """Poses in ``image``; ``timestamp`` (seconds) enables temporal smoothing/tracking."""
        check_image(image)
        prepared = self.preprocess(image, timestamp)
        poses = self.postprocess(self.infer(prepared), prepared, timestamp)
        self.follow()
        return poses

    @abc.abstractmethod
    def input_transform(self, width: int, height: int) -> ImageToInput:
        """How an image of this size maps into the model's input now (MoveNet's: the crop
        it follows)."""

    @abc.abstractmethod
    def preprocess(self, image: np.ndarray, timestamp: float | None = None) -> Prepared: ...

    @abc.abstractmethod
    def postprocess(self, outputs: dict[str, np.ndarray], prepared: Prepared,
                    timestamp: float | None = None) -> list[Pose]: ...

    def infer(self, prepared: Prepared) -> dict[str, np.ndarray]:
        """Run the model; outputs keep their batch dimension. Non-finite outputs
        raise :class:`InvalidModelOutput`: they must not reach decoders or filters."""
        x = prepared.input
        backend = self._backend(x.shape, self._output_stride(), (prepared.width, prepared.height))
        outputs = backend.run({self.spec.input.name: x})
        for name, array in outputs.items():
            if not np.isfinite(array.sum(dtype=np.float64)):  # one pass, no temporary
                raise InvalidModelOutput(f"{self.spec.name}: output {name!r} holds NaN or inf")
        return outputs

    def _output_stride(self) -> int | None:
        return None

    @abc.abstractmethod
    def input_profile(self, camera_sizes: Sequence[tuple[int, int]],
                      output_stride: int | None) -> ShapeProfile:
        """The TensorRT shape profile covering every input this configuration feeds for
        cameras of ``camera_sizes`` ((width, height), the first tuned for), at
        ``output_stride``: an engine built once serves a run-time option's whole range
        and every camera listed."""

    def check_model(self) -> ModelFiles:
        """The model files this estimator will load, verified now rather than at frame one."""
        return model_files(self.spec, self.model_dir, self._output_stride())

    def configure(self, **changes: Any) -> None:
        """Change config fields between frames, validated as the constructor's are (the
        old config stays on error)."""
        config = replace(self.config, **changes)
        config.validate(self.spec)
        old, self.config = self.config, config
        self._reconfigured(old)

    def _reconfigured(self, old: Any) -> None:  # noqa: B027 (optional: nothing to redo)
        """Remake what the config change from ``old`` makes stale (filters, a tracker)."""

    def reset(self) -> None:  # noqa: B027 (optional: a no-op for stateless estimators)
        """Forget temporal state (crop region, filters, tracks)."""

    def follow(self) -> None:  # noqa: B027 (optional: a no-op where nothing is followed)
        """Prepare for the next frame what only it needs (MoveNet's next crop), from the
        poses ``postprocess`` returned (unchanged until then). ``preprocess`` does it
        if it is still to do; a node calls it once the poses are published, so it is
        off their latency."""

    def counters(self) -> dict[str, int]:
        """Events worth watching on a robot, for /diagnostics."""
        return {"temporal_resets": self.temporal_resets}

    def _reset_on_break(self, timestamp: float | None, max_gap_s: float) -> None:
        """Forget every piece of temporal state together when the stamps break off: a
        crop, a track or a filter from another moment aims at the wrong place."""
        if timestamp is None:
            return
        if breaks(self._last_stamp, timestamp, max_gap_s):
            self.reset()
            self.temporal_resets += 1
        self._last_stamp = timestamp

    def warm_up(self, width: int = 640, height: int = 480) -> None:
        """Load the backend and run it once, so the first real frame is not the slow one.
        Frames of this size then use that backend, whichever thread runs them (a node
        warms up on its inference thread all the same: pose_ros.node.pose_node)."""
        self.estimate(np.zeros((height, width, 3), np.uint8))
        self.reset()

    def close(self) -> None:
        self.cancel.set()  # a build under way is abandoned, not waited out
        if self._builder is not None:
            self._builder.shutdown(wait=True)
            self._builder = None
        if self._pending is not None and self._pending.made.exception() is None:
            self._pending.made.result().close()  # finished before it saw the cancel
        self._pending = None
        self._failed_builds.clear()
        for made in self._backends.values():
            for backend in made:
                backend.close()
        self._backends.clear()

    def _backend(self, input_shape: tuple[int, ...], output_stride: int | None,
                 camera_size: tuple[int, int]) -> Backend:
        """The backend for this input shape and stride: the one made for the stride
        that serves the shape (one ONNX Runtime session serves any; a TensorRT engine,
        the shapes of its profile), else a new one, whose profile covers every input
        this configuration feeds for the camera sizes seen (``input_profile``). Each
        backend says what it serves, so no cache key has to guess it before it exists."""
        shapes = {self.spec.input.name: tuple(input_shape)}
        self._adopt_finished_build()
        made = self._backends.setdefault(output_stride, [])
        for backend in made:
            if backend.serves(shapes):  # a stride switched back to: its backend again
                self.backend_name, self.backend_reason = backend.name, backend.reason
                return backend
        if self._pending is not None:  # one build at a time; then this shape's turn
            raise self._building(input_shape)
        failed = self._failed_builds.get((output_stride, tuple(input_shape)))
        if failed is not None:
            raise EngineBuildFailed(f"making the backend for input {tuple(input_shape)} "
                                    f"failed ({failed}); not tried again until the model is "
                                    "loaded anew")
        if camera_size not in self.camera_sizes:
            self.camera_sizes.append(camera_size)
        profile = self.input_profile(
            [camera_size, *(s for s in self.camera_sizes if s != camera_size)], output_stride)
        files = model_files(self.spec, self.model_dir, output_stride)
        if not any(b.slow_to_make for each in self._backends.values() for b in each):
            backend = self._make_backend(files, profile, self.cancel)  # warm-up: wait
            self._add(output_stride, backend)
            return backend
        # serving already: minutes of engine build must not stall the frames the current
        # backend serves, so it is made on a thread of its own
        if self._builder is None:
            self._builder = ThreadPoolExecutor(1, thread_name_prefix="pose_backend_build")
        self._pending = _PendingBackend(
            output_stride, tuple(input_shape),
            self._builder.submit(self._make_backend, files, profile, self.cancel),
            time.monotonic())
        raise self._building(input_shape)

    def _building(self, input_shape: tuple[int, ...]) -> EngineBuilding:
        assert self._pending is not None
        return EngineBuilding(
            f"a backend for input {self._pending.input_shape} is being made off the inference "
            f"thread ({time.monotonic() - self._pending.started:.0f} s so far); input "
            f"{tuple(input_shape)} is served once it is ready")

    def _adopt_finished_build(self) -> None:
        """A backend made off the thread, once ready, serves from now on (before the
        older ones: its profile covers their cameras too), and those it serves every
        shape of are closed (an engine's GPU memory, which a Jetson shares with the
        CPU, is not held for nothing). A failed build is remembered,
        and its input refused with the reason (``_backend``): minutes of build are not
        spent again on every later frame of that input."""
        if self._pending is None or not self._pending.made.done():
            return
        pending, self._pending = self._pending, None
        error = pending.made.exception()
        if error is not None:  # e.g. an engine that does not fit the GPU's memory
            self._failed_builds[(pending.output_stride, pending.input_shape)] = \
                f"{type(error).__name__}: {error}"
            return
        backend = pending.made.result()
        made = self._backends.setdefault(pending.output_stride, [])
        for old in [b for b in made if backend.supersedes(b)]:
            made.remove(old)
            old.close()
        self._add(pending.output_stride, backend, first=True)

    def _add(self, output_stride: int | None, backend: Backend, first: bool = False) -> None:
        self.backend_name, self.backend_reason = backend.name, backend.reason
        made = self._backends.setdefault(output_stride, [])
        made.insert(0 if first else len(made), backend)

    @staticmethod
    def _to_image(poses: list[Pose], transform: ImageToInput) -> list[Pose]:
        for pose in poses:
            pose.xy = transform.to_image(pose.xy).astype(np.float32)
            if pose.box is not None:
                pose.box = transform.to_image(pose.box.reshape(2, 2)).reshape(4).astype(np.float32)
        return poses


class InputBuffers:
    """Reused buffers for the warped image and the model input (no per-frame allocation)."""

    def __init__(self) -> None:
        self._warped: np.ndarray | None = None
        self._model: dict[tuple, np.ndarray] = {}

    def warp(self, transform: ImageToInput, image: np.ndarray) -> np.ndarray:
        shape = (transform.input_height, transform.input_width, 3)
        if self._warped is None or self._warped.shape != shape:
            self._warped = np.empty(shape, np.uint8)
        return transform.warp(image, out=self._warped)

    def int32_input(self, transform: ImageToInput, image: np.ndarray) -> np.ndarray:
        """The warped image as the (1, H, W, 3) int32 pixels MoveNet takes."""
        warped = self.warp(transform, image)
        x = self.model_input((1, *warped.shape), np.int32)
        np.copyto(x[0], warped)
        return x

    def model_input(self, shape: tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
        key = (shape, np.dtype(dtype).str)
        if key not in self._model:
            self._model[key] = np.empty(shape, dtype)
        return self._model[key]
