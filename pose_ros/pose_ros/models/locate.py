"""Find a converted model in the model directory, or say exactly how to get it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pose_ros.backends.base import ModelFiles
from pose_ros.model_files import ModelNotFoundError, require_inside
from pose_ros.models.command import models_command
from pose_ros.models.converted import converted_entry
from pose_ros.models.fetch import sha256_file
from pose_ros.models.registry import ModelSpec


def model_files(spec: ModelSpec, model_dir: Path, output_stride: int | None = None) -> ModelFiles:
    """Every verified file of ``spec`` (at ``output_stride``) that a backend may load.
    The ONNX file must be there (every backend can run it); the TFLite file is None
    where there is none (not made by an older version, or not copied), or where it
    fails its verification (``tflite_problem``: LiteRT is refused with it), and the
    other backends serve."""
    onnx = onnx_model_path(spec, model_dir, output_stride)
    tflite_name = spec.tflite_filename(output_stride)
    entry = converted_entry(Path(model_dir), spec.name) or {}
    tflite, problem = None, ""
    if tflite_name is not None and (Path(model_dir) / tflite_name).exists():
        try:
            tflite = _verified(spec, Path(model_dir), tflite_name)
        except ModelNotFoundError as e:
            problem = str(e)
    return ModelFiles(onnx=onnx, tflite=tflite, tflite_problem=problem,
                      tflite_outputs=dict(entry.get("tflite_outputs", {})),
                      cpu_backend=spec.cpu_backend)


def onnx_model_path(spec: ModelSpec, model_dir: Path, output_stride: int | None = None) -> Path:
    """The ONNX file of ``spec`` in ``model_dir``, checked against ``converted.json``."""
    return _verified(spec, Path(model_dir), spec.onnx_filename(output_stride))


def _verified(spec: ModelSpec, model_dir: Path, filename: str) -> Path:
    path = Path(model_dir) / filename
    # A robot that cannot convert gets its models from an archive made elsewhere.
    or_import = (f", or where nothing can be converted (a robot) "
                 f"{models_command('import', 'FILE', model_dir=model_dir)} with an archive "
                 f"from {models_command('export')}")
    fix = f"run {models_command('convert', spec.name, model_dir=model_dir)}{or_import}"
    if not path.is_file():
        raise ModelNotFoundError(f"model file {path} is missing; {fix}")
    require_inside(path, Path(model_dir))
    entry = converted_entry(Path(model_dir), spec.name)
    expected = entry["files"].get(filename) if entry else None
    if expected is None:
        raise ModelNotFoundError(f"{path} is not recorded in {model_dir}/converted.json; {fix}")
    stat = path.stat()
    if _sha256(path, stat.st_size, stat.st_mtime_ns) != expected:
        again = models_command("convert", "--force", spec.name, model_dir=model_dir)
        raise ModelNotFoundError(f"{path} does not match its recorded SHA-256 (truncated "
                                 f"or modified); run {again}{or_import}")
    return path


@lru_cache(maxsize=32)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    """Hash a model file once per version of it (size and mtime are part of the key)."""
    return sha256_file(path)
