"""A LoRA adapter for the tiny Wan2.1 I2V model (tests/conftest.py builds the model and the IDM), planner settings."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def tiny_lora(tiny_wan, tmp_path_factory):
    from eva_core.planning.wan.tiny import build_tiny_lora

    return build_tiny_lora(tiny_wan, tmp_path_factory.mktemp("lora") / "adapter.safetensors")


@pytest.fixture(scope="session")
def cpu_config(tiny_wan):
    """Planner settings for the tiny model (CPU, fp32, 2 steps), with overrides."""

    def make(**overrides) -> dict:
        return {"model_dir": str(tiny_wan), "device": "cpu", "dtype": "float32", "steps": 2, **overrides}

    return make


@pytest.fixture(scope="session")
def embodiment():
    from eva_core.embodiment import load_embodiment

    return load_embodiment()


def random_frames(n=4, h=16, w=16, seed=0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return tuple(rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n))


@pytest.fixture(scope="session")
def history():
    """Four random 16x16 frames, oldest first."""
    return random_frames()
