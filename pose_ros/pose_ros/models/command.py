"""How a message tells its reader to run ``pose-ros-models``: a command to paste."""

from __future__ import annotations

import shlex
import shutil
from functools import cache
from pathlib import Path


def models_command(*words: str, model_dir: Path | None = None) -> str:
    """``pose-ros-models [--model-dir DIR] WORDS...`` as it runs here: by name where it
    is on PATH (pip, the Makefile), else through ``ros2 run pose_ros`` (a colcon
    install puts it in lib/pose_ros); the directory quoted for the shell."""
    where = f" --model-dir {shlex.quote(str(model_dir))}" if model_dir is not None else ""
    return f"`{_program()}{where}{''.join(' ' + w for w in words)}`"


@cache
def _program() -> str:
    return ("pose-ros-models" if shutil.which("pose-ros-models")
            else "ros2 run pose_ros pose-ros-models")
