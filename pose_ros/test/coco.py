"""COCO keypoint annotations and object keypoint similarity (OKS) for the tests."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pose_ros.keypoints import COCO_SIGMAS
from pose_ros.types import Pose


@dataclass
class Person:
    keypoints: np.ndarray  # (17, 3): x, y, visibility (0 = not labelled)
    area: float
    bbox: tuple[float, float, float, float]  # x, y, w, h

    @property
    def num_keypoints(self) -> int:
        return int(np.count_nonzero(self.keypoints[:, 2]))


@dataclass
class AnnotatedImage:
    path: Path
    people: list[Person]      # non-crowd people with at least one labelled keypoint
    num_annotations: int      # every person annotation, crowds and unlabelled included

    def rgb(self) -> np.ndarray:
        bgr = cv2.imread(str(self.path))
        assert bgr is not None, f"cannot read {self.path}"
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load(folder: Path) -> list[AnnotatedImage]:
    data = json.loads((folder / "person_keypoints.json").read_text())
    by_image = defaultdict(list)
    for a in data["annotations"]:
        by_image[a["image_id"]].append(a)
    images = []
    for im in sorted(data["images"], key=lambda i: i["file_name"]):
        anns = by_image[im["id"]]
        people = [Person(np.array(a["keypoints"], np.float64).reshape(17, 3), a["area"],
                         tuple(a["bbox"]))
                  for a in anns if not a["iscrowd"] and a["num_keypoints"] > 0]
        images.append(AnnotatedImage(folder / "images" / im["file_name"], people, len(anns)))
    return images


def oks(pose: Pose, person: Person) -> float:
    """COCO's object keypoint similarity over the labelled keypoints."""
    labelled = person.keypoints[:, 2] > 0
    error = pose.xy[labelled].astype(np.float64) - person.keypoints[labelled, :2]
    d2 = np.sum(error ** 2, axis=1)
    k2 = (2 * COCO_SIGMAS[labelled]) ** 2
    return float(np.mean(np.exp(-d2 / (2 * max(person.area, 1.0) * k2))))


def match(poses: list[Pose], people: list[Person], min_oks: float = 0.1) -> list[float]:
    """Greedy one-to-one matching, highest-scoring poses first; OKS per person
    (0.0 for a person no pose matched with at least ``min_oks``)."""
    result = [0.0] * len(people)
    free = set(range(len(people)))
    for pose in sorted(poses, key=lambda p: -p.score):
        if not free:
            break
        best = max(free, key=lambda i: oks(pose, people[i]))
        if oks(pose, people[best]) >= min_oks:
            result[best] = oks(pose, people[best])
            free.discard(best)
    return result
