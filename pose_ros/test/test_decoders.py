"""Decoders on hand-built tensors whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ros.decoders import movenet, posenet_multi, posenet_single
from pose_ros.js_math import js_round
from pose_ros.keypoints import NUM_KEYPOINTS, POSENET_POSE_CHAIN

STRIDE = 16
GRID = 33  # a 513 x 513 input


def _logit(p):
    return np.log(p / (1 - p))


def test_posenet_single_pose_argmax_and_offsets():
    rng = np.random.default_rng(1)
    heat = np.full((GRID, GRID, NUM_KEYPOINTS), -8.0, np.float32)
    offsets = rng.normal(0, 50, (GRID, GRID, 2 * NUM_KEYPOINTS)).astype(np.float32)
    cells = rng.integers(0, GRID, (NUM_KEYPOINTS, 2))
    expected = []
    for k, (y, x) in enumerate(cells):
        heat[y, x, k] = _logit(0.9)
        offsets[y, x, k], offsets[y, x, k + NUM_KEYPOINTS] = 3.0, -2.0  # y first, then x
        expected.append((x * STRIDE - 2.0, y * STRIDE + 3.0))
    pose = posenet_single.decode_single_pose(heat, offsets, STRIDE)
    assert np.allclose(pose.xy, expected)
    assert np.allclose(pose.scores, 0.9) and pose.score == pytest.approx(0.9)


def _person(origin_xy):
    """17 keypoint positions (x, y) of a stick figure standing at ``origin_xy``."""
    rng = np.random.default_rng(int(origin_xy[0]))
    base = np.array([[0, 0], [6, -5], [-6, -5], [12, 0], [-12, 0], [30, 40], [-30, 40],
                     [40, 90], [-40, 90], [45, 140], [-45, 140], [20, 150], [-20, 150],
                     [22, 230], [-22, 230], [24, 300], [-24, 300]], np.float64)
    return base + np.asarray(origin_xy) + rng.uniform(-3, 3, base.shape)


def _posenet_maps(people, scores):
    """Heatmap scores, offsets and displacements that encode ``people`` exactly."""
    heat = np.zeros((GRID, GRID, NUM_KEYPOINTS), np.float32)
    off = np.zeros((GRID, GRID, 2 * NUM_KEYPOINTS), np.float32)
    fwd = np.zeros((GRID, GRID, 2 * len(POSENET_POSE_CHAIN)), np.float32)
    bwd = np.zeros_like(fwd)
    edges = len(POSENET_POSE_CHAIN)

    def cell(p):
        return js_round(p[1] / STRIDE), js_round(p[0] / STRIDE)

    for xy, score in zip(people, scores):
        for k, p in enumerate(xy):
            cy, cx = cell(p)
            heat[cy, cx, k] = score
            off[cy, cx, k], off[cy, cx, k + NUM_KEYPOINTS] = p[1] - cy * STRIDE, p[0] - cx * STRIDE
        for e, (parent, child) in enumerate(POSENET_POSE_CHAIN):
            d = xy[child] - xy[parent]
            py, px = cell(xy[parent])
            fwd[py, px, e], fwd[py, px, e + edges] = d[1], d[0]
            cy, cx = cell(xy[child])
            bwd[cy, cx, e], bwd[cy, cx, e + edges] = -d[1], -d[0]
    return heat, off, fwd, bwd


PEOPLE = [_person((120, 60)), _person((380, 120))]


def test_posenet_multi_pose_decodes_two_people():
    maps = _posenet_maps(PEOPLE, [0.9, 0.8])
    poses = posenet_multi.decode_multiple_poses(*maps, STRIDE, max_pose_detections=5,
                                                score_threshold=0.5, nms_radius=20)
    # each person's 16 other keypoints are candidate roots too: NMS must drop them all
    assert len(poses) == 2
    assert np.allclose(poses[0].xy, PEOPLE[0], atol=1e-3)
    assert np.allclose(poses[1].xy, PEOPLE[1], atol=1e-3)
    assert poses[0].score == pytest.approx(0.9) and poses[1].score == pytest.approx(0.8)


def test_posenet_multi_pose_stops_at_max_detections():
    maps = _posenet_maps(PEOPLE, [0.9, 0.8])
    poses = posenet_multi.decode_multiple_poses(*maps, STRIDE, max_pose_detections=1)
    assert len(poses) == 1 and np.allclose(poses[0].xy, PEOPLE[0], atol=1e-3)


def test_posenet_multi_pose_score_threshold_limits_roots():
    maps = _posenet_maps(PEOPLE, [0.9, 0.8])
    poses = posenet_multi.decode_multiple_poses(*maps, STRIDE, score_threshold=0.85)
    assert len(poses) == 1


def test_posenet_multi_pose_nms_skips_roots_near_a_decoded_pose():
    near = PEOPLE[0] + [24.0, 0.0]  # the same person 24 px to the right
    maps = _posenet_maps([PEOPLE[0], near], [0.9, 0.7])
    assert len(posenet_multi.decode_multiple_poses(*maps, STRIDE, nms_radius=30)) == 1
    assert len(posenet_multi.decode_multiple_poses(*maps, STRIDE, nms_radius=20)) == 2


def test_posenet_multi_pose_overlapping_keypoints_do_not_count_twice():
    """A second person whose upper body overlaps the first scores only its own keypoints."""
    second = PEOPLE[0] + [24.0, 0.0]
    legs = slice(11, 17)  # hips, knees, ankles
    second[legs] += [200.0, 0.0]
    maps = _posenet_maps([PEOPLE[0], second], [0.9, 0.7])
    poses = posenet_multi.decode_multiple_poses(*maps, STRIDE, nms_radius=30)
    assert len(poses) == 2
    assert np.allclose(poses[1].xy, second, atol=1e-3)
    # 11 upper-body keypoints lie within 30 px of the first pose's: only 6 count
    assert poses[1].score == pytest.approx(0.7 * 6 / NUM_KEYPOINTS)


def test_candidate_roots_are_local_maxima_best_first():
    scores = np.zeros((5, 5, 1), np.float32)
    scores[1, 1, 0], scores[1, 2, 0], scores[4, 4, 0] = 0.7, 0.9, 0.6
    roots = posenet_multi.candidate_roots(scores, 0.5)
    assert roots[:, 1:].tolist() == [[1, 2, 0], [4, 4, 0]]  # (1, 1) is beside a higher cell


def test_movenet_single_pose_decoding():
    out = np.zeros((1, 1, NUM_KEYPOINTS, 3), np.float32)
    out[0, 0, :, 0] = np.linspace(0.1, 0.9, NUM_KEYPOINTS)  # y
    out[0, 0, :, 1] = 0.25                                  # x
    out[0, 0, :, 2] = [0.1] * 5 + [0.8] * 12
    pose = movenet.decode_single_pose(out, 192, 192)
    assert np.allclose(pose.xy[:, 0], 0.25 * 192 - 0.5)
    assert np.allclose(pose.xy[:, 1], out[0, 0, :, 0] * 192 - 0.5)
    assert pose.score == pytest.approx(0.8)  # only keypoints above 0.2 count


def test_movenet_multipose_filters_and_orders_by_score():
    out = np.zeros((1, 6, 56), np.float32)
    for i, score in enumerate([0.3, 0.1, 0.9, 0.2, 0.0, 0.5]):
        out[0, i, :51:3] = 0.5
        out[0, i, 1:51:3] = i / 10
        out[0, i, 51:55] = [0.1, 0.2, 0.6, 0.4]
        out[0, i, 55] = score
    poses = movenet.decode_multiple_poses(out, 256, 192, min_pose_score=0.25)
    assert [p.score for p in poses] == pytest.approx([0.9, 0.5, 0.3])
    assert np.allclose(poses[0].box, [0.2 * 256 - 0.5, 0.1 * 192 - 0.5,
                                      0.4 * 256 - 0.5, 0.6 * 192 - 0.5])
