# pose_ros: one Makefile does the whole set-up from Python 3.11 (and 3.10 for the
# Ubuntu-numpy leg), a C compiler, CMake, the package registries and ../shared.
#   make test   set up everything that is missing, then run the tests on every distro
#   make demo   run the real node on a sample photo
# Each ROS 2 distro gets its own workspace .ws/<distro>/ (venv, colcon build, install).
# DISTROS selects them: `make test DISTROS=jazzy` tests Jazzy alone. (Not ROS_DISTRO:
# a shell with a ROS setup.bash sourced already has that set, to the robot's distro.)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DISTROS   ?= kilted jazzy
# the distro of demo, bench, models and a single leg's targets
DISTRO    ?= $(firstword $(DISTROS))
PYTHON    ?= python3.11
ROOT      := $(CURDIR)
SHARED    ?= $(abspath $(ROOT)/../shared)
WS        := $(ROOT)/.ws/$(DISTRO)
VENV      := $(WS)/venv
BUILD     := $(WS)/build
INSTALL   := $(WS)/install
SITE      := $(INSTALL)/lib/python3.11/site-packages
# The project's model cache lives outside the clone, so fresh clones on the same
# machine (CI) reuse downloads, conversions and the conversion environment; the
# converted models are the same for every distro.
CACHE_HOME       ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)
POSE_ROS_CACHE   ?= $(CACHE_HOME)/pose_ros
POSE_ROS_MODEL_DIR ?= $(POSE_ROS_CACHE)/models
export POSE_ROS_MODEL_DIR

# `ros2 launch` and the ros2 CLI are not on PyPI: wheels built from their upstream
# sources are in ../shared/wheels (its README), installed without their metadata's
# dependencies (launch_ros names `ament_index_python`, which no PyPI project is).
# launch_testing stays out: its pytest plugin breaks pytest 9.
ROS_TOOL_WHEELS := launch==3.7.1 launch_xml==3.7.1 launch_yaml==3.7.1 launch_ros==0.28.0 \
	ros2launch==0.28.0 rosidl_runtime_py==0.14.0 ros2cli==0.36.1 ros2pkg==0.36.1 \
	ros2topic==0.36.1 ros2param==0.36.1 ros2node==0.36.1 ros2run==0.36.1 \
	ros2service==0.36.1 ros2lifecycle==0.36.1
# Interface packages not on PyPI, built from source beside pose_ros_msgs:
# composition_interfaces (imported by launch_ros), tf2_msgs (the node's person frames on /tf).
ROS_SRC := $(SHARED)/ros-src/composition_interfaces $(SHARED)/ros-src/tf2_msgs

# The environment every command of a workspace runs in: the wheels' ROS 2 (quirk 1:
# their prefix is the venv), then our colcon install on top.
# Discovery stays on this host: tests never send DDS traffic to the network.
# Fast DDS gets a shared-memory segment that holds whole camera frames
# (config/fastdds_large_images.xml says why).
RUN := env PATH="$(INSTALL)/bin:$(INSTALL)/lib/pose_ros:$(VENV)/bin:$$PATH" \
	FASTDDS_DEFAULT_PROFILES_FILE="$(ROOT)/pose_ros/config/fastdds_large_images.xml" \
	AMENT_PREFIX_PATH="$(INSTALL):$(VENV)" CMAKE_PREFIX_PATH="$(INSTALL):$(VENV)" \
	PYTHONPATH="$(BUILD)/pose_ros:$(SITE)" LD_LIBRARY_PATH="$(INSTALL)/lib" \
	RMW_IMPLEMENTATION=rmw_fastrtps_cpp ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST \
	POSE_ROS_DISTRO=$(DISTRO) PYTHONUNBUFFERED=1

