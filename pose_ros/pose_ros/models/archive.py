"""One file of verified ONNX models, for a machine that cannot convert them (a robot).

``export`` packs the converted models of a model directory with their entries of
``converted.json``, the TF.js reference outputs they were checked against, and
``archive.json``: every member's SHA-256 and size and the versions it was made with.

``import`` unpacks into a temporary folder beside the model directory, checks every
member against ``archive.json`` and every model against ``converted.json`` and this
pose_ros's registry, and only then moves the files in. A damaged, truncated or
altered archive, or one with paths, links or unknown files, changes nothing.

The hashes catch damage and mismatched parts, not a forger who rewrites the whole
archive consistently: for that, compare the archive SHA-256 both commands print.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import platform
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pose_ros.models.command import models_command
from pose_ros.models.converted import (
    is_converted,
    manifest_text,
    read_manifest,
    record,
    reference_path,
)
from pose_ros.models.fetch import copy_hashing, sha256_file
from pose_ros.models.registry import CONVERTED_MANIFEST, model_names, model_spec
from pose_ros.progress import megabytes, say

ARCHIVE_MANIFEST = "archive.json"
FORMAT = "pose_ros-model-archive"
FORMAT_VERSION = 1
MAX_MANIFEST_BYTES = 1 << 20  # archive.json is read into memory: bound it
_COMPRESSION = {".tar.gz": "gz", ".tgz": "gz", ".tar": ""}
# Float weights barely compress: level 1 is 9x faster than 6 for 6 % more bytes.
_SHA256 = re.compile(r"[0-9a-f]{64}")
# What reading a damaged tar or gzip stream raises, as opposed to writing errors.
_DAMAGED = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


class ArchiveError(RuntimeError):
    """The archive cannot be written, or is not a complete, intact model archive."""


@dataclass(frozen=True)
class MemberDigest:
    sha256: str
    size: int


@dataclass(frozen=True)
class ArchiveManifest:
    """``archive.json``: what the archive holds and what made it."""

    models: list[str]
    files: dict[str, MemberDigest]
    made_with: dict

    def to_json(self) -> bytes:
        doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "models": self.models,
               "made_with": self.made_with,
               "files": {n: {"sha256": d.sha256, "size": d.size}
                         for n, d in sorted(self.files.items())}}
        return (json.dumps(doc, indent=2) + "\n").encode()


def _compression(archive: Path) -> str:
    for suffix, mode in _COMPRESSION.items():
        if archive.name.endswith(suffix):
            return mode
    raise ArchiveError(f"{archive}: name the archive FILE.tar.gz, FILE.tgz or FILE.tar")


def _pose_ros_version() -> str:
    try:
        return metadata.version("pose_ros")
    except metadata.PackageNotFoundError:
        return "unknown"


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    return info


def export_models(archive: Path, model_dir: Path, models: list[str] | None = None) -> str:
    """Write the verified ONNX models ``models`` (default: all) of ``model_dir`` into
    ``archive``; returns the archive's SHA-256."""
    names = list(models or model_names())
    mode = _compression(archive)
    if not archive.parent.is_dir():
        raise ArchiveError(f"{archive}: the folder {archive.parent} does not exist")
    not_ready = [n for n in names if not is_converted(model_spec(n), model_dir)]
    if not_ready:
        raise ArchiveError(f"{', '.join(not_ready)} not converted and verified in {model_dir}: "
                           f"run {models_command('convert', *not_ready, model_dir=model_dir)}, "
                           "or name only the models to export")
    recorded = read_manifest(model_dir)
    entries = {n: recorded[n] for n in names}
    converted = manifest_text(entries).encode()
    paths = {f: model_dir / f for n in names for f in entries[n]["files"]}
    paths.update({reference_path(model_dir, n).name: reference_path(model_dir, n)
                  for n in names if reference_path(model_dir, n).is_file()})
    files = {CONVERTED_MANIFEST: MemberDigest(hashlib.sha256(converted).hexdigest(),
                                              len(converted))}
    for name, path in paths.items():
        files[name] = MemberDigest(sha256_file(path), path.stat().st_size)
    changed = [f for n in names for f, h in entries[n]["files"].items() if files[f].sha256 != h]
    if changed:
        raise ArchiveError(f"{', '.join(changed)} changed in {model_dir} while exporting; "
                           "export again")
    manifest = ArchiveManifest(
        models=names, files=files,
        made_with={"pose_ros": _pose_ros_version(), "python": platform.python_version(),
                   "conversion_tools": {n: entries[n].get("tools", {}) for n in names}})
    part = archive.with_name(archive.name + ".part")
    try:
        # the mode is built at run time: typeshed's overloads want one literal per mode
        with tarfile.open(part, f"w:{mode}" if mode else "w", format=tarfile.PAX_FORMAT,  # type: ignore[call-overload]
                          **({"compresslevel": 1} if mode else {})) as tar:
            for name, data in ((ARCHIVE_MANIFEST, manifest.to_json()),
                               (CONVERTED_MANIFEST, converted)):
                tar.addfile(_tarinfo(name, len(data), time.time()), io.BytesIO(data))
            for name, path in paths.items():
                say(f"adding {name} ({megabytes(files[name].size)})")
                with path.open("rb") as f:
                    tar.addfile(_tarinfo(name, files[name].size, path.stat().st_mtime), f)
        os.replace(part, archive)
    finally:
        part.unlink(missing_ok=True)
    digest = sha256_file(archive)
    say(f"wrote {archive}: {len(names)} models, {len(files) + 1} files, "
        f"{megabytes(archive.stat().st_size)}, SHA-256 {digest}")
    return digest


