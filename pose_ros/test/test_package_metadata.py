"""Both packages' metadata is valid, every dependency resolves with rosdep on the
Ubuntu releases robots run, and every declared executable exists."""

from __future__ import annotations

import ast
import importlib
import os
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from ament_index_python.packages import get_package_prefix
from catkin_pkg.package import parse_package

from conftest import REPO_ROOT

INSTALL = Path(get_package_prefix("pose_ros"))
PACKAGES = ("pose_ros", "pose_ros_msgs")
# rosdistro's answers for our keys, with the commit they were read from
# (tools/rosdep_snapshot.py writes it; rerun it after adding a dependency).
ROSDEP_SNAPSHOT = REPO_ROOT / "pose_ros" / "test" / "data" / "rosdep_keys.yaml"
# What the installed code imports: the package and the launch files ros2 launch runs.
CODE = [*(REPO_ROOT / "pose_ros" / "pose_ros").rglob("*.py"),
        *(REPO_ROOT / "pose_ros" / "launch").glob("*.py")]


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


@lru_cache(maxsize=1)
def _snapshot() -> dict:
    return yaml.safe_load(ROSDEP_SNAPSHOT.read_text())


def _keys(name: str) -> set[str]:
    package = parse_package(REPO_ROOT / name / "package.xml")
    deps = (package.build_depends + package.buildtool_depends + package.build_export_depends
            + package.buildtool_export_depends + package.exec_depends + package.test_depends
            + package.doc_depends)
    return {d.name for d in deps}


def _unresolved(key: str) -> str | None:
    """Why rosdep would not resolve ``key`` everywhere pose_ros is meant to run, or None."""
    facts = _snapshot()
    ubuntu_of = facts["ubuntu_of_distro"]
    if key in facts["system_keys"]:
        rules = facts["system_keys"][key]
        missing = [u for u in sorted(set(ubuntu_of.values())) if not rules.get(u)]
        return f"no rule for Ubuntu {', '.join(missing)}" if missing else None
    if key in facts["ros_packages"]:
        releases = facts["ros_packages"][key]
        missing = [d for d in ubuntu_of if not releases.get(d)]
        return f"not released in {', '.join(missing)}" if missing else None
    return "not in rosdistro (as of the snapshot)"


@pytest.mark.parametrize("name", PACKAGES)
def test_every_key_resolves_on_jammy_and_noble(name):
    """rosdep install --from-paths src works on Humble (jammy) and Jazzy/Kilted (noble)."""
    assert set(_snapshot()["ubuntu_of_distro"].values()) == {"jammy", "noble"}
    problems = {k: why for k in sorted(_keys(name) - set(PACKAGES))
                if (why := _unresolved(k))}
    assert not problems, (f"{name}/package.xml keys rosdep cannot resolve: {problems}; pick a "
                          f"key from rosdistro, then rerun tools/rosdep_snapshot.py")


def _third_party_imports() -> dict[str, str]:
    """Top-level module -> a file importing it, for modules neither stdlib nor ours."""
    found: dict[str, str] = {}
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {n.split(".")[0] for n in names}:
                # a script's sibling module (tfjs_to_onnx.py runs as a script) is ours too
                sibling = (path.parent / f"{top}.py").is_file()
                if top not in sys.stdlib_module_names and top not in PACKAGES and not sibling:
                    found.setdefault(top, str(path.relative_to(REPO_ROOT)))
    return found


def test_every_imported_module_has_a_declared_key():
    """A new third-party import fails here until package.xml declares a key for it (or
    the snapshot says why none is declared)."""
    facts = _snapshot()
    declared = {d.name for d in parse_package(REPO_ROOT / "pose_ros" / "package.xml").exec_depends}
    imports = _third_party_imports()
    assert {"numpy", "cv2", "onnxruntime", "rclpy"} <= set(imports), imports  # the scan works
    problems = []
    for module, where in sorted(imports.items()):
        if module in facts["no_key"]:
            continue
        key = facts["modules"].get(module, module if module in facts["ros_packages"] else None)
        if key is None:
            problems.append(f"{module} (imported in {where}) has no rosdep key in "
                            f"{ROSDEP_SNAPSHOT.name}: add it to modules (and package.xml) "
                            "or to no_key with why")
        elif key not in declared:
            problems.append(f"{module} (imported in {where}) needs exec_depend {key}")
    assert not problems, "\n".join(problems)
    stale = sorted((set(facts["modules"]) | set(facts["no_key"])) - set(imports))
    assert not stale, f"{ROSDEP_SNAPSHOT.name} maps modules nothing imports: {stale}"


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
