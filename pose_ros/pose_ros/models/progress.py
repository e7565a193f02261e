"""Progress lines for long work (download, conversion, engine build) on stderr."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Sequence


def say(message: str) -> None:
    print(f"pose-ros-models: {message}", file=sys.stderr, flush=True)


def run_with_heartbeat(args: Sequence[str], what: str, every_s: float = 10.0,
                       **kwargs) -> subprocess.CompletedProcess:
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