def import_models(archive: Path, model_dir: Path) -> list[str]:
    """Verify all of ``archive``, then add its models to ``model_dir`` (merging
    ``converted.json``); returns the imported model names. Raises before any change."""
    if not archive.is_file():
        raise ArchiveError(f"{archive} is not a file")
    if model_dir.exists() and not model_dir.is_dir():
        raise ArchiveError(f"the model directory {model_dir} is not a directory")
    say(f"reading {archive} ({megabytes(archive.stat().st_size)}, SHA-256 {sha256_file(archive)})")
    model_dir = model_dir.resolve()
    staging = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.import-",
                                    dir=_staging_parent(model_dir)))
    try:
        manifest = _unpack_verified(archive, staging)
        converted = _check_models(archive, staging, manifest)
        _move_into_place(staging, model_dir, converted)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"imported {', '.join(sorted(converted))} into {model_dir}")
    return sorted(converted)


def _staging_parent(model_dir: Path) -> Path:
    """Beside the model directory, on its file system, so that moving in is renaming;
    inside it where it is a mount point of its own."""
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    if model_dir.is_dir() and model_dir.stat().st_dev != model_dir.parent.stat().st_dev:
        return model_dir
    return model_dir.parent


def _refuse(archive: Path, what: str) -> ArchiveError:
    what = " ".join(what.split())  # one line, even where tarfile's message has several
    return ArchiveError(f"{archive}: {what}; refusing the archive, nothing was imported")


def _check_name(archive: Path, name: str) -> str:
    """Members are plain names: no folder, no absolute path, no '..' (path traversal)."""
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name
            or len(name) > 255):
        raise _refuse(archive, f"member name {name!r} is a path, not a plain file name "
                               "(absolute, with '..' or a folder: path traversal)")
    return name


def _check_member(archive: Path, member: tarfile.TarInfo) -> str:
    if not member.isreg():
        kind = ("a symbolic link" if member.issym() else "a hard link" if member.islnk()
                else "a directory" if member.isdir()
                else "a device or FIFO" if member.isdev() else f"of tar type {member.type!r}")
        raise _refuse(archive, f"member {member.name!r} is {kind}, not a plain file")
    return _check_name(archive, member.name)


def _read(archive: Path, name: str, read: Callable[[int], bytes], size: int) -> bytes:
    try:
        return read(size)
    except _DAMAGED as e:
        raise _refuse(archive, f"{name} is damaged or cut short ({type(e).__name__}: {e})") from e


