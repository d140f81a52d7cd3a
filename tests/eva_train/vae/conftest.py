"""A small synthetic dataset for the autoencoder tests: a block sliding over a grey scene."""

import numpy as np
import pytest

from eva_core.data import DatasetWriter, VideoConfig
from eva_core.embodiment import load_embodiment


@pytest.fixture(scope="session")
def block_dataset(tmp_path_factory):
    emb = load_embodiment()
    root = tmp_path_factory.mktemp("vae") / "ds"
    with DatasetWriter.create(root, fps=16, cameras={"cam_high": (32, 32)}, joint_names=emb.joint_names,
                              robot_type=emb.name, video=VideoConfig.lossless()) as writer:
        for e in range(3):
            writer.begin_episode("slide the block")
            for t in range(20):
                f = np.full((32, 32, 3), 90, np.uint8)
                f[8:16, (2 * t + 5 * e) % 24 : (2 * t + 5 * e) % 24 + 8] = (200, 60, 40)
                writer.add_frame({"cam_high": f}, np.zeros(14, np.float32), np.zeros(14, np.float32))
            writer.end_episode(success=True)
    return root
