"""The TensorRT engine cache's file logic (no GPU needed): sidecar hashes, metadata,
``engine list`` and the engine directory's checks, on plain files written by the
cache's own store function."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil

import pytest

from pose_ros.backends.engine_cache import (
    EngineDirError,
    EngineIdentity,
    EngineMetadata,
    load_engine,
    metadata_file,
    sidecar,
    store_engine,
    writable_engine_dir,
)
from pose_ros.backends.shape_profiles import ShapeProfile
from pose_ros.model_files import ModelNotFoundError
from pose_ros.models import cli

ENGINE_BYTES = bytes(range(256)) * 64  # stands for a serialized engine: any bytes are
IDENTITY = EngineIdentity(
    "posenet_mobilenet_stride16", "ab" * 32, "10.3.0", "Orin (nvgpu)", "fp16",
    ShapeProfile({"image": ((1, 97, 129, 3), (1, 417, 561, 3), (1, 481, 641, 3))}))
METADATA = EngineMetadata(IDENTITY, "2026-12-02T05:00:00+00:00", 312.5)


def stored(tmp_path, identity=IDENTITY, data=ENGINE_BYTES):
    engine = tmp_path / identity.file_name()
    store_engine(engine, data, dataclasses.replace(METADATA, identity=identity))
    return engine


def test_a_stored_engine_loads_with_its_hash_and_metadata_beside_it(tmp_path):
    engine = stored(tmp_path)
    assert sidecar(engine).read_text() == hashlib.sha256(ENGINE_BYTES).hexdigest() + "\n"
    recorded = json.loads(metadata_file(engine).read_text())
    assert recorded["identity"]["tensorrt_version"] == "10.3.0"
    assert recorded["identity"]["profile"]["image"] == {
        "min": [1, 97, 129, 3], "opt": [1, 417, 561, 3], "max": [1, 481, 641, 3]}
    assert (recorded["built_at"], recorded["build_seconds"]) == (METADATA.built_at, 312.5)
    assert EngineMetadata.from_json(recorded) == METADATA
    assert load_engine(engine, tmp_path, IDENTITY) == ENGINE_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [engine.name, sidecar(engine).name, metadata_file(engine).name])


def test_no_engine_yet_is_built(tmp_path):
    assert load_engine(tmp_path / IDENTITY.file_name(), tmp_path, IDENTITY) is None


@pytest.mark.parametrize("field, running", [
    ("tensorrt_version", "10.7.0"), ("gpu", "NVIDIA GeForce RTX 4090"), ("precision", "fp32"),
    ("onnx_sha256", "cd" * 32),
    ("profile", ShapeProfile.fixed({"image": (1, 417, 561, 3)}))])
def test_each_identity_field_is_in_the_key(field, running):
    other = dataclasses.replace(IDENTITY, **{field: running})
    assert other.file_name() != IDENTITY.file_name()


@pytest.mark.parametrize("field, running", [
    ("tensorrt_version", "10.7.0"), ("gpu", "NVIDIA GeForce RTX 4090")])
def test_an_engine_of_another_tensorrt_or_gpu_is_rebuilt_even_renamed(tmp_path, capsys, field,
                                                                      running):
    """After a JetPack upgrade (or a copy from another robot) an engine renamed to the
    running key is still refused: its metadata says what it was built by."""
    old = stored(tmp_path)
    now = dataclasses.replace(IDENTITY, **{field: running})
    renamed = tmp_path / now.file_name()
    for a, b in ((old, renamed), (sidecar(old), sidecar(renamed)),
                 (metadata_file(old), metadata_file(renamed))):
        shutil.copyfile(a, b)
    assert load_engine(old, tmp_path, IDENTITY) == ENGINE_BYTES
    assert load_engine(renamed, tmp_path, now) is None
    said = capsys.readouterr().err
    assert f"built for {field} {getattr(IDENTITY, field)}, not {running}" in said, said
    assert "rebuilding it" in said


@pytest.mark.parametrize("damage", ["truncated", "flipped_byte", "no_sidecar", "bad_sidecar",
                                    "no_metadata", "bad_metadata"])
def test_a_damaged_engine_is_rebuilt_not_loaded(tmp_path, capsys, damage):
    engine = stored(tmp_path)
    if damage == "truncated":  # a build killed mid-write, a full disk
        engine.write_bytes(ENGINE_BYTES[:1000])
    elif damage == "flipped_byte":
        engine.write_bytes(ENGINE_BYTES[:-1] + b"\x00")
    elif damage == "no_sidecar":
        sidecar(engine).unlink()
    elif damage == "bad_sidecar":
        sidecar(engine).write_text("0" * 64 + "\n")
    elif damage == "no_metadata":
        metadata_file(engine).unlink()
    else:
        metadata_file(engine).write_text(metadata_file(engine).read_text()[:40])
    assert load_engine(engine, tmp_path, IDENTITY) is None
    assert "rebuilding it" in capsys.readouterr().err


def test_engine_list_shows_each_engine_and_whether_it_is_whole(tmp_path, capsys):
    fp32 = dataclasses.replace(IDENTITY, precision="fp32", gpu="NVIDIA RTX A2000",
                               profile=ShapeProfile.fixed({"input": (1, 192, 192, 3)}),
                               model="movenet_lightning")
    stored(tmp_path)
    broken = stored(tmp_path, fp32, ENGINE_BYTES * 2)
    broken.write_bytes(ENGINE_BYTES)  # truncated
    (tmp_path / "posenet_mobilenet_stride16.timing.cache").write_bytes(b"t")  # not an engine
    assert cli.main(["--model-dir", str(tmp_path / "models"), "engine", "list",
                     "--engine-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"engine directory: {tmp_path}"
    rows = sorted(lines[2:])
    assert len(rows) == 2, lines
    assert rows[0].split()[:8] == ["movenet_lightning", "fp32", "10.3.0", "NVIDIA", "RTX",
                                   "A2000", "0.0", "MB"], rows[0]
    assert "corrupt" in rows[0] and "SHA-256" in rows[0] and "input 1x192x192x3" in rows[0]
    assert rows[1].split()[:4] == ["posenet_mobilenet_stride16", "fp16", "10.3.0", "Orin"]
    assert " valid " in rows[1]
    assert "image 1x97x129x3..1x481x641x3 (opt 1x417x561x3)" in rows[1], rows[1]


def test_engine_list_of_an_empty_cache_says_how_to_fill_it(tmp_path, capsys):
    assert cli.main(["--model-dir", str(tmp_path), "engine", "list"]) == 0
    out = capsys.readouterr().out
    assert f"engine directory: {tmp_path / 'engines'}" in out and "engine build" in out


def test_an_engine_linked_from_outside_the_cache_is_refused(tmp_path):
    cache, elsewhere = tmp_path / "engines", tmp_path / "elsewhere"
    cache.mkdir()
    elsewhere.mkdir()
    outside = stored(elsewhere)
    (cache / outside.name).symlink_to(outside)
    with pytest.raises(ModelNotFoundError, match="outside the model directory"):
        load_engine(cache / outside.name, cache, IDENTITY)


def test_the_engine_dir_is_made_when_missing(tmp_path):
    assert writable_engine_dir(tmp_path / "a" / "engines").is_dir()


def test_an_unwritable_engine_dir_names_the_path_and_the_parameter(tmp_path):
    # a regular file where a folder must be: unwritable for root too (chmod is not)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    with pytest.raises(EngineDirError) as error:
        writable_engine_dir(blocker / "engines")
    message = str(error.value)
    assert str(blocker / "engines") in message and "engine_dir parameter" in message, message


def test_the_tensorrt_backend_checks_its_engine_dir_before_building(model_dir, tmp_path):
    from pose_ros.backends import choose_backend, create_backend
    from pose_ros.models.locate import model_files
    from pose_ros.models.registry import model_spec

    name, why = choose_backend("auto")
    if name != "tensorrt":
        pytest.skip(f"TensorRT cannot run here: {why}")
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    files = model_files(model_spec("movenet_lightning"), model_dir)
    with pytest.raises(EngineDirError, match="engine_dir parameter"):
        create_backend("tensorrt", files, input_shapes={"input": (1, 192, 192, 3)},
                       engine_dir=blocker / "engines")


def test_engine_build_without_tensorrt_says_why_in_one_line(tmp_path, capsys):
    from pose_ros.backends.tensorrt_backend import tensorrt_available

    usable, why = tensorrt_available()
    if usable:
        pytest.skip("TensorRT is usable here: the GPU test builds engines")
    assert cli.main(["--model-dir", str(tmp_path), "engine", "build", "--model",
                     "movenet_lightning", "--precision", "fp32"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"pose-ros-models: cannot build a TensorRT engine here: {why}"], err
    assert not (tmp_path / "engines").exists()  # nothing half made
