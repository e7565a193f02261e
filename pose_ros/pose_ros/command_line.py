"""What every console command does with its chosen subcommand, and the option
values they share the spelling of (``WxH`` sizes, ``--set NAME=V1,V2``)."""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path


def dispatch(args: argparse.Namespace, expected: tuple[type[Exception], ...], prog: str) -> int:
    """Run ``args.func``; an expected failure is one line on stderr and exit 1, Ctrl-C one
    line and exit 130, never a traceback (a traceback is kept for the unexpected)."""
    try:
        return int(args.func(args))
    except expected as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # what was half made is in temporary files, removed
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def path_arg(text: str) -> Path:
    """A path option: '~' expanded, which no shell does in ``--model-dir=~/models``."""
    return Path(text).expanduser()


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.partition("x")
    if not (sep and width.isdigit() and height.isdigit() and int(width) and int(height)):
        raise argparse.ArgumentTypeError(f"{text!r}: write WIDTHxHEIGHT, e.g. 640x480")
    return int(width), int(height)


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``WxH[,WxH...]`` -> [(W, H), ...]: camera sizes, as the node's camera_sizes and
    ``engine build --camera-sizes`` spell them."""
    return [parse_size(size.strip()) for size in text.split(",")]


def parse_set(text: str) -> tuple[str, list[object]]:
    """``NAME=V1,V2,...`` -> (NAME, [V1, V2, ...]), each value a Python literal or a word."""
    name, sep, values = text.partition("=")
    if not sep or not name or not values:
        raise ValueError(f"--set {text!r}: write NAME=V1,V2,... (e.g. output_stride=8,16)")
    return name, [_value(v.strip()) for v in values.split(",")]


def _value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a bare word: a string option such as decoding=single
