"""Shared tiny Wan2.1 I2V model, LoRA adapter and IDM, built once per session in code (no downloads)."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def tiny_wan(tmp_path_factory):
    from eva_core.planning.wan.tiny import build_tiny_wan

    return build_tiny_wan(tmp_path_factory.mktemp("wan") / "tiny_wan")


@pytest.fixture(scope="session")
def tiny_lora(tiny_wan, tmp_path_factory):
    from eva_core.planning.wan.tiny import build_tiny_lora

    return build_tiny_lora(tiny_wan, tmp_path_factory.mktemp("lora") / "adapter.safetensors")


@pytest.fixture(scope="session")
def tiny_idm(tmp_path_factory):
    """A random IDM checkpoint at 16x16 (the decoded plans' size)."""
    import torch

    from eva_core.idm import ActionNormalizer, IdmConfig
    from eva_core.idm.checkpoint import save_checkpoint
    from eva_core.idm.model import IdmModel

    torch.manual_seed(0)
    cfg = IdmConfig(input_hw=(16, 16), widths=(8, 8), strides=(2, 1), groups=4, mlp_dims=(16,), first_kernel=3)
    normalizer = ActionNormalizer(np.zeros(14, np.float32), np.full(14, 0.5, np.float32))
    return save_checkpoint(tmp_path_factory.mktemp("idm") / "idm", IdmModel(cfg).eval(), normalizer)


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
