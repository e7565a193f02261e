"""Entry point of the ``pose_node`` executable."""

from __future__ import annotations

import sys

from pose_ros.stop_signals import ignore_stop_signals, interrupt_once


def main(argv: list[str] | None = None) -> int:
    # first of all: a Ctrl-C from here on stops the node quietly however far it got
    # (loading takes a second), and the second one that ros2 launch sends cannot
    # break the stop
    interrupt_once()
    try:
        import rclpy
        from rclpy.exceptions import ParameterException
        from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

        from pose_ros.frame_buffers import reuse_frame_buffers
        from pose_ros.models.locate import ModelNotFoundError
        from pose_ros.node.pose_node import PoseNode, StartFailed
    except KeyboardInterrupt:
        return 0

    reuse_frame_buffers()  # before the middleware allocates its first frame
    rclpy.init(args=sys.argv if argv is None else argv)
    # made before the node, whose start-up takes seconds: a signal in that time then
    # stops a node being built, never an executor being built (rclpy cannot clean that up)
    executor = SingleThreadedExecutor()
    node = None
    try:
        node = PoseNode()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ModelNotFoundError, ParameterException, ValueError, StartFailed) as e:
        # a configuration problem: one clear line, not a traceback
        print(f"pose_node: error: {e}", file=sys.stderr)
        return 1
    except Exception:
        # a signal while the node was still starting (warming up its model) shuts the
        # context down under it; the failure that follows is the stop, not an error
        if rclpy.ok():
            raise
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
        ignore_stop_signals()
    return 0


if __name__ == "__main__":
    sys.exit(main())
