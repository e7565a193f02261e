"""Non-finite or absurd backend outputs never become published poses."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ros.api import create_estimator
from pose_ros.backends.base import Backend
from pose_ros.estimators.base import InvalidModelOutput
from pose_ros.models.registry import model_names
from pose_ros.output_sanity import is_sane, sane_poses
from pose_ros.types import Pose


def pose(**change) -> Pose:
    p = Pose(xy=np.full((17, 2), 50.0, np.float32), scores=np.full(17, 0.9, np.float32), score=0.9)
    for k, v in change.items():
        setattr(p, k, v)
    return p


@pytest.mark.parametrize("bad", [
    dict(xy=np.full((17, 2), np.nan, np.float32)),
    dict(xy=np.full((17, 2), np.inf, np.float32)),
    dict(xy=np.full((17, 2), 1e9, np.float32)),
    dict(xy=np.full((17, 2), -1e5, np.float32)),
    dict(scores=np.full(17, np.nan, np.float32)),
    dict(scores=np.full(17, 7.0, np.float32)),
    dict(score=float("nan")),
    dict(score=-0.5),
    dict(box=np.array([0, 0, np.inf, 10], np.float32)),
])
def test_insane_poses_are_dropped(bad):
    kept, dropped = sane_poses([pose(), pose(**bad)], 640, 480)
    assert len(kept) == 1 and dropped == 1 and is_sane(kept[0], 640, 480)


def test_keypoints_just_outside_the_frame_are_kept():
    assert is_sane(pose(xy=np.array([[-30.0, 500.0]] * 17, np.float32)), 640, 480)


class GarbageBackend(Backend):
    """A backend gone wrong: the right output shapes, filled with ``value``."""

    name = "garbage"

    def __init__(self, real: Backend, value: float) -> None:
        self._real, self._value = real, value
        self._inputs, self._outputs = real.inputs, real.outputs

    def run(self, feeds):
        return {k: np.full_like(v, self._value) for k, v in self._real.run(feeds).items()}

    def close(self) -> None:
        self._real.close()


def garbage_estimator(model: str, model_dir, value: float):
    estimator = create_estimator(model, backend="onnxruntime", model_dir=model_dir)
    make = estimator._make_backend
    estimator._make_backend = lambda files, profile, cancel: GarbageBackend(
        make(files, profile, cancel), value)
    return estimator


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("model", model_names())
def test_non_finite_outputs_are_refused_before_decoding(model, value, model_dir, astronaut):
    estimator = garbage_estimator(model, model_dir, value)
    with pytest.raises(InvalidModelOutput, match="NaN or inf"):
        estimator.estimate(astronaut, 0.0)
    estimator.close()


@pytest.mark.parametrize("value", [1e30, -1e30, 1e6])
@pytest.mark.parametrize("model", model_names())
def test_absurd_finite_outputs_never_pass_the_gate(model, value, model_dir, astronaut):
    estimator = garbage_estimator(model, model_dir, value)
    h, w = astronaut.shape[:2]
    # no 0/0, x/0 or unhandled overflow on the way either
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        for t in (None, 0.0, 0.033, 0.066):  # a still, then video (filters, trackers, crops)
            kept, _ = sane_poses(estimator.estimate(astronaut, t), w, h)
            for p in kept:
                assert np.isfinite(p.xy).all() and np.isfinite(p.scores).all()
    estimator.close()
