"""``pose-ros-models engine``: the TensorRT engine cache, listed and filled.

  engine list  [--engine-dir D]                          every engine and what it is for
  engine build --model M [--precision fp16|fp32] ...     build (or find) one, on the GPU

``list`` reads files only (no TensorRT): it runs wherever the cache can be read.
``build`` makes the engine the node would make at configure, through the same
estimator code (same profile, same key), so the node then loads it in seconds.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pose_ros.backends.build_progress import BuildCancelled
from pose_ros.backends.engine_cache import list_engines
from pose_ros.backends.tensorrt_backend import PRECISIONS
from pose_ros.command_line import parse_set, parse_sizes, path_arg
from pose_ros.estimators.base import DEFAULT_CAMERA_SIZES
from pose_ros.models.registry import model_names
from pose_ros.progress import megabytes, say

INTERRUPTED = 130  # a shell's exit status after Ctrl-C


def engine_dir(args: argparse.Namespace) -> Path:
    """``--engine-dir``, else the cache the node and the API use: <model_dir>/engines."""
    return args.engine_dir or args.model_dir / "engines"


def cmd_list(args: argparse.Namespace) -> int:
    directory = engine_dir(args)
    engines = list_engines(directory) if directory.is_dir() else []
    print(f"engine directory: {directory}")
    if not engines:
        print("no engines ('pose-ros-models engine build --model M' builds one)")
        return 0
    print(f"{'model':26} {'precision':9} {'TensorRT':10} {'GPU':24} {'size':>9}  "
          f"{'status':8} profile")
    for engine in engines:
        meta = engine.metadata
        identity = meta.identity if meta else None
        print(f"{identity.model if identity else engine.path.name:26} "
              f"{identity.precision if identity else '?':9} "
              f"{identity.tensorrt_version if identity else '?':10} "
              f"{identity.gpu if identity else '?':24} {megabytes(engine.size):>9}  "
              f"{'valid' if engine.valid else 'corrupt':8} "
              f"{identity.profile.describe() if identity else '?'}"
              + ("" if engine.valid else f"  ({engine.problem})"))
    return 0


def options(sets: list[str]) -> dict[str, Any]:
    """``--set NAME=VALUE``s as estimator options (one value each; the estimator's
    config checks them)."""
    chosen: dict[str, Any] = {}
    for text in sets:
        name, values = parse_set(text)
        if len(values) != 1 or name in chosen:
            raise ValueError(f"--set {text!r}: one value per option (an engine is built "
                             "for one configuration)")
        chosen[name] = values[0]
    return chosen


def cmd_build(args: argparse.Namespace) -> int:
    from pose_ros.api import create_estimator
    from pose_ros.backends.tensorrt_backend import tensorrt_available

    usable, why = tensorrt_available()
    if not usable:
        print(f"pose-ros-models: cannot build a TensorRT engine here: {why}", file=sys.stderr)
        return 1
    sizes = args.camera_sizes
    estimator = create_estimator(args.model, backend="tensorrt", model_dir=args.model_dir,
                                 precision=args.precision, engine_dir=engine_dir(args),
                                 **options(args.sets))
    estimator.camera_sizes = list(sizes)  # one profile (one engine) covering them all
    start = time.monotonic()
    say(f"TensorRT {args.precision} engine for {args.model}, cameras "
        f"{', '.join(f'{w}x{h}' for w, h in sizes)}, in {engine_dir(args)}")
    try:  # the first size is the one the engine is tuned for
        status = until_interrupted(lambda: estimator.warm_up(*sizes[0]), estimator.cancel)
    finally:
        estimator.close()
    if status == 0:
        say(f"done in {time.monotonic() - start:.0f} s ('pose-ros-models engine list' "
            "shows it)")
    return status


def until_interrupted(work: Callable[[], None], cancel: threading.Event) -> int:
    """Run ``work`` on a thread of its own; Ctrl-C sets ``cancel`` (TensorRT stops the
    build at its next step) and waits for it to end: 0, or INTERRUPTED. The main thread
    only waits, so a signal is seen at once, not after the build's native code returns."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:  # handed to the main thread
            errors.append(e)
    worker = threading.Thread(target=run, name="engine_build", daemon=True)
    worker.start()
    try:
        while worker.is_alive():  # sleeps, not join(): a join cut short by the signal
            time.sleep(0.1)       # can report the thread ended while it still runs
    except KeyboardInterrupt:
        say("interrupted: stopping the engine build (TensorRT stops at its next step)")
        cancel.set()
        worker.join()
        return INTERRUPTED
    if errors and not isinstance(errors[0], BuildCancelled):
        raise errors[0]
    return INTERRUPTED if errors else 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("engine", help="TensorRT engines: list the cache, build one")
    commands = e.add_subparsers(dest="engine_command", required=True)

    def with_engine_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument("--engine-dir", type=path_arg, default=None,
                       help="the engine cache (default: <model-dir>/engines, as the node's "
                            "engine_dir parameter)")

    ls = commands.add_parser("list", help="every engine in the cache: model, precision, "
                                          "TensorRT version, GPU, profile, size, valid/corrupt")
    with_engine_dir(ls)
    ls.set_defaults(func=cmd_list)

    b = commands.add_parser("build", help="build (or find) the TensorRT engine the node uses "
                                          "for a model, printing progress; on the GPU machine")
    b.add_argument("--model", required=True, choices=model_names())
    b.add_argument("--precision", choices=PRECISIONS, default="fp16")
    with_engine_dir(b)
    b.add_argument("--camera-sizes", type=parse_sizes, metavar="WxH[,WxH...]",
                   default=DEFAULT_CAMERA_SIZES,
                   help="the camera resolutions the engine serves, the first tuned for: as the "
                        f"node's camera_sizes parameter (default {DEFAULT_CAMERA_SIZES})")
    b.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="estimator option as the node sets it, e.g. output_stride=8 "
                        "(PoseNet: one engine per stride)")
    b.set_defaults(func=cmd_build)

