"""TensorRT shape profiles (each estimator's input_profile) against what the estimators
really feed: each estimator runs on the real ONNX Runtime backend, wrapped to record
every input shape and to serve only its profile's shapes, as an engine does. A shape
the profile missed would make a second backend (an engine rebuild) and fail here."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pose_ros.api import create_estimator
from pose_ros.backends.onnxruntime_backend import OnnxRuntimeBackend
from pose_ros.backends.shape_profiles import ShapeProfile
from pose_ros.estimators.posenet import IMAGE_SCALE_RANGE


class ShapeRecordingOnnxRuntime(OnnxRuntimeBackend):
    """ONNX Runtime that records the input shapes it runs and serves its profile only
    (``Backend.serves``, given a profile)."""

    def __init__(self, files, profile: ShapeProfile) -> None:
        super().__init__(files.onnx, threads=1)
        self.profile = profile
        self.fed: list[dict[str, tuple[int, ...]]] = []

    def run(self, feeds):
        self.fed.append({name: array.shape for name, array in feeds.items()})
        return super().run(feeds)


def recording_estimator(model: str, model_dir, camera_sizes, **options):
    estimator = create_estimator(model, backend="onnxruntime", model_dir=model_dir, **options)
    made: list[ShapeRecordingOnnxRuntime] = []

    def make(files, profile, cancel):
        made.append(ShapeRecordingOnnxRuntime(files, profile))
        return made[-1]
    estimator._make_backend = make
    estimator.camera_sizes = list(camera_sizes)  # as engine build --camera-size sets them
    return estimator, made


def frames(image, sizes):
    return [cv2.resize(image, size) for size in sizes]


def assert_covered(made):
    for backend in made:
        assert backend.fed, "a backend made but never run"
        for shapes in backend.fed:
            assert backend.profile.covers(shapes), (shapes, backend.profile)


POSENET_CAMERAS = [(640, 480), (320, 240), (512, 288)]


def test_posenet_scale_changes_within_range_and_configured_cameras_need_no_new_engine(
        model_dir, astronaut):
    estimator, made = recording_estimator("posenet_mobilenet", model_dir, POSENET_CAMERAS,
                                          output_stride=16, decoding="single")
    estimator.warm_up(640, 480)  # as the node's configure does, at the default 0.875
    images = frames(astronaut, POSENET_CAMERAS)
    scales = sorted({*IMAGE_SCALE_RANGE, 0.25, 0.5, 0.7, 0.875, 0.95})
    for scale in scales:
        for flip in (False, True):
            estimator.configure(image_scale_factor=scale, flip_horizontal=flip)
            for image in images:
                estimator.estimate(image)
    assert len(made) == 1, [b.profile for b in made]
    assert len(made[0].fed) == 1 + len(scales) * 2 * len(images)
    assert len({s["image"] for s in made[0].fed}) > 10  # the profile is really dynamic
    assert_covered(made)
    # tuned for the warm-up's camera at the configured scale: 480 * 0.875 - 1 = 419 and
    # 640 * 0.875 - 1 = 559, each rounded down to k * 16 + 1
    assert made[0].profile.shapes["image"][1] == (1, 417, 545, 3)
    estimator.close()


def test_posenet_has_one_profile_per_stride(model_dir, astronaut):
    estimator, made = recording_estimator("posenet_mobilenet", model_dir, [(640, 480)],
                                          decoding="single")
    image = cv2.resize(astronaut, (640, 480))
    for stride in (8, 16, 32):
        for scale in IMAGE_SCALE_RANGE:
            estimator.configure(output_stride=stride, image_scale_factor=scale)
            estimator.estimate(image)
    assert len(made) == 3  # one model file (one engine) per stride, never more
    assert_covered(made)
    estimator.close()


# aspect ratios from portrait to a panorama strip: MultiPose pads them all into its range
MULTIPOSE_CAMERAS = [(640, 480), (480, 640), (1280, 720), (1920, 1080), (1000, 100),
                     (60, 900), (256, 256)]


@pytest.mark.parametrize("max_dimension", [256, 320])
def test_multipose_serves_every_camera_with_one_engine(model_dir, astronaut, max_dimension):
    estimator, made = recording_estimator("movenet_multipose", model_dir, [(640, 480)],
                                          max_dimension=max_dimension)
    for t, image in enumerate(frames(astronaut, MULTIPOSE_CAMERAS)):
        estimator.estimate(image, t * 0.1)
    assert len(made) == 1
    assert len({s["input"] for s in made[0].fed}) >= 4
    assert_covered(made)
    assert made[0].profile.shapes["input"][2] == (1, max_dimension, max_dimension, 3)
    estimator.close()


@pytest.mark.parametrize("model, crop", [("movenet_lightning", 192), ("movenet_thunder", 256)])
def test_single_pose_movenet_is_one_fixed_shape_for_every_camera(model_dir, astronaut, model,
                                                                  crop):
    estimator, made = recording_estimator(model, model_dir, [(640, 480)])
    for t, image in enumerate(frames(astronaut, [(640, 480), (1280, 720), (300, 500)])):
        for k in range(3):  # first frames refine, later ones follow a crop
            estimator.estimate(image, t * 10.0 + k * 0.03)
    assert len(made) == 1 and made[0].profile == ShapeProfile.fixed({"input": (1, crop, crop, 3)})
    assert_covered(made)
    estimator.close()


def test_a_camera_outside_the_profile_gets_a_profile_covering_old_and_new(model_dir,
                                                                         astronaut):
    """A resolution the engine was not built for does need a new one; it covers the
    cameras seen before too, so switching back does not build a third."""
    estimator, made = recording_estimator("posenet_mobilenet", model_dir, [(320, 240)],
                                          decoding="single")
    small, large = frames(astronaut, [(320, 240), (960, 720)])
    for image in (small, large, small, large):
        estimator.estimate(image)
    assert len(made) == 2
    assert made[1].profile.covers({"image": made[0].fed[0]["image"]})
    assert estimator.camera_sizes == [(320, 240), (960, 720)]
    assert_covered(made)
    estimator.close()


def test_spanning_needs_one_rank():
    with pytest.raises(ValueError, match="differ in rank"):
        ShapeProfile.spanning("x", [(1, 2, 3)], (1, 2))
    profile = ShapeProfile.spanning("x", [(1, 9, 4, 3), (1, 5, 8, 3)], (1, 6, 6, 3))
    assert profile.shapes["x"] == ((1, 5, 4, 3), (1, 6, 6, 3), (1, 9, 8, 3))
    assert np.all([profile.covers({"x": s}) for s in [(1, 5, 4, 3), (1, 9, 8, 3)]])


def test_a_profile_contains_another_when_it_covers_both_its_corners():
    small = ShapeProfile.spanning("x", [(1, 5, 4, 3), (1, 9, 8, 3)], (1, 6, 6, 3))
    both = ShapeProfile.spanning("x", [(1, 5, 4, 3), (1, 20, 30, 3)], (1, 6, 6, 3))
    assert both.contains(small) and both.contains(both)
    assert not small.contains(both)
    shifted = ShapeProfile.spanning("x", [(1, 6, 4, 3), (1, 20, 30, 3)], (1, 6, 6, 3))
    assert not shifted.contains(small)  # its min is beyond small's
    assert not both.contains(ShapeProfile.fixed({"y": (1, 6, 6, 3)}))  # another input
