"""pose_ros: human pose estimation (PoseNet, MoveNet) for ROS 2.

The inference core (models, backends, pre/post-processing, decoders, filters,
trackers) never imports rclpy; only :mod:`pose_ros.node` does.
"""
