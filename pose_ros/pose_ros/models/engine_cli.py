"""``pose-ros-models engine``: the TensorRT engine cache, listed and filled.

  engine list  [--engine-dir D]                          every engine and what it is for
  engine build --model M [--precision fp16|fp32] ...     build (or find) one, on the GPU

``list`` reads files only (no TensorRT): it runs wherever the cache can be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pose_ros.backends.engine_cache import list_engines
from pose_ros.progress import megabytes


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


def add_parser(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("engine", help="TensorRT engines: list the cache, build one")
    commands = e.add_subparsers(dest="engine_command", required=True)

    def with_engine_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument("--engine-dir", type=Path, default=None,
                       help="the engine cache (default: <model-dir>/engines, as the node's "
                            "engine_dir parameter)")

    ls = commands.add_parser("list", help="every engine in the cache: model, precision, "
                                          "TensorRT version, GPU, profile, size, valid/corrupt")
    with_engine_dir(ls)
    ls.set_defaults(func=cmd_list)

