"""Annotated images of the worst-scoring cases, for a person to look at."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from pycocotools.coco import COCO

from pose_ros.drawing import draw, draw_pose
from pose_ros.evaluation.coco_eval import EvalResult
from pose_ros.types import Pose

TRUTH_RGB = (255, 255, 255)  # labelled keypoints in white, the model's poses in colour


def write_worst_cases(dataset: Path, truth: COCO, result: EvalResult,
                      poses_by_image: dict[int, list[Pose]], out: Path,
                      min_keypoint_score: float = 0.3) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for rank, case in enumerate(result.worst, start=1):
        bgr = cv2.imread(str(dataset / "images" / case.file_name))
        assert bgr is not None, f"{case.file_name} was read for the evaluation"
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for ann in truth.loadAnns(truth.getAnnIds(imgIds=[case.image_id], iscrowd=False)):
            keypoints = np.array(ann["keypoints"], np.float64).reshape(17, 3)
            draw_pose(rgb, keypoints[:, :2], keypoints[:, 2] > 0, TRUTH_RGB)
        canvas = draw(rgb, poses_by_image[case.image_id], min_keypoint_score)  # on top
        cv2.putText(canvas, f"{result.model}: mean OKS {case.mean_oks:.2f}", (10, 30),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2, cv2.LINE_AA)
        path = out / f"{rank:02d}_{Path(case.file_name).stem}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
        written.append(path)
    return written
