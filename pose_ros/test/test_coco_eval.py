"""The evaluation's arithmetic on constructed COCO cases whose AP and keypoint error
follow from the OKS formula, computed here independently of pycocotools; and the
option grid of ``pose-ros eval``. No model runs, no ROS."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pytest

from coco import Person, oks
from pose_ros.command_line import dispatch
from pose_ros.evaluation import cli
from pose_ros.evaluation.coco_eval import load_truth, score_results
from pose_ros.types import Pose

WIDTH, HEIGHT = 640, 480
DIAGONAL = 800.0  # sqrt(640^2 + 480^2)
THRESHOLDS = np.linspace(0.5, 0.95, 10)  # COCOeval's OKS thresholds
UNLABELLED = (1, 2, 15)  # left eye, right eye, left ankle: v = 0 in the truth


def standing_person(left: float) -> np.ndarray:
    """(17, 3) keypoints of an upright person 100 px wide, 200 px tall, v = 2 except
    UNLABELLED (0, at 0, 0 as COCO writes them)."""
    rows = [(50, 10), (45, 5), (55, 5), (40, 8), (60, 8), (30, 40), (70, 40), (25, 80),
            (75, 80), (20, 115), (80, 115), (38, 120), (62, 120), (36, 160), (64, 160),
            (35, 195), (65, 195)]
    keypoints = np.array([(left + x, 100.0 + y, 2.0) for x, y in rows])
    keypoints[list(UNLABELLED)] = 0.0
    return keypoints


def write_dataset(folder: Path, people: list[np.ndarray]) -> Path:
    annotations = [{"id": i + 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                    "keypoints": k.reshape(-1).tolist(),
                    "num_keypoints": int(np.count_nonzero(k[:, 2])),
                    "area": 100.0 * 200.0,
                    "bbox": [float(k[k[:, 2] > 0, 0].min()), 100.0, 100.0, 200.0]}
                   for i, k in enumerate(people)]
    (folder / "person_keypoints.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "still.jpg", "width": WIDTH, "height": HEIGHT}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person", "supercategory": "person",
                        "keypoints": [str(i) for i in range(17)], "skeleton": []}]}))
    return folder


def prediction(truth: np.ndarray, shift: tuple[float, float], score: float) -> dict:
    """A pose at the truth's keypoints moved by ``shift``; the unlabelled keypoints land
    far off, where only a metric that wrongly counted them would notice."""
    xy = truth[:, :2] + shift
    xy[list(UNLABELLED)] = (600.0, 20.0)
    keypoints = np.concatenate([xy, np.full((17, 1), 0.9)], axis=1)
    return {"image_id": 1, "category_id": 1, "keypoints": keypoints.reshape(-1).tolist(),
            "score": score}


def expected_oks(truth: np.ndarray, result: dict) -> float:
    xy = np.array(result["keypoints"], np.float32).reshape(17, 3)[:, :2]
    pose = Pose(xy, np.ones(17, np.float32), result["score"])
    return oks(pose, Person(truth, 100.0 * 200.0, (0.0, 0.0, 0.0, 0.0)))


def score(folder: Path, results: list[dict]):
    return score_results(load_truth(folder), [1], results)


def test_a_perfect_prediction_scores_one_and_no_error(tmp_path):
    truth = standing_person(left=100.0)
    scores = score(write_dataset(tmp_path, [truth]), [prediction(truth, (0, 0), 0.9)])
    assert scores.metrics["AP"] == scores.metrics["AP50"] == scores.metrics["AR"] == 1.0
    assert scores.keypoint_error_pct == 0.0  # the far-off unlabelled keypoints do not count
    assert scores.matched_people == 1


def test_a_shifted_prediction_scores_what_oks_says(tmp_path):
    truth = standing_person(left=100.0)
    result = prediction(truth, (6.0, 8.0), 0.9)  # 10 px off, every labelled keypoint
    scores = score(write_dataset(tmp_path, [truth]), [result])
    similarity = expected_oks(truth, result)
    # away from every threshold, so the expected AP does not hinge on rounding
    assert np.min(np.abs(THRESHOLDS - similarity)) > 0.01, similarity
    passed = float(np.mean(similarity >= THRESHOLDS))
    assert 0.0 < passed < 1.0, f"OKS {similarity}: the case should pass some thresholds"
    # one person, one pose: each threshold it passes is precision 1 at recall 1, else 0
    assert scores.metrics["AP"] == pytest.approx(passed, abs=1e-4)
    assert scores.metrics["AR"] == pytest.approx(passed, abs=1e-4)
    assert scores.metrics["AP50"] == 1.0
    assert scores.keypoint_error_pct == pytest.approx(10.0 / DIAGONAL * 100, abs=1e-3)


def test_an_unmatched_pose_is_not_in_the_keypoint_error(tmp_path):
    near, far = standing_person(left=100.0), standing_person(left=400.0)
    close = prediction(near, (3.0, 4.0), 0.9)      # 5 px off
    astray = prediction(far, (0.0, 150.0), 0.8)   # 150 px off: matches nobody
    assert expected_oks(far, astray) < 0.5 and expected_oks(near, astray) < 0.5
    scores = score(write_dataset(tmp_path, [near, far]), [close, astray])
    assert scores.matched_people == 1
    assert scores.keypoint_error_pct == pytest.approx(5.0 / DIAGONAL * 100, abs=1e-3)
    # one of two people found, at the thresholds its OKS passes
    passed = float(np.mean(expected_oks(near, close) >= THRESHOLDS))
    assert scores.metrics["AR"] == pytest.approx(passed / 2, abs=1e-4)


def test_no_prediction_scores_zero_without_an_error_figure(tmp_path):
    scores = score(write_dataset(tmp_path, [standing_person(left=100.0)]), [])
    assert scores.metrics["AP"] == 0.0 and scores.keypoint_error_pct is None
    assert scores.matched_people == 0


def test_the_grid_is_every_combination():
    sets = [cli.parse_set("image_scale_factor=0.5,1.0"), cli.parse_set("output_stride=8,16,32"),
            cli.parse_set("decoding=multi")]
    assert sets[0] == ("image_scale_factor", [0.5, 1.0])
    assert sets[2] == ("decoding", ["multi"])  # a bare word stays a string
    grid = cli.expand_grid(sets)
    assert len(grid) == 6
    assert grid[0] == {"image_scale_factor": 0.5, "output_stride": 8, "decoding": "multi"}
    assert grid[-1] == {"image_scale_factor": 1.0, "output_stride": 32, "decoding": "multi"}
    assert len({tuple(g.items()) for g in grid}) == 6
    assert cli.expand_grid([]) == [{}]  # no --set: the defaults, once


@pytest.mark.parametrize("sets, message", [
    (["--set", "output_stride=8"],
     r"movenet_lightning has no option\(s\) \['output_stride'\]; it takes .*smoothing"),
    (["--set", "output_stride"], r"write NAME=V1,V2"),
    (["--set", "smoothing=True", "--set", "smoothing=False"], r"smoothing given more than once"),
])
def test_a_bad_option_is_one_line_before_anything_runs(tmp_path, capsys, sets, message):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    out = tmp_path / "out"
    # the dataset does not exist: the options are checked before it is read
    args = parser.parse_args([str(tmp_path / "absent"), "--model", "movenet_lightning",
                              *sets, "--out", str(out)])
    assert dispatch(args, (ValueError, OSError), "pose-ros eval") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("pose-ros eval: error: ")
    assert re.search(message, err), err
    assert not out.exists()
