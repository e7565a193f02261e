"""rclpy for one node of a command (bag play and record, the demo, the bench's idle
node): initialised, and shut down however the command ends; Ctrl-C ends it quietly.

pose_node's own main (node/main.py) does not use it: it makes its executor before its
node, so that a signal during the seconds the model loads stops a node being built.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from pose_ros.stop_signals import ignore_stop_signals, interrupt_once


@contextmanager
def ros_node(name: str) -> Iterator[Node]:
    """A node named ``name`` in a fresh rclpy context (``--ros-args`` from the command
    line apply), destroyed with the context on exit; a stop signal ends it quietly."""
    interrupt_once()  # a second Ctrl-C (ros2 launch forwards one) must not break the stop
    rclpy.init(args=sys.argv)
    try:
        try:
            node = rclpy.create_node(name)
        except Exception:
            if rclpy.ok():
                raise
            raise KeyboardInterrupt from None  # a stop signal shut the context down under it
    except KeyboardInterrupt:
        # stopped before the command began (Python raises it at any bytecode, so in the
        # handler above too): end as a stop ends, with status 0 and no traceback
        rclpy.try_shutdown()
        ignore_stop_signals()
        raise SystemExit(0) from None
    try:
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
