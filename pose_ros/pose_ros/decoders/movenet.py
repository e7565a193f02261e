"""MoveNet output decoding (tfjs-models pose-detection ``MoveNetDetector``)."""

from __future__ import annotations

import numpy as np

from pose_ros.keypoints import NUM_KEYPOINTS
from pose_ros.transforms import normalized_to_input_pixels
from pose_ros.types import Pose

#: Keypoints below this score do not count towards the pose score or the crop.
MIN_CROP_KEYPOINT_SCORE = 0.2
#: MultiPose instances below this score are dropped.
DEFAULT_MIN_POSE_SCORE = 0.25
_BOX = NUM_KEYPOINTS * 3  # (ymin, xmin, ymax, xmax, score) follow the keypoints


def decode_single_pose(output: np.ndarray, input_width: int, input_height: int) -> Pose:
    """(1, 1, 17, 3) of (y, x, score) in 0..1 of the input -> one pose in input pixels.

    The pose score is the mean of the keypoint scores above the crop threshold.
    """
    kp = output.reshape(NUM_KEYPOINTS, 3)
    scores = kp[:, 2].astype(np.float32)
    valid = scores > MIN_CROP_KEYPOINT_SCORE
    score = float(scores[valid].mean()) if valid.any() else 0.0
    xy = normalized_to_input_pixels(kp[:, :2], input_width, input_height).astype(np.float32)
    return Pose(xy=xy, scores=scores, score=score)


def decode_multiple_poses(output: np.ndarray, input_width: int, input_height: int,
                          min_pose_score: float = DEFAULT_MIN_POSE_SCORE) -> list[Pose]:
    """(1, N, 56) MultiPose detections -> poses scoring at least ``min_pose_score``."""
    det = output.reshape(-1, _BOX + 5)
    det = det[det[:, _BOX + 4] >= min_pose_score]
    det = det[np.argsort(-det[:, _BOX + 4], kind="stable")]
    poses = []
    for row in det:
        kp = row[:_BOX].reshape(NUM_KEYPOINTS, 3)
        # Box corners go through the same mapping as keypoints: (x_min, y_min, x_max, y_max).
        box = normalized_to_input_pixels(row[_BOX:_BOX + 4].reshape(2, 2),
                                         input_width, input_height).reshape(4).astype(np.float32)
        poses.append(Pose(
            xy=normalized_to_input_pixels(kp[:, :2], input_width, input_height).astype(np.float32),
            scores=kp[:, 2].astype(np.float32), score=float(row[_BOX + 4]), box=box))
    return poses
