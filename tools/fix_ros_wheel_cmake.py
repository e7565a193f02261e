"""Point the ROS 2 wheels' exported CMake files at this interpreter's headers.

The PyPI ROS 2 wheels were built in a manylinux container, and their exported
CMake targets name include folders of that container (/opt/python/...). CMake's
generate step fails on folders that do not exist, so every colcon build of an
interface package needs them rewritten to this interpreter's include folder and
numpy's. Idempotent: files already rewritten are left alone.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import numpy

BUILD_HOST_PYTHON = "/opt/python/cp311-cp311/include/python3.11"
BUILD_HOST_NUMPY = "/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include"


def main() -> int:
    prefix = Path(sys.prefix)
    replacements = {
        BUILD_HOST_PYTHON: sysconfig.get_paths()["include"],
        BUILD_HOST_NUMPY: numpy.get_include(),
    }
    changed = 0
    for path in (prefix / "share").rglob("*.cmake"):
        text = path.read_text()
        if "/opt/python/" not in text:
            continue
        for old, new in replacements.items():
            text = text.replace(old, new)
        path.write_text(text)
        changed += 1
    print(f"fix_ros_wheel_cmake: rewrote build-host include paths in {changed} CMake files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
