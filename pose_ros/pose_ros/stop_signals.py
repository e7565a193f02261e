"""Stop on the first SIGINT or SIGTERM; ignore the ones that follow.

A terminal's Ctrl-C reaches every process of its group, and ``ros2 launch`` then sends
its own SIGINT (and SIGTERM after 5 s) to processes that are already stopping. Python
turns every SIGINT into a KeyboardInterrupt, so the second one broke the clean-up half
way: a traceback out of the inference thread's join, or an abort ("terminate called
without an active exception") as rclpy's C++ threads were torn down without a shutdown.

Install the handler before ``rclpy.init()``: rclpy's own handler (which shuts the ROS
context down) calls the one it replaced, this one, and puts it back on shutdown, so a
signal during the clean-up after ``rclpy.shutdown()`` is ignored too.
"""

from __future__ import annotations

import signal
from types import FrameType


class _InterruptOnce:
    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping:
            self.stopping = True
            raise KeyboardInterrupt


def interrupt_once() -> None:
    """The first SIGINT or SIGTERM raises KeyboardInterrupt; later ones do nothing."""
    handler = _InterruptOnce()
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
