"""A one-line progress bar on stderr for the command-line tools.

On a terminal it redraws in place; in a log (CI, a pipe) it prints a line every
tenth of the way, so progress stays visible without flooding the output.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


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
            filled = int(round(min(fraction, 1.0) * self.width))
            bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
        return f"{self.what} {bar} {time.monotonic() - self._start:5.1f} s {note}".rstrip()
