"""Each model finds the annotated people of real COCO images; mean OKS is reported.

People with fewer than 5 labelled keypoints (a hand, a shoulder at the border)
are left out: a pose model cannot be judged on them. Single-pose models are
judged on the images with one annotated person; multi-pose models on everyone.
"""

from __future__ import annotations

import numpy as np
import pytest

import coco
from pose_ros.api import create_estimator
from pose_ros.keypoints import KEYPOINT_INDEX

MIN_LABELLED = 5
MIN_MEAN_OKS = 0.5
SINGLE_POSE = ["movenet_lightning", "movenet_thunder"]
MULTI_POSE = ["movenet_multipose", "posenet_mobilenet"]


@pytest.fixture(scope="module")
def images(shared_data):
    return coco.load(shared_data / "coco-mini-train")


def _evaluate(name, model_dir, images, single_person_only):
    estimator = create_estimator(name, backend="onnxruntime", model_dir=model_dir)
    results = []
    for image in images:
        if single_person_only and image.num_annotations != 1:
            continue
        people = [p for p in image.people if p.num_keypoints >= MIN_LABELLED]
        if people:
            results += coco.match(estimator.estimate(image.rgb()), people)
    return np.array(results)


@pytest.mark.parametrize("name", SINGLE_POSE)
def test_single_pose_models_on_single_person_images(model_dir, images, name):
    oks = _evaluate(name, model_dir, images, single_person_only=True)
    print(f"\n{name}: {len(oks)} people, found {np.count_nonzero(oks)}, "
          f"mean OKS {oks.mean():.3f}, per person {np.round(oks, 2).tolist()}")
    assert np.all(oks > 0), "a single-pose model missed the only person of an image"
    assert oks.mean() >= MIN_MEAN_OKS


@pytest.mark.parametrize("name", MULTI_POSE)
def test_multi_pose_models_on_every_person(model_dir, images, name):
    oks = _evaluate(name, model_dir, images, single_person_only=False)
    found = oks[oks > 0]
    print(f"\n{name}: {len(oks)} people, found {len(found)}, mean OKS of those found "
          f"{found.mean():.3f}")
    single = _evaluate(name, model_dir, images, single_person_only=True)
    assert np.all(single > 0), "missed the only person of an image"
    assert len(found) >= 0.25 * len(oks), "found too few of the annotated people"
    assert found.mean() >= MIN_MEAN_OKS


def test_flip_swaps_left_and_right(model_dir, astronaut):
    """Flipped, the model sees the mirror image: keypoints come back in the source
    frame with left and right exchanged (what a mirrored camera needs)."""
    plain = create_estimator("posenet_mobilenet", backend="onnxruntime", model_dir=model_dir,
                             decoding="single", image_scale_factor=0.75)
    flipped = create_estimator("posenet_mobilenet", backend="onnxruntime", model_dir=model_dir,
                               decoding="single", image_scale_factor=0.75, flip_horizontal=True)
    a = plain.estimate(astronaut)[0]
    b = flipped.estimate(astronaut)[0]
    for left, right in [("left_shoulder", "right_shoulder"), ("left_eye", "right_eye")]:
        assert np.hypot(*(a.xy[KEYPOINT_INDEX[left]] - b.xy[KEYPOINT_INDEX[right]])) < 12
        assert np.hypot(*(a.xy[KEYPOINT_INDEX[right]] - b.xy[KEYPOINT_INDEX[left]])) < 12
