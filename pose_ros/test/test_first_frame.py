"""MoveNet single-pose with nothing to follow (a still, a first frame, a break in the
stamps) and the reset of temporal state when the stamps break off: the real models on
the shared COCO images and the squats video."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pose_ros.api import create_estimator
from pose_ros.bag.frames import open_frames
from pose_ros.evaluation.coco_eval import core_estimators, evaluate, load_truth
from pose_ros.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

SINGLE_POSE = ("movenet_lightning", "movenet_thunder")


def video(shared_data, count: int) -> list[tuple[float, np.ndarray]]:
    """The squats video's first frames as (seconds, RGB)."""
    frames = []
    for frame in open_frames(shared_data / "video" / "pose_squats.mp4"):
        frames.append((frame.offset_ns * 1e-9, cv2.cvtColor(frame.bgr, cv2.COLOR_BGR2RGB)))
        if len(frames) == count:
            break
    return frames


@pytest.fixture(scope="module")
def coco_truth(shared_data):
    dataset = shared_data / "coco-mini-train"
    return dataset, load_truth(dataset)


@pytest.mark.parametrize("model", SINGLE_POSE)
def test_refinement_lifts_ap_on_stills(model, model_dir, coco_truth):
    """Letterboxed whole, the COCO images' people cover few input pixels; the second
    pass on their crop sees them at the model's resolution."""
    dataset, truth = coco_truth
    estimators = core_estimators(model_dir=model_dir)
    one_pass, _ = evaluate(dataset, truth, model, {"refine_first_frame": False}, estimators)
    two_pass, _ = evaluate(dataset, truth, model, {}, estimators)
    print(f"\n{model}: AP {one_pass.metrics['AP']:.3f} one pass, "
          f"{two_pass.metrics['AP']:.3f} refined")
    assert two_pass.metrics["AP"] > 1.3 * one_pass.metrics["AP"]
    assert two_pass.metrics["AR"] > one_pass.metrics["AR"]


def test_refinement_runs_once_then_the_crop_follows(model_dir, shared_data):
    est = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir)
    for t, rgb in video(shared_data, 20):
        (pose,) = est.estimate(rgb, timestamp=t)
        assert pose.score > 0.3  # the person is found on every frame
    assert est.counters() == {"temporal_resets": 0, "first_frame_refinements": 1}
    assert est.second_pass_s == 0.0  # a followed frame runs once
    est.estimate(video(shared_data, 1)[0][1])  # a still: nothing to follow
    assert est.counters()["first_frame_refinements"] == 2
    assert est.second_pass_s > 0.0  # timed apart from decoding (the node's refine stage)


def test_the_next_crop_waits_for_follow_and_is_the_same_either_way(model_dir, shared_data):
    """The node computes the next crop after publishing (``follow``); a caller who never
    calls it gets it at the next ``preprocess``: the same crops, the same poses."""
    eager, lazy = (create_estimator("movenet_lightning", backend="onnxruntime",
                                    model_dir=model_dir) for _ in range(2))
    moved = 0
    for t, rgb in video(shared_data, 10):
        (expected,) = eager.estimate(rgb, timestamp=t)
        prepared = lazy.preprocess(rgb, timestamp=t)
        (pose,) = lazy.postprocess(lazy.infer(prepared), prepared, timestamp=t)
        assert np.array_equal(pose.xy, expected.xy)
        h, w = rgb.shape[:2]
        # until follow, the crop is the one this frame ran on
        assert np.array_equal(lazy.input_transform(w, h).matrix, prepared.transform.matrix)
        lazy.follow()
        moved += not np.array_equal(lazy.input_transform(w, h).matrix,
                                    prepared.transform.matrix)
    assert moved >= 5  # the crop follows the squatting person


def test_refinement_off_is_one_pass(model_dir, shared_data):
    est = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir,
                           refine_first_frame=False)
    est.estimate(video(shared_data, 1)[0][1])
    assert est.counters()["first_frame_refinements"] == 0


def lightning_output(score: float) -> dict[str, np.ndarray]:
    """A Lightning output: every keypoint at the crop's centre, scoring ``score``."""
    out = np.zeros((1, 1, NUM_KEYPOINTS, 3), np.float32)
    out[..., :2], out[..., 2] = 0.5, score
    return {"keypoints": out}


