"""How a pose_ros launch ends: with its node, and failed when the node failed.

``ros2 launch`` exits 1 only when an exception is raised while it runs; a Shutdown
action, or a process that died, leaves it at 0. So a failure is raised here, in
the process's on_exit handler, and launch reports it ("Caught exception in launch")
and stops everything else it started.
"""

from __future__ import annotations

import signal

from launch.actions import Shutdown
from launch.events.process import ProcessExited

from launch import LaunchContext

# a process that exits 0, or that a stop signal ended before it could handle it
# (Ctrl-C while Python was still starting), stopped; any other end is a failure
STOPPED = (0, -signal.SIGINT, -signal.SIGTERM)


class ProcessFailed(RuntimeError):
    pass


def fail_on_error(event: ProcessExited, context: LaunchContext) -> None:
    """on_exit of a process whose failure must fail the launch."""
    if event.returncode not in STOPPED:
        raise ProcessFailed(f"{event.process_name} failed (exit code {event.returncode}); "
                            "its output above says why")


def end_launch(event: ProcessExited, context: LaunchContext) -> list[Shutdown]:
    """on_exit of the process the launch is for: the launch ends with it."""
    fail_on_error(event, context)
    if context.is_shutdown:
        # the launch is ending already (Ctrl-C): a second Shutdown would run launch_ros's
        # ROS adapter shutdown twice, and it raises the second time (the LifecycleNode
        # action has an adapter)
        return []
    return [Shutdown(reason=f"{event.process_name} exited")]
