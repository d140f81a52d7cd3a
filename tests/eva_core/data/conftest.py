"""Small synthetic episodes for the dataset tests: 32x24 images, a handful of frames, fixed seeds."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from eva_core.data import DatasetWriter, VideoConfig
from eva_core.embodiment import load_embodiment

CAMERAS = {"cam_high": (24, 32), "cam_left_wrist": (24, 32), "cam_right_wrist": (24, 32)}


@dataclass
class EpisodeData:
    task: str
    images: dict[str, np.ndarray]  # camera -> uint8 [T, H, W, 3]
    states: np.ndarray  # float32 [T, 14]
    actions: np.ndarray  # float32 [T, 14]

    @property
    def length(self) -> int:
        return len(self.states)

    def frame(self, t: int) -> dict[str, np.ndarray]:
        return {cam: frames[t] for cam, frames in self.images.items()}


def make_episode(
    seed: int, length: int, task: str = "pick the cube", cameras=CAMERAS, smooth: bool = False
) -> EpisodeData:
    """Random images (or smooth moving gradients, for lossy codecs) and random 14-D vectors."""
    rng = np.random.default_rng(seed)
    images = {}
    for i, (cam, (h, w)) in enumerate(cameras.items()):
        if smooth:  # a camera-like scene: shaded background, a block and a disc moving across it
            y, x = np.mgrid[0:h, 0:w]
            background = np.stack([80 + 60 * x / w, 90 + 50 * y / h, 100 + 40 * (x + y) / (w + h)], -1)
            frames = np.empty((length, h, w, 3), np.uint8)
            for t in range(length):
                f = background.copy()
                cx, cy = int(w * (0.2 + 0.6 * t / length)), h // 2
                f[max(0, cy - h // 6) : cy + h // 6, max(0, cx - w // 8) : cx + w // 8] = [200, 60, 40]
                f[(x - 0.7 * w) ** 2 + (y - h * (0.3 + 0.4 * t / length)) ** 2 < (h / 8) ** 2] = [30, 160, 70 + 20 * i]
                frames[t] = f
            images[cam] = frames
        else:
            images[cam] = rng.integers(0, 256, (length, h, w, 3), dtype=np.uint8)
    states = rng.normal(0, 1, (length, 14)).astype(np.float32)
    actions = rng.normal(0, 1, (length, 14)).astype(np.float32)
    return EpisodeData(task, images, states, actions)


def write_episode(writer: DatasetWriter, ep: EpisodeData, **end_kwargs) -> int:
    writer.begin_episode(ep.task)
    for t in range(ep.length):
        writer.add_frame(ep.frame(t), ep.states[t], ep.actions[t])
    return writer.end_episode(**end_kwargs)


def assert_episode_equal(read, expected: EpisodeData) -> None:
    """A read-back `Episode` holds exactly what was written (lossless video)."""
    assert read.length == expected.length
    assert read.task == expected.task
    np.testing.assert_array_equal(read.states, expected.states)
    np.testing.assert_array_equal(read.actions, expected.actions)
    np.testing.assert_array_equal(read.frame_index, np.arange(expected.length))
    for cam, frames in expected.images.items():
        video = read.video(cam)
        assert video.dtype == np.uint8 and video.shape == frames.shape
        np.testing.assert_array_equal(video, frames)


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import conftest under importlib mode)."""
    return SimpleNamespace(
        CAMERAS=CAMERAS,
        EpisodeData=EpisodeData,
        make_episode=make_episode,
        write_episode=write_episode,
        assert_episode_equal=assert_episode_equal,
    )


@pytest.fixture(scope="session")
def joint_names() -> tuple[str, ...]:
    return load_embodiment().joint_names


@pytest.fixture
def new_writer(tmp_path, joint_names):
    """Factory: a lossless writer on a fresh directory under tmp_path."""
    made = []

    def make(name: str = "ds", cameras=CAMERAS, video: VideoConfig | None = None, fps: float = 16) -> DatasetWriter:
        w = DatasetWriter.create(
            tmp_path / name, fps=fps, cameras=cameras, joint_names=joint_names,
            robot_type="piper_bimanual", video=video or VideoConfig.lossless(),
        )
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
