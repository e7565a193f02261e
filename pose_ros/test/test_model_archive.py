"""Models for a robot that cannot convert: ``pose-ros-models export`` on the PC, ``import``
on the robot. The round trip gives identical files the node loads; a damaged, cut short,
altered or path-traversing archive is refused with one line, and changes nothing."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from pose_ros.api import create_estimator
from pose_ros.models.cli import main
from pose_ros.models.converted import read_manifest, reference_path
from pose_ros.models.locate import onnx_model_path
from pose_ros.models.registry import model_names, model_spec
from ros_helpers import start_node, stop

MODEL = "movenet_lightning"
OTHER = "movenet_thunder"


def _export(model_dir: Path, archive: Path, *models: str) -> None:
    assert main(["--model-dir", str(model_dir), "export", str(archive), *models]) == 0
    assert not archive.with_name(archive.name + ".part").exists()


@pytest.fixture(scope="module")
def archives(model_dir, tmp_path_factory) -> dict[str, Path]:
    """All models as .tar.gz; one model as .tar (the base of the damaged copies)."""
    folder = tmp_path_factory.mktemp("archives")
    all_models, one = folder / "models.tar.gz", folder / "lightning.tar"
    _export(model_dir, all_models)
    _export(model_dir, one, MODEL)
    return {"all": all_models, "one": one}


def _files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _import(model_dir: Path, archive: Path) -> subprocess.CompletedProcess:
    """The real command, as a robot user runs it."""
    return subprocess.run(["pose-ros-models", "--model-dir", str(model_dir), "import",
                           str(archive)], capture_output=True, text=True, timeout=120)


def test_round_trip_gives_identical_files_that_load_and_agree(model_dir, archives, tmp_path,
                                                              astronaut):
    robot = tmp_path / "robot" / "models"  # a robot with no model directory yet
    run = _import(robot, archives["all"])
    assert run.returncode == 0, run.stderr
    assert "verified movenet_thunder.onnx (25" in run.stderr  # progress with sizes
    entries = read_manifest(model_dir)
    for name in model_names():
        for filename, digest in entries[name]["files"].items():
            assert _files(robot)[filename] == digest == _files(model_dir)[filename]
        ref = reference_path(model_dir, name).name
        assert _files(robot)[ref] == _files(model_dir)[ref]
    assert read_manifest(robot) == {n: entries[n] for n in model_names()}
    assert sorted(p.name for p in tmp_path.joinpath("robot").iterdir()) == ["models"]
    listed = subprocess.run(["pose-ros-models", "--model-dir", str(robot), "list"],
                            capture_output=True, text=True, check=True).stdout
    for name in model_names():
        line = next(row for row in listed.splitlines() if row.startswith(name))
        assert line.split()[3] == "yes", listed  # the converted column
    # what the node does: verify against converted.json, load in ONNX Runtime, estimate
    for name in model_names():
        onnx_model_path(model_spec(name), robot)  # raises unless recorded and intact
        got = create_estimator(name, backend="onnxruntime", model_dir=robot).estimate(astronaut)
        want = create_estimator(name, backend="onnxruntime",
                                model_dir=model_dir).estimate(astronaut)
        assert got and len(got) == len(want), name
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a.xy, b.xy)
            np.testing.assert_array_equal(a.scores, b.scores)


def test_import_merges_into_an_existing_model_directory(model_dir, archives, tmp_path):
    robot = tmp_path / "models"
    robot.mkdir()
    _export(model_dir, tmp_path / "thunder.tgz", OTHER)
    assert _import(robot, tmp_path / "thunder.tgz").returncode == 0
    assert _import(robot, archives["one"]).returncode == 0
    assert sorted(read_manifest(robot)) == sorted([MODEL, OTHER])  # thunder kept
    for name in (MODEL, OTHER):
        onnx_model_path(model_spec(name), robot)


def test_the_imported_models_run_in_the_node(ros, model_dir, archives, tmp_path):
    robot = tmp_path / "models"
    assert _import(robot, archives["one"]).returncode == 0
    proc = start_node(ros, robot, "pose_imported")  # fails unless the node loads the model
    out = stop(proc)
    assert proc.returncode == 0 and "error" not in out, out


def test_import_and_the_node_path_need_no_onnx(archives, tmp_path):
    """onnx has no rosdep key, so a robot has onnxruntime but not onnx."""
    code = f"""
