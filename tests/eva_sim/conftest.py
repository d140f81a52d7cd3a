"""Shared, expensive objects of the twin's tests (each SimRobot compiles a model; renderers open GL contexts)."""

import pytest

from eva_core.embodiment import load_embodiment

pytest.importorskip("mujoco")


@pytest.fixture(scope="session")
def embodiment():
    return load_embodiment()
