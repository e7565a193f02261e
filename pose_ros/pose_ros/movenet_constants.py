"""MoveNet's constants, each in one place (tfjs-models pose-detection ``movenet/constants.ts``
and the calculators it uses). Decoders, crop, estimators and trackers import them from here."""

from __future__ import annotations

from pose_ros.keypoints import NUM_KEYPOINTS

#: Keypoints scoring above this count towards a single pose's score and steer the next crop.
MIN_CROP_KEYPOINT_SCORE = 0.2
#: MultiPose instances scoring below this are dropped.
DEFAULT_MIN_POSE_SCORE = 0.25

# Single-pose smart cropping (crop_utils ``determineCropRegion``): the next crop's half
# size is the larger of the torso's range times TORSO_EXPANSION_RATIO and the confident
# keypoints' range times BODY_EXPANSION_RATIO; each crop edge is then low-pass filtered.
TORSO_EXPANSION_RATIO = 1.9
BODY_EXPANSION_RATIO = 1.2
CROP_FILTER_ALPHA = 0.9

#: MultiPose input: the long side's default length; both sides are padded to a multiple
#: of the divisor.
MULTIPOSE_DEFAULT_MAX_DIMENSION = 256
MULTIPOSE_DIMENSION_DIVISOR = 32

# MultiPose output: each instance is 17 (y, x, score) then its box (ymin, xmin, ymax, xmax, score).
NUM_KEYPOINT_VALUES = 3
MULTIPOSE_BOX_IDX = NUM_KEYPOINTS * NUM_KEYPOINT_VALUES
MULTIPOSE_BOX_SCORE_IDX = MULTIPOSE_BOX_IDX + 4
MULTIPOSE_INSTANCE_SIZE = MULTIPOSE_BOX_IDX + 5

# Trackers (DEFAULT_BOUNDING_BOX_TRACKER_CONFIG, DEFAULT_KEYPOINT_TRACKER_CONFIG).
TRACKER_MAX_TRACKS = 18
TRACKER_MAX_AGE_S = 1.0
BOUNDING_BOX_TRACKER_MIN_SIMILARITY = 0.15
KEYPOINT_TRACKER_MIN_SIMILARITY = 0.2
KEYPOINT_TRACKER_CONFIDENCE_THRESHOLD = 0.3
KEYPOINT_TRACKER_MIN_KEYPOINTS = 4
