"""Inference backends behind one interface (:class:`~pose_ros.backends.base.Backend`).

``create_backend("auto", ...)`` picks, in this order, the first that can run here:
TensorRT (installed, with a CUDA GPU), ONNX Runtime's CUDA provider (``cuda``:
onnxruntime-gpu with a CUDA GPU), then on the CPU the backend measured fastest for
the model (LiteRT or ONNX Runtime, ``cpu_backend`` in the model registry) where it
can run it, else ONNX Runtime; and says which and why. A backend asked for by name
that cannot run here is refused with the reason.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pose_ros.backends.base import Backend, BackendUnavailable, ModelFiles, TensorInfo
from pose_ros.backends.shape_profiles import ShapeProfile

BACKENDS = ("auto", "onnxruntime", "litert", "cuda", "tensorrt")
log = logging.getLogger("pose_ros.backends")


def backend_usable(name: str, files: ModelFiles | None = None) -> tuple[bool, str]:
    """(usable, why) for one concrete backend, and for the model in ``files`` if given."""
    if name == "tensorrt":
        from pose_ros.backends.tensorrt_backend import tensorrt_available

        return tensorrt_available()
    if name == "cuda":
        from pose_ros.backends.onnxruntime_backend import cuda_available

        return cuda_available()
    if name == "litert":
        from pose_ros.backends.litert_backend import litert_available

        usable, why = litert_available()
        if usable and files is not None and files.tflite is None:
            return False, (f"LiteRT has no file for {files.onnx.stem} here (it runs every MoveNet "
                           "model, and PoseNet at stride 16; 'pose-ros-models "
                           "convert' makes them)")
        return usable, why
    return True, "ONNX Runtime on the CPU"


def choose_backend(kind: str, files: ModelFiles | None = None) -> tuple[str, str]:
    """Resolve ``kind`` to a concrete backend name for ``files`` and the reason for it."""
    if kind not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {kind!r}")
    if kind != "auto":
        usable, why = backend_usable(kind, files)
        if not usable:
            raise BackendUnavailable(f"backend {kind}: {why}")
        return kind, "asked for"
    passed: list[str] = []  # why each backend before the chosen one could not run
    for gpu, label in (("tensorrt", "TensorRT"), ("cuda", "CUDA")):
        usable, why = backend_usable(gpu, files)
        if usable:
            return gpu, "; ".join([*passed, why])
        passed.append(f"no {label} ({why})")
    cpu = files.cpu_backend if files is not None else "onnxruntime"
    if cpu == "litert":
        usable, why = backend_usable("litert", files)
        if usable:
            return "litert", "; ".join([*passed, "LiteRT measured fastest for this model on "
                                                  "CPU"])
        passed.append(why)
    else:
        passed.append("ONNX Runtime measured fastest on CPU")
    return "onnxruntime", "; ".join(passed)


def create_backend(kind: str, files: ModelFiles, *, input_shapes: dict[str, tuple[int, ...]],
                   engine_dir: Path | None = None, threads: int = 0,
                   precision: str = "fp16", profile: ShapeProfile | None = None,
                   cancel: threading.Event | None = None) -> Backend:
    """A backend running the model in ``files``; ``input_shapes`` are the shapes it will
    be fed. TensorRT builds its optimisation profile for ``profile`` (the estimator's:
    every size its configuration feeds), else for ``input_shapes`` alone, and abandons
    the build once ``cancel`` is set."""
    name, why = choose_backend(kind, files)
    log.info("backend %s (%s) for %s", name, why, files.onnx.name)
    backend: Backend
    if name == "tensorrt":
        from pose_ros.backends.tensorrt_backend import TensorRTBackend

        backend = TensorRTBackend(files.onnx, engine_dir or files.onnx.parent / "engines",
                                  profile or ShapeProfile.fixed(input_shapes),
                                  precision=precision, cancel=cancel)
    elif name == "litert":
        from pose_ros.backends.litert_backend import LiteRTBackend

        assert files.tflite is not None  # backend_usable checked it
        backend = LiteRTBackend(files.tflite, files.tflite_outputs, threads=threads)
    elif name == "cuda":
        from pose_ros.backends.onnxruntime_backend import CudaBackend

        backend = CudaBackend(files.onnx, threads=threads)
    else:
        from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend

        backend = OnnxRuntimeBackend(files.onnx, threads=threads)
    backend.reason = why
    return backend


__all__ = ["BACKENDS", "Backend", "BackendUnavailable", "ModelFiles", "TensorInfo",
           "backend_usable", "choose_backend", "create_backend"]
