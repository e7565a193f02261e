"""Which modules import rclpy, read from the source (ast), not from a running import.

rclpy is imported by pose_ros.node and its modules, and by the ``pose-ros`` command
line (pose_ros.cli, pose_ros.bag.cli, pose_ros.evaluation.cli), whose ``bag play`` and
``bag record`` import node.bag_play and node.bag_record when they run, and ``eval
--through-node`` node.node_estimator. Everything else, the inference core
above all, runs without ROS: a module outside that set that imports rclpy, itself or
through a pose_ros module that does, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "pose_ros"
MAY_IMPORT_RCLPY = ("pose_ros.node", "pose_ros.cli", "pose_ros.bag.cli", "pose_ros.evaluation.cli")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, anywhere in it (a function's lazy import counts)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # may name a submodule
    return found


def rclpy_importers(root: Path) -> dict[str, list[str]]:
    """Each module of the package at ``root`` that imports rclpy, with the import chain."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    imports = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for imported in imported_names(path, name):
            parts = imported.split(".")  # importing a.b.c runs a, a.b and a.b.c
            targets.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        imports[name] = targets
    chains: dict[str, list[str]] = {}

    def chain(name: str, seen: frozenset) -> list[str] | None:
        if name in chains:
            return chains[name]
        for target in sorted(imports[name]):
            if target == "rclpy":
                return [name, "rclpy"]
            if target in modules and target not in seen:
                rest = chain(target, seen | {target})
                if rest:
                    return [name, *rest]
        return None
    for name in modules:
        found = chain(name, frozenset({name}))
        if found:
            chains[name] = found
    return chains


def allowed(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in MAY_IMPORT_RCLPY)


def test_only_the_declared_modules_import_rclpy():
    chains = rclpy_importers(PACKAGE_DIR)
    assert "pose_ros.node.pose_node" in chains  # the reader sees the imports that exist
    wrong = {name: " -> ".join(c) for name, c in chains.items() if not allowed(name)}
    assert not wrong, f"these modules import rclpy outside {MAY_IMPORT_RCLPY}: {wrong}"


def test_an_import_through_another_module_is_found(tmp_path):
    package = tmp_path / "pose_ros"
    (package / "node").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "node" / "__init__.py").write_text("")
    (package / "node" / "ros.py").write_text("from rclpy.node import Node\n")
    (package / "core.py").write_text("def f():\n    from .node import ros\n")
    chains = rclpy_importers(package)
    assert chains["pose_ros.core"] == ["pose_ros.core", "pose_ros.node.ros", "rclpy"]
    assert "pose_ros" not in chains
