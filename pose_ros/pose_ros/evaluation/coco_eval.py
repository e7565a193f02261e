"""Run a model over a COCO-format folder and score it with the official COCOeval.

The folder holds ``images/`` and ``person_keypoints.json``. Every image is a still
(no timestamp), so temporal smoothing and cropping from a previous frame play no part.

Besides COCOeval's AP and AR, the mean keypoint error says how far off the people a
model did find are: see :func:`keypoint_error`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from pose_ros.api import create_estimator
from pose_ros.progress import ProgressBar
from pose_ros.types import Pose

ANNOTATIONS = "person_keypoints.json"
PERSON_CATEGORY = 1
#: COCOeval.stats of iouType "keypoints", in its order (AP/AR over OKS 0.5:0.95, at
#: OKS 0.5, at 0.75, for medium and for large people)
METRICS = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
TABLE_METRICS = ("AP", "AP50", "AR")  # the markdown table's; eval.json keeps them all
MATCH_OKS = 0.5  # the keypoint error's matching: COCOeval's own, at its lowest threshold
TIMING_REPEATS = 3  # per image at --time-at's size; the fastest counts


@dataclass(frozen=True)
class ImageScore:
    file_name: str
    image_id: int
    mean_oks: float  # over the image's labelled people, each matched to its best pose


@dataclass(frozen=True)
class Scores:
    """What :func:`score_results` finds for one set of detections."""
    metrics: dict[str, float]          # METRICS, each rounded to 4 places
    keypoint_error_pct: float | None   # None: no person matched
    matched_people: int
    images: list[ImageScore]


@dataclass
class EvalResult:
    model: str
    options: dict
    images: int
    labelled_people: int
    matched_people: int  # labelled people matched at OKS >= MATCH_OKS (keypoint_error)
    metrics: dict[str, float]
    keypoint_error_pct: float | None  # % of the image diagonal, matched people only
    ms_per_image: float  # median of estimate() over the dataset's images
    # median over the same images resized to ``timed_size`` (a camera's) of the
    # fastest of TIMING_REPEATS estimate() calls each
    timed_size: str | None = None
    ms_at_size: float | None = None
    # the 1-minute load average when the run ended, beside os.cpu_count(): timings
    # taken on a busy machine overstate the cost, and this says how busy it was
    load_average: float = 0.0
    cpu_count: int = 0
    worst: list[ImageScore] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class StillEstimator(Protocol):
    """What the evaluation runs: the core's estimators, or a pose_node process."""

    def estimate(self, image: np.ndarray) -> list[Pose]: ...

    def close(self) -> None: ...


#: (model, options) -> a StillEstimator of that model with those options
EstimatorFactory = Callable[[str, dict], StillEstimator]


def core_estimators(backend: str = "onnxruntime",
                    model_dir: Path | None = None) -> EstimatorFactory:
    def make(model: str, options: dict) -> StillEstimator:
        return create_estimator(model, backend=backend, model_dir=model_dir, **options)
    return make


def evaluate(dataset: Path, truth: COCO, model: str, options: dict[str, Any],
             make_estimator: EstimatorFactory, worst: int = 0,
             time_at: tuple[int, int] | None = None) -> tuple[EvalResult, dict]:
    """COCO keypoint metrics of ``model`` with ``options`` on ``dataset`` (its
    annotations loaded as ``truth``, once for all runs); also returns the poses per
    image id. ``time_at`` (width, height): also time each image resized to that size."""
    image_ids = sorted(truth.getImgIds())
    estimator = make_estimator(model, options)
    label = f"eval {model} {_options_text(options)}"
    results, poses_by_image, seconds, timed = [], {}, [], []
    bar = ProgressBar(label, len(image_ids) * (2 if time_at else 1))
    try:
        for n, image_id in enumerate(image_ids):
            rgb = _read_rgb(dataset / "images" / truth.imgs[image_id]["file_name"])
            if n == 0:  # a first run allocates buffers: not what a frame costs later
                estimator.estimate(rgb)
            start = time.perf_counter()
            poses = estimator.estimate(rgb)
            seconds.append(time.perf_counter() - start)
            poses_by_image[image_id] = poses
            results += [_coco_result(image_id, p) for p in poses]
            bar.update()
            if time_at:  # same content at the camera's size: what a node pays per frame
                timed.append(_fastest_run(estimator, cv2.resize(rgb, time_at,
                                                                interpolation=cv2.INTER_AREA)))
                bar.update()
    finally:
        estimator.close()
    bar.close()
    scores = score_results(truth, image_ids, results)
    labelled = [a for a in truth.loadAnns(truth.getAnnIds(imgIds=image_ids))
                if not a["iscrowd"] and a["num_keypoints"] > 0]
    result = EvalResult(model, options, len(image_ids), len(labelled), scores.matched_people,
                        scores.metrics, scores.keypoint_error_pct, _median_ms(seconds),
                        f"{time_at[0]}x{time_at[1]}" if time_at else None,
                        _median_ms(timed) if time_at else None,
                        round(os.getloadavg()[0], 2), os.cpu_count() or 0,
                        sorted(scores.images, key=lambda s: s.mean_oks)[:worst])
    return result, poses_by_image


