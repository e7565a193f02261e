"""The TensorRT engine cache on disk: engines beside a SHA-256 sidecar each.

An engine is native code that TensorRT deserializes as it is; a truncated one (a
build killed mid-write, a full disk) or a corrupt one can crash the process. So
every engine is written with the hash of its bytes in ``<engine>.sha256``, both
atomically, and loaded only when the hash matches; otherwise it is rebuilt. Kept
apart from the TensorRT code: none of this needs a GPU, and it is tested here.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from pose_ros.model_files import require_inside
from pose_ros.progress import say

SIDECAR_SUFFIX = ".sha256"
#: what a user sets to move the cache (the node's parameter)
ENGINE_DIR_SETTING = "the engine_dir parameter"


class EngineDirError(OSError):
    """The engine directory cannot be created or written."""


def sidecar(engine: Path) -> Path:
    return engine.with_name(engine.name + SIDECAR_SUFFIX)


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


def load_engine(engine: Path, engine_dir: Path) -> bytes | None:
    """The engine's bytes when its sidecar vouches for them; None, with the reason
    said, when it must be (re)built."""
    if not engine.exists():
        return None
    require_inside(engine, engine_dir)  # an engine is code: no links out of the cache
    recorded = sidecar(engine)
    if not recorded.exists():
        say(f"{engine.name} has no {recorded.name} (an interrupted build?): rebuilding it")
        return None
    serialized = engine.read_bytes()
    if hashlib.sha256(serialized).hexdigest() != recorded.read_text().strip():
        say(f"{engine.name} does not match its SHA-256 (truncated or corrupt): rebuilding it")
        return None
    return serialized


def store_engine(engine: Path, serialized: bytes) -> None:
    """Write the engine, then its sidecar, each by rename: a stop mid-write leaves
    an engine without a matching sidecar, which :func:`load_engine` rebuilds."""
    _write_atomically(engine, serialized)
    _write_atomically(sidecar(engine), hashlib.sha256(serialized).hexdigest().encode() + b"\n")


def _write_atomically(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
