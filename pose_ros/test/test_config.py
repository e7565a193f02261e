"""config/pose_ros.yaml is made from the node's declared parameters (the launch files
are run for real, with ros2 launch, in test_launch.py)."""

from __future__ import annotations

import pytest
import rclpy
import yaml
from rcl_interfaces.srv import GetParameters
from rclpy.parameter import parameter_value_to_python

from conftest import REPO_ROOT
from pose_ros.node.parameters import PARAMS, yaml_text
from ros_helpers import call, spawn, stop

CONFIG = REPO_ROOT / "pose_ros" / "config" / "pose_ros.yaml"


def _yaml_params() -> dict:
    return yaml.safe_load(CONFIG.read_text())["/**/pose_estimator"]["ros__parameters"]


def test_the_yaml_is_generated_from_the_parameter_table():
    assert CONFIG.read_text() == yaml_text(), \
        "regenerate it: python -m pose_ros.node.parameters --yaml > pose_ros/config/pose_ros.yaml"


def test_yaml_names_every_declared_parameter_with_its_default_and_type():
    values = _yaml_params()
    assert list(values) == [p.name for p in PARAMS]
    for p in PARAMS:  # a YAML quirk ("off" is a bool, 1e3 a string) would change a type
        assert values[p.name] == p.default and type(values[p.name]) is type(p.default), p.name


def test_every_choice_can_be_written_bare():
    """`ros2 param set`, `-p name:=value` and params files read values as YAML, where
    a bare off, no or yes is a bool: a choice spelt so could not be set as written."""
    for p in PARAMS:
        for choice in p.choices:
            assert yaml.safe_load(str(choice)) == choice, (p.name, choice)


def test_the_real_node_loads_the_yaml(model_dir, tmp_path):
    """The shipped file, then a second one changing a few values (the shipped file holds
    the defaults, which a node ignoring it would report too)."""
    changed = {"backend": "onnxruntime", "threads": 1, "min_pose_score": 0.5,
               "publish_markers": False, "marker_depth": 3.5}
    values = _yaml_params()
    assert all(values[name] != value for name, value in changed.items())
    values.update(changed)
    override = tmp_path / "override.yaml"
    override.write_text(yaml.safe_dump({"/**/pose_estimator": {"ros__parameters": changed}}))
    proc = spawn(["pose_node", "--ros-args", "--params-file", str(CONFIG),
                  "--params-file", str(override), "-p", f"model_dir:={model_dir}"])
    rclpy.init()
    node = rclpy.create_node("config_test")
    try:
        client = node.create_client(GetParameters, "/pose_estimator/get_parameters")
        assert client.wait_for_service(timeout_sec=30), stop(proc)
        names = [p.name for p in PARAMS if p.name != "model_dir"]
        answer = call(node, client, GetParameters.Request(names=names))
        got = dict(zip(names, map(parameter_value_to_python, answer.values)))
        expected = {k: v for k, v in values.items() if k != "model_dir"}
        assert got == pytest.approx(expected)
    finally:
        node.destroy_node()
        rclpy.shutdown()
        out = stop(proc)
    assert proc.returncode == 0 and "Traceback" not in out, out
