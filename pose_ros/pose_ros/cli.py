"""``pose-ros``: the user-facing tools around the node.

  pose-ros bag make|play|record|inspect   rosbag2 files for replay testing
  pose-ros eval                           COCO keypoint evaluation of a model
"""

from __future__ import annotations

import argparse
import sys

from pose_ros.command_line import dispatch


def main(argv: list[str] | None = None) -> int:
    from rosbags.rosbag2 import ReaderError, WriterError

    from pose_ros.bag import cli as bag_cli
    from pose_ros.evaluation import cli as eval_cli

    parser = argparse.ArgumentParser(prog="pose-ros", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    bag_cli.add_arguments(sub.add_parser("bag", help="make, play, record and inspect bags"))
    eval_cli.add_arguments(sub.add_parser("eval", help="COCO keypoint AP of a model"))
    args = parser.parse_args(argv)
    return dispatch(args, (ValueError, OSError, RuntimeError, ReaderError, WriterError),
                    f"pose-ros {args.command}")


if __name__ == "__main__":
    sys.exit(main())
