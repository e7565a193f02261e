"""What TensorRT's progress monitor does during an engine build, without TensorRT.

TensorRT calls an ``IProgressMonitor`` as the build goes (``phase_start``,
``step_complete``, ``phase_finish``); ``step_complete`` returning False makes it abandon
the build. :class:`BuildProgress` is that logic on plain Python, so it is tested
here: progress lines with the elapsed time, and a stop once ``cancel`` is set (Ctrl-C,
the node's cleanup or shutdown, an estimator closed mid-build). The TensorRT subclass
that forwards to it (tensorrt_backend) is a few lines that only run with TensorRT.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pose_ros.progress import say


class BuildCancelled(RuntimeError):
    """The engine build was abandoned because it was asked to stop."""


class BuildProgress:
    def __init__(self, cancel: threading.Event | None = None,
                 tell: Callable[[str], None] = say, heartbeat_s: float = 10.0) -> None:
        self.cancel = cancel or threading.Event()
        self._tell = tell
        self._heartbeat_s = heartbeat_s
        self._started = self._told_at = time.monotonic()
        self._cancel_said = False

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def _say(self, message: str) -> None:
        self._told_at = time.monotonic()
        self._tell(f"TensorRT: {message} ({self.elapsed():.0f} s)")

    def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
        if parent_phase is None:  # the nested phases are too many to read
            self._say(f"{phase_name}, {num_steps} steps")

    def step_complete(self, phase_name: str, step: int) -> bool:
        """False once ``cancel`` is set: TensorRT then abandons the build."""
        if self.cancel.is_set():
            if not self._cancel_said:
                self._cancel_said = True
                self._say("stopping the build, as asked")
            return False
        if time.monotonic() - self._told_at >= self._heartbeat_s:
            self._say(f"{phase_name}: step {step + 1}")
        return True

    def phase_finish(self, phase_name: str) -> None:
        """Nothing to say: the next phase's start, or the build's end, says it."""
