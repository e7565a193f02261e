"""``pose-ros-models`` as a robot user meets it: every failure one line that says what to
do, a suggested command that can be pasted, and a record that concurrent runs keep."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from pose_ros.command_line import dispatch
from pose_ros.models import command
from pose_ros.models.converted import read_manifest, record

MODEL = "movenet_lightning"


def models_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["pose-ros-models", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **env})


def test_a_suggested_command_can_be_pasted(tmp_path, monkeypatch):
    """Off PATH (a colcon install puts it in lib/pose_ros) it runs through ros2 run; a
    model directory with a space stays one word."""
    folder = tmp_path / "my models"
    monkeypatch.setenv("PATH", str(tmp_path))
    command._program.cache_clear()
    try:
        text = command.models_command("convert", MODEL, model_dir=folder)
    finally:
        command._program.cache_clear()
    assert text.startswith("`ros2 run pose_ros pose-ros-models --model-dir ") and \
        text.endswith(f" convert {MODEL}`"), text
    assert shlex.split(text.strip("`"))[5] == str(folder)


def test_a_damaged_record_is_named_with_the_way_out(model_dir, tmp_path):
    damaged = tmp_path / "models"
    damaged.mkdir()
    text = (model_dir / "converted.json").read_text()
    (damaged / "converted.json").write_text(text[: len(text) // 2])
    run = models_cli("--model-dir", str(damaged), "list")
    assert run.returncode == 1 and run.stderr.count("\n") == 1, run.stderr
    assert str(damaged / "converted.json") in run.stderr and "move it aside" in run.stderr


def test_a_tilde_in_the_model_dir_is_home(tmp_path):
    """`--model-dir=~/models` reaches the program unexpanded: it is the node's folder,
    which expands it too, not a folder named '~'."""
    run = models_cli("--model-dir=~/robot_models", "list", HOME=str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert f"model directory: {tmp_path / 'robot_models'}" in run.stdout, run.stdout


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"),
                    reason="root writes anywhere, and setpriv is not here to stop it")
def test_a_folder_it_cannot_write_is_one_line(model_dir, tmp_path):
    target = tmp_path / "read-only"
    target.mkdir()
    target.chmod(0o555)
    run_as_user = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] \
        if os.geteuid() == 0 else []
    try:  # real, converted models: only the archive's folder refuses
        run = subprocess.run([*run_as_user, "pose-ros-models", "--model-dir", str(model_dir),
                              "export", str(target / "models.tar"), MODEL],
                             capture_output=True, text=True, timeout=120)
    finally:
        target.chmod(0o755)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith("pose-ros-models: error: [Errno 13] Permission denied"), \
        run.stderr
    assert str(target) in run.stderr and not (target / "models.tar").exists(), run.stderr


def test_ctrl_c_is_one_line_and_exit_130(capsys):
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt
    assert dispatch(argparse.Namespace(func=interrupted), (ValueError,), "pose-ros-models") == 130
    assert capsys.readouterr().err == "pose-ros-models: interrupted\n"


def _record_many(folder: Path, worker: int) -> None:
    for i in range(40):
        record(folder, {f"model_{worker}_{i}": {"files": {}}})


def test_conversions_at_once_keep_each_others_models(tmp_path):
    """Each run merges its models into converted.json under a lock; two conversions into
    one folder once lost the model the other finished first."""
    (tmp_path / "converted.json").write_text(json.dumps({"kept": {"files": {}}}))
    workers = [multiprocessing.get_context("fork").Process(target=_record_many,
                                                            args=(tmp_path, w))
               for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert all(w.exitcode == 0 for w in workers)
    assert len(read_manifest(tmp_path)) == 1 + 4 * 40


def test_list_says_what_each_model_is_and_its_licence(model_dir):
    from pose_ros.models.registry import model_names, model_spec

    run = models_cli("--model-dir", str(model_dir), "list")
    assert run.returncode == 0, run.stderr
    for name in model_names():
        spec = model_spec(name)
        assert f"{name:20} {spec.description} ({spec.license}; {spec.origin})" in run.stdout
    assert "MoveNet SinglePose Lightning v4 (Apache-2.0; " in run.stdout
