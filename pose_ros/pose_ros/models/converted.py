"""``converted.json``: the record of each converted, verified ONNX file and its SHA-256
(and the reference outputs it was checked against).

Kept apart from :mod:`convert` so that what only reads or merges the record (the
node, ``list``, ``import``) works without onnx, which has no rosdep key.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pose_ros.models.fetch import sha256_file
from pose_ros.models.registry import CONVERTED_MANIFEST, ModelSpec


class ConversionError(RuntimeError):
    """The converted model failed one of its checks."""


@dataclass
class ConvertedModel:
    """One entry of ``converted.json``: what was made, from what, and how it checked out."""

    model: str
    files: dict[str, str]  # ONNX (and TFLite) file name -> SHA-256
    source_sha256: dict[str, str]
    input_name: str
    input_shape: list
    output_names: list[str]
    output_shapes: dict[str, list]
    opset: int
    max_abs_diff: dict[str, float]
    tools: dict[str, str] = field(default_factory=dict)
    tflite_outputs: dict[str, str] = field(default_factory=dict)  # TFLite tensor -> output


def reference_path(model_dir: Path, name: str) -> Path:
    """The TF.js graph's own input and outputs, kept so the ONNX model can be re-checked."""
    return model_dir / f"{name}.reference.npz"


def read_manifest(model_dir: Path) -> dict:
    path = model_dir / CONVERTED_MANIFEST
    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text())
    except ValueError as e:  # half a file (a full disk, a copy stopped half way)
        raise ValueError(f"{path} is not valid JSON ({e}): move it aside, then convert or "
                         "import the models again") from None
    if not isinstance(entries, dict):
        raise ValueError(f"{path} is not a record of converted models: move it aside, then "
                         "convert or import the models again")
    return entries


def record(model_dir: Path, entries: dict) -> None:
    """Add ``entries`` to ``converted.json``: read, merged and replaced under a lock, so
    that conversions and imports into one directory at once keep each other's models."""
    with (model_dir / f"{CONVERTED_MANIFEST}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released as the file closes
        write_manifest(model_dir, read_manifest(model_dir) | entries)


def manifest_text(entries: dict) -> str:
    """``converted.json``'s text for ``entries`` (also what an export archive holds)."""
    return json.dumps(entries, indent=2, sort_keys=True) + "\n"


def write_manifest(model_dir: Path, entries: dict) -> None:
    """Replace ``converted.json`` in one step: a reader never sees half a file."""
    path = model_dir / CONVERTED_MANIFEST
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(manifest_text(entries))
    os.replace(tmp, path)


def is_converted(spec: ModelSpec, model_dir: Path) -> bool:
    """True when every file a conversion of ``spec`` makes (a conversion by an older
    version made fewer) exists, matches its hash and its source."""
    entry = read_manifest(model_dir).get(spec.name)
    if not entry or entry.get("source_sha256") != spec.files:
        return False
    if not set(spec.converted_filenames()) <= set(entry["files"]):
        return False
    return all((model_dir / f).is_file() and sha256_file(model_dir / f) == h
               for f, h in entry["files"].items())


def converted_entry(model_dir: Path, name: str) -> dict | None:
    return read_manifest(model_dir).get(name)