def _read_rgb(path: Path) -> np.ndarray:
    # checked first: OpenCV would print a warning of its own before the error
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
    if bgr is None:
        raise FileNotFoundError(f"{path} is missing or not an image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _fastest_run(estimator: StillEstimator, rgb: np.ndarray) -> float:
    """Seconds of the fastest of TIMING_REPEATS calls: on a shared machine a neighbour's
    work only ever adds time, so the fastest run is the closest to this image's cost."""
    runs = []
    for _ in range(TIMING_REPEATS):
        start = time.perf_counter()
        estimator.estimate(rgb)
        runs.append(time.perf_counter() - start)
    return min(runs)


def _median_ms(seconds: list[float]) -> float:
    # the median: this machine is shared, and a neighbour's burst should not count
    return round(1e3 * float(np.median(seconds)), 2) if seconds else 0.0


def load_truth(dataset: Path) -> COCO:
    annotations = dataset / ANNOTATIONS
    if not annotations.is_file():
        raise FileNotFoundError(f"{annotations} is missing: a COCO dataset folder holds "
                                f"images/ and {ANNOTATIONS}")
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints as it loads
            truth = COCO(str(annotations))
    except (ValueError, KeyError, TypeError) as e:  # not JSON, or not COCO's layout
        raise ValueError(f"{annotations} is not a COCO annotations file "
                         f"({type(e).__name__}: {e})") from None
    if not any(a.get("num_keypoints", 0) > 0 for a in truth.anns.values()):
        raise ValueError(f"{annotations} has no person keypoint annotations: there is "
                         "nothing to score the poses against")
    return truth


def _coco_result(image_id: int, pose: Pose) -> dict:
    keypoints = np.concatenate([pose.xy, pose.scores[:, None]], axis=1)
    return {"image_id": image_id, "category_id": PERSON_CATEGORY,
            "keypoints": [round(float(v), 2) for v in keypoints.reshape(-1)],
            "score": float(pose.score)}


def score_results(truth: COCO, image_ids: list[int], results: list[dict]) -> Scores:
    """COCOeval (iouType "keypoints") of ``results``, COCO result dicts, against
    ``truth`` on ``image_ids``, with the keypoint error of :func:`keypoint_error`."""
    if not results:  # COCO.loadRes refuses an empty list: nothing found scores zero
        return Scores(dict.fromkeys(METRICS, 0.0), None, 0, [])
    with contextlib.redirect_stdout(io.StringIO()):
        detections = truth.loadRes(results)
        coco_eval = COCOeval(truth, detections, iouType="keypoints")
        coco_eval.params.imgIds = image_ids
        coco_eval.params.catIds = [PERSON_CATEGORY]
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    error, matched = keypoint_error(truth, detections, coco_eval)
    return Scores(dict(zip(METRICS, (round(float(s), 4) for s in coco_eval.stats))),
                  None if error is None else round(error, 3), matched,
                  _image_scores(truth, coco_eval, image_ids))


def keypoint_error(truth: COCO, detections: COCO,
                   coco_eval: COCOeval) -> tuple[float | None, int]:
    """Mean keypoint error in % of the image diagonal, and the number of people it covers.

    Matched people: the pairs (pose, labelled person) that COCOeval's own greedy
    matching makes at OKS threshold 0.5 (poses by descending score, each to the
    unmatched person of highest OKS >= 0.5; area range "all", at most 20 poses per
    image). A person who is a crowd or has no labelled keypoint is never one (COCOeval
    ignores them). A pose no person matched, and a person no pose matched, do not
    count: AP and AR charge those. The error is the distance between each labelled
    keypoint (v > 0) of a matched person and the pose's keypoint of the same index,
    averaged over all those keypoints, in % of sqrt(width^2 + height^2) of its image.
    """
    params = coco_eval.params
    threshold = int(np.argmin(np.abs(params.iouThrs - MATCH_OKS)))
    first = params.areaRngLbl.index("all") * len(params.imgIds)  # one category
    errors, matched = [], 0
    for image in coco_eval.evalImgs[first:first + len(params.imgIds)]:
        if image is None:  # neither a labelled person nor a pose
            continue
        info = truth.imgs[image["image_id"]]
        diagonal = float(np.hypot(info["width"], info["height"]))
        for dt_id, gt_id, ignored in zip(image["dtIds"], image["dtMatches"][threshold],
                                         image["dtIgnore"][threshold]):
            if not gt_id or ignored:
                continue
            gt = np.asarray(truth.anns[int(gt_id)]["keypoints"], np.float64).reshape(-1, 3)
            dt = np.asarray(detections.anns[dt_id]["keypoints"], np.float64).reshape(-1, 3)
            labelled = gt[:, 2] > 0
            distance = np.hypot(*(dt[labelled, :2] - gt[labelled, :2]).T)
            errors.extend(100.0 * distance / diagonal)
            matched += 1
    return (float(np.mean(errors)) if errors else None), matched


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
    """One row per run; a column per option any run set (a grid's axes)."""
    names = list(dict.fromkeys(n for r in results for n in r.options))
    sizes = list(dict.fromkeys(r.timed_size for r in results if r.timed_size))
    head = ["model", *names, *TABLE_METRICS, "keypoint error (% diagonal)",
            "matched people", "ms/image", *(f"ms at {s}" for s in sizes)]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in results:
        cells = [r.model, *(str(r.options.get(n, "default")) for n in names),
                 *(f"{r.metrics[m]:.3f}" for m in TABLE_METRICS),
                 "-" if r.keypoint_error_pct is None else f"{r.keypoint_error_pct:.2f}",
                 f"{r.matched_people}/{r.labelled_people}", f"{r.ms_per_image:.1f}",
                 *(f"{r.ms_at_size:.1f}" if r.timed_size == s and r.ms_at_size is not None
                   else "-" for s in sizes)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _options_text(options: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items()) or "defaults"


def write_report(results: list[EvalResult], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "eval.json", out / "eval.md"
    json_path.write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    md_path.write_text(markdown_table(results) + "\n")
    return json_path, md_path
