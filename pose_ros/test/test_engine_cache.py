"""The TensorRT engine cache's file logic (no GPU needed): sidecar hashes and the
engine directory's checks, on plain files."""

from __future__ import annotations

import hashlib

import pytest

from pose_ros.backends.engine_cache import (
    EngineDirError,
    load_engine,
    sidecar,
    store_engine,
    writable_engine_dir,
)
from pose_ros.model_files import ModelNotFoundError

ENGINE_BYTES = bytes(range(256)) * 64  # stands for a serialized engine: any bytes are


def test_a_stored_engine_loads_with_its_hash_beside_it(tmp_path):
    engine = tmp_path / "m.fp16.abc.engine"
    store_engine(engine, ENGINE_BYTES)
    assert sidecar(engine).read_text() == hashlib.sha256(ENGINE_BYTES).hexdigest() + "\n"
    assert load_engine(engine, tmp_path) == ENGINE_BYTES
    assert sorted(p.name for p in tmp_path.iterdir()) == [engine.name, sidecar(engine).name]


def test_no_engine_yet_is_built(tmp_path):
    assert load_engine(tmp_path / "m.engine", tmp_path) is None


@pytest.mark.parametrize("damage", ["truncated", "flipped_byte", "no_sidecar", "bad_sidecar"])
def test_a_damaged_engine_is_rebuilt_not_loaded(tmp_path, capsys, damage):
    engine = tmp_path / "m.engine"
    store_engine(engine, ENGINE_BYTES)
    if damage == "truncated":  # a build killed mid-write, a full disk
        engine.write_bytes(ENGINE_BYTES[:1000])
    elif damage == "flipped_byte":
        engine.write_bytes(ENGINE_BYTES[:-1] + b"\x00")
    elif damage == "no_sidecar":
        sidecar(engine).unlink()
    else:
        sidecar(engine).write_text("0" * 64 + "\n")
    assert load_engine(engine, tmp_path) is None
    assert "rebuilding it" in capsys.readouterr().err


def test_an_engine_linked_from_outside_the_cache_is_refused(tmp_path):
    cache, elsewhere = tmp_path / "engines", tmp_path / "elsewhere"
    cache.mkdir()
    elsewhere.mkdir()
    store_engine(elsewhere / "m.engine", ENGINE_BYTES)
    (cache / "m.engine").symlink_to(elsewhere / "m.engine")
    with pytest.raises(ModelNotFoundError, match="outside the model directory"):
        load_engine(cache / "m.engine", cache)


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
