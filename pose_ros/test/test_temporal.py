"""Crop region, one-euro smoothing and the trackers, on constructed sequences."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ros import crop_region
from pose_ros.filters.keypoint_smoother import KeypointSmoother
from pose_ros.filters.one_euro import OneEuroFilter
from pose_ros.keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS
from pose_ros.tracking.bounding_box_tracker import BoundingBoxTracker, iou
from pose_ros.tracking.keypoint_tracker import KeypointTracker
from pose_ros.types import Pose


def test_full_image_region_letterboxes():
    assert np.allclose(crop_region.full_image_region(640, 480), [-1 / 6, 0, 7 / 6, 1])
    assert np.allclose(crop_region.full_image_region(480, 640), [0, -1 / 6, 1, 7 / 6])


def test_next_crop_centres_on_the_hips_and_covers_the_body():
    xy = np.zeros((NUM_KEYPOINTS, 2))
    xy[:] = [320, 240]
    for name, p in {"left_hip": (330, 300), "right_hip": (310, 300),
                    "left_shoulder": (340, 200), "right_shoulder": (300, 200),
                    "left_ankle": (330, 420)}.items():
        xy[KEYPOINT_INDEX[name]] = p
    scores = np.full(NUM_KEYPOINTS, 0.9)
    region = crop_region.next_crop_region(xy, scores, 640, 480)
    y0, x0, y1, x1 = region * [480, 640, 480, 640]
    assert (x0 + x1) / 2 == pytest.approx(320) and (y0 + y1) / 2 == pytest.approx(300)
    assert (x1 - x0) == pytest.approx(y1 - y0)          # square in pixels
    # half size: the larger of torso range x 1.9 (shoulders 100 px up) and body x 1.2 (ankle 120)
    assert (y1 - y0) / 2 == pytest.approx(max(100 * 1.9, 120 * 1.2))


def test_no_torso_gives_no_crop_to_follow():
    scores = np.full(NUM_KEYPOINTS, 0.9)
    scores[[KEYPOINT_INDEX["left_hip"], KEYPOINT_INDEX["right_hip"]]] = 0.1
    assert crop_region.next_crop_region(np.full((NUM_KEYPOINTS, 2), 100.0), scores,
                                        640, 480) is None


def test_one_euro_holds_still_values_and_follows_moves_with_lag():
    f = OneEuroFilter()
    t = 1_000_000
    for _ in range(10):
        assert np.allclose(f.apply(np.array([0.5]), t), 0.5)
        t += 33_333
    out = f.apply(np.array([0.6]), t)
    assert 0.5 < out[0] < 0.6  # smoothed: part of the way
    for _ in range(30):
        t += 33_333
        out = f.apply(np.array([0.6]), t)
    assert out[0] == pytest.approx(0.6, abs=1e-3)  # and gets there


def test_a_reset_smoother_starts_afresh():
    """What the estimator does where the stamps break off
    (test_first_frame.py::test_a_break_in_the_stamps_resets_all_temporal_state): the
    next keypoints are taken as they are, not dragged from before the break."""
    s = KeypointSmoother()
    xy = np.full((NUM_KEYPOINTS, 2), 0.2, np.float32)
    for i in range(5):
        s.apply(xy, 10.0 + i / 30)
    moved = np.full((NUM_KEYPOINTS, 2), 0.8, np.float32)
    assert not np.allclose(s.apply(moved, 10.2), 0.8)  # control: smoothed towards 0.2
    s.reset()
    assert np.allclose(s.apply(moved, 10.3), 0.8)


def test_pixel_smoothing_does_not_depend_on_the_resolution():
    """The filter's settings are in 0..1 image units, so the same jitter filmed at twice
    the resolution is smoothed to exactly twice the pixels."""
    small, large = KeypointSmoother(), KeypointSmoother()
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 400, (NUM_KEYPOINTS, 2))
    moved = []
    for i in range(10):
        xy = base + rng.normal(0, 2, base.shape)  # a still person, 2 px of detector jitter
        a = small.apply_pixels(xy, 10.0 + i / 30, 640, 480)
        b = large.apply_pixels(2 * xy, 10.0 + i / 30, 1280, 960)
        assert np.allclose(b, 2 * a, rtol=1e-5)
        moved.append(np.abs(a - xy).max())
    assert max(moved) > 0.1  # it did smooth (not passed the keypoints through)


def _pose(x, y, score=0.9):
    xy = np.array([[x, y]] * NUM_KEYPOINTS, np.float32) + np.linspace(0, 60, NUM_KEYPOINTS)[:, None]
    return Pose(xy=xy, scores=np.full(NUM_KEYPOINTS, score, np.float32), score=score)


@pytest.mark.parametrize("tracker_cls", [BoundingBoxTracker, KeypointTracker])
def test_trackers_keep_ids_while_people_move(tracker_cls):
    tracker = tracker_cls()
    ids = []
    for frame in range(10):
        poses = [_pose(100 + 2 * frame, 100), _pose(400 - 2 * frame, 120)]
        tracker.apply(poses, frame / 30, 640, 480)
        ids.append([p.track_id for p in poses])
    assert all(i == ids[0] for i in ids) and len(set(ids[0])) == 2
    newcomer = [_pose(102, 100), _pose(250, 300)]
    tracker.apply(newcomer, 11 / 30, 640, 480)
    assert newcomer[0].track_id == ids[0][0]
    assert newcomer[1].track_id not in ids[0]


def test_tracks_expire_after_max_age():
    tracker = BoundingBoxTracker()
    first = [_pose(100, 100)]
    tracker.apply(first, 0.0, 640, 480)
    tracker.apply([], 1.5, 640, 480)  # nobody for more than max_age (1 s): track dropped
    assert tracker.tracks == []
    later = [_pose(100, 100)]
    tracker.apply(later, 1.6, 640, 480)
    assert later[0].track_id != first[0].track_id


def test_a_track_past_max_age_is_not_matched():
    """The reference drops expired tracks before matching: a person gone for longer
    than max_age (1 s) comes back with a new id, even where no frame fell in the gap."""
    tracker = BoundingBoxTracker()
    first = [_pose(100, 100)]
    tracker.apply(first, 0.0, 640, 480)
    tracker.apply([], 0.5, 640, 480)  # nobody, the track 0.5 s old: kept
    assert [t.id for t in tracker.tracks] == [first[0].track_id]
    back = [_pose(100, 100)]
    tracker.apply(back, 1.2, 640, 480)
    assert back[0].track_id != first[0].track_id
    assert [t.id for t in tracker.tracks] == [back[0].track_id]


def test_iou():
    boxes = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [5, 5, 6, 6]], float)
    assert np.allclose(iou(np.array([0, 0, 2, 2.0]), boxes), [1.0, 1 / 7, 0.0])
