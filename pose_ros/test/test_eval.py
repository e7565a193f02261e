"""pose-ros eval on the shared COCO subset, for every model, as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess

import cv2
import pytest

from pose_ros.evaluation.coco_eval import METRICS
from pose_ros.models.registry import model_names


@pytest.fixture(scope="module")
def evaluated(shared_data, model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    run = subprocess.run(["pose-ros", "eval", str(shared_data / "coco-mini-train"),
                          "--model-dir", str(model_dir), "--out", str(out), "--worst", "2"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    print("\n" + run.stdout)
    return run.stdout, out


def table_rows(markdown: str) -> dict[str, list[str]]:
    rows = [line.strip("|").split("|") for line in markdown.splitlines()
            if line.startswith("| ") and not line.startswith(("| model", "| ---"))]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def test_ap_for_every_model(evaluated):
    stdout, out = evaluated
    rows = table_rows(stdout)
    assert set(rows) == set(model_names())
    report = {r["model"]: r for r in json.loads((out / "eval.json").read_text())}
    for model, cells in rows.items():
        assert cells[0] == "defaults"
        metrics = report[model]["metrics"]
        assert set(metrics) == set(METRICS)
        assert [f"{metrics[m]:.3f}" for m in METRICS] == cells[1:]
        assert 0.0 < metrics["AP"] <= metrics["AP50"] <= 1.0
        assert report[model]["images"] == 28 and report[model]["labelled_people"] == 86
    # the bigger single-pose model and the multi-person model do better, as published
    ap = {m: report[m]["metrics"]["AP"] for m in report}
    assert ap["movenet_thunder"] > ap["movenet_lightning"]
    assert ap["movenet_multipose"] > ap["movenet_thunder"]


def test_worst_cases_are_written_as_images(evaluated):
    _, out = evaluated
    report = json.loads((out / "eval.json").read_text())
    for r in report:
        files = sorted((out / "worst" / r["model"]).glob("*.jpg"))
        assert [f.name[3:-4] for f in files] == [w["file_name"][:-4] for w in r["worst"]]
        assert r["worst"][0]["mean_oks"] <= r["worst"][1]["mean_oks"]
        assert cv2.imread(str(files[0])) is not None


def test_option_errors_are_clear(shared_data, model_dir, tmp_path):
    run = subprocess.run(["pose-ros", "eval", str(shared_data / "coco-mini-train"),
                          "--model", "movenet_lightning", "--option", "output_stride=8",
                          "--model-dir", str(model_dir), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert re.search(r"no option.*output_stride", run.stderr), run.stderr
