"""The README stays a newcomer's page: short, and every path it names exists; generated
blocks of the docs are rewritten in place."""

from __future__ import annotations

import re
import sys

import pytest

from conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
# where a path in the README may be rooted: the repository, the package, the module
ROOTS = (REPO_ROOT, REPO_ROOT / "pose_ros", REPO_ROOT / "pose_ros" / "pose_ros")
# names in the README that look like paths but are made at run time, or are topics
NOT_IN_THE_TREE = {
    "converted.json": "written into the model directory by pose-ros-models",
    "out/demo_annotated.png": "written by make demo",
    "image/compressed": "a topic",
}
FILE_LIKE = re.compile(r"^[\w.\-]+(/[\w.\-]*)+$|^[\w\-]+\.(py|md|yaml|xml|txt|json|rviz)$")


def named_paths(text: str) -> set[str]:
    """Code spans, link targets and layout entries that look like files or folders."""
    spans = re.findall(r"`([^`\s]+)`", text) + re.findall(r"\]\(([^)\s]+)\)", text)
    layout = text.split("## Layout", 1)[1].split("```")[1]
    spans += [line.split()[0] for line in layout.splitlines() if line.strip()]
    return {s.rstrip("/") for s in spans if FILE_LIKE.match(s) and not s.startswith(".ws")}


def test_every_path_the_readme_names_exists():
    paths = named_paths(README.read_text())
    assert {"docs/parameters.md", "pose_ros_msgs", "config/pose_ros.yaml"} <= paths  # it scans
    missing = sorted(p for p in paths - set(NOT_IN_THE_TREE)
                     if not any((root / p).exists() for root in ROOTS))
    assert not missing, f"README.md names paths that do not exist: {missing}"


def test_readme_stays_short():
    lines = len(README.read_text().splitlines())
    assert lines <= 150, f"README.md has {lines} lines; move detail to docs/"


def test_generated_blocks_are_replaced_in_place():
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from replace_block import replace_block

    text = "intro\n<!-- t -->\nold\nrows\n<!-- /t -->\noutro\n"
    assert replace_block(text, "t", "new\n") == "intro\n<!-- t -->\nnew\n<!-- /t -->\noutro\n"
    for broken in ("no markers\n", text + text, "<!-- /t -->\n<!-- t -->\n"):
        with pytest.raises(ValueError, match="expected one"):
            replace_block(broken, "t", "x")
