"""MoveNet output decoding (tfjs-models pose-detection ``MoveNetDetector``)."""

from __future__ import annotations

import numpy as np

from pose_ros.keypoints import NUM_KEYPOINTS
from pose_ros.movenet_constants import (
    DEFAULT_MIN_POSE_SCORE,
    MIN_CROP_KEYPOINT_SCORE,
    MULTIPOSE_BOX_IDX,
    MULTIPOSE_BOX_SCORE_IDX,
    MULTIPOSE_INSTANCE_SIZE,
    NUM_KEYPOINT_VALUES,
)
from pose_ros.transforms import normalized_to_input_pixels
from pose_ros.types import Pose


def decode_single_pose(output: np.ndarray, input_width: int, input_height: int) -> Pose:
    """(1, 1, 17, 3) of (y, x, score) in 0..1 of the input -> one pose in input pixels.

    The pose score is the mean of the keypoint scores above the crop threshold.
    """
    kp = output.reshape(NUM_KEYPOINTS, NUM_KEYPOINT_VALUES)
    scores = kp[:, 2].astype(np.float32)
    valid = scores[scores > MIN_CROP_KEYPOINT_SCORE]
    score = float(valid.mean()) if valid.size else 0.0
    xy = normalized_to_input_pixels(kp[:, :2], input_width, input_height).astype(np.float32,
                                                                            copy=False)
    return Pose(xy=xy, scores=scores, score=score)


def decode_multiple_poses(output: np.ndarray, input_width: int, input_height: int,
                          min_pose_score: float = DEFAULT_MIN_POSE_SCORE) -> list[Pose]:
    """(1, N, 56) MultiPose detections -> poses scoring at least ``min_pose_score``."""
    det = output.reshape(-1, MULTIPOSE_INSTANCE_SIZE)
    det = det[det[:, MULTIPOSE_BOX_SCORE_IDX] >= min_pose_score]
    # best first: the reference's tracker links detections greedily in their order and
    # assumes it is by confidence (tracker.ts), which the model's output not always is
    det = det[np.argsort(-det[:, MULTIPOSE_BOX_SCORE_IDX], kind="stable")]
    poses = []
    for row in det:
        kp = row[:MULTIPOSE_BOX_IDX].reshape(NUM_KEYPOINTS, NUM_KEYPOINT_VALUES)
        # Box corners go through the same mapping as keypoints: (x_min, y_min, x_max, y_max).
        corners = row[MULTIPOSE_BOX_IDX:MULTIPOSE_BOX_SCORE_IDX].reshape(2, 2)
        box = normalized_to_input_pixels(corners, input_width, input_height).reshape(4)
        poses.append(Pose(
            xy=normalized_to_input_pixels(kp[:, :2], input_width, input_height).astype(np.float32),
            scores=kp[:, 2].astype(np.float32), score=float(row[MULTIPOSE_BOX_SCORE_IDX]),
            box=box.astype(np.float32)))
    return poses
