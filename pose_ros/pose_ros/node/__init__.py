"""The ROS 2 side of pose_ros: the node, the demo, bag play and record, and the rclpy
session they share; the one part of the package that imports rclpy (the ``pose-ros``
command line reaches it only to play or record a bag)."""
