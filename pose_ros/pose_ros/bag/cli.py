"""``pose-ros bag make|play|record|inspect``."""

from __future__ import annotations

import argparse
import json
import sys

from pose_ros.bag import WAIT_FOR_SUBSCRIBERS_S
from pose_ros.bag.make import DEFAULT_START_NS, STORAGES, MakeOptions
from pose_ros.command_line import path_arg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bag_command", required=True, metavar="COMMAND")

    make = sub.add_parser("make", help="write a bag of camera images from a video or image folder")
    make.add_argument("source", type=path_arg,
                      help="video file, or folder of images (sorted by name)")
    make.add_argument("output", type=path_arg, help="bag folder to create (must not exist)")
    make.add_argument("--topic", default=MakeOptions.topic,
                      help="image topic (default %(default)s)")
    make.add_argument("--frame-id", default=MakeOptions.frame_id)
    make.add_argument("--storage", choices=sorted(STORAGES), default=MakeOptions.storage)
    make.add_argument("--compressed", action="store_true",
                      help="JPEG sensor_msgs/CompressedImage on TOPIC/compressed")
    make.add_argument("--fps", type=float,
                      help="frame rate (default: the video's, or 10 for images)")
    make.add_argument("--hfov", type=float, default=MakeOptions.hfov_deg,
                      help="horizontal field of view in degrees for camera_info "
                           "(default %(default)s)")
    make.add_argument("--start", type=float, default=DEFAULT_START_NS / 1e9,
                      help="stamp of the first frame, seconds since the epoch")
    make.add_argument("--depth", type=path_arg, metavar="FILE_OR_FOLDER",
                      help="aligned depth images: 16-bit PNG/TIFF in mm or 32-bit float TIFF "
                           "in m; one file for every frame, or a folder of one per frame")
    make.add_argument("--depth-topic", default="",
                      help="depth image topic (default: <topic's parent>/depth/image_raw; "
                           "its camera_info beside it)")
    make.add_argument("--depth-frame-id", default="",
                      help="the depth image's frame (default: --frame-id, as aligned depth is)")
    make.set_defaults(func=cmd_make)

    play = sub.add_parser("play",
                          help="publish a bag's images (colour and depth) and camera_info at "
                               "the recorded rate")
    play.add_argument("bag", type=path_arg)
    play.add_argument("--rate", type=float, default=1.0, help="rate factor (default %(default)s)")
    play.add_argument("--loop", action="store_true")
    play.add_argument("--start-offset", type=float, default=0.0, help="seconds into the bag")
    play.add_argument("--clock", action="store_true", help="publish /clock (for use_sim_time)")
    play.add_argument("--topics", nargs="+", default=[], help="topics to play (default: images)")
    play.add_argument("--wait-for-subscribers", type=float,
                      default=WAIT_FOR_SUBSCRIBERS_S, metavar="SECONDS",
                      help="hold the first message until every topic has a subscriber (at "
                           "most SECONDS, default %(default)s), then 2 s for them to match "
                           "the player too; 0: play at once")
    play.set_defaults(func=cmd_play)

    record = sub.add_parser("record", help="record topics to a new bag until interrupted")
    record.add_argument("output", type=path_arg)
    record.add_argument("topics", nargs="+")
    record.add_argument("--storage", choices=sorted(STORAGES), default="sqlite3")
    record.set_defaults(func=cmd_record)

    inspect = sub.add_parser("inspect", help="topics, counts, duration and a summary of poses "
                                             "and depth images")
    inspect.add_argument("bag", type=path_arg)
    inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect.set_defaults(func=cmd_inspect)


def cmd_make(args: argparse.Namespace) -> int:
    from pose_ros.bag.make import make_bag

    options = MakeOptions(topic=args.topic, frame_id=args.frame_id, storage=args.storage,
                          compressed=args.compressed, fps=args.fps, hfov_deg=args.hfov,
                          start_ns=round(args.start * 1e9), depth=args.depth,
                          depth_topic=args.depth_topic, depth_frame_id=args.depth_frame_id)
    make_bag(args.source, args.output, options)
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from pose_ros.frame_buffers import reuse_frame_buffers
    from pose_ros.node.bag_play import PlayOptions, play_bag
    from pose_ros.node.ros_session import ros_node

    options = PlayOptions(rate=args.rate, loop=args.loop, start_offset_s=args.start_offset,
                          clock=args.clock, topics=tuple(args.topics),
                          wait_for_subscribers_s=args.wait_for_subscribers)
    reuse_frame_buffers()  # a camera's frames, as for a driver
    with ros_node("pose_ros_bag_player") as node:
        play_bag(node, args.bag, options)
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from pose_ros.node.bag_record import Recorder
    from pose_ros.node.ros_session import ros_node, spin

    with ros_node("pose_ros_bag_recorder") as node:
        recorder = Recorder(node, args.output, args.topics, args.storage)
        try:
            spin(node)
        finally:
            recorder.close()
    counts = ", ".join(f"{t}: {n}" for t, n in recorder.counts.items()) or "nothing"
    print(f"recorded {args.output}: {counts}", file=sys.stderr)
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from pose_ros.bag.inspect import inspect_bag

    summary = inspect_bag(args.bag)
    print(json.dumps(summary.as_dict(), indent=2) if args.json else summary)
    return 0
