"""pose_ros: human pose estimation (PoseNet, MoveNet) for ROS 2.

The inference core (models, backends, pre/post-processing, decoders, filters,
trackers) never imports rclpy; only :mod:`pose_ros.node` does, and the ``pose-ros``
command line (:mod:`pose_ros.cli`, :mod:`pose_ros.bag.cli`) when it plays or records
a bag (test_rclpy_boundary.py checks it).
"""
