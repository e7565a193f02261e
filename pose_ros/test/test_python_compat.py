"""The sources stay Python 3.10 compatible (Humble, JetPack 6), checked by vermin:
no Python 3.10 ROS runs here, and code that is only run on a robot would fail there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT

OLDEST = "3.10"
CHECKED = ["pose_ros/pose_ros", "pose_ros/launch", "pose_ros/test", "pose_ros/setup.py",
           "bench", "tools"]


def violations(paths: list[str], cwd: Path) -> list[str]:
    """``file:line: feature (needs Python X)`` for every use of something newer than
    OLDEST; a file that does not parse on this Python counts as one too."""
    run = subprocess.run(
        [sys.executable, "-c", "import sys, vermin; sys.exit(vermin.main())",
         f"--target={OLDEST}-", "--violations", "--no-tips", "--no-config-file",
         "--eval-annotations",  # dataclass and typing helpers may evaluate annotations
         "--pessimistic",  # a syntax error is a violation, not a file skipped
         "--no-make-paths-absolute", "--format", "parsable", *paths],
        cwd=cwd, capture_output=True, text=True, timeout=300)
    found = []
    for line in run.stdout.splitlines():
        path, row, _col, _py2, py3, feature = line.split(":", 5)
        if path and feature:  # the others are per-file and overall verdicts
            found.append(f"{path}:{row}: {feature} (needs Python {py3})")
    assert run.returncode == 0 or found, f"vermin failed:\n{run.stdout}{run.stderr}"
    return found


def test_sources_are_python_310_compatible():
    found = violations(CHECKED, REPO_ROOT)
    assert not found, f"not Python {OLDEST} compatible:\n" + "\n".join(found)


def test_the_check_finds_what_python_310_lacks(tmp_path):
    (tmp_path / "newer.py").write_text(
        "import datetime\n"
        "import tomllib\n"
        "from typing import Self\n"
        "NOW = datetime.UTC\n")
    (tmp_path / "groups.py").write_text(
        "try:\n"
        "    pass\n"
        "except* ValueError:\n"  # on Python 3.10 itself: a syntax error, also found
        "    pass\n")
    found = "\n".join(violations(["newer.py", "groups.py"], tmp_path))
    for expected in ["newer.py:2: 'tomllib' module", "newer.py:3: 'typing.Self' member",
                     "newer.py:4: 'datetime.UTC' member", "groups.py:3: "]:
        assert expected in found, f"{expected!r} not in:\n{found}"
