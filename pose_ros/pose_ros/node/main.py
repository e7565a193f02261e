"""Entry point of the ``pose_node`` executable: one PoseNode, or one per camera
(``--cameras``, node/cameras.py) on one executor in one process."""

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
        from rclpy.utilities import remove_ros_args

        from pose_ros.frame_buffers import reuse_frame_buffers
        from pose_ros.models.locate import ModelNotFoundError
        from pose_ros.node.cameras import camera_names, camera_namespaces, process_namespace
        from pose_ros.node.pose_node import NODE_NAME, PoseNode, StartFailed
        from pose_ros.node.ros_session import stop_on_lost_context
    except KeyboardInterrupt:
        return 0

    args = sys.argv if argv is None else argv
    try:
        cameras = camera_names(remove_ros_args(args)[1:])
    except ValueError as e:
        print(f"pose_node: error: {e}", file=sys.stderr)
        return 1
    reuse_frame_buffers()  # before the middleware allocates its first frame
    rclpy.init(args=args)
    # made before the node, whose start-up takes seconds: a signal in that time then
    # stops a node being built, never an executor being built (rclpy cannot clean that up)
    executor = SingleThreadedExecutor()
    nodes: list[PoseNode] = []
    building = ""  # the namespace of the node being made, with --cameras
    try:
        # a signal while a node is still starting shuts the context down under it: the
        # failure that follows is the stop, not an error
        with stop_on_lost_context():
            # "": the one node, in the namespace the command line gives it
            namespaces = (camera_namespaces(cameras, process_namespace(NODE_NAME)) if cameras
                          else [""])
            for building in namespaces:  # one at a time: a signal stops the one being built
                nodes.append(PoseNode(building))
                executor.add_node(nodes[-1])
            building = ""
            executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ModelNotFoundError, ParameterException, ValueError, StartFailed) as e:
        # a configuration problem: one clear line, not a traceback, naming the camera
        # whose node it stopped (another's may have started already)
        where = f" {building.rstrip('/')}/{NODE_NAME}" if building else ""
        print(f"pose_node{where}: error: {e}", file=sys.stderr)
        return 1
    finally:
        for node in nodes:
            node.destroy_node()
        rclpy.try_shutdown()
        ignore_stop_signals()
    return 0


if __name__ == "__main__":
    sys.exit(main())
