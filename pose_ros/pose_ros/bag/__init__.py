"""``pose-ros bag``: make, play, record and inspect rosbag2 files (sqlite3 or MCAP).

Files are read and written with the ``rosbags`` library, so making and inspecting
bags needs no ROS installation; play and record join a live ROS graph through
:mod:`pose_ros.node` (``bag_play``, ``bag_record``), the part that imports rclpy.
"""

#: how long ``bag play`` holds its first message until every topic has a subscriber: a
#: node started just before it, or not yet matched, would miss the first frame
WAIT_FOR_SUBSCRIBERS_S = 5.0
