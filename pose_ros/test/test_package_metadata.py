"""Both packages' metadata is valid and every declared executable exists."""

from __future__ import annotations

import importlib
import os
from importlib import metadata
from pathlib import Path

import pytest
from ament_index_python.packages import get_package_prefix
from catkin_pkg.package import parse_package

from conftest import REPO_ROOT

INSTALL = Path(get_package_prefix("pose_ros"))


@pytest.mark.parametrize("name", ["pose_ros", "pose_ros_msgs"])
def test_package_xml_parses_and_validates(name):
    package = parse_package(REPO_ROOT / name / "package.xml")
    package.validate()
    assert package.name == name
    assert package.package_format == 3


def test_pose_ros_declares_its_runtime_dependencies():
    package = parse_package(REPO_ROOT / "pose_ros" / "package.xml")
    deps = {d.name for d in package.exec_depends}
    needed = {"rclpy", "sensor_msgs", "visualization_msgs", "geometry_msgs", "std_msgs",
              "diagnostic_msgs", "pose_ros_msgs", "python3-numpy", "python3-opencv"}
    assert needed <= deps, f"missing exec_depend: {sorted(needed - deps)}"


def _console_scripts():
    dist = metadata.distribution("pose_ros")
    return [ep for ep in dist.entry_points if ep.group == "console_scripts"]


def test_entry_points_resolve_to_callables():
    scripts = _console_scripts()
    assert {ep.name for ep in scripts} >= {"pose_node", "pose-ros-models"}
    for ep in scripts:
        module = importlib.import_module(ep.module)
        assert callable(getattr(module, ep.attr)), f"{ep.value} is not callable"


def test_executables_installed_where_ros2_run_finds_them():
    for ep in _console_scripts():
        exe = INSTALL / "lib" / "pose_ros" / ep.name
        assert exe.is_file() and os.access(exe, os.X_OK), f"{exe} is missing"


def test_package_is_registered_in_the_ament_index():
    marker = INSTALL / "share" / "ament_index" / "resource_index" / "packages"
    assert (marker / "pose_ros").exists() and (marker / "pose_ros_msgs").exists()
