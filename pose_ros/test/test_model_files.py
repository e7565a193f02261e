"""A missing, truncated, modified or linked-in model stops the node at start-up
with one clear line naming the file and the command that fixes it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ros_helpers import start_node, stop

MODEL = "movenet_lightning.onnx"


@pytest.fixture
def model_copy(model_dir, tmp_path):
    shutil.copy(model_dir / "converted.json", tmp_path / "converted.json")
    shutil.copy(model_dir / MODEL, tmp_path / MODEL)
    return tmp_path


def start(model_dir) -> tuple[int, str]:
    run = subprocess.run(["pose_node", "--ros-args", "-r", "__node:=pose_files",
                          "-p", f"model_dir:={model_dir}", "-p", "backend:=onnxruntime"],
                         capture_output=True, text=True, timeout=60)
    return run.returncode, run.stdout + run.stderr


def test_an_intact_copy_starts(ros, model_copy):
    # the control: the same copy, untouched, is accepted: start_node fails the test unless
    # the node publishes poses, which it does only once its model is checked and loaded
    proc = start_node(ros, model_copy, "pose_files")
    out = stop(proc)
    assert proc.returncode == 0 and "error" not in out, out


@pytest.mark.parametrize("damage", ["truncate", "modify", "forget"])
def test_damaged_model_is_one_clear_error(model_copy, damage):
    path = model_copy / MODEL
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "modify":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        (model_copy / "converted.json").write_text("{}")
    code, out = start(model_copy)
    assert code == 1 and "Traceback" not in out, out
    assert str(path) in out and "pose-ros-models" in out and "convert" in out, out


def test_a_model_linked_from_outside_the_model_directory_is_refused(model_copy, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / MODEL
    shutil.move(model_copy / MODEL, outside)
    (model_copy / MODEL).symlink_to(outside)
    code, out = start(model_copy)
    assert code == 1 and "Traceback" not in out, out
    assert "outside the model directory" in out, out


def test_a_damaged_record_is_one_clear_error(model_copy):
    record = model_copy / "converted.json"
    record.write_text(record.read_text()[:300])  # a copy stopped half way
    code, out = start(model_copy)
    assert code == 1 and "Traceback" not in out, out
    assert str(record) in out and "move it aside" in out, out
