"""3D people from an aligned depth image: pixels to metres in the depth optical frame.

rclpy-free, like the rest of the inference core: :mod:`.camera` (pinhole intrinsics,
colour to depth pixels, back-projection), :mod:`.image` (16UC1 and 32FC1 depth read in
place), :mod:`.sampling` (a robust depth per keypoint) and :mod:`.lift` (poses to 3D
people). The node's depth input and messages are in :mod:`pose_ros.node`.
"""
