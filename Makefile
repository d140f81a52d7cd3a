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

SETUP_INPUTS := requirements.txt requirements-ros.txt scripts/setup.sh $(wildcard ros2_ws/src/*/setup.py)

.PHONY: setup run test bench clean help

help:
	@echo "make setup  build .venv (pinned dependencies, ROS 2 wheels unless a ROS 2 is sourced, project packages)"
	@echo "make run    the main job on the simulated robot"
	@echo "make test   the whole test suite"
	@echo "make bench  the benchmarks in bench/ (JSON on stdout)"

setup: $(VENV)/.setup-done

$(VENV)/.setup-done: $(SETUP_INPUTS)
	bash scripts/setup.sh

run: setup
	@echo "make run: the closed-loop main job (eva bringup --sim) arrives with the ROS 2 node graph (issue 6)."
	@echo "Available now: $(VENV)/bin/eva config show | eva reward ACTIONS.npy | eva safety PLAN.npy --state STATE.npy"
	@exit 2

test: setup
	$(PY) -m pytest

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
