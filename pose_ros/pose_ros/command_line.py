"""What every console command does with its chosen subcommand."""

from __future__ import annotations

import argparse
import sys


def dispatch(args: argparse.Namespace, expected: tuple[type[Exception], ...], prog: str) -> int:
    """Run ``args.func``; an expected failure is one line on stderr and exit 1, never a
    traceback (a traceback is kept for the unexpected)."""
    try:
        return int(args.func(args))
    except expected as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