import sys
sys.modules["onnx"] = None  # any 'import onnx' now fails
from pose_ros.models.cli import main
from pose_ros.api import create_estimator
import pose_ros.node.pose_node
assert main(["--model-dir", {str(tmp_path)!r}, "import", {str(archives['one'])!r}]) == 0
assert main(["--model-dir", {str(tmp_path)!r}, "list"]) == 0
create_estimator({MODEL!r}, backend="onnxruntime", model_dir={str(tmp_path)!r})
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr


# -- refusals -------------------------------------------------------------------------

def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(archive) as tar:
        return [(m, _content(tar, m)) for m in tar]


def _content(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes | None:
    f = tar.extractfile(member) if member.isreg() else None
    return None if f is None else f.read()


def _write(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _edit(base: Path, dest: Path, name: str, change) -> Path:
    """A copy of ``base`` with member ``name``'s bytes replaced by ``change(bytes)``."""
    return _write(dest, [(m, change(d) if m.name == name else d) for m, d in _members(base)])


def _with_member(base: Path, dest: Path, info: tarfile.TarInfo, data: bytes | None) -> Path:
    return _write(dest, [*_members(base), (info, data)])


def _rehash(manifest: bytes, name: str, data: bytes) -> bytes:
    """archive.json saying ``name`` holds ``data``."""
    doc = json.loads(manifest)
    doc["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return json.dumps(doc).encode()


def _wrong_hash(manifest: bytes) -> bytes:
    doc = json.loads(manifest)
    doc["files"][ONNX]["sha256"] = "0" * 64
    return json.dumps(doc).encode()


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:]


def _entry(name: str, kind: bytes, **attrs) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


ONNX = f"{MODEL}.onnx"
# how to damage the one-model archive -> what the error must say
DAMAGE = {
    "bytes flipped in a member": (
        lambda base, dest: _edit(base, dest, ONNX, _flip), f"{ONNX} has SHA-256"),
    # a flip in deflated data breaks the stream, or else the member's hash
    "bytes flipped in a .tar.gz": (
        lambda base, dest: _gz(base, dest, _flip),
        ("damaged or cut short", f"{ONNX} has SHA-256", f"{MODEL}.tflite has SHA-256")),
    "truncated .tar.gz": (
        lambda base, dest: _gz(base, dest, lambda d: d[:len(d) * 2 // 3]), "damaged or cut short"),
    "truncated before the last member": (
        lambda base, dest: _cut_before_last(base, dest), "incomplete (truncated?)"),
    "a hash that does not match archive.json": (
        lambda base, dest: _edit(base, dest, "archive.json", _wrong_hash),
        f"says {'0' * 64} (corrupted or altered)"),
    "a size that does not match archive.json": (
        lambda base, dest: _edit(base, dest, "archive.json",
                                 lambda m: _rehash(m, ONNX, b"other bytes")),
        "archive.json says 11"),
    "a model file replaced, archive.json rewritten to match": (
        lambda base, dest: _edit(_edit(base, dest, ONNX, _flip), dest, "archive.json",
                                 lambda m: _rehash(m, ONNX, _flip(_member(base, ONNX)))),
        f"{ONNX} is not the file converted.json recorded"),
    "a member named ../evil.onnx": (
        lambda base, dest: _with_member(base, dest, _entry("../evil.onnx", tarfile.REGTYPE),
                                        b"x"), "path traversal"),
    "an absolute member path": (
        lambda base, dest: _with_member(base, dest, _entry("/tmp/evil.onnx", tarfile.REGTYPE),
                                        b"x"), "path traversal"),
    "a symbolic link": (
        lambda base, dest: _with_member(base, dest, _entry(
            "link.onnx", tarfile.SYMTYPE, linkname="/etc/passwd"), None), "a symbolic link"),
    "a hard link": (
        lambda base, dest: _with_member(base, dest, _entry(
            "hard.onnx", tarfile.LNKTYPE, linkname=ONNX), None), "a hard link"),
    "a device": (
        lambda base, dest: _with_member(base, dest, _entry(
            "null", tarfile.CHRTYPE, devmajor=1, devminor=3), None), "a device or FIFO"),
    "not an archive": (
        lambda base, dest: dest.write_bytes(_member(base, ONNX)) and dest,
        "not a readable tar archive"),
    "an unlisted member": (
        lambda base, dest: _with_member(base, dest, _entry("extra.onnx", tarfile.REGTYPE),
                                        b"x"), "'extra.onnx' is not listed in archive.json"),
}


def _member(archive: Path, name: str) -> bytes:
    data = dict((m.name, d) for m, d in _members(archive))[name]
    assert data is not None, f"{name} is not a regular file"
    return data


def _gz(base: Path, dest: Path, change) -> Path:
    """``base`` gzipped, then its compressed bytes changed."""
    dest = dest.with_suffix(".tar.gz")
    dest.write_bytes(change(gzip.compress(base.read_bytes(), 1)))
    return dest


def _cut_before_last(base: Path, dest: Path) -> Path:
    with tarfile.open(base) as tar:
        last = tar.getmembers()[-1]
    dest.write_bytes(base.read_bytes()[:last.offset])
    return dest


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_bad_archive_is_refused_and_changes_nothing(model_dir, archives, tmp_path, capsys,
                                                      damage):
    make, reason = DAMAGE[damage]
    bad = make(archives["one"], tmp_path / "bad.tar")
    robot = tmp_path / "robot" / "models"
    robot.mkdir(parents=True)  # already holds thunder, from an earlier import
    for f in [f"{OTHER}.onnx", "converted.json"]:
        shutil.copy(model_dir / f, robot / f)
    before = _files(robot)
    capsys.readouterr()
    assert main(["--model-dir", str(robot), "import", str(bad)]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1, errors
    reasons = reason if isinstance(reason, tuple) else (reason,)
    assert any(r in errors[0] for r in reasons) and str(bad) in errors[0], errors[0]
    assert "nothing was imported" in errors[0]
    assert _files(robot) == before
    assert sorted(p.name for p in robot.parent.iterdir()) == ["models"]  # no staging left
    assert not (tmp_path / "evil.onnx").exists() and not Path("/tmp/evil.onnx").exists()


def test_the_control_intact_copy_of_the_damaged_archive_is_accepted(archives, tmp_path):
    """The damaged copies are rewritten by _write: unedited, its output imports."""
    copy = _write(tmp_path / "copy.tar", _members(archives["one"]))
    assert main(["--model-dir", str(tmp_path / "models"), "import", str(copy)]) == 0


def test_export_refuses_a_model_that_is_not_verified(model_dir, tmp_path, capsys):
    source = tmp_path / "pc"
    source.mkdir()
    shutil.copy(model_dir / "converted.json", source)
    shutil.copy(model_dir / ONNX, source)
    (source / ONNX).write_bytes(_flip((source / ONNX).read_bytes()))
    archive = tmp_path / "out.tar.gz"
    assert main(["--model-dir", str(source), "export", str(archive), MODEL]) == 1
    err = capsys.readouterr().err
    assert f"{MODEL} not converted and verified" in err and "convert" in err, err
    assert not archive.exists() and not archive.with_name("out.tar.gz.part").exists()


def test_export_without_a_file_asks_for_the_file_alone():
    """The models are optional (all by default); argparse listed them as required."""
    run = subprocess.run(["pose-ros-models", "export"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2
    assert run.stderr.rstrip().endswith("error: the following arguments are required: FILE"), \
        run.stderr
