"""TensorRT: the edge-GPU path (Jetson), engines built from the ONNX models.

Written against NVIDIA's TensorRT Python API, versions 10 (JetPack 6.1 and later) and 11;
an older one (JetPack 6.0's 8.6, where the ONNX parser needs an explicit-batch flag this
code does not set) is refused as unusable with that reason, so ``auto`` goes on to the
next backend:
- engines are built with explicit shapes and one optimisation profile covering
  the input sizes the estimator will feed, with a timing cache beside the engine;
- an engine is cached under a key of the ONNX model's hash, TensorRT version,
  GPU name, precision and shape profile, with those in a metadata file beside it,
  and loaded instead of rebuilt when its SHA-256 sidecar matches and its metadata
  names the running TensorRT and GPU (``engine_cache``);
- inference uses named I/O tensors (``set_input_shape``, ``set_tensor_address``,
  ``execute_async_v3``) on a CUDA stream with page-locked host buffers;
- FP16: TensorRT 10 takes the FP16 builder flag; TensorRT 11 dropped it for
  strongly typed networks, so there the ONNX graph itself is converted to FP16
  (inputs and outputs keep their types) and the network is strongly typed.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pose_ros.backends.base import Backend, TensorInfo
from pose_ros.backends.build_progress import BuildCancelled, BuildProgress
from pose_ros.backends.engine_cache import (
    EngineIdentity,
    EngineMetadata,
    load_engine,
    store_engine,
    writable_engine_dir,
)
from pose_ros.backends.shape_profiles import ShapeProfile
from pose_ros.progress import say

if TYPE_CHECKING:  # the stubs' types; at run time TensorRT is imported where used
    import tensorrt

PRECISIONS = ("fp32", "fp16")
MIN_MAJOR_VERSION = 10


def major_version(version: str) -> int:
    return int(version.split(".")[0])


def version_problem(version: str) -> str | None:
    """Why TensorRT ``version`` cannot serve, or None where it can."""
    if major_version(version) < MIN_MAJOR_VERSION:
        return (f"TensorRT {version} is older than {MIN_MAJOR_VERSION}, which this backend "
                "needs (JetPack 6.1 and later ship it)")
    return None


def tensorrt_available() -> tuple[bool, str]:
    """(usable, why): TensorRT (10 or newer) and pycuda importable and a CUDA GPU present."""
    try:
        import tensorrt
    except ImportError:
        return False, "TensorRT is not installed (it comes with JetPack / NVIDIA's wheels)"
    too_old = version_problem(tensorrt.__version__)
    if too_old:
        return False, too_old
    try:
        import pycuda.driver as cuda

        cuda.init()
        if cuda.Device.count() == 0:
            return False, "no CUDA GPU is present"
    except ImportError:
        return False, "pycuda is not installed (pip install pycuda)"
    except Exception as e:  # pycuda raises its own LogicError/RuntimeError without a driver
        return False, f"CUDA is not usable: {e}"
    return True, f"TensorRT {tensorrt.__version__} with a CUDA GPU"


def fp16_onnx(onnx_bytes: bytes) -> bytes:
    """The ONNX graph in FP16 with FP32 inputs and outputs (for TensorRT 11)."""
    import onnx
    from onnxconverter_common import float16  # only needed on this path

    model = float16.convert_float_to_float16(onnx.load_from_string(onnx_bytes),
                                             keep_io_types=True)
    return model.SerializeToString()


def engine_identity(onnx_path: Path, onnx_bytes: bytes, precision: str,
                    profile: ShapeProfile, gpu_name: str) -> EngineIdentity:
    import tensorrt as trt

    return EngineIdentity(onnx_path.stem, hashlib.sha256(onnx_bytes).hexdigest(),
                          trt.__version__, gpu_name, precision, profile)


def build_engine(onnx_bytes: bytes, precision: str, profile: ShapeProfile,
                 timing_cache: Path, cancel: threading.Event | None = None) -> bytes:
    """Build a serialized engine, showing the builder's progress; once ``cancel`` is
    set, TensorRT abandons it at its next step and :class:`BuildCancelled` is raised."""
    import tensorrt as trt

    major = major_version(trt.__version__)
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if precision == "fp16" and major >= 11:
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
        onnx_bytes = fp16_onnx(onnx_bytes)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_bytes):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT could not parse the ONNX model: {errors}")
    config = builder.create_builder_config()
    if precision == "fp16" and major < 11:
        config.set_flag(trt.BuilderFlag.FP16)
    opt_profile = builder.create_optimization_profile()
    for name, shapes in profile.shapes.items():
        opt_profile.set_shape(name, *(trt.Dims(list(shape)) for shape in shapes))
    config.add_optimization_profile(opt_profile)
    cache = config.create_timing_cache(timing_cache.read_bytes() if timing_cache.exists() else b"")
    if not config.set_timing_cache(cache, ignore_mismatch=False):
        # made by another TensorRT or GPU (a JetPack upgrade): start a new one, or this
        # config has no cache to save after the build
        say(f"{timing_cache.name} is from another TensorRT or GPU: timing afresh")
        config.set_timing_cache(config.create_timing_cache(b""), ignore_mismatch=False)
    progress = BuildProgress(cancel)
    config.progress_monitor = _progress_monitor(progress)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None and progress.cancel.is_set():
        raise BuildCancelled(f"TensorRT engine build stopped after {progress.elapsed():.0f} s, "
                             "as asked")
    if serialized is None:
        raise RuntimeError("TensorRT failed to build the engine (see its log above)")
    timing_cache.write_bytes(memoryview(config.get_timing_cache().serialize()))
    say(f"engine built in {progress.elapsed():.0f} s")
    return bytes(serialized)


def _progress_monitor(progress: BuildProgress) -> tensorrt.IProgressMonitor:
    """TensorRT's IProgressMonitor, forwarding to ``progress`` (tested without TensorRT:
    test_build_progress.py); the forwarding itself runs only where TensorRT does."""
    import tensorrt as trt

    class Monitor(trt.IProgressMonitor):
        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)

        def phase_start(self, phase_name: str, parent_phase: str | None,
                        num_steps: int) -> None:
            progress.phase_start(phase_name, parent_phase, num_steps)

        def step_complete(self, phase_name: str, step: int) -> bool:
            return progress.step_complete(phase_name, step)

        def phase_finish(self, phase_name: str) -> None:
            progress.phase_finish(phase_name)

    return Monitor()


class TensorRTBackend(Backend):
    name = "tensorrt"
    slow_to_make = True  # an engine not in the cache takes minutes to build

    def __init__(self, onnx_path: Path, engine_dir: Path, profile: ShapeProfile,
                 precision: str = "fp16", device: int = 0,
                 cancel: threading.Event | None = None) -> None:
        from pose_ros.backends.cuda_buffers import CudaContext

        self.profile = profile
        self._cuda = CudaContext(device)
        try:
            with self._cuda.current():
                self._load(onnx_path, engine_dir, profile, precision, cancel)
        except BaseException:
            self._cuda.close()  # a failed or cancelled build leaves no context behind
            raise

    def _load(self, onnx_path: Path, engine_dir: Path, profile: ShapeProfile,
              precision: str, cancel: threading.Event | None) -> None:
        import tensorrt as trt

        onnx_bytes = onnx_path.read_bytes()
        identity = engine_identity(onnx_path, onnx_bytes, precision, profile,
                                   self._cuda.device_name)
        engine_dir = writable_engine_dir(engine_dir)  # now, not after a build of minutes
        self.engine_path = engine_dir / identity.file_name()
        serialized = load_engine(self.engine_path, engine_dir, identity)
        if serialized is not None:
            say(f"loading cached TensorRT engine {self.engine_path}")
        else:
            say(f"building a TensorRT {precision} engine for {onnx_path.name}, profile "
                f"{profile.describe()} (minutes on a Jetson, once; cached as "
                f"{self.engine_path.name})")
            start = time.monotonic()
            serialized = build_engine(onnx_bytes, precision, profile,
                                      engine_dir / f"{onnx_path.stem}.timing.cache", cancel)
            store_engine(self.engine_path, serialized, EngineMetadata(
                identity, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                round(time.monotonic() - start, 1)))
        self._runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self._engine = self._runtime.deserialize_cuda_engine(serialized)
        self._context = self._engine.create_execution_context()
        self._inputs, self._outputs = [], []
        for i in range(self._engine.num_io_tensors):
            name = self._engine.get_tensor_name(i)
            info = TensorInfo(name, np.dtype(trt.nptype(self._engine.get_tensor_dtype(name))),
                              self._engine.get_tensor_shape(name)[:])
            is_input = self._engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
            (self._inputs if is_input else self._outputs).append(info)

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        # the context is made current for each call: whichever thread calls, the
        # engine runs in the context that holds it (pycuda's is per thread)
        with self._cuda.current():
            return self._run(feeds)

    def _run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for info in self._inputs:
            array = feeds[info.name]
            self._context.set_input_shape(info.name, array.shape)
            host, address = self._cuda.buffer(info.name, array.shape, info.dtype)
            np.copyto(host, array, casting="same_kind")
            self._cuda.to_device(info.name, host)
            self._context.set_tensor_address(info.name, address)
        results = {}
        for info in self._outputs:
            shape: tuple[int, ...] = self._context.get_tensor_shape(info.name)[:]
            host, address = self._cuda.buffer(info.name, shape, info.dtype)
            self._context.set_tensor_address(info.name, address)
            results[info.name] = host
        if not self._context.execute_async_v3(self._cuda.stream.handle):
            raise RuntimeError("TensorRT execution failed")
        for name, host in results.items():
            self._cuda.to_host(name, host)
        self._cuda.synchronize()
        return {name: host.copy() for name, host in results.items()}

    def close(self) -> None:
        with self._cuda.current():  # the engine's GPU memory is freed in its context
            del self._context, self._engine
        self._cuda.close()
