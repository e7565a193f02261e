"""Tracks people by object keypoint similarity (OKS) of their keypoints."""

from __future__ import annotations

import numpy as np

from pose_ros.keypoints import COCO_SIGMAS
from pose_ros.movenet_constants import (
    KEYPOINT_TRACKER_CONFIDENCE_THRESHOLD,
    KEYPOINT_TRACKER_MIN_KEYPOINTS,
    KEYPOINT_TRACKER_MIN_SIMILARITY,
)
from pose_ros.tracking.tracker import Tracker, TrackerConfig

DEFAULT_CONFIG = TrackerConfig(min_similarity=KEYPOINT_TRACKER_MIN_SIMILARITY)


class KeypointTracker(Tracker):
    def __init__(self, config: TrackerConfig = DEFAULT_CONFIG,
                 keypoint_threshold: float = KEYPOINT_TRACKER_CONFIDENCE_THRESHOLD,
                 min_keypoints: int = KEYPOINT_TRACKER_MIN_KEYPOINTS) -> None:
        super().__init__(config)
        self.keypoint_threshold = keypoint_threshold
        self.min_keypoints = min_keypoints

    def similarity(self, xy: np.ndarray, scores: np.ndarray, box: np.ndarray) -> np.ndarray:
        return np.array([self._oks(xy, scores, t.xy, t.scores) for t in self.tracks])

    def _oks(self, xy: np.ndarray, scores: np.ndarray, track_xy: np.ndarray,
             track_scores: np.ndarray) -> float:
        valid = (scores >= self.keypoint_threshold) & (track_scores >= self.keypoint_threshold)
        if valid.sum() < self.min_keypoints:
            return 0.0
        area = _area(track_xy, track_scores, self.keypoint_threshold) + 1e-6
        d2 = np.sum((xy[valid] - track_xy[valid]) ** 2, axis=1)
        x = 2.0 * COCO_SIGMAS[valid]
        return float(np.mean(np.exp(-d2 / (2.0 * area * x * x))))


def _area(xy: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """Area of the box around the confident keypoints, clamped as the reference does."""
    pts = xy[scores > threshold]
    if len(pts) == 0:
        return 0.0
    lo = np.minimum(pts.min(axis=0), 1.0)
    hi = np.maximum(pts.max(axis=0), 0.0)
    return float((hi[0] - lo[0]) * (hi[1] - lo[1]))
