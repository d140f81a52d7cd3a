"""Suite-wide settings: keep DDS on this machine and rendering off-screen, whatever the caller set."""

import os
import random

import pytest

# Fast DDS would otherwise multicast discovery onto the real network (shared/spec/ros2-on-pypi.md).
# Set before anything imports rclpy; a domain id of our own keeps parallel runs apart.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 101)))
os.environ.setdefault("MUJOCO_GL", "egl")


@pytest.fixture(scope="session")
def tiny_wan(tmp_path_factory):
    """A complete diffusers-format Wan2.1 I2V directory with random weights (built in code, no download)."""
    from eva_core.planning.wan.tiny import build_tiny_wan

    return build_tiny_wan(tmp_path_factory.mktemp("wan") / "tiny_wan")


@pytest.fixture(scope="session")
def tiny_idm(tmp_path_factory):
    """A random IDM checkpoint at 16x16 (the tiny model's plans are resized to it)."""
    import numpy as np
    import torch

    from eva_core.idm import ActionNormalizer, IdmConfig
    from eva_core.idm.checkpoint import save_checkpoint
    from eva_core.idm.model import IdmModel

    torch.manual_seed(0)
    cfg = IdmConfig(input_hw=(16, 16), widths=(8, 8), strides=(2, 1), groups=4, mlp_dims=(16,), first_kernel=3)
    normalizer = ActionNormalizer(np.zeros(14, np.float32), np.full(14, 0.5, np.float32))
    return save_checkpoint(tmp_path_factory.mktemp("idm") / "idm", IdmModel(cfg).eval(), normalizer)
