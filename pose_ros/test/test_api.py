"""posenet 1.x's one-call API: one model session per (model, backend, model_dir), and a
call's options never reach a later call."""

from __future__ import annotations

import re
from dataclasses import fields

import numpy as np
import onnxruntime
import pytest

from pose_ros import api
from pose_ros.api import create_estimator
from pose_ros.estimators import FAMILIES
from pose_ros.models.registry import model_spec


@pytest.fixture
def sessions(monkeypatch):
    """Every ONNX Runtime session made during the test: real sessions, counted."""
    made = []

    class Counted(onnxruntime.InferenceSession):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)
    monkeypatch.setattr(onnxruntime, "InferenceSession", Counted)
    api.close_cached_estimators()  # start without sessions made by earlier tests
    yield made
    api.close_cached_estimators()


def same_poses(a, b) -> bool:
    return len(a) == len(b) and all(
        p.score == q.score and np.array_equal(p.xy, q.xy) and np.array_equal(p.scores, q.scores)
        for p, q in zip(a, b))


def test_repeated_calls_load_the_model_once(sessions, model_dir, astronaut):
    for _ in range(3):
        single = api.estimate_single_pose(astronaut, model_dir=model_dir, backend="onnxruntime")
        many = api.estimate_multiple_poses(astronaut, model_dir=model_dir,
                                           backend="onnxruntime")
    assert len(sessions) == 1, f"{len(sessions)} ONNX Runtime sessions for one model"
    assert single.score > 0.3 and many and many[0].score > 0.3  # the astronaut was found
    # the same directory spelled differently is the same cache entry
    api.estimate_multiple_poses(astronaut, model_dir=model_dir / "." / "engines" / "..",
                                backend="onnxruntime")
    assert len(sessions) == 1
    # another stride is another ONNX file, so one more session, kept for the next call
    api.estimate_single_pose(astronaut, output_stride=8, model_dir=model_dir,
                             backend="onnxruntime")
    api.estimate_single_pose(astronaut, output_stride=8, model_dir=model_dir,
                             backend="onnxruntime")
    assert len(sessions) == 2


def test_a_call_with_options_leaves_no_trace(model_dir, astronaut):
    estimator = create_estimator("posenet_mobilenet", "onnxruntime", model_dir)
    config = estimator.config
    alone = estimator.estimate(astronaut)
    api.estimate_single_pose(astronaut, image_scale_factor=0.8, flip_horizontal=True,
                             output_stride=8, estimator=estimator)
    api.estimate_multiple_poses(astronaut, image_scale_factor=0.3, output_stride=32,
                                max_pose_detections=1, score_threshold=0.9, nms_radius=5.0,
                                estimator=estimator)
    assert estimator.config == config
    assert same_poses(estimator.estimate(astronaut), alone)
    estimator.close()


def test_a_refused_option_leaves_no_trace(model_dir, astronaut):
    estimator = create_estimator("posenet_mobilenet", "onnxruntime", model_dir)
    config = estimator.config
    with pytest.raises(ValueError, match="output_stride must be one of"):
        api.estimate_single_pose(astronaut, output_stride=4, estimator=estimator)
    assert estimator.config == config
    estimator.close()


def test_single_pose_then_multi_pose_equals_multi_pose_alone(sessions, model_dir, astronaut):
    alone = api.estimate_multiple_poses(astronaut, model_dir=model_dir, backend="onnxruntime")
    api.estimate_single_pose(astronaut, image_scale_factor=0.8, flip_horizontal=True,
                             output_stride=8, model_dir=model_dir, backend="onnxruntime")
    after = api.estimate_multiple_poses(astronaut, model_dir=model_dir, backend="onnxruntime")
    assert same_poses(after, alone)



def _takes(model: str, option: str) -> bool:
    return option in {f.name for f in fields(FAMILIES[model_spec(model).family].config)}


SHARED_OPTIONS_OUT_OF_RANGE = [
    ("min_pose_score", 5, "min_pose_score must be in [0, 1], not 5"),
    ("max_gap_s", -1.0, "max_gap_s must be positive, not -1.0"),
    ("smoothing", "maybe", "smoothing must be true or false, not 'maybe'"),
    ("min_pose_score", "high", "min_pose_score must be a number, not 'high'")]


@pytest.mark.parametrize("model, option, value, refused", [
    (model, *case) for model in ("movenet_lightning", "movenet_multipose", "posenet_mobilenet")
    for case in SHARED_OPTIONS_OUT_OF_RANGE if _takes(model, case[0])])
def test_every_family_refuses_a_shared_option_out_of_range(model, option, value, refused,
                                                            model_dir):
    """What pose-ros eval --set and the API pass straight through, checked alike for
    every family, before any model is loaded."""
    with pytest.raises(ValueError, match=re.escape(refused)):
        create_estimator(model, backend="onnxruntime", model_dir=model_dir, **{option: value})
