"""A stop signal landing while rclpy builds a taken message's Python object, in a
process of its own (test_robustness.py): the message's constructor sends it, as a
Ctrl-C under load does at that moment. rclpy's own signal handler is off, so the
context stays up and only the Python handler sees the signal."""

from __future__ import annotations

import os
import signal

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo

from pose_ros.node.ros_session import stop_on_lost_context
from pose_ros.stop_signals import interrupt_once


def main() -> None:
    interrupt_once()
    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    node = rclpy.create_node("signal_in_conversion")
    msg = CameraInfo()  # made before the constructor sends signals
    pub = node.create_publisher(CameraInfo, "signal_in_conversion/camera_info", 10)
    node.create_subscription(CameraInfo, "signal_in_conversion/camera_info",
                             lambda _: None, 10)
    node.create_timer(0.05, lambda: pub.publish(msg))
    constructor = CameraInfo.__init__

    def constructed_as_the_signal_lands(self, *args, **kwargs) -> None:
        constructor(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
    CameraInfo.__init__ = constructed_as_the_signal_lands
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        with stop_on_lost_context():
            executor.spin()
    except KeyboardInterrupt:
        print("stopped as a stop")


if __name__ == "__main__":
    main()
