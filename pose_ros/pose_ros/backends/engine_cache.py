"""The TensorRT engine cache on disk: engines beside a SHA-256 sidecar and a metadata file.

An engine is native code that TensorRT deserializes as it is; a truncated one (a
build killed mid-write, a full disk) or a corrupt one can crash the process, and one
built by another TensorRT or for another GPU fails or misbehaves. So every engine is
written with the hash of its bytes in ``<engine>.sha256`` and what it was built from
and for in ``<engine>.json`` (:class:`EngineMetadata`), each atomically, and loaded only
when the hash matches and the metadata names the running TensorRT, GPU, model,
precision and profile; otherwise it is rebuilt. The file name's key hashes the same
identity, but a renamed or copied file must not slip through, so the metadata is
checked too. Kept apart from the TensorRT code: none of this needs a GPU, and it is
tested here.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pose_ros.backends.shape_profiles import ShapeProfile
from pose_ros.model_files import require_inside
from pose_ros.progress import say

ENGINE_SUFFIX = ".engine"
SIDECAR_SUFFIX = ".sha256"
METADATA_SUFFIX = ".json"
#: what a user sets to move the cache (the node's parameter)
ENGINE_DIR_SETTING = "the engine_dir parameter"


class EngineDirError(OSError):
    """The engine directory cannot be created or written."""


@dataclass(frozen=True)
class EngineIdentity:
    """What an engine is built from and for: an engine of another identity is another engine."""

    model: str  # the ONNX file's stem (PoseNet: one per output stride)
    onnx_sha256: str
    tensorrt_version: str
    gpu: str
    precision: str
    profile: ShapeProfile

    def to_json(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)},
                "profile": self.profile.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EngineIdentity:
        return cls(str(data["model"]), str(data["onnx_sha256"]), str(data["tensorrt_version"]),
                   str(data["gpu"]), str(data["precision"]),
                   ShapeProfile.from_json(data["profile"]))

    def file_name(self) -> str:
        key = hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()
        return f"{self.model}.{self.precision}.{key[:24]}{ENGINE_SUFFIX}"

    def differs_from(self, running: EngineIdentity) -> str:
        """What in this (recorded) identity is not ``running``'s; empty when none is."""
        return "; ".join(f"built for {f.name} {getattr(self, f.name)!s}, not "
                         f"{getattr(running, f.name)!s}"
                         for f in fields(self) if getattr(self, f.name) != getattr(running, f.name))


@dataclass(frozen=True)
class EngineMetadata:
    identity: EngineIdentity
    built_at: str  # ISO 8601, UTC
    build_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "identity": self.identity.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EngineMetadata:
        return cls(EngineIdentity.from_json(data["identity"]), str(data["built_at"]),
                   float(data["build_seconds"]))


@dataclass(frozen=True)
class CachedEngine:
    """One engine file as the cache finds it (``engine list``'s row)."""

    path: Path
    size: int
    metadata: EngineMetadata | None
    problem: str  # why it would not load; empty when it is whole

    @property
    def valid(self) -> bool:
        return not self.problem


def sidecar(engine: Path) -> Path:
    return engine.with_name(engine.name + SIDECAR_SUFFIX)


def metadata_file(engine: Path) -> Path:
    return engine.with_name(engine.name + METADATA_SUFFIX)


def writable_engine_dir(path: Path) -> Path:
    """``path``, made if missing, once a file could be written there; else an error
    that names the directory and the setting that moves it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise EngineDirError(f"cannot write TensorRT engines to {path} "
                             f"({e.strerror or e}); set {ENGINE_DIR_SETTING} to a writable "
                             "directory") from e
    return path


def inspect_engine(engine: Path) -> tuple[CachedEngine, bytes | None]:
    """The engine file's state, and its bytes when its sidecar vouches for them."""
    metadata, problem = None, ""
    try:
        metadata = EngineMetadata.from_json(json.loads(metadata_file(engine).read_text()))
    except FileNotFoundError:
        problem = f"no {metadata_file(engine).name}"
    except (ValueError, KeyError, TypeError) as e:  # json's errors are ValueErrors
        problem = f"unreadable {metadata_file(engine).name} ({type(e).__name__}: {e})"
    serialized = None
    if not sidecar(engine).exists():
        problem = f"no {sidecar(engine).name} (an interrupted build?)"
    else:
        serialized = engine.read_bytes()
        if hashlib.sha256(serialized).hexdigest() != sidecar(engine).read_text().strip():
            problem, serialized = "does not match its SHA-256 (truncated or corrupt)", None
    return CachedEngine(engine, engine.stat().st_size, metadata, problem), serialized


def load_engine(engine: Path, engine_dir: Path, wanted: EngineIdentity) -> bytes | None:
    """The engine's bytes when its sidecar vouches for them and its metadata names
    ``wanted``; None, with the reason said, when it must be (re)built."""
    if not engine.exists():
        return None
    require_inside(engine, engine_dir)  # an engine is code: no links out of the cache
    found, serialized = inspect_engine(engine)
    if found.metadata is not None and not found.problem:
        found = CachedEngine(engine, found.size, found.metadata,
                             found.metadata.identity.differs_from(wanted))
    if found.problem:
        say(f"{engine.name}: {found.problem}: rebuilding it")
        return None
    return serialized


def list_engines(engine_dir: Path) -> list[CachedEngine]:
    """Every engine file in ``engine_dir``, by name; no TensorRT needed."""
    return [inspect_engine(path)[0] for path in sorted(engine_dir.glob(f"*{ENGINE_SUFFIX}"))]


def store_engine(engine: Path, serialized: bytes, metadata: EngineMetadata) -> None:
    """Write the engine, its metadata, then its sidecar, each by rename: a stop
    mid-write leaves an engine without a matching sidecar, which :func:`load_engine`
    rebuilds."""
    _write_atomically(engine, serialized)
    _write_atomically(metadata_file(engine),
                      json.dumps(metadata.to_json(), indent=2).encode() + b"\n")
    _write_atomically(sidecar(engine), hashlib.sha256(serialized).hexdigest().encode() + b"\n")


def _write_atomically(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
