"""Start pose_estimator on a camera topic, optionally with RViz.

    ros2 launch pose_ros pose.launch.py image:=/camera/image_raw model:=movenet_thunder

Runs: pose_node --ros-args --params-file <params_file> [-p model:=..] [-p backend:=..]
[-p threads:=..] [-p depth:=..] [-p autostart:=..] -r image:=<image>
-r camera_info:=<camera_info> -r depth/image:=<depth_image>
-r depth/camera_info:=<depth_camera_info>
model, backend, threads, depth and autostart override the params file only when given. The
node is a launch_ros LifecycleNode: with autostart:=false it waits, unconfigured, for a
lifecycle manager, and an including launch file can drive or watch its transitions
(launch_ros ChangeState / OnStateTransition). The launch ends with the node, and fails
(exit code 1) when the node fails.
"""

import os

from ament_index_python.packages import (
    PackageNotFoundError,
    get_package_prefix,
    get_package_share_directory,
)
from launch.actions import DeclareLaunchArgument, OpaqueFunction, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.logging import get_logger
from launch.substitutions import EnvironmentVariable, LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node

from launch import LaunchContext, LaunchDescription
from pose_ros.node.launch_exits import end_launch
from pose_ros.node.parameters import BY_NAME

# launch arguments that set the node parameter of the same name; empty (the default)
# leaves the params file's value
OVERRIDES = ("model", "backend", "threads", "depth", "autostart")


def generate_launch_description():
    share = get_package_share_directory("pose_ros")
    # Fast DDS: whole frames through shared memory, unless the user chose a profile
    # (config/fastdds_large_images.xml says why)
    dds_profile = SetEnvironmentVariable("FASTDDS_DEFAULT_PROFILES_FILE", EnvironmentVariable(
        "FASTDDS_DEFAULT_PROFILES_FILE",
        default_value=os.path.join(share, "config", "fastdds_large_images.xml")))
    args = [
        DeclareLaunchArgument("image", default_value="/camera/image_raw",
                              description="camera topic (sensor_msgs/Image; with the "
                                          "use_compressed parameter, <image>/compressed)"),
        DeclareLaunchArgument("camera_info", default_value="/camera/camera_info",
                              description="camera_info topic (optional: places the markers)"),
        DeclareLaunchArgument("depth_image", default_value="/camera/depth/image_raw",
                              description="depth image aligned to the colour image, 16UC1 or "
                                          "32FC1 (read with depth:=true; RealSense: "
                                          "/camera/aligned_depth_to_color/image_raw)"),
        DeclareLaunchArgument("depth_camera_info", default_value="/camera/depth/camera_info",
                              description="the depth image's camera_info"),
        DeclareLaunchArgument("params_file",
                              default_value=os.path.join(share, "config", "pose_ros.yaml"),
                              description="node parameters (YAML: pose_estimator: "
                                          "ros__parameters:)"),
        *(DeclareLaunchArgument(name, default_value="", description=_override_description(name))
          for name in OVERRIDES),
        DeclareLaunchArgument("rviz", default_value="false",
                              description="also start RViz with config/pose.rviz (with "
                                          "depth:=true, config/pose_3d.rviz), where rviz2 "
                                          "is installed"),
        DeclareLaunchArgument("rviz_fixed_frame", default_value="",
                              description="RViz's fixed frame; empty: the config's "
                                          "(camera_optical_frame, or with depth:=true "
                                          "camera_depth_optical_frame: set the depth "
                                          "image's frame_id)"),
    ]
    return LaunchDescription([
        *args,
        dds_profile,
        OpaqueFunction(function=_pose_node),
        OpaqueFunction(function=_rviz, args=[os.path.join(share, "config")],
                       condition=IfCondition(LaunchConfiguration("rviz"))),
    ])


def _override_description(name: str) -> str:
    p = BY_NAME[name]
    choices = f": {' | '.join(map(str, p.choices))}" if p.choices else ""
    return f"{p.description}{choices}; empty: the params_file value"


def _pose_node(context: LaunchContext) -> list:
    overrides = {name: LaunchConfiguration(name) for name in OVERRIDES
                 if LaunchConfiguration(name).perform(context)}
    return [LifecycleNode(
        package="pose_ros", executable="pose_node", name="pose_estimator", namespace="",
        output="screen",
        parameters=[LaunchConfiguration("params_file"), overrides],
        remappings=[("image", LaunchConfiguration("image")),
                    ("image/compressed", [LaunchConfiguration("image"), "/compressed"]),
                    ("camera_info", LaunchConfiguration("camera_info")),
                    ("depth/image", LaunchConfiguration("depth_image")),
                    ("depth/camera_info", LaunchConfiguration("depth_camera_info"))],
        on_exit=end_launch,
    )]


def _rviz(context: LaunchContext, config_dir: str) -> list:
    # headless robots have no rviz2: the node runs all the same
    try:
        get_package_prefix("rviz2")
    except PackageNotFoundError:
        get_logger("pose.launch").warning(
            "rviz:=true, but rviz2 is not installed (apt install ros-$ROS_DISTRO-rviz2): "
            "starting the node without RViz")
        return []
    depth = LaunchConfiguration("depth").perform(context).lower() == "true"
    arguments = ["-d", os.path.join(config_dir, "pose_3d.rviz" if depth else "pose.rviz")]
    frame = LaunchConfiguration("rviz_fixed_frame").perform(context)
    return [Node(package="rviz2", executable="rviz2", output="screen",
                 arguments=arguments + (["--fixed-frame", frame] if frame else []))]
