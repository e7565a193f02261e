"""Start pose_estimator on a camera topic, optionally with RViz.

    ros2 launch pose_ros pose.launch.py image:=/camera/image_raw model:=movenet_thunder

Runs exactly: pose_node --ros-args --params-file <params> -p model:=.. -p backend:=..
-r image:=<image> -r camera_info:=<camera_info>
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import EnvironmentVariable, LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    share = get_package_share_directory("pose_ros")
    # Fast DDS: whole frames through shared memory, unless the user chose a profile
    # (config/fastdds_large_images.xml says why)
    dds_profile = SetEnvironmentVariable("FASTDDS_DEFAULT_PROFILES_FILE", EnvironmentVariable(
        "FASTDDS_DEFAULT_PROFILES_FILE",
        default_value=os.path.join(share, "config", "fastdds_large_images.xml")))
    args = [
        DeclareLaunchArgument("image", default_value="/camera/image_raw"),
        DeclareLaunchArgument("camera_info", default_value="/camera/camera_info"),
        DeclareLaunchArgument("params_file",
                              default_value=os.path.join(share, "config", "pose_ros.yaml")),
        DeclareLaunchArgument("model", default_value="movenet_lightning"),
        DeclareLaunchArgument("backend", default_value="auto"),
        DeclareLaunchArgument("rviz", default_value="false"),
    ]
    node = Node(
        package="pose_ros", executable="pose_node", name="pose_estimator", output="screen",
        parameters=[LaunchConfiguration("params_file"),
                    {"model": LaunchConfiguration("model"),
                     "backend": LaunchConfiguration("backend")}],
        remappings=[("image", LaunchConfiguration("image")),
                    ("image/compressed", [LaunchConfiguration("image"), "/compressed"]),
                    ("camera_info", LaunchConfiguration("camera_info"))],
    )
    rviz = Node(package="rviz2", executable="rviz2", output="screen",
                arguments=["-d", os.path.join(share, "config", "pose.rviz")],
                condition=IfCondition(LaunchConfiguration("rviz")))
    return LaunchDescription(args + [dds_profile, node, rviz])
