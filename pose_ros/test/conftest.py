"""Shared fixtures: an isolated ROS graph per test session and the shared data."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# Each test session gets its own DDS domain, so that two sessions on one machine
# (a developer and CI) never see each other's topics. Discovery stays on this
# host (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST, set by the Makefile).
os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))

# A shell that starts pytest in the background (`make test &`, a script's job) passes
# SIGINT on ignored, and Python then keeps it ignored: the tests of what Ctrl-C does
# (a terminal's, in the foreground) need Python's own handler back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The core leg (`pytest --core-only`, run by `make test-core-legacy`: Python 3.10 with
# the numpy and OpenCV Ubuntu ships, no ROS) leaves out these modules, by name, not by
# what imports: a new module that needs ROS and is not listed fails that leg loudly.
_ROS = "rclpy, the built messages or the colcon install"
NOT_IN_CORE_LEG = {
    **dict.fromkeys([
        "test_bag_replay.py", "test_bag_tools.py", "test_cameras.py", "test_cdr_image.py",
        "test_cdr_person_array.py", "test_cdr_person_3d_array.py", "test_config.py",
        "test_depth_input.py", "test_depth_node.py", "test_eval.py",
        "test_eval_through_node.py", "test_frame_buffers.py",
        "test_image_conversion.py", "test_markers.py", "test_messages_roundtrip.py",
        "test_model_archive.py", "test_model_files.py", "test_models_cli.py", "test_node.py",
        "test_node_threads.py",
        "test_package_metadata.py", "test_parameters.py",
        "test_properties.py", "test_rclpy_compat.py", "test_robustness.py", "test_soak.py",
        "test_launch.py", "test_lifecycle.py", "test_node_engine_builds.py"],
        _ROS),
    "test_models_conversion.py": "onnx, a conversion tool a robot does not install",
    "test_convert_requirements.py": "the conversion environment, not the core (asks the "
                                    "package index; the distro legs run it)",
}


def pytest_addoption(parser):
    parser.addoption("--core-only", action="store_true",
                     help="only the tests that need no ROS (see NOT_IN_CORE_LEG)")


def pytest_ignore_collect(collection_path, config):
    if config.getoption("--core-only") and collection_path.name in NOT_IN_CORE_LEG:
        return True
    return None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """The core leg fails when no test passed (all skipped, say), and says what ran."""
    if not session.config.getoption("--core-only"):
        return
    import cv2
    import numpy as np

    stats = session.config.pluginmanager.get_plugin("terminalreporter").stats
    passed = len([r for r in stats.get("passed", []) if r.when == "call"])
    print(f"\ncore leg: {passed} tests passed without ROS on Python "
          f"{'.'.join(map(str, sys.version_info[:3]))}, numpy {np.__version__}, "
          f"OpenCV {cv2.__version__}")
    if passed == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def no_dead_shared_memory_left(request):
    """A test kills a camera process on purpose; Fast DDS cannot free a killed process's
    shared memory (35 MB per large-image participant, in RAM), so it is freed here."""
    yield
    if request.config.getoption("--core-only"):
        return  # no ROS, no Fast DDS
    from ros_helpers import remove_dead_shared_memory

    remove_dead_shared_memory()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared test data is not at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="module")
def ros():
    """An rclpy context and a node of the test process, for one test module."""
    import rclpy

    rclpy.init()
    node = rclpy.create_node(f"test_{os.getpid()}")
    yield node
    node.destroy_node()
    rclpy.shutdown()


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The model cache that 'make test' filled (pose-ros-models convert)."""
    from pose_ros.models.converted import is_converted
    from pose_ros.models.registry import default_model_dir, model_names, model_spec

    directory = default_model_dir()
    missing = [m for m in model_names() if not is_converted(model_spec(m), directory)]
    assert not missing, (f"models {missing} are not converted in {directory}: "
                         "run 'make models' (pose-ros-models convert)")
    return directory


@pytest.fixture(scope="session")
def astronaut():
    """A real photo of a person shipped by a registry package (scikit-image)."""
    from skimage import data

    return data.astronaut()
