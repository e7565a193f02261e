"""Run a model over a COCO-format folder and score it with the official COCOeval.

The folder holds ``images/`` and ``person_keypoints.json``. Every image is a still
(no timestamp), so temporal smoothing and cropping from a previous frame play no part.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from pose_ros.api import create_estimator
from pose_ros.progress import ProgressBar
from pose_ros.types import Pose

ANNOTATIONS = "person_keypoints.json"
PERSON_CATEGORY = 1
METRICS = ("AP", "AP50", "AP75", "APm", "APl", "AR")  # COCOeval.stats[0:6]


@dataclass(frozen=True)
class ImageScore:
    file_name: str
    image_id: int
    mean_oks: float  # over the image's labelled people, each matched to its best pose


@dataclass
class EvalResult:
    model: str
    options: dict
    images: int
    labelled_people: int
    metrics: dict[str, float]
    ms_per_image: float
    worst: list[ImageScore] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(dataset: Path, truth: COCO, model: str, backend: str = "onnxruntime",
             model_dir: Path | None = None, worst: int = 0,
             **options: Any) -> tuple[EvalResult, dict]:
    """COCO keypoint metrics of ``model`` on ``dataset`` (its annotations loaded as
    ``truth``, once for all models); also returns the poses per image id."""
    image_ids = sorted(truth.getImgIds())
    estimator = create_estimator(model, backend=backend, model_dir=model_dir, **options)
    results, poses_by_image, seconds = [], {}, 0.0
    bar = ProgressBar(f"eval {model}", len(image_ids))
    try:
        for image_id in image_ids:
            info = truth.loadImgs(image_id)[0]
            path = dataset / "images" / info["file_name"]
            bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if bgr is None:
                raise FileNotFoundError(f"{path} is missing or not an image")
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            start = time.perf_counter()
            poses = estimator.estimate(rgb)
            seconds += time.perf_counter() - start
            poses_by_image[image_id] = poses
            results += [_coco_result(image_id, p) for p in poses]
            bar.update()
    finally:
        estimator.close()
    bar.close()
    stats, scores = _score(truth, image_ids, results)
    labelled = [a for a in truth.loadAnns(truth.getAnnIds(imgIds=image_ids))
                if not a["iscrowd"] and a["num_keypoints"] > 0]
    result = EvalResult(model, options, len(image_ids), len(labelled),
                        dict(zip(METRICS, (round(float(s), 4) for s in stats[:6]))),
                        round(1e3 * seconds / max(len(image_ids), 1), 2),
                        sorted(scores, key=lambda s: s.mean_oks)[:worst])
    return result, poses_by_image


def load_truth(dataset: Path) -> COCO:
    annotations = dataset / ANNOTATIONS
    if not annotations.is_file():
        raise FileNotFoundError(f"{annotations} is missing: a COCO dataset folder holds "
                                f"images/ and {ANNOTATIONS}")
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints as it loads
        return COCO(str(annotations))


def _coco_result(image_id: int, pose: Pose) -> dict:
    keypoints = np.concatenate([pose.xy, pose.scores[:, None]], axis=1)
    return {"image_id": image_id, "category_id": PERSON_CATEGORY,
            "keypoints": [round(float(v), 2) for v in keypoints.reshape(-1)],
            "score": float(pose.score)}


def _score(truth: COCO, image_ids: list[int], results: list[dict]) -> tuple[np.ndarray, list]:
    if not results:  # COCO.loadRes refuses an empty list: nothing found scores zero
        return np.zeros(6), []
    with contextlib.redirect_stdout(io.StringIO()):
        detections = truth.loadRes(results)
        coco_eval = COCOeval(truth, detections, iouType="keypoints")
        coco_eval.params.imgIds = image_ids
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return coco_eval.stats, _image_scores(truth, coco_eval, image_ids)


def _image_scores(truth: COCO, coco_eval: COCOeval, image_ids: list[int]) -> list[ImageScore]:
    """Mean over each image's labelled people of the best OKS any pose reached.

    COCOeval keeps its OKS matrices (poses x annotations, in its own annotation
    order) in ``ious``; an image with no pose has an empty one and scores 0.
    """
    scores = []
    for image_id in image_ids:
        gts = coco_eval._gts[image_id, PERSON_CATEGORY]
        labelled = np.array([not g["iscrowd"] and g["num_keypoints"] > 0 for g in gts], bool)
        if not labelled.any():
            continue
        oks = np.asarray(coco_eval.ious.get((image_id, PERSON_CATEGORY), []))
        best = oks.max(axis=0)[labelled] if oks.size else np.zeros(labelled.sum())
        scores.append(ImageScore(truth.loadImgs(image_id)[0]["file_name"], image_id,
                                 round(float(best.mean()), 4)))
    return scores


def markdown_table(results: list[EvalResult]) -> str:
    head = "| model | options | " + " | ".join(METRICS) + " |"
    rule = "| --- | --- | " + " | ".join("---" for _ in METRICS) + " |"
    rows = [f"| {r.model} | {_options_text(r.options)} | "
            + " | ".join(f"{r.metrics[m]:.3f}" for m in METRICS) + " |" for r in results]
    return "\n".join([head, rule, *rows])


def _options_text(options: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items())) or "defaults"


def write_report(results: list[EvalResult], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "eval.json", out / "eval.md"
    json_path.write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    md_path.write_text(markdown_table(results) + "\n")
    return json_path, md_path
