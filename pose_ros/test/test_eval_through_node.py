"""pose-ros eval --through-node: the real pose_node process scores as the core does."""

from __future__ import annotations

import json
import subprocess

import pytest

from pose_ros.evaluation.coco_eval import core_estimators, evaluate, load_truth
from pose_ros.models.registry import model_spec
from pose_ros.node.parameters import BY_NAME, options_of

MODEL = "movenet_lightning"


def test_the_node_scores_as_the_core(shared_data, model_dir, tmp_path):
    dataset = shared_data / "coco-mini-train"
    # min_pose_score=0 as a user writes it: a whole number for a double parameter
    run = subprocess.run(["pose-ros", "eval", str(dataset), "--model", MODEL, "--through-node",
                          "--set", "min_pose_score=0", "--model-dir", str(model_dir),
                          "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    print("\n" + run.stdout)
    through_node = json.loads((tmp_path / "eval.json").read_text())[0]
    # the core with the values the node ships for the options its estimator takes
    shipped = {name: BY_NAME[name].default for name in options_of(model_spec(MODEL).family)}
    shipped["min_pose_score"] = 0.0
    core, _ = evaluate(dataset, load_truth(dataset), MODEL, shipped,
                       core_estimators(model_dir=model_dir))
    print(f"core, shipped values {shipped}: AP {core.metrics['AP']}, "
          f"keypoint error {core.keypoint_error_pct}")
    assert through_node["images"] == 28 and through_node["metrics"]["AP"] > 0.0
    # every image a first frame (stamps 10 s apart): no crop or smoothing carried over
    assert through_node["metrics"]["AP"] == pytest.approx(core.metrics["AP"], abs=0.01)
    assert through_node["matched_people"] == core.matched_people
    assert through_node["keypoint_error_pct"] == pytest.approx(core.keypoint_error_pct,
                                                               abs=0.05)


def test_a_parameter_the_model_does_not_use_is_one_line(shared_data, tmp_path):
    run = subprocess.run(["pose-ros", "eval", str(shared_data / "coco-mini-train"),
                          "--model", MODEL, "--through-node", "--set", "output_stride=8",
                          "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip() == (f"pose-ros eval: error: {MODEL} does not use parameter "
                                  "output_stride (used by posenet_mobilenet)")
