"""Training windows for the world model: (history frames, instruction, future frames) from LeRobot
datasets, the plan camera at the plan rate, in the planner's clip layout.

A window is centred on a *current view* c of an episode: the last `observed` frames up to c, padded
to 1 + 4m frames by the planner's own `history_clip` (oldest repeated), then frames c + 1 .. c +
num_frames - 1: exactly the clip a plan made at c with `history_frames = observed` denoises
(`eva_core.planning.wan.history.ClipLayout`). Frames before the episode's first repeat the first one
(the arms rest at the start, as they do when the first plan is made) and frames past its last repeat
the last one (the arms rest at the end: a finished task stays still).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from eva_core.data import Dataset
from eva_core.planning.wan.history import history_clip
from eva_train.idm.data import FrameBank, load_bank


@dataclass(frozen=True)
class Window:
    episode: int  # index into the source's episodes
    current: int  # frame index of the current view within that episode
    observed: int  # observed frames conditioning the plan, the current view included


class ClipSource:
    """Every listed episode decoded once into memory at (height, width): a `FrameBank` plus the
    instruction of each episode. `step` subsamples recordings made faster than the plan rate."""

    def __init__(self, bank: FrameBank, instructions: list[str], step: int = 1):
        self.bank = bank
        self.instructions = instructions
        self.step = step
        self.offsets = [int(bank.start[i]) for i in self._episode_first_rows()]
        self.lengths = [int(bank.end[o] - o) for o in self.offsets]

    def _episode_first_rows(self) -> list[int]:
        firsts = torch.unique_consecutive(self.bank.start)
        return [int(f) for f in firsts]

    @classmethod
    def load(cls, items: Sequence[tuple[str | Path, Sequence[int]]], camera: str, hw: tuple[int, int],
             plan_rate_hz: float, progress: bool = True) -> ClipSource:
        """`items`: (dataset dir, episode indices). Recordings must be at a whole multiple of the plan rate."""
        rates = {float(Dataset(root).fps) for root, _ in items}
        steps = {round(r / plan_rate_hz) for r in rates}
        if len(steps) != 1 or any(abs(r / plan_rate_hz - round(r / plan_rate_hz)) > 1e-6 or r < plan_rate_hz for r in rates):
            raise ValueError(f"datasets at {sorted(rates)} fps: need one whole multiple of the plan rate {plan_rate_hz} Hz")
        bank = load_bank([(r, list(eps)) for r, eps in items], camera, hw, progress)
        instructions = [Dataset(root).episode(i).task for root, i in bank.episodes]
        return cls(bank, instructions, steps.pop())

    @property
    def num_episodes(self) -> int:
        return len(self.offsets)

    def episode_frames(self, episode: int) -> int:
        """Frames of an episode at the plan rate."""
        return (self.lengths[episode] + self.step - 1) // self.step

    def frames(self, window: Window, num_frames: int) -> np.ndarray:
        """uint8 [history + num_frames - 1, H, W, 3]: the window's clip (see the module docstring)."""
        rel = np.arange(window.current - window.observed + 1, window.current + num_frames)
        rel = np.clip(rel, 0, self.episode_frames(window.episode) - 1) * self.step
        frames = self.bank.frames[self.offsets[window.episode] + rel].numpy()
        history = history_clip(list(frames[: window.observed]), window.observed)
        return np.concatenate([history, frames[window.observed :]])

    def windows(self, observed: int, stride: int = 1) -> list[Window]:
        """Every `stride`-th current view of every episode, conditioned on `observed` frames."""
        return [Window(e, c, observed) for e in range(self.num_episodes) for c in range(0, self.episode_frames(e), stride)]
