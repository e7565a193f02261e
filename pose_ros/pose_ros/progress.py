"""Progress output on stderr for long work, in one place for every tool.

- :class:`ProgressBar` for counted work (frames, images): on a terminal it redraws
  in place; in a log (CI, a pipe) it prints a line every tenth of the way, so
  progress stays visible without flooding the output.
- :func:`say` and :func:`run_with_heartbeat` for one long step (download,
  conversion, engine build): a line when it starts, a heartbeat while it runs.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, TextIO


def megabytes(size: int) -> str:
    """A file size as progress lines print it."""
    return f"{size / 1e6:.1f} MB"


def say(message: str) -> None:
    print(f"pose-ros-models: {message}", file=sys.stderr, flush=True)


def run_with_heartbeat(args: Sequence[str], what: str, every_s: float = 10.0,
                       **kwargs: Any) -> subprocess.CompletedProcess:
    """Run a quiet command, saying every ``every_s`` seconds that it is still going.

    Output is captured and returned; a failure raises with its last lines.
    """
    start = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            say(f"{what}: still working ({time.monotonic() - start:.0f} s)")

    threading.Thread(target=beat, daemon=True).start()
    try:
        result = subprocess.run(list(args), capture_output=True, text=True, **kwargs)
    finally:
        done.set()
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{tail}")
    say(f"{what}: done in {time.monotonic() - start:.0f} s")
    return result


class ProgressBar:
    def __init__(self, what: str, total: int | None, stream: TextIO = sys.stderr,
                 width: int = 30) -> None:
        self.what, self.total, self.stream, self.width = what, total, stream, width
        self.done = 0
        self._start = time.monotonic()
        self._tty = stream.isatty()
        self._next_line = 0.0

    def update(self, n: int = 1, note: str = "") -> None:
        self.done += n
        fraction = self.done / self.total if self.total else None
        if self._tty:
            self.stream.write("\r" + self._line(fraction, note) + "\033[K")
            self.stream.flush()
        elif fraction is None or fraction >= self._next_line:
            print(self._line(fraction, note), file=self.stream, flush=True)
            self._next_line = (fraction or 0.0) + 0.1

    def close(self, note: str = "") -> None:
        if self._tty:
            self.stream.write("\n")
        print(f"{self.what}: {self.done} done in {time.monotonic() - self._start:.1f} s"
              + (f", {note}" if note else ""), file=self.stream, flush=True)

    def _line(self, fraction: float | None, note: str) -> str:
        if fraction is None:
            bar = f"{self.done}"
        else:
            filled = round(min(fraction, 1.0) * self.width)
            bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
        return f"{self.what} {bar} {time.monotonic() - self._start:5.1f} s {note}".rstrip()
