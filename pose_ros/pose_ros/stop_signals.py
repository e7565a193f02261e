"""Stop on the first SIGINT or SIGTERM; ignore the ones that follow.

A terminal's Ctrl-C reaches every process of its group, and ``ros2 launch`` then sends
its own SIGINT (and SIGTERM after 5 s) to processes that are already stopping. Python
turns every SIGINT into a KeyboardInterrupt, so the second one broke the clean-up half
way: a traceback out of the inference thread's join, or an abort ("terminate called
without an active exception") as rclpy's C++ threads were torn down without a shutdown.

Install the handler before ``rclpy.init()``: rclpy's own handler (which shuts the ROS
context down) calls the one it replaced, this one, and puts it back on shutdown, so a
signal during the clean-up after ``rclpy.shutdown()`` is ignored too.

Once the clean-up is done, :func:`ignore_stop_signals`: Python's finalization puts the
default action back for every signal that has a Python handler (not for an ignored
one), so a late signal (launch's, a second after the terminal's when launch is slow
to stop its own ROS node) would kill the process as it exits, and launch would
report "process has died".
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


_handler: _InterruptOnce | None = None


def interrupt_once() -> None:
    """The first SIGINT or SIGTERM raises KeyboardInterrupt; later ones do nothing."""
    global _handler
    _handler = _InterruptOnce()
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


def stop_requested() -> bool:
    """Whether a stop signal has arrived since :func:`interrupt_once`. Its
    KeyboardInterrupt can be lost on the way: raised inside a message's Python
    constructor while rclpy converts a message it takes, it comes out of the executor
    as rclpy's RuntimeError ("Unable to convert call argument '0' to Python object")."""
    return _handler is not None and _handler.stopping


def ignore_stop_signals() -> None:
    """From now on SIGINT and SIGTERM do nothing: the process is exiting."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
