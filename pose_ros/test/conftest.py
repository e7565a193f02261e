"""Shared fixtures: an isolated ROS graph per test session and the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# Each test session gets its own DDS domain, so that two sessions on one machine
# (a developer and CI) never see each other's topics. Discovery stays on this
# host (ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST, set by the Makefile).
os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))


@pytest.fixture(scope="session", autouse=True)
def no_dead_shared_memory_left():
    """A test kills a camera process on purpose; Fast DDS cannot free a killed process's
    shared memory (35 MB per large-image participant, in RAM), so it is freed here."""
    yield
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
