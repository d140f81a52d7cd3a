"""Episodes decoded once into memory (uint8, at the model's resolution) and sampled as IDM windows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from eva_core.data import Dataset
from eva_core.idm.inference import resize_frames


@dataclass
class FrameBank:
    """Every frame of a set of episodes, concatenated: frames uint8 [N, h, w, 3], actions [N, D];
    frame g belongs to the episode spanning [start[g], end[g])."""

    frames: torch.Tensor
    actions: torch.Tensor
    start: torch.Tensor  # int64 [N]
    end: torch.Tensor  # int64 [N]
    episodes: list[tuple[str, int]]  # (dataset dir, episode index) in bank order

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def windows(self, index: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """index int64 [B] -> (uint8 [B, 2k+1, h, w, 3], float32 [B, D]); window edges clamp to the episode."""
        offsets = torch.arange(-k, k + 1)
        idx = torch.maximum(torch.minimum(index[:, None] + offsets, self.end[index, None] - 1), self.start[index, None])
        return self.frames[idx], self.actions[index]


def split_episodes(num_episodes: int, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """A seeded split by episode (never by frame: neighbouring frames are near-duplicates).

    Each episode's side is drawn from its own seeded generator, so it does not change as a dataset
    grows (training may reload datasets that are still being written). With no episode drawn for
    validation, episode 0 is used (if there are at least two)."""
    val = [i for i in range(num_episodes) if np.random.default_rng([seed, i]).random() < val_fraction]
    if not val and val_fraction > 0 and num_episodes > 1:
        val = [0]
    return [i for i in range(num_episodes) if i not in val], val


def split_items(roots, val_fraction: float, seed: int, heldout=()) -> tuple[list, list]:
    """(train items, val items) as (dataset dir, episode indices): each dataset split by episode
    (`split_episodes`, seed + its position), then every episode of the `heldout` datasets on the val side."""
    train, val = [], []
    for i, root in enumerate(roots):
        tr, va = split_episodes(Dataset(root).num_episodes, val_fraction, seed + i)
        train.append((root, tr))
        if va:
            val.append((root, va))
    val += [(root, list(range(Dataset(root).num_episodes))) for root in heldout]
    return train, val


def load_bank(
    items: list[tuple[str | Path, list[int]]], camera: str, hw: tuple[int, int], progress: bool = True
) -> FrameBank:
    """Decode the listed episodes of each dataset, resized to hw = (height, width)."""
    from tqdm import tqdm

    frames, actions, start, end, names = [], [], [], [], []
    total = 0
    todo = [(root, i) for root, eps in items for i in eps]
    datasets: dict[str, Dataset] = {}
    for root, i in tqdm(todo, desc="decode episodes", disable=not progress, unit="ep"):
        ds = datasets.setdefault(str(root), Dataset(root))
        ep = ds.episode(i)
        video = resize_frames(torch.from_numpy(np.ascontiguousarray(ep.video(camera))), hw)
        n = video.shape[0]
        frames.append(video)
        actions.append(torch.from_numpy(np.array(ep.actions, dtype=np.float32)))
        start.append(torch.full((n,), total, dtype=torch.int64))
        end.append(torch.full((n,), total + n, dtype=torch.int64))
        names.append((str(root), i))
        total += n
    if not frames:
        raise ValueError("no episodes to load")
    return FrameBank(torch.cat(frames), torch.cat(actions), torch.cat(start), torch.cat(end), names)
