"""Small synthetic datasets for the training tests (the tiny Wan model and IDM come from tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from eva_core.data import DatasetWriter, VideoConfig
from eva_core.embodiment import load_embodiment

HW = (32, 32)
TASKS = ("press the red button", "lift the box by its handles with both arms")


def write_dataset(root, episodes: list[np.ndarray], tasks: list[str], fps: float = 16):
    """A lossless dataset whose cam_high frames are exactly `episodes[i]` (uint8 [T, H, W, 3])."""
    emb = load_embodiment()
    h, w = episodes[0].shape[1:3]
    cams = {"cam_high": (h, w)}
    with DatasetWriter.create(root, fps=fps, cameras=cams, joint_names=emb.joint_names, robot_type=emb.name, video=VideoConfig.lossless()) as writer:
        for frames, task in zip(episodes, tasks):
            writer.begin_episode(task)
            for f in frames:
                writer.add_frame({"cam_high": f}, np.zeros(14, np.float32), np.zeros(14, np.float32))
            writer.end_episode(success=True)
    return root


def moving_block_episode(length: int, seed: int) -> np.ndarray:
    """A grey scene with a coloured block sliding across: learnable motion for the loss tests."""
    rng = np.random.default_rng(seed)
    frames = np.full((length, *HW, 3), 90, np.uint8)
    x0, colour = int(rng.integers(0, 8)), rng.integers(120, 255, 3)
    for t in range(length):
        x = (x0 + t) % (HW[1] - 8)
        frames[t, 10:20, x : x + 8] = colour
    return frames


@pytest.fixture(scope="session")
def clip_dataset(tmp_path_factory):
    """Two episodes of random frames (20 and 13 long), two instructions: the frames are known exactly."""
    rng = np.random.default_rng(0)
    episodes = [rng.integers(0, 256, (n, *HW, 3), dtype=np.uint8) for n in (20, 13)]
    root = write_dataset(tmp_path_factory.mktemp("clips") / "ds", episodes, list(TASKS))
    return root, episodes


@pytest.fixture(scope="session")
def motion_dataset(tmp_path_factory):
    episodes = [moving_block_episode(24, seed) for seed in range(4)]
    return write_dataset(tmp_path_factory.mktemp("motion") / "ds", episodes, [TASKS[i % 2] for i in range(4)])


@pytest.fixture(scope="session")
def block_dataset(tmp_path_factory):
    """Three episodes of a red block sliding over a grey scene, one instruction (the autoencoder tests)."""
    episodes = []
    for e in range(3):
        frames = np.full((20, *HW, 3), 90, np.uint8)
        for t in range(20):
            x = (2 * t + 5 * e) % 24
            frames[t, 8:16, x : x + 8] = (200, 60, 40)
        episodes.append(frames)
    return write_dataset(tmp_path_factory.mktemp("vae") / "ds", episodes, ["slide the block"] * 3)
