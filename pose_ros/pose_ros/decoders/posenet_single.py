"""PoseNet single-pose decoding (tfjs-models posenet ``decodeSinglePose``).

Per keypoint: the heatmap cell with the highest score, refined by that cell's
offset vector (channel k is y, 17 + k is x). The pose score is the mean
keypoint score.
"""

from __future__ import annotations

import numpy as np

from pose_ros.types import Pose


def sigmoid(x: np.ndarray) -> np.ndarray:
    # below about -88 (float32) exp(-x) overflows to inf, and 1 / inf is the right 0
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def decode_single_pose(heatmap_logits: np.ndarray, offsets: np.ndarray,
                       output_stride: int) -> Pose:
    """``heatmap_logits`` (H, W, 17), ``offsets`` (H, W, 34) -> one pose in input pixels."""
    _, width, num_keypoints = heatmap_logits.shape
    # sigmoid is monotonic: the argmax of the logits is the argmax of the scores.
    flat = heatmap_logits.reshape(-1, num_keypoints).argmax(axis=0)
    ys, xs = np.divmod(flat, width)
    k = np.arange(num_keypoints)
    xy = np.stack([xs * output_stride + offsets[ys, xs, k + num_keypoints],
                   ys * output_stride + offsets[ys, xs, k]], axis=-1).astype(np.float32)
    scores = sigmoid(heatmap_logits[ys, xs, k]).astype(np.float32)
    return Pose(xy=xy, scores=scores, score=float(scores.mean()))
