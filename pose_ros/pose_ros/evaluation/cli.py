"""``pose-ros eval DATASET``: COCO keypoint AP of one or more models, over a grid of
options."""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from pose_ros.command_line import parse_set, parse_size, path_arg
from pose_ros.models.registry import model_names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=path_arg,
                        help="COCO-format folder: images/ and person_keypoints.json")
    parser.add_argument("--model", dest="models", action="append", choices=model_names(),
                        help="model to evaluate (repeatable; default: all)")
    parser.add_argument("--set", "--option", dest="sets", action="append", default=[],
                        metavar="NAME=V1,V2,...",
                        help="estimator option and its values, e.g. output_stride=8,16 "
                             "(repeatable: every model runs every combination)")
    parser.add_argument("--backend", default="onnxruntime")
    parser.add_argument("--model-dir", type=path_arg,
                        help="default: $POSE_ROS_MODEL_DIR or the cache")
    parser.add_argument("--out", type=path_arg, default=Path("eval"),
                        help="folder for eval.json, eval.md and worst-case images")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="write annotated images of the N worst images per run")
    parser.add_argument("--time-at", type=parse_size, metavar="WxH",
                        help="also time each image resized to this size, e.g. 640x480")
    parser.add_argument("--through-node", action="store_true",
                        help="run a pose_node process (shipped parameters file, --set "
                             "for its parameters) instead of the inference core")
    parser.set_defaults(func=cmd_eval)


def expand_grid(sets: list[tuple[str, list[object]]]) -> list[dict[str, object]]:
    """Every combination of the values of ``sets``, the first option varying slowest;
    no sets: one run on the defaults."""
    names = [name for name, _ in sets]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"--set {', '.join(twice)} given more than once: list all its "
                         "values in one --set NAME=V1,V2,...")
    return [dict(zip(names, combination))
            for combination in itertools.product(*(values for _, values in sets))]


def cmd_eval(args: argparse.Namespace) -> int:
    from pose_ros.evaluation.coco_eval import (
        core_estimators,
        evaluate,
        load_truth,
        markdown_table,
        write_report,
    )
    from pose_ros.evaluation.worst_cases import write_worst_cases

    if args.through_node:  # rclpy, only when asked: the core evaluation runs without ROS
        from pose_ros.node.node_estimator import check_node_options, node_estimators
        check, make = check_node_options, node_estimators(args.backend, args.model_dir)
    else:
        from pose_ros.api import check_options
        check, make = check_options, core_estimators(args.backend, args.model_dir)
    models = args.models or model_names()
    grid = expand_grid([parse_set(s) for s in args.sets])
    for model, options in itertools.product(models, grid):  # every value, before any
        check(model, options)  # model runs, not minutes into the grid
    truth = load_truth(args.dataset)
    results = []
    for model, options in itertools.product(models, grid):
        result, poses = evaluate(args.dataset, truth, model, options, make, args.worst,
                                 args.time_at)
        if args.worst:
            folder = "_".join([model, *(f"{k}={v}" for k, v in options.items())])
            write_worst_cases(args.dataset, truth, result, poses, args.out / "worst" / folder)
        results.append(result)
    json_path, md_path = write_report(results, args.out)
    print(markdown_table(results))
    print(f"\nwritten: {json_path}, {md_path}"
          + (f", worst cases in {args.out / 'worst'}" if args.worst else ""))
    return 0
