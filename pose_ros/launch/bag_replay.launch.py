"""Play a bag into pose_estimator and watch it in RViz.

    pose-ros bag make video.mp4 squats_bag
    ros2 launch pose_ros bag_replay.launch.py bag:=squats_bag model:=movenet_thunder

Runs pose.launch.py (the node exactly as on the robot) on the bag's image topic and
``pose-ros bag play <bag> --rate R --wait-for-subscribers 10`` beside it.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription
from launch.conditions import IfCondition, UnlessCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration


def generate_launch_description():
    share = get_package_share_directory("pose_ros")
    args = [
        DeclareLaunchArgument("bag", description="rosbag2 folder (pose-ros bag make)"),
        DeclareLaunchArgument("image", default_value="/camera/image_raw"),
        DeclareLaunchArgument("camera_info", default_value="/camera/camera_info"),
        DeclareLaunchArgument("model", default_value="movenet_lightning"),
        DeclareLaunchArgument("backend", default_value="auto"),
        DeclareLaunchArgument("rate", default_value="1.0"),
        DeclareLaunchArgument("loop", default_value="true"),
        DeclareLaunchArgument("rviz", default_value="true"),
    ]
    # pose.launch.py also sets FASTDDS_DEFAULT_PROFILES_FILE; an include is not scoped,
    # so the player started after it publishes its frames with that profile too
    pose = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(share, "launch", "pose.launch.py")),
        launch_arguments={name: LaunchConfiguration(name) for name in
                          ("image", "camera_info", "model", "backend", "rviz")}.items())
    play = ["pose-ros", "bag", "play", LaunchConfiguration("bag"),
            "--rate", LaunchConfiguration("rate"), "--wait-for-subscribers", "10"]
    return LaunchDescription(args + [
        pose,
        ExecuteProcess(cmd=play + ["--loop"], output="screen",
                       condition=IfCondition(LaunchConfiguration("loop"))),
        ExecuteProcess(cmd=play, output="screen",
                       condition=UnlessCondition(LaunchConfiguration("loop"))),
    ])
