"""The conversion environment installs on x86_64 and aarch64 (Jetson), Python 3.10-3.12.

Asks the package index only (metadata, no wheel downloads) through
tools/check_requirement_wheels.py; skipped when the index cannot be reached.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

CHECK = REPO_ROOT / "tools" / "check_requirement_wheels.py"
REQUIREMENTS = REPO_ROOT / "pose_ros" / "pose_ros" / "models" / "convert_requirements.txt"


def _load_check():
    spec = importlib.util.spec_from_file_location("check_requirement_wheels", CHECK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _run_check(requirements, *targets: str) -> subprocess.CompletedProcess:
    args = [a for t in targets for a in ("--target", t)]
    result = subprocess.run([sys.executable, str(CHECK), str(requirements), *args],
                            capture_output=True, text=True, timeout=300)
    if result.returncode == 2:
        pytest.skip(f"package index unreachable: {result.stderr.strip()}")
    print(result.stdout)
    return result


def test_markers_pick_the_tensorflow_and_keras_each_target_can_install():
    """Markers are evaluated for the target, not for the Python running the check."""
    check = _load_check()
    pins = check.read_pins(REQUIREMENTS)

    def chosen(target: str) -> dict[str, str]:
        return {name: str(req.specifier)
                for name, req in check.pins_for(check.parse_target(target), pins).items()}

    jetson = chosen("aarch64:3.10")
    assert jetson["tensorflow"] == "==2.21.0" and "tensorflow-cpu" not in jetson
    assert jetson["keras"] == "==3.12.4"
    desktop = chosen("x86_64:3.12")
    assert desktop["tensorflow-cpu"] == "==2.21.0" and "tensorflow" not in desktop
    assert desktop["keras"] == "==3.15.1"


def test_conversion_requirements_install_on_every_target():
    result = _run_check(REQUIREMENTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 of 6 targets install" in result.stdout


@pytest.mark.parametrize("change,target,expected", [
    # tensorflow-cpu for every machine: it has no aarch64 wheel
    ({'tensorflow_cpu==2.21.0; platform_machine == "x86_64"': "tensorflow_cpu==2.21.0",
      'tensorflow==2.21.0; platform_machine == "aarch64"': ""},
     "aarch64:3.11", "linux aarch64, Python 3.11: no wheel of tensorflow_cpu==2.21.0"),
    # the newest keras on 3.10: the marker holds only for the target, not for this Python
    ({'keras==3.12.4; python_version < "3.11"': 'keras==3.15.1; python_version < "3.11"'},
     "x86_64:3.10", "linux x86_64, Python 3.10: pip: Package 'keras' requires a different "
                    "Python: 3.10.0 not in '>=3.11'"),
])
def test_a_pin_that_cannot_install_is_named_with_its_target(tmp_path, change, target, expected):
    """The check can fail, and says for which target and which package."""
    text = REQUIREMENTS.read_text()
    for old, new in change.items():
        assert old in text, f"{REQUIREMENTS} no longer has {old!r}: update this test"
        text = text.replace(old, new)
    bad = tmp_path / "requirements.txt"
    bad.write_text(text)
    result = _run_check(bad, target)
    assert result.returncode == 1
    assert expected in result.stdout
