"""``pose-ros eval DATASET``: COCO keypoint AP of one or more models."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

from pose_ros.models.registry import model_names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=Path,
                        help="COCO-format folder: images/ and person_keypoints.json")
    parser.add_argument("--model", dest="models", action="append", choices=model_names(),
                        help="model to evaluate (repeatable; default: all)")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="estimator option for every model evaluated, e.g. output_stride=8")
    parser.add_argument("--backend", default="onnxruntime")
    parser.add_argument("--model-dir", type=Path, help="default: $POSE_ROS_MODEL_DIR or the cache")
    parser.add_argument("--out", type=Path, default=Path("eval"),
                        help="folder for eval.json, eval.md and worst-case images")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="write annotated images of the N worst images per model")
    parser.set_defaults(func=cmd_eval)


def parse_option(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"option {text!r}: write NAME=VALUE")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value  # a bare word: a string option such as decoding=single


def cmd_eval(args: argparse.Namespace) -> int:
    from pose_ros.evaluation.coco_eval import evaluate, load_truth, markdown_table, write_report
    from pose_ros.evaluation.worst_cases import write_worst_cases

    options = dict(parse_option(o) for o in args.option)
    results = []
    truth = load_truth(args.dataset)
    for model in args.models or model_names():
        result, poses = evaluate(args.dataset, truth, model, args.backend, args.model_dir,
                                 args.worst, **options)
        if args.worst:
            write_worst_cases(args.dataset, truth, result, poses, args.out / "worst" / model)
        results.append(result)
    json_path, md_path = write_report(results, args.out)
    print(markdown_table(results))
    print(f"\nwritten: {json_path}, {md_path}"
          + (f", worst cases in {args.out / 'worst'}" if args.worst else ""))
    return 0
