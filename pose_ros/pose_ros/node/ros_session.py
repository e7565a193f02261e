"""rclpy for one node of a command (bag play and record, the demo, the bench's idle
node): initialised, and shut down however the command ends; Ctrl-C ends it quietly.

pose_node's own main (node/main.py) does not use ``ros_node``: it makes its executor
before its node, so that a signal during the seconds the model loads stops a node being
built. Both take a stop while starting the same way (:func:`stop_on_lost_context`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from pose_ros.stop_signals import ignore_stop_signals, interrupt_once, stop_requested


@contextmanager
def stop_on_lost_context() -> Iterator[None]:
    """A failure once the ROS context is shut down, or once a stop signal arrived, is
    that stop (rclpy's handler runs at once, Python's KeyboardInterrupt at a later
    bytecode, and rclpy can turn that one into an error of its own: stop_requested):
    raised as KeyboardInterrupt. Catch it outside this block: the signal's own
    KeyboardInterrupt can land in this handler too, and no clause beside it catches it."""
    try:
        yield
    except Exception:
        if rclpy.ok() and not stop_requested():
            raise
        raise KeyboardInterrupt from None


@contextmanager
def ros_node(name: str) -> Iterator[Node]:
    """A node named ``name`` in a fresh rclpy context (``--ros-args`` from the command
    line apply), destroyed with the context on exit; a stop signal ends it quietly."""
    interrupt_once()  # a second Ctrl-C (ros2 launch forwards one) must not break the stop
    rclpy.init(args=sys.argv)
    try:
        with stop_on_lost_context():
            node = rclpy.create_node(name)
    except KeyboardInterrupt:
        # stopped before the command began: end as a stop ends, with status 0 and no
        # traceback
        rclpy.try_shutdown()
        ignore_stop_signals()
        raise SystemExit(0) from None
    try:
        with stop_on_lost_context():  # the command's own spinning: the same stop
            yield node
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        ignore_stop_signals()  # the command is ending: a late one must not kill it


def spin(node: Node) -> None:
    """Serve ``node``'s callbacks until a stop signal or a shutdown."""
    with suppress(KeyboardInterrupt, ExternalShutdownException):
        rclpy.spin(node)
