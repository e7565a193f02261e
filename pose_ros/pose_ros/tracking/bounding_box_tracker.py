"""Tracks people by the intersection over union of their boxes."""

from __future__ import annotations

import numpy as np

from pose_ros.movenet_constants import BOUNDING_BOX_TRACKER_MIN_SIMILARITY
from pose_ros.tracking.tracker import Tracker, TrackerConfig

DEFAULT_CONFIG = TrackerConfig(min_similarity=BOUNDING_BOX_TRACKER_MIN_SIMILARITY)


class BoundingBoxTracker(Tracker):
    def __init__(self, config: TrackerConfig = DEFAULT_CONFIG) -> None:
        super().__init__(config)

    def similarity(self, xy: np.ndarray, scores: np.ndarray, box: np.ndarray) -> np.ndarray:
        boxes = np.array([t.box for t in self.tracks])
        return iou(box, boxes)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (x0, y0, x1, y1) box with each row of ``boxes``."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.where((x1 > x0) & (y1 > y0), (x1 - x0) * (y1 - y0), 0.0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(inter > 0, inter / np.maximum(union, 1e-12), 0.0)
