# EVA deployment stack. `make run` and `make test` set up .venv first if needed.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

# DDS stays on this machine: without LOCALHOST discovery Fast DDS multicasts onto the real network.
# A domain id of its own per make invocation keeps parallel runs from seeing each other.
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST
ifndef ROS_DOMAIN_ID
ROS_DOMAIN_ID := $(shell echo $$(( $$$$ % 100 + 1 )))
endif
export ROS_DOMAIN_ID
# MuJoCo renders off-screen on the CPU through EGL (Mesa llvmpipe); with no display it needs this.
export MUJOCO_GL ?= egl

# launch/ (the folder): a launch file added or removed is linked into the venv's share/eva/launch.
# ../shared/upstream: the ROS 2 launch sources scripts/install_launch.sh installs when they are there.
SETUP_INPUTS := requirements.txt requirements-ros.txt requirements-ros-build.txt requirements-ros-launch.txt scripts/setup.sh scripts/build_interfaces.sh scripts/install_launch.sh launch $(wildcard ros2_ws/src/*/setup.py ros2_ws/src/eva_interfaces/CMakeLists.txt ros2_ws/src/eva_interfaces/package.xml ros2_ws/src/eva_interfaces/*/*.msg ros2_ws/src/eva_interfaces/*/*.srv ros2_ws/src/eva_interfaces/*/*.action ../shared/upstream/*.tar.gz)

.PHONY: setup run test bench clean help

help:
	@echo "make setup  build .venv (pinned dependencies, ROS 2 wheels unless a ROS 2 is sourced, project packages,"
	@echo "            ros2 launch from ../shared/upstream when present)"
	@echo "make run    the main job on the simulated robot"
	@echo "make test   the whole test suite"
	@echo "make bench  the benchmarks in bench/ (JSON on stdout)"

setup: $(VENV)/.setup-done

$(VENV)/.setup-done: $(SETUP_INPUTS)
	bash scripts/setup.sh

# The main job: the whole node graph on the simulated robot (sim_oracle planner, shipped IDM), one
# process per node over DDS on localhost; prints each episode's outcome and leaves a run folder in runs/.
RUN_TASK ?= lift_box
RUN_EPISODES ?= 2
run: setup
	$(VENV)/bin/eva bringup --sim --task $(RUN_TASK) --episodes $(RUN_EPISODES)

test: setup
	$(PY) -m pytest

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
