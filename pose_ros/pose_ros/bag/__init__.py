"""``pose-ros bag``: make, play, record and inspect rosbag2 files (sqlite3 or MCAP).

Files are read and written with the ``rosbags`` library, so making and inspecting
bags needs no ROS installation; play and record join a live ROS graph through
:mod:`pose_ros.node` (``bag_play``, ``bag_record``), the part that imports rclpy.
"""
