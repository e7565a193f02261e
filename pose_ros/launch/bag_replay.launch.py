"""Play a bag into pose_estimator and watch it in RViz.

    pose-ros bag make video.mp4 squats_bag
    ros2 launch pose_ros bag_replay.launch.py bag:=squats_bag model:=movenet_thunder

Runs pose.launch.py (the node exactly as on the robot; its arguments apply here too)
on the bag's image topic and ``pose-ros bag play <bag> --rate R --wait-for-subscribers
10`` beside it. RViz starts where rviz2 is installed. The launch fails when the node or
the player fails.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription
from launch.conditions import IfCondition, UnlessCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration

from launch import LaunchDescription
from pose_ros.node.launch_exits import fail_on_error


def generate_launch_description():
    share = get_package_share_directory("pose_ros")
    args = [
        DeclareLaunchArgument("bag", description="rosbag2 folder (pose-ros bag make)"),
        DeclareLaunchArgument("rate", default_value="1.0",
                              description="playback speed, a factor of the recorded rate"),
        DeclareLaunchArgument("loop", default_value="true",
                              description="play the bag again and again"),
        # declared before pose.launch.py's own (false): a declaration keeps a value set earlier
        DeclareLaunchArgument("rviz", default_value="true",
                              description="also start RViz with config/pose.rviz, "
                                          "where rviz2 is installed"),
    ]
    # pose.launch.py reads this launch's arguments (image, model, params_file, ...): an
    # include is not scoped. It also sets FASTDDS_DEFAULT_PROFILES_FILE, so the player
    # started after it publishes its frames with that profile too.
    pose = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(share, "launch", "pose.launch.py")))
    play = ["pose-ros", "bag", "play", LaunchConfiguration("bag"),
            "--rate", LaunchConfiguration("rate"), "--wait-for-subscribers", "10"]
    return LaunchDescription([
        *args,
        pose,
        ExecuteProcess(cmd=[*play, "--loop"], output="screen", on_exit=fail_on_error,
                       condition=IfCondition(LaunchConfiguration("loop"))),
        ExecuteProcess(cmd=play, output="screen", on_exit=fail_on_error,
                       condition=UnlessCondition(LaunchConfiguration("loop"))),
    ])
