"""Greedy track assignment shared by the box and keypoint trackers.

Each detection, in order, takes the unmatched track it is most similar to, if
that similarity reaches ``min_similarity``; the others start new tracks. Tracks
not seen for ``max_age_s`` are dropped and at most ``max_tracks`` (the freshest)
are kept. Coordinates are in 0..1 of the image, as in the reference.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from pose_ros.movenet_constants import TRACKER_MAX_AGE_S, TRACKER_MAX_TRACKS
from pose_ros.types import Pose


@dataclass
class Track:
    id: int
    last_timestamp: float
    xy: np.ndarray      # (17, 2) normalised keypoints of the last linked pose
    scores: np.ndarray  # (17,)
    box: np.ndarray     # (x_min, y_min, x_max, y_max) normalised


@dataclass(frozen=True)
class TrackerConfig:
    min_similarity: float
    max_tracks: int = TRACKER_MAX_TRACKS
    max_age_s: float = TRACKER_MAX_AGE_S


class Tracker(abc.ABC):
    def __init__(self, config: TrackerConfig) -> None:
        self.config = config
        self.tracks: list[Track] = []
        self._next_id = 1

    @abc.abstractmethod
    def similarity(self, xy: np.ndarray, scores: np.ndarray, box: np.ndarray) -> np.ndarray:
        """Similarity of one detection to every current track, shape (len(tracks),)."""

    def apply(self, poses: list[Pose], timestamp_s: float, width: int, height: int) -> list[Pose]:
        """Set ``track_id`` on each pose (in place) and update the tracks."""
        # expired tracks go first, so that a person back after max_age_s gets a new id
        self.tracks = [t for t in self.tracks
                       if timestamp_s - t.last_timestamp <= self.config.max_age_s]
        scale = np.array([width, height], dtype=np.float64)
        unmatched = list(range(len(self.tracks)))
        for pose in poses:
            xy = pose.xy / scale
            box = (pose.bounding_box().reshape(2, 2) / scale).reshape(4)
            best = -1
            if unmatched:
                sims = self.similarity(xy, pose.scores, box)[unmatched]
                i = int(np.argmax(sims))
                if sims[i] >= self.config.min_similarity:
                    best = unmatched.pop(i)
            if best >= 0:
                track = self.tracks[best]
                track.last_timestamp, track.xy = timestamp_s, xy
                track.scores, track.box = pose.scores, box
            else:
                track = Track(self._next_id, timestamp_s, xy, pose.scores, box)
                self._next_id += 1
                self.tracks.append(track)
            pose.track_id = track.id
        # the freshest max_tracks (every track is now within max_age_s)
        self.tracks.sort(key=lambda t: t.last_timestamp, reverse=True)
        del self.tracks[self.config.max_tracks:]
        return poses

    def track_ids(self) -> set[int]:
        return {t.id for t in self.tracks}

    def reset(self) -> None:
        self.tracks = []
