"""Start pose_estimator on a camera topic, optionally with RViz.

    ros2 launch pose_ros pose.launch.py image:=/camera/image_raw model:=movenet_thunder

Runs: pose_node --ros-args --params-file <params_file> [-p model:=..] [-p backend:=..]
[-p threads:=..] [-p depth:=..] [-p autostart:=..] [-p use_compressed:=..]
-r image:=<image> -r camera_info:=<camera_info> -r depth/image:=<depth_image>
-r depth/camera_info:=<depth_camera_info>
model, backend, threads, depth, autostart and use_compressed override the params file only
when given. The
node is a launch_ros LifecycleNode: with autostart:=false it waits, unconfigured, for a
lifecycle manager, and an including launch file can drive or watch its transitions
(launch_ros ChangeState / OnStateTransition). The launch ends with the node, and fails
(exit code 1) when the node fails.

With cameras:="front rear" the one process serves each camera (pose_node --cameras,
docs/performance.md): /front/pose_estimator reads /front/image_raw, and the topic
arguments are taken relative to each camera's namespace (their defaults become
image_raw, camera_info, depth/image_raw, depth/camera_info).
"""

import os
from dataclasses import dataclass
from typing import Any

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
from launch_ros.parameter_descriptions import Parameter

from launch import LaunchContext, LaunchDescription
from pose_ros.node.launch_exits import end_launch
from pose_ros.node.parameters import BY_NAME

# launch arguments that set the node parameter of the same name; empty (the default)
# leaves the params file's value
OVERRIDES = ("model", "backend", "threads", "depth", "autostart", "use_compressed")


@dataclass(frozen=True)
class Topic:
    """A launch argument that remaps one of the node's topics."""

    remapped: str  # the node's own name for it
    default: str
    camera_default: str  # under each camera's namespace, with cameras:=
    description: str


TOPICS = {
    "image": Topic("image", "/camera/image_raw", "image_raw",
                   "camera topic (sensor_msgs/Image; with the use_compressed parameter, "
                   "<image>/compressed)"),
    "camera_info": Topic("camera_info", "/camera/camera_info", "camera_info",
                         "camera_info topic (optional: places the markers)"),
    "depth_image": Topic("depth/image", "/camera/depth/image_raw", "depth/image_raw",
                         "depth image aligned to the colour image, 16UC1 or 32FC1 (read with "
                         "depth:=true; RealSense: /camera/aligned_depth_to_color/image_raw)"),
    "depth_camera_info": Topic("depth/camera_info", "/camera/depth/camera_info",
                               "depth/camera_info", "the depth image's camera_info"),
}


def generate_launch_description():
    share = get_package_share_directory("pose_ros")
    # Fast DDS: whole frames through shared memory, unless the user chose a profile
    # (config/fastdds_large_images.xml says why)
    dds_profile = SetEnvironmentVariable("FASTDDS_DEFAULT_PROFILES_FILE", EnvironmentVariable(
        "FASTDDS_DEFAULT_PROFILES_FILE",
        default_value=os.path.join(share, "config", "fastdds_large_images.xml")))
    args = [
        DeclareLaunchArgument("cameras", default_value="",
                              description="namespaces of several cameras served by this one "
                                          "process, space-separated (each <ns>/pose_estimator "
                                          "reads <ns>/image_raw); empty: one camera"),
        *(DeclareLaunchArgument(name, default_value=topic.default,
                                description=f"{topic.description}; with cameras:=, relative "
                                            f"to each camera (default {topic.camera_default})")
          for name, topic in TOPICS.items()),
        DeclareLaunchArgument("params_file",
                              default_value=os.path.join(share, "config", "pose_ros.yaml"),
                              description="node parameters (YAML: /**/pose_estimator: "
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
    # -p on the command line: reaches every node of the process, one per camera
    overrides = [Parameter(name, LaunchConfiguration(name)) for name in OVERRIDES
                 if LaunchConfiguration(name).perform(context)]
    cameras = LaunchConfiguration("cameras").perform(context).split()
    remappings = [(topic.remapped, _topic(context, argument, bool(cameras)))
                  for argument, topic in TOPICS.items()]
    image = dict(remappings)["image"]
    remappings.append(("image/compressed", f"{image}/compressed"))
    common: dict[str, Any] = dict(
        package="pose_ros", executable="pose_node", output="screen",
        parameters=[LaunchConfiguration("params_file"), *overrides], remappings=remappings,
        on_exit=end_launch)
    if cameras:  # several lifecycle nodes: launch's LifecycleNode watches exactly one
        return [Node(arguments=["--cameras", *cameras], **common)]
    return [LifecycleNode(name="pose_estimator", namespace="", **common)]


def _topic(context: LaunchContext, argument: str, per_camera: bool) -> str:
    """The topic a remapping targets; with cameras, relative to each camera's namespace."""
    given = LaunchConfiguration(argument).perform(context)
    topic = TOPICS[argument]
    if not per_camera:
        return given
    if given == topic.default:
        return topic.camera_default
    if given.startswith("/"):
        raise ValueError(f"with cameras:=, {argument}:={given} would send every camera the "
                         f"same topic: give it relative to the cameras' namespaces (e.g. "
                         f"{argument}:={topic.camera_default})")
    return given


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
