"""One check for every backend: an estimator on it finds the poses ONNX Runtime on the
CPU finds, on the same real image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pose_ros.api import create_estimator


def assert_same_poses_as_onnxruntime(model: str, backend: str, image: np.ndarray,
                                     model_dir: Path, score_tolerance: float = 1e-3) -> None:
    poses = {}
    for name in (backend, "onnxruntime"):
        estimator = create_estimator(model, backend=name, model_dir=model_dir)
        try:
            poses[name] = estimator.estimate(image)
            assert estimator.backend_name == name
        finally:
            estimator.close()
    assert len(poses[backend]) == len(poses["onnxruntime"]) > 0
    for a, b in zip(poses[backend], poses["onnxruntime"]):
        assert np.abs(a.xy - b.xy).max() < 0.5  # pixels
        assert np.abs(a.scores - b.scores).max() < score_tolerance
