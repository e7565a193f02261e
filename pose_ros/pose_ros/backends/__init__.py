"""Inference backends behind one interface (:class:`~pose_ros.backends.base.Backend`).

``create_backend("auto", ...)`` picks TensorRT when it is importable and a GPU
is present, else ONNX Runtime, and says which and why.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pose_ros.backends.base import Backend, TensorInfo

BACKENDS = ("auto", "onnxruntime", "tensorrt")
log = logging.getLogger("pose_ros.backends")


def choose_backend(kind: str) -> tuple[str, str]:
    """Resolve ``kind`` to a concrete backend name and the reason for it."""
    if kind not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {kind!r}")
    if kind != "auto":
        return kind, "asked for"
    from pose_ros.backends.tensorrt_backend import tensorrt_available

    ok, why = tensorrt_available()
    if ok:
        return "tensorrt", why
    return "onnxruntime", f"no TensorRT: {why}"


def create_backend(kind: str, onnx_path: Path, *, input_shapes: dict[str, tuple[int, ...]],
                   engine_dir: Path | None = None, threads: int = 0,
                   precision: str = "fp16") -> Backend:
    """A backend running ``onnx_path``; ``input_shapes`` are the shapes it will be fed
    (TensorRT builds its optimisation profile for them)."""
    name, why = choose_backend(kind)
    log.info("backend %s (%s) for %s", name, why, onnx_path.name)
    backend: Backend
    if name == "tensorrt":
        from pose_ros.backends.tensorrt_backend import ShapeProfile, TensorRTBackend

        backend = TensorRTBackend(onnx_path, engine_dir or onnx_path.parent / "engines",
                                  ShapeProfile.fixed(input_shapes), precision=precision)
    else:
        from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend

        backend = OnnxRuntimeBackend(onnx_path, threads=threads)
    backend.reason = why
    return backend


__all__ = ["BACKENDS", "Backend", "TensorInfo", "choose_backend", "create_backend"]