VENV_STAMP  := $(VENV)/.installed
BUILD_STAMP := $(INSTALL)/.built
BUILD_INPUTS := $(wildcard pose_ros_msgs/msg/*.msg) pose_ros_msgs/CMakeLists.txt \
	pose_ros_msgs/package.xml pose_ros/setup.py pose_ros/setup.cfg pose_ros/package.xml \
	$(wildcard pose_ros/launch/* pose_ros/config/*) $(addsuffix /package.xml,$(ROS_SRC))

.PHONY: help setup build models test test-fast test-distro test-core-legacy demo bench \
	bench-core bench-backends bench-depth bench-cameras docs-eval docs-posenet clean
help:
	@echo "make test   set up (venvs, colcon builds, models) and run the tests on: $(DISTROS)"
	@echo "            (make test DISTROS=jazzy: one distro)"
	@echo "make test-fast  the unit tests that start no process, on $(DISTRO) (under a minute)"
	@echo "make test-core-legacy  the inference core's tests on Python 3.10, numpy 1.21, OpenCV 4.5"
	@echo "make demo   run the pose_ros node on a sample photo"
	@echo "make bench  the node end to end: latency, drops, CPU, memory, peers, targets"
	@echo "            (BENCH_ARGS=--strict: exit 1 when a target fails)"
	@echo "make bench-core  per-stage timings of the inference core"
	@echo "make bench-backends  ONNX Runtime against LiteRT per model (backend auto's CPU choice)"
	@echo "make bench-depth  what depth (3D people) adds to a 640x480 frame, on against off"
	@echo "make bench-cameras  1, 2, 4 cameras: one process against one per camera (DOCS=1: docs)"
	@echo "make docs-eval  rewrite the accuracy table of docs/evaluation.md"
	@echo "make docs-posenet  rewrite its PoseNet resolution table (a few minutes)"
	@echo "make lint   ruff and mypy (pyproject.toml) over pose_ros/, bench/, tools/"
	@echo "make clean  remove the workspaces (not the model cache)"

$(VENV_STAMP): requirements/common.txt requirements/$(DISTRO).txt tools/fix_ros_wheel_cmake.py
	@test -f requirements/$(DISTRO).txt || { echo "no requirements/$(DISTRO).txt: known distros are kilted, jazzy"; exit 1; }
	@test -d $(SHARED)/wheels || { echo "$(SHARED)/wheels is missing: clone beside ../shared, or set SHARED="; exit 1; }
	@echo "== creating $(VENV) with the pinned ROS 2 $(DISTRO) wheels"
	$(PYTHON) -m venv --clear $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet --progress-bar off -r requirements/$(DISTRO).txt
	$(VENV)/bin/python -m pip install --quiet --no-index --no-deps \
		--find-links $(SHARED)/wheels $(ROS_TOOL_WHEELS)
	# quirk 2: the wheels' CMake exports name their build host's include folders
	$(VENV)/bin/python tools/fix_ros_wheel_cmake.py
	touch $@

$(BUILD_STAMP): $(VENV_STAMP) $(BUILD_INPUTS)
	@echo "== colcon build (composition_interfaces, tf2_msgs, pose_ros_msgs, pose_ros) into $(INSTALL)"
	$(RUN) colcon --log-base $(WS)/log build --merge-install --symlink-install \
		--base-paths $(ROS_SRC) pose_ros_msgs pose_ros \
		--build-base $(BUILD) --install-base $(INSTALL) \
		--event-handlers console_cohesion- --cmake-args -DBUILD_TESTING=OFF
	touch $@

setup build: $(BUILD_STAMP)

# Fetch (npm pack), convert (isolated TensorFlow env) and verify every model;
# a no-op when the cache already holds verified files.
models: $(BUILD_STAMP)
	$(RUN) pose-ros-models convert

# Type stubs mypy reads (requirements/type-stubs.txt says why they are not in a venv).
TYPE_STUBS := $(ROOT)/.ws/type-stubs
$(TYPE_STUBS)/.installed: requirements/type-stubs.txt tools/fix_tensorrt_stubs.py $(VENV_STAMP)
	rm -rf $(TYPE_STUBS)
	$(VENV)/bin/python -m pip install --quiet --no-deps --target $(TYPE_STUBS) \
		-r requirements/type-stubs.txt
	$(VENV)/bin/python tools/fix_tensorrt_stubs.py $(TYPE_STUBS)
	touch $@

# Static checks, settings in pyproject.toml; tools/lint.py prints one line per tool.
# The first distro's venv has the pinned ruff and mypy (requirements/common.txt).
.PHONY: lint
lint: $(VENV_STAMP) $(TYPE_STUBS)/.installed
	@env -u PYTHONPATH $(VENV)/bin/python tools/lint.py 2>&1 | tee $(ROOT)/.ws/lint.log

# The static checks once, then every distro in turn, each in its own workspace; a leg
# that fails does not stop the next; then the inference core on Ubuntu's Python 3.10,
# numpy and OpenCV. The summary names each leg with its counts, then their total.
test:
	@failed=0; rm -f .ws/lint.log; \
	$(MAKE) --no-print-directory lint DISTRO=$(firstword $(DISTROS)) || failed=1; \
	for d in $(DISTROS); do \
		$(MAKE) --no-print-directory test-distro DISTRO=$$d || failed=1; done; \
	$(MAKE) --no-print-directory test-core-legacy || failed=1; \
	python3 tools/test_summary.py $(foreach d,$(DISTROS),$(d)=.ws/$(d)/pytest.log) \
		core-py310=.ws/core-py310/pytest.log; \
	cat .ws/lint.log 2>/dev/null || echo "lint: did not run (see above)"; exit $$failed

test-distro: models
	@echo "== tests on ROS 2 $(DISTRO)"
	@rm -f $(WS)/pytest.log
	$(RUN) python -P -m pytest $(PYTEST_ARGS) 2>&1 | tee $(WS)/pytest.log

# The unit tests that start no process (no node, camera, launch or command run): the
# quick check while editing. Named here, by module; no test passing is a failure.
FAST_TESTS := $(addprefix pose_ros/test/,$(addsuffix .py,test_api test_backends \
	test_cdr_image test_cdr_person_array test_decoders test_image_conversion \
	test_node_threads test_output_sanity test_parameters test_rclpy_boundary test_readme \
	test_temporal test_transforms test_engine_cache test_shape_profiles test_build_progress \
	test_engine_builds))

test-fast: models
	@rm -f $(WS)/pytest-fast.log
	$(RUN) python -P -m pytest -q -p no:cacheprovider $(FAST_TESTS) $(PYTEST_ARGS) 2>&1 \
		| tee $(WS)/pytest-fast.log
	@grep -Eq "(^| )[1-9][0-9]* passed" $(WS)/pytest-fast.log \
		|| { echo "make test-fast: no test passed"; exit 1; }

# The inference core as a robot's Ubuntu runs it: Python 3.10 with numpy 1.21 and
# OpenCV 4.5 (22.04's), no ROS, pose_ros straight from the source tree. The tests that need ROS
# are left out by name (pose_ros/test/conftest.py); no test passing is a failure.
# pyenv's python3.10 shim needs PYENV_VERSION; a plain python3.10 ignores it.
PYTHON310 ?= env PYENV_VERSION=3.10 python3.10
CORE_WS   := $(ROOT)/.ws/core-py310

$(CORE_WS)/venv/.installed: requirements/core-py310.txt
	@echo "== creating $(CORE_WS)/venv: Python 3.10, numpy 1.21, OpenCV 4.5, no ROS"
	$(PYTHON310) -m venv --clear $(CORE_WS)/venv
	$(CORE_WS)/venv/bin/python -m pip install --quiet --progress-bar off -r requirements/core-py310.txt
	touch $@

test-core-legacy: models $(CORE_WS)/venv/.installed
	@echo "== the inference core on Python 3.10, numpy 1.21, OpenCV 4.5 (no ROS)"
	env PYTHONPATH="$(ROOT)/pose_ros" $(CORE_WS)/venv/bin/python -m pytest --core-only \
		-p no:cacheprovider $(PYTEST_ARGS) 2>&1 | tee $(CORE_WS)/pytest.log

demo: models
	$(RUN) python -P -m pose_ros.node.demo

# Inference-core timings per stage and model (ratios within one run are what count).
bench-core: models
	$(RUN) python -P bench/core.py

# ONNX Runtime against LiteRT per model: what backend auto's CPU choice rests on.
bench-backends: models
	@mkdir -p $(ROOT)/out
	$(RUN) python -P bench/backends.py | tee $(ROOT)/out/bench-backends.md
	$(if $(DOCS),python3 tools/replace_block.py docs/performance.md backends-table \
		< $(ROOT)/out/bench-backends.md)

# Depth on against off per 640x480 frame, in one run (target: under 2 ms added).
bench-depth: models
	$(RUN) python bench/depth.py

# Several cameras (issue 20): N camera topics served by one process against N processes.
bench-cameras: models
	$(RUN) python bench/multi_camera.py --out $(ROOT)/out/bench
	$(if $(DOCS),python3 tools/replace_block.py docs/performance.md cameras-table \
		< $(ROOT)/out/bench/multi_camera.md)

# The accuracy table of docs/evaluation.md, from pose-ros eval on the shared COCO subset.
docs-eval: models
	$(RUN) pose-ros eval $(SHARED)/data/coco-mini-train --time-at 640x480 --out $(ROOT)/out/eval
	python3 tools/replace_block.py docs/evaluation.md eval-table < $(ROOT)/out/eval/eval.md

# PoseNet's resolution tables of docs/evaluation.md, from which its default resolution
# is chosen (issue 16): AP and time per input scale and output stride in the core (the
# decoding thresholds set to the node's shipped values, node/parameters.py), then the
# stride-16 rows through the real node, timed end to end at 640x480.
POSENET_SCALES := 0.5,0.625,0.75,0.875,1.0
POSENET_GRID := --set image_scale_factor=$(POSENET_SCALES) --set output_stride=8,16,32 \
	--set root_score_threshold=0.25 --set min_pose_score=0.25
docs-posenet: models
	$(RUN) pose-ros eval $(SHARED)/data/coco-mini-train --model posenet_mobilenet \
		$(POSENET_GRID) --time-at 640x480 --out $(ROOT)/out/eval-posenet
	$(RUN) pose-ros eval $(SHARED)/data/coco-mini-train --model posenet_mobilenet \
		--through-node --set image_scale_factor=$(POSENET_SCALES) --set output_stride=16 \
		--time-at 640x480 --out $(ROOT)/out/eval-posenet-node
	python3 tools/replace_block.py docs/evaluation.md posenet-resolution \
		< $(ROOT)/out/eval-posenet/eval.md
	python3 tools/replace_block.py docs/evaluation.md posenet-end-to-end \
		< $(ROOT)/out/eval-posenet-node/eval.md

# The real node end to end through DDS, with the performance targets (PASS/FAIL/UNCLEAR).
# DOCS=1 also rewrites docs/performance.md's table with this run's, targets met or not.
bench: models
	rm -f $(ROOT)/out/bench/bench.md  # a run that crashes leaves no table for DOCS=1
	status=0; $(RUN) python bench/node.py $(BENCH_ARGS) || status=$$?; \
	$(if $(DOCS),python3 tools/replace_block.py docs/performance.md bench-table \
		< $(ROOT)/out/bench/bench.md;) exit $$status

clean:
	rm -rf $(ROOT)/.ws