def _members(archive: Path, tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """The members of ``tar`` one by one; a damaged stream is a refusal, not a traceback."""
    members = iter(tar)
    while True:
        try:
            member = next(members)
        except StopIteration:
            return
        except _DAMAGED as e:
            raise _refuse(archive, f"it is damaged or cut short ({type(e).__name__}: {e})") from e
        yield member


def _parse_manifest(archive: Path, data: bytes) -> ArchiveManifest:
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is {doc.get('format')!r}, not {FORMAT!r}")
        if doc["format_version"] > FORMAT_VERSION:
            raise ValueError(f"format version {doc['format_version']} is newer than this "
                             f"pose_ros reads ({FORMAT_VERSION}); update pose_ros")
        files = {}
        for name, d in doc["files"].items():
            if not (_SHA256.fullmatch(d["sha256"]) and isinstance(d["size"], int)):
                raise ValueError(f"bad digest for {name!r}")
            files[_check_name(archive, name)] = MemberDigest(d["sha256"], d["size"])
        models = list(doc["models"])
        if not all(isinstance(m, str) for m in models):
            raise ValueError("models must be names")
        return ArchiveManifest(models=models, files=files,
                               made_with=dict(doc.get("made_with", {})))
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise _refuse(archive, f"{ARCHIVE_MANIFEST} is not a valid model archive manifest "
                               f"({e})") from e


def _unpack_verified(archive: Path, staging: Path) -> ArchiveManifest:
    """Every member into ``staging``, each checked against ``archive.json`` (the first
    member) before the next is read; nothing unlisted, nothing listed left out."""
    try:
        # opened alone in the try so that only opening is refused here; `with tar` closes it
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115
    except (*_DAMAGED, OSError) as e:
        raise _refuse(archive, f"not a readable tar archive ({type(e).__name__}: {e})") from e
    manifest: ArchiveManifest | None = None
    seen: set[str] = set()
    with tar:
        for member in _members(archive, tar):
            name = _check_member(archive, member)
            if manifest is None:
                if name != ARCHIVE_MANIFEST or member.size > MAX_MANIFEST_BYTES:
                    raise _refuse(archive, f"it does not start with {ARCHIVE_MANIFEST}: not an "
                                           f"archive made by {models_command('export')}")
                src = tar.extractfile(member)
                assert src is not None  # _check_member refuses all but regular files
                manifest = _parse_manifest(archive, _read(archive, name, src.read, -1))
                continue
            if name in seen:
                raise _refuse(archive, f"{name} appears twice")
            if name not in manifest.files:
                raise _refuse(archive, f"member {name!r} is not listed in {ARCHIVE_MANIFEST}")
            _copy_checked(archive, tar, member, manifest.files[name], staging / name)
            seen.add(name)
    if manifest is None:
        raise _refuse(archive, "it is empty")
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise _refuse(archive, f"it is incomplete (truncated?): {', '.join(missing)} listed in "
                               f"{ARCHIVE_MANIFEST} missing")
    return manifest


def _copy_checked(archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo,
                  expected: MemberDigest, dest: Path) -> None:
    if member.size != expected.size:
        raise _refuse(archive, f"{member.name} is {member.size} bytes, {ARCHIVE_MANIFEST} "
                               f"says {expected.size}")
    src = tar.extractfile(member)
    assert src is not None  # _check_member refuses all but regular files
    with dest.open("xb") as out:
        actual = copy_hashing(lambda n: _read(archive, member.name, src.read, n), out)
    if actual != expected.sha256:
        raise _refuse(archive, f"{member.name} has SHA-256 {actual}, {ARCHIVE_MANIFEST} "
                               f"says {expected.sha256} (corrupted or altered)")
    say(f"verified {member.name} ({megabytes(member.size)})")


def _check_models(archive: Path, staging: Path, manifest: ArchiveManifest) -> dict:
    """``converted.json`` of the archive names known models, converted from the source
    files this pose_ros pins, whose files are exactly the archive's members."""
    claimed = {CONVERTED_MANIFEST}
    try:
        converted = json.loads((staging / CONVERTED_MANIFEST).read_text())
        for name, entry in converted.items():
            try:
                spec = model_spec(name)
            except KeyError:
                raise _refuse(archive, f"model {name!r} is unknown to this pose_ros "
                                       f"(known: {', '.join(model_names())})") from None
            if entry["source_sha256"] != spec.files:
                raise _refuse(archive, f"{name} was converted from other source files than "
                                       "this pose_ros pins; export it from the same version")
            for filename, digest in entry["files"].items():
                if manifest.files.get(filename, MemberDigest("", 0)).sha256 != digest:
                    raise _refuse(archive, f"{filename} is not the file {CONVERTED_MANIFEST} "
                                           f"recorded for {name} (altered archive)")
                claimed.add(filename)
            claimed.add(reference_path(staging, name).name)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise _refuse(archive, f"its {CONVERTED_MANIFEST} is malformed ({type(e).__name__}: "
                               f"{e})") from e
    if sorted(converted) != sorted(manifest.models):
        raise _refuse(archive, f"{CONVERTED_MANIFEST} holds {sorted(converted)}, "
                               f"{ARCHIVE_MANIFEST} lists {sorted(manifest.models)}")
    unclaimed = sorted(set(manifest.files) - claimed)
    if unclaimed:
        raise _refuse(archive, f"{', '.join(unclaimed)} belong to no model it holds")
    return converted


def _move_into_place(staging: Path, model_dir: Path, converted: dict) -> None:
    """A new model directory appears whole in one rename; an existing one gets the files
    (each replaced in one rename), then its ``converted.json`` merged, last, so the node
    never accepts a file its record does not vouch for."""
    if not model_dir.exists():
        staging.chmod(0o755)
        os.replace(staging, model_dir)
        return
    read_manifest(model_dir)  # a damaged record fails before any file is replaced
    for path in staging.iterdir():
        if path.name != CONVERTED_MANIFEST:
            os.replace(path, model_dir / path.name)
    record(model_dir, converted)
