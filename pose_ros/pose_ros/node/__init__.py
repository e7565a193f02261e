"""The ROS 2 side of pose_ros: the only part of the package that imports rclpy."""
