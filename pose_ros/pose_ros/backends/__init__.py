"""Inference backends behind one interface (:class:`~pose_ros.backends.base.Backend`).

``create_backend("auto", ...)`` picks TensorRT when it is importable and a GPU
is present; on a CPU, the backend measured fastest for the model (LiteRT or ONNX
Runtime, ``cpu_backend`` in the model registry) where it can run it, else ONNX
Runtime; and says which and why.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pose_ros.backends.base import Backend, BackendUnavailable, ModelFiles, TensorInfo
from pose_ros.backends.shape_profiles import ShapeProfile

BACKENDS = ("auto", "onnxruntime", "litert", "tensorrt")
log = logging.getLogger("pose_ros.backends")


def choose_backend(kind: str, files: ModelFiles | None = None) -> tuple[str, str]:
    """Resolve ``kind`` to a concrete backend name for ``files`` and the reason for it."""
    if kind not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {kind!r}")
    if kind != "auto":
        return kind, "asked for"
    from pose_ros.backends.tensorrt_backend import tensorrt_available

    ok, why = tensorrt_available()
    if ok:
        return "tensorrt", why
    if files is not None and files.cpu_backend == "litert":
        from pose_ros.backends.litert_backend import litert_available

        usable, litert_why = litert_available()
        if usable and files.tflite is not None:
            return "litert", f"no TensorRT ({why}); LiteRT measured fastest for this model on CPU"
        if usable:
            litert_why = ("LiteRT has no file for this model here (PoseNet: stride 16 only; "
                          "'pose-ros-models convert' makes them)")
        return "onnxruntime", f"no TensorRT ({why}); {litert_why}"
    return "onnxruntime", f"no TensorRT ({why}); ONNX Runtime measured fastest on CPU"


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
        from pose_ros.backends.litert_backend import LiteRTBackend, litert_available

        usable, litert_why = litert_available()
        if not usable:
            raise BackendUnavailable(f"backend litert: {litert_why}")
        if files.tflite is None:
            raise BackendUnavailable(f"backend litert: no TFLite file for {files.onnx.stem} "
                                     "(LiteRT runs MoveNet Lightning, Thunder and PoseNet at "
                                     "stride 16)")
        backend = LiteRTBackend(files.tflite, files.tflite_outputs, threads=threads)
    else:
        from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend

        backend = OnnxRuntimeBackend(files.onnx, threads=threads)
    backend.reason = why
    return backend


__all__ = ["BACKENDS", "Backend", "BackendUnavailable", "ModelFiles", "TensorInfo",
           "choose_backend", "create_backend"]
