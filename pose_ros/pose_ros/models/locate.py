"""Find a converted model in the model directory, or say exactly how to get it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pose_ros.model_files import ModelNotFoundError, require_inside
from pose_ros.models.converted import converted_entry
from pose_ros.models.fetch import sha256_file
from pose_ros.models.registry import ModelSpec


def onnx_model_path(spec: ModelSpec, model_dir: Path, output_stride: int | None = None,
                    verify: bool = True) -> Path:
    """The ONNX file of ``spec`` in ``model_dir``, checked against ``converted.json``."""
    filename = spec.onnx_filename(output_stride)
    path = Path(model_dir) / filename
    command = f"pose-ros-models --model-dir {model_dir}"
    # A robot that cannot convert gets its models from an archive made elsewhere.
    or_import = (f", or where nothing can be converted (a robot) '{command} import FILE' "
                 "with an archive from 'pose-ros-models export'")
    fix = f"run '{command} convert {spec.name}'{or_import}"
    if not path.is_file():
        raise ModelNotFoundError(f"model file {path} is missing; {fix}")
    require_inside(path, Path(model_dir))
    if verify:
        entry = converted_entry(Path(model_dir), spec.name)
        expected = entry["files"].get(filename) if entry else None
        if expected is None:
            raise ModelNotFoundError(f"{path} is not recorded in {model_dir}/converted.json; {fix}")
        stat = path.stat()
        if _sha256(path, stat.st_size, stat.st_mtime_ns) != expected:
            raise ModelNotFoundError(f"{path} does not match its recorded SHA-256 (truncated "
                                     f"or modified); run '{command} convert --force {spec.name}'"
                                     f"{or_import}")
    return path


@lru_cache(maxsize=32)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    """Hash a model file once per version of it (size and mtime are part of the key)."""
    return sha256_file(path)
