"""Inference backends behind one interface (:class:`~pose_ros.backends.base.Backend`).

``create_backend("auto", ...)`` picks, in this order, the first that can run here:
TensorRT (installed, with a CUDA GPU), ONNX Runtime's CUDA provider (``cuda``:
onnxruntime-gpu with a CUDA GPU), then on the CPU the backend measured fastest for
the model (LiteRT or ONNX Runtime, ``cpu_backend`` in the model registry) where it
can run it, else ONNX Runtime; and says which and why. A backend asked for by name
that cannot run here is refused with the reason; under ``auto`` a CUDA provider that
fails to start (CUDA or cuDNN libraries missing) gives way to the CPU.
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
        from pose_ros.models.command import models_command

        usable, why = litert_available()
        if usable and files is not None and files.tflite_problem:
            return False, files.tflite_problem
        if usable and files is not None and files.tflite is None:
            model_dir = files.onnx.parent
            return False, (f"LiteRT has no {files.onnx.stem}.tflite in {model_dir} (it runs "
                           f"{_litert_models()}; "
                           f"{models_command('convert', model_dir=model_dir)} makes them, or "
                           f"{models_command('import', 'FILE', model_dir=model_dir)} brings "
                           "them from an archive exported where they were made)")
        return usable, why
    return True, "ONNX Runtime on the CPU"


def _litert_models() -> str:
    """The models LiteRT runs, from the registry: a PoseNet-like model at its graph's
    own stride only (the other strides are ONNX rewrites)."""
    from pose_ros.models.registry import model_names, model_spec

    specs = [model_spec(name) for name in model_names()]
    return ", ".join(f"{s.name} at stride {s.native_output_stride}" if len(s.output_strides) > 1
                     else s.name for s in specs if s.litert)


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
    return _cpu_backend(files, passed)


def _cpu_backend(files: ModelFiles | None, passed: list[str]) -> tuple[str, str]:
    """``auto``'s CPU choice, its reason after ``passed`` (why no GPU backend runs)."""
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
    try:
        backend = _construct(name, files, input_shapes, engine_dir, threads, precision,
                             profile, cancel)
    except BackendUnavailable as e:
        # onnxruntime-gpu lists its CUDA provider whether or not CUDA and cuDNN load, so
        # only starting a session tells; auto then goes on to the CPU, as it would have
        if kind != "auto" or name != "cuda":
            raise
        log.warning("%s: auto goes on to the CPU", e)
        name, why = _cpu_backend(files, [f"{why}, but {e}"])
        backend = _construct(name, files, input_shapes, engine_dir, threads, precision,
                             profile, cancel)
    log.info("backend %s (%s) for %s", name, why, files.onnx.name)
    backend.reason = why
    return backend


def _construct(name: str, files: ModelFiles, input_shapes: dict[str, tuple[int, ...]],
               engine_dir: Path | None, threads: int, precision: str,
               profile: ShapeProfile | None, cancel: threading.Event | None) -> Backend:
    if name == "tensorrt":
        from pose_ros.backends.tensorrt_backend import TensorRTBackend

        return TensorRTBackend(files.onnx, engine_dir or files.onnx.parent / "engines",
                               profile or ShapeProfile.fixed(input_shapes),
                               precision=precision, cancel=cancel)
    if name == "litert":
        from pose_ros.backends.litert_backend import LiteRTBackend

        assert files.tflite is not None  # backend_usable checked it
        return LiteRTBackend(files.tflite, files.tflite_outputs, threads=threads)
    if name == "cuda":
        from pose_ros.backends.onnxruntime_backend import CudaBackend

        return CudaBackend(files.onnx, threads=threads)
    from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend

    return OnnxRuntimeBackend(files.onnx, threads=threads)


__all__ = ["BACKENDS", "Backend", "BackendUnavailable", "ModelFiles", "TensorInfo",
           "backend_usable", "choose_backend", "create_backend"]