def crop_corners(est, width: int, height: int) -> np.ndarray:
    """The next crop's outer corners in the image: linear in its region."""
    size = est.input_size
    return est.input_transform(width, height).to_image(
        np.array([[-0.5, -0.5], [size - 0.5, size - 0.5]]))


def test_a_pose_below_min_pose_score_resets_as_the_reference(model_dir, shared_data):
    """tfjs' MoveNet resets (crop and filters) on a pose below minPoseScore: a pose
    that is not reported must not steer the next crop."""
    est = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir,
                           min_pose_score=0.25)
    (t0, rgb0), (t1, rgb1) = video(shared_data, 2)
    h, w = rgb0.shape[:2]
    whole = crop_corners(est, w, h)  # nothing followed yet
    est.estimate(rgb0, timestamp=t0)
    assert not np.allclose(crop_corners(est, w, h), whole)  # the crop follows the person
    prepared = est.preprocess(rgb1, timestamp=t1)
    assert est.postprocess(lightning_output(0.22), prepared, timestamp=t1) == []
    est.follow()
    np.testing.assert_array_equal(crop_corners(est, w, h), whole)


def test_a_lost_torso_moves_the_crop_towards_the_whole_image_through_its_filter(
        model_dir, shared_data):
    """tfjs' determineNextCropRegion falls back to the whole image and still passes it
    through filterCropRegion: 0.9 of the whole image, 0.1 of the crop before."""
    est = create_estimator("movenet_lightning", backend="onnxruntime", model_dir=model_dir)
    (t0, rgb0), (t1, rgb1) = video(shared_data, 2)
    h, w = rgb0.shape[:2]
    whole = crop_corners(est, w, h)
    est.estimate(rgb0, timestamp=t0)
    followed = crop_corners(est, w, h)
    prepared = est.preprocess(rgb1, timestamp=t1)
    no_hips = lightning_output(0.8)
    no_hips["keypoints"][0, 0, [KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]], 2] = 0.1
    (pose,) = est.postprocess(no_hips, prepared, timestamp=t1)
    assert pose.score == pytest.approx(0.8)  # reported: only its torso is missing
    est.follow()
    np.testing.assert_allclose(crop_corners(est, w, h), 0.9 * whole + 0.1 * followed,
                               atol=1e-6)


def poses_after_a_break(model, model_dir, frames, break_stamp):
    """Poses of the last frame, played after the others with ``break_stamp``, and of a
    fresh estimator on that frame alone; and the first estimator's counters."""
    est = create_estimator(model, backend="onnxruntime", model_dir=model_dir)
    for t, rgb in frames[:-1]:
        est.estimate(rgb, timestamp=t)
    after = est.estimate(frames[-1][1], timestamp=break_stamp)
    fresh = create_estimator(model, backend="onnxruntime", model_dir=model_dir)
    alone = fresh.estimate(frames[-1][1], timestamp=break_stamp)
    return after, alone, est.counters()


@pytest.mark.parametrize("model", ("movenet_lightning", "movenet_multipose"))
@pytest.mark.parametrize("jump", ("back", "forward"))
def test_a_break_in_the_stamps_resets_all_temporal_state(model, jump, model_dir, shared_data):
    frames = video(shared_data, 31)
    last_t = frames[-2][0]
    stamp = -5.0 if jump == "back" else last_t + 1.5  # max_gap_s is 1 s
    after, alone, counters = poses_after_a_break(model, model_dir, frames, stamp)
    assert counters["temporal_resets"] == 1
    assert len(after) == len(alone) > 0
    for a, b in zip(after, alone):
        np.testing.assert_allclose(a.xy, b.xy, atol=1e-3)
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)


def test_without_a_break_the_state_carries_on(model_dir, shared_data):
    """The control: the same frame 0.4 s on continues the video, so the tracked crop
    and the smoother shape its pose and it differs from a fresh estimator's."""
    frames = video(shared_data, 31)
    after, alone, counters = poses_after_a_break("movenet_lightning", model_dir, frames,
                                                 frames[-2][0] + 0.4)
    assert counters["temporal_resets"] == 0
    assert np.abs(after[0].xy - alone[0].xy).max() > 0.5
