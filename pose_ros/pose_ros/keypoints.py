"""The COCO keypoint set shared by every model, and the skeletons drawn over it."""

from __future__ import annotations

import numpy as np

#: The 17 COCO keypoints, in COCO (and PoseNet/MoveNet output) order.
KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
KEYPOINT_INDEX = {name: i for i, name in enumerate(KEYPOINT_NAMES)}
#: shoulders and hips: the body's most stable keypoints (crop size, depth of a person)
TORSO = tuple(KEYPOINT_INDEX[n] for n in
              ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))


def _edges(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[int, int], ...]:
    return tuple((KEYPOINT_INDEX[a], KEYPOINT_INDEX[b]) for a, b in pairs)


#: Bones drawn for a person (pose-detection's COCO adjacency).
SKELETON_EDGES = _edges(
    (
        ("nose", "left_eye"),
        ("nose", "right_eye"),
        ("left_eye", "left_ear"),
        ("right_eye", "right_ear"),
        ("left_shoulder", "right_shoulder"),
        ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"),
        ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"),
        ("left_hip", "right_hip"),
        ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"),
        ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"),
    )
)

#: PoseNet's part tree (parent, child), rooted at the nose: the 16 edges whose
#: forward/backward displacement channels the multi-pose decoder follows.
POSENET_POSE_CHAIN = _edges(
    (
        ("nose", "left_eye"),
        ("left_eye", "left_ear"),
        ("nose", "right_eye"),
        ("right_eye", "right_ear"),
        ("nose", "left_shoulder"),
        ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"),
        ("left_shoulder", "left_hip"),
        ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"),
        ("nose", "right_shoulder"),
        ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"),
        ("right_shoulder", "right_hip"),
        ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"),
    )
)

#: Per-keypoint falloff (sigma) of COCO's object keypoint similarity.
COCO_SIGMAS = np.array(
    [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072,
     0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089],
    dtype=np.float64,
)
