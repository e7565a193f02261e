"""PoseNet multi-pose decoding: PersonLab's fast greedy decoding, as tfjs-models posenet.

1. Candidate roots: heatmap cells that are the maximum of their 3x3 window (local
   maximum radius 1) for their keypoint and score at least ``score_threshold``,
   taken highest score first (tfjs uses a max-heap).
2. A root within ``nms_radius`` pixels of the same keypoint of an already decoded
   pose is skipped.
3. A pose grows from its root along the 16-edge part tree: first towards the
   root of the tree with backward displacements, then away from it with forward
   displacements, each step refined twice by the target keypoint's offsets.
4. Its score is the sum of the scores of keypoints that do not overlap (within
   ``nms_radius``) the same keypoint of an earlier pose, over 17.
Decoding stops after ``max_pose_detections`` poses.
"""

from __future__ import annotations

import numpy as np

from pose_ros.js_math import js_round
from pose_ros.keypoints import NUM_KEYPOINTS, POSENET_POSE_CHAIN
from pose_ros.types import Pose

LOCAL_MAXIMUM_RADIUS = 1
OFFSET_REFINE_STEPS = 2
_PARENTS = [p for p, _ in POSENET_POSE_CHAIN]
_CHILDREN = [c for _, c in POSENET_POSE_CHAIN]
_NUM_EDGES = len(POSENET_POSE_CHAIN)


def candidate_roots(scores: np.ndarray, score_threshold: float) -> np.ndarray:
    """(N, 4) rows of (score, y, x, keypoint), local maxima above threshold, best first."""
    h, w, _ = scores.shape
    r = LOCAL_MAXIMUM_RADIUS
    padded = np.pad(scores, ((r, r), (r, r), (0, 0)), constant_values=-np.inf)
    window_max = scores.copy()
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            np.maximum(window_max, padded[dy:dy + h, dx:dx + w], out=window_max)
    ys, xs, ks = np.nonzero((scores >= score_threshold) & (scores >= window_max))
    s = scores[ys, xs, ks]
    order = np.argsort(-s, kind="stable")
    return np.stack([s[order], ys[order], xs[order], ks[order]], axis=1)


class _Maps:
    """The four output maps. The edge walk reads a few cells per keypoint with
    ``ndarray.item``, which returns plain floats without creating numpy scalars."""

    def __init__(self, scores: np.ndarray, offsets: np.ndarray, disp_fwd: np.ndarray,
                 disp_bwd: np.ndarray, output_stride: int) -> None:
        self.h, self.w = scores.shape[:2]
        self.stride = output_stride
        self.scores = scores
        self.offsets = offsets
        self.fwd = disp_fwd
        self.bwd = disp_bwd

    def near(self, y: float, x: float) -> tuple[int, int]:
        s = self.stride
        return (min(max(js_round(y / s), 0), self.h - 1),
                min(max(js_round(x / s), 0), self.w - 1))

    def point(self, hy: int, hx: int, k: int) -> tuple[float, float]:
        off = self.offsets
        return (hy * self.stride + off.item(hy, hx, k),
                hx * self.stride + off.item(hy, hx, k + NUM_KEYPOINTS))

    def traverse(self, edge: int, y: float, x: float, target: int,
                 displacements: np.ndarray) -> tuple[float, float, float]:
        hy, hx = self.near(y, x)
        ty = y + displacements.item(hy, hx, edge)
        tx = x + displacements.item(hy, hx, edge + _NUM_EDGES)
        for _ in range(OFFSET_REFINE_STEPS):
            ty, tx = self.point(*self.near(ty, tx), target)
        hy, hx = self.near(ty, tx)
        return ty, tx, self.scores.item(hy, hx, target)


def _decode_pose(maps: _Maps, root_score: float, hy: int, hx: int, root: int) -> np.ndarray:
    """(17, 3) rows of (y, x, score) grown from one root."""
    kp: list = [None] * NUM_KEYPOINTS
    ry, rx = maps.point(hy, hx, root)
    kp[root] = (ry, rx, root_score)
    for edge in range(_NUM_EDGES - 1, -1, -1):  # towards the root of the tree
        src, tgt = _CHILDREN[edge], _PARENTS[edge]
        if kp[src] is not None and kp[tgt] is None:
            kp[tgt] = maps.traverse(edge, kp[src][0], kp[src][1], tgt, maps.bwd)
    for edge in range(_NUM_EDGES):  # away from it
        src, tgt = _PARENTS[edge], _CHILDREN[edge]
        if kp[src] is not None and kp[tgt] is None:
            kp[tgt] = maps.traverse(edge, kp[src][0], kp[src][1], tgt, maps.fwd)
    return np.array(kp, dtype=np.float64)


def _near_existing(poses_yx: np.ndarray, yx: np.ndarray, sq_radius: float) -> np.ndarray:
    """For each keypoint of ``yx`` (17, 2): is it within the radius of the same
    keypoint of any pose in ``poses_yx`` (P, 17, 2)?"""
    if len(poses_yx) == 0:
        return np.zeros(len(yx), dtype=bool)
    d2 = np.sum((poses_yx - yx[None]) ** 2, axis=-1)
    return np.any(d2 <= sq_radius, axis=0)


def decode_multiple_poses(scores: np.ndarray, offsets: np.ndarray, disp_fwd: np.ndarray,
                          disp_bwd: np.ndarray, output_stride: int,
                          max_pose_detections: int = 5, score_threshold: float = 0.5,
                          nms_radius: float = 20.0) -> list[Pose]:
    """Decode up to ``max_pose_detections`` poses, in input pixels.

    ``scores`` are heatmap scores after the sigmoid, (H, W, 17); ``offsets``
    (H, W, 34); displacements (H, W, 32). ``nms_radius`` is in input pixels.
    """
    sq_radius = float(nms_radius) ** 2
    maps = _Maps(scores, offsets, disp_fwd, disp_bwd, output_stride)
    poses: list[Pose] = []
    found_yx = np.empty((0, NUM_KEYPOINTS, 2))
    for root_score, hy, hx, k in candidate_roots(scores, score_threshold):
        if len(poses) >= max_pose_detections:
            break
        hy, hx, k = int(hy), int(hx), int(k)
        ry, rx = maps.point(hy, hx, k)
        if len(found_yx) and np.any(np.sum((found_yx[:, k] - (ry, rx)) ** 2, axis=-1)
                                    <= sq_radius):
            continue
        keypoints = _decode_pose(maps, float(root_score), hy, hx, k)
        overlap = _near_existing(found_yx, keypoints[:, :2], sq_radius)
        instance_score = float(keypoints[~overlap, 2].sum() / NUM_KEYPOINTS)
        poses.append(Pose(xy=keypoints[:, 1::-1].astype(np.float32),
                          scores=keypoints[:, 2].astype(np.float32), score=instance_score))
        found_yx = np.concatenate([found_yx, keypoints[None, :, :2]])
    return poses
