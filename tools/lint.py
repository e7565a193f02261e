"""`make lint`: ruff and mypy, with their settings from pyproject.toml, over every Python
file git tracks in pose_ros/, bench/ and tools/. Prints one line per tool (what it
checked, how long it took) and exits non-zero on a violation, or when a tool checked
fewer files than git tracks there (a folder dropped from the settings would otherwise
pass silently).

Run with the venv's Python: `python tools/lint.py`.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("pose_ros", "bench", "tools")
BIN = Path(sys.executable).parent


def tracked_python_files() -> set[str]:
    out = subprocess.run(["git", "ls-files", "--", *FOLDERS], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return {line for line in out.splitlines() if line.endswith(".py")}


def run(args: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    return done, time.monotonic() - start


def ruff(tracked: set[str]) -> bool:
    ruff_bin = str(BIN / "ruff")
    listed, _ = run([ruff_bin, "check", "--show-files", *FOLDERS])
    checked = {str(Path(p).resolve().relative_to(ROOT)) for p in listed.stdout.split()}
    done, took = run([ruff_bin, "check", "--output-format", "concise", *FOLDERS])
    if done.returncode != 0:
        print(done.stdout + done.stderr, end="")
    missing = sorted(tracked - checked)
    ok = done.returncode == 0 and not missing
    print(f"lint: ruff {'clean' if ok else 'FAILED'} on {len(checked)} of "
          f"{len(tracked)} tracked Python files ({took:.1f} s)"
          + (f"; not checked: {', '.join(missing)}" if missing else ""))
    return ok


def mypy(tracked: set[str]) -> bool:
    # pyproject.toml says Python 3.10 (the robots'); the venv's interpreter (3.11) is
    # named so that mypy still finds the installed packages and their types
    done, took = run([str(BIN / "mypy"), "--python-executable", sys.executable])
    counted = re.search(r"(\d+) source files?", done.stdout)
    checked = int(counted.group(1)) if counted else 0
    if done.returncode != 0:
        print(done.stdout + done.stderr, end="")
    ok = done.returncode == 0 and checked >= len(tracked)
    print(f"lint: mypy {'clean' if ok else 'FAILED'} on {checked} of "
          f"{len(tracked)} tracked Python files ({took:.1f} s)")
    return ok


def main() -> int:
    tracked = tracked_python_files()
    results = [ruff(tracked), mypy(tracked)]  # both run, so one pass shows every violation
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
