"""GRPO prompts: starts of recorded episodes encoded once (clean history latents, CLIP tokens, text),
with what the expert did next (the static-plan guard's reference motion). A group of rollouts is keyed
by its prompt, i.e. by (conditioning frames, instruction), never by the instruction alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from eva_core.planning.evaluation import Start, pick_starts, start_inputs
from eva_core.planning.wan.history import history_clip
from eva_train.wm.model import WindowEncoder


@dataclass
class Prompt:
    start: Start
    history: torch.Tensor  # float32 [z, Fh, h, w]: normalised latents of the padded history clip
    image: torch.Tensor  # [tokens, image_dim]
    text: torch.Tensor  # [512, text_dim]
    expert_actions: np.ndarray  # [num_frames, D] recorded from the start on

    @property
    def key(self) -> tuple:
        return (self.start.dataset, self.start.episode, self.start.frame, self.start.instruction)


def build_prompts(datasets, n: int, seed: int, encoder: WindowEncoder, camera: str, observed: int, num_frames: int) -> list[Prompt]:
    """`n` seeded starts of the datasets, encoded as the planner encodes its history (padded to the
    layout of `observed` frames, as a planner with pad_history does)."""
    prompts, cache = [], {}
    for start in pick_starts(datasets, n, seed):
        history, expert = start_inputs(start, camera, observed, num_frames, cache)
        clip = history_clip(history, observed, pad=True)
        prompts.append(Prompt(start, encoder.latents(clip), encoder.image(clip), encoder.text(start.instruction), expert))
    return prompts
