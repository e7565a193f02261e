"""The three-line Python API.

    from pose_ros.api import create_estimator
    estimator = create_estimator("movenet_lightning", backend="auto")
    poses = estimator.estimate(rgb_image, timestamp)

and posenet 1.x's one-call functions, ``estimate_single_pose`` and
``estimate_multiple_poses``. Without an ``estimator`` they share one, made on first
use and kept per (model, backend, model_dir), so a loop over images loads the model
once; :func:`close_cached_estimators` frees them. A cache rather than a context
manager keeps posenet's one-line calls one line. The estimators are not thread-safe:
threads use their own from :func:`create_estimator`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from pose_ros.estimators import FAMILIES, EstimatorConfig, PoseEstimator, PoseNetEstimator
from pose_ros.estimators.base import backend_factory
from pose_ros.models.registry import default_model_dir, model_spec
from pose_ros.types import Pose

POSENET_MODEL = "posenet_mobilenet"
_cache: dict[tuple[str, str, Path], PoseEstimator] = {}
_cache_lock = threading.Lock()


def create_estimator(model: str = "movenet_lightning", backend: str = "auto",
                     model_dir: Path | str | None = None, threads: int = 0,
                     precision: str = "fp16", engine_dir: Path | str | None = None,
                     **options: Any) -> PoseEstimator:
    """An estimator for a registry model; ``options`` are its family's config fields
    (e.g. ``output_stride=8`` for PoseNet, ``tracking="keypoint"`` for MultiPose).
    TensorRT engines are cached in ``engine_dir`` (default: <model_dir>/engines); once
    one serves, an input it cannot serve (a new camera size, a PoseNet stride) raises
    ``EngineBuilding`` while the next engine builds on a thread of its own."""
    spec = model_spec(model)
    config = _config(model, options)  # the estimator validates its values
    directory = Path(model_dir) if model_dir else default_model_dir()
    make = backend_factory(backend, threads=threads, precision=precision,
                           engine_dir=Path(engine_dir) if engine_dir else directory / "engines")
    return FAMILIES[spec.family].estimator(spec, directory, make, config)


def check_options(model: str, options: Mapping[str, Any]) -> None:
    """Raise a one-line ValueError when ``model``'s family takes no option named as one
    of ``options`` (its config's fields), or cannot take its value, before any model is
    loaded."""
    _config(model, options).validate(model_spec(model))


def _config(model: str, options: Mapping[str, Any]) -> EstimatorConfig:
    """``model``'s family config of ``options``, a name it does not take refused in one
    line (the dataclass would raise a TypeError)."""
    config = FAMILIES[model_spec(model).family].config
    known = {f.name for f in fields(config)}
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"{model} has no option(s) {sorted(unknown)}; it takes {sorted(known)}")
    return config(**options)


def cached_estimator(model: str, backend: str = "auto",
                     model_dir: Path | str | None = None) -> PoseEstimator:
    """The shared estimator of ``model`` on ``backend`` from ``model_dir`` (made once)."""
    directory = (Path(model_dir) if model_dir else default_model_dir()).resolve()
    key = (model, backend, directory)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = create_estimator(model, backend, directory)
        return _cache[key]


def close_cached_estimators() -> None:
    """Close the shared estimators (their model sessions); later calls make new ones."""
    with _cache_lock:
        for estimator in _cache.values():
            estimator.close()
        _cache.clear()


def _posenet(estimator: PoseNetEstimator | None, backend: str,
             model_dir: Path | str | None) -> PoseNetEstimator:
    if estimator is not None:
        return estimator
    shared = cached_estimator(POSENET_MODEL, backend, model_dir)
    assert isinstance(shared, PoseNetEstimator)  # the registry's family for POSENET_MODEL
    return shared


def estimate_single_pose(image: np.ndarray, image_scale_factor: float = 0.5,
                         flip_horizontal: bool = False, output_stride: int = 16,
                         estimator: PoseNetEstimator | None = None, *, backend: str = "auto",
                         model_dir: Path | str | None = None) -> Pose:
    """PoseNet single-pose estimation with posenet 1.x's parameters. One difference:
    with ``flip_horizontal`` the model sees the image mirrored, but the keypoints are in
    ``image``'s own pixels, as the node publishes them (posenet 1.x returns them in the
    mirrored image: there x is ``width - 1 - x``)."""
    return _posenet(estimator, backend, model_dir).estimate_single_pose(
        image, image_scale_factor, flip_horizontal, output_stride)


def estimate_multiple_poses(image: np.ndarray, image_scale_factor: float = 0.5,
                            flip_horizontal: bool = False, output_stride: int = 16,
                            max_pose_detections: int = 5, score_threshold: float = 0.5,
                            nms_radius: float = 20.0,
                            estimator: PoseNetEstimator | None = None, *, backend: str = "auto",
                            model_dir: Path | str | None = None) -> list[Pose]:
    """PoseNet multi-pose estimation with posenet 1.x's parameters (and its one
    difference, ``flip_horizontal``'s keypoints: :func:`estimate_single_pose`)."""
    return _posenet(estimator, backend, model_dir).estimate_multiple_poses(
        image, image_scale_factor, flip_horizontal, output_stride, max_pose_detections,
        score_threshold, nms_radius)
