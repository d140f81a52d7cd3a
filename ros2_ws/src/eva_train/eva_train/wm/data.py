"""Training and validation windows for SFT, encoded once (latent cache) or per batch (no cache)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from eva_core.embodiment import load_embodiment
from eva_train.wm.cache import EncodedWindows, encode_windows, load_or_build, vae_fingerprint
from eva_train.idm.data import split_items
from eva_train.wm.clips import ClipSource, Window
from eva_train.wm.config import SftConfig
from eva_train.wm.flow import Batch
from eva_train.wm.model import WindowEncoder


@dataclass
class SftData:
    train: dict[int, EncodedWindows] | None  # by observed frames (cached), or None: encode per batch
    val: dict[int, EncodedWindows]
    source: ClipSource  # the training episodes (for the per-batch path)
    encoder: WindowEncoder
    instructions: list[str]


def fixed_subset(windows: list[Window], n: int) -> list[Window]:
    if len(windows) <= n:
        return windows
    return [windows[int(i)] for i in torch.linspace(0, len(windows) - 1, n).long()]


def build_data(cfg: SftConfig, encoder: WindowEncoder, progress: bool) -> SftData:
    rate = load_embodiment().plan_rate_hz
    train_items, val_items = split_items(cfg.data, cfg.val_fraction, cfg.seed, cfg.heldout)
    hw = tuple(cfg.resolution)
    train_src = ClipSource.load(train_items, cfg.camera, hw, rate, progress)
    val_src = ClipSource.load(val_items or train_items[:1], cfg.camera, hw, rate, progress)
    instructions = sorted(set(train_src.instructions) | set(val_src.instructions))

    def encode(src: ClipSource, stride: int, limit: int | None, desc: str) -> dict[int, EncodedWindows]:
        out = {}
        for h in cfg.observed_choices:
            windows = src.windows(h, stride)
            if limit:
                windows = fixed_subset(windows, limit)
            out[h] = encode_windows(src, windows, encoder, cfg.num_frames, instructions, progress, f"{desc} h={h}")
        return out

    key = {
        "data": list(cfg.data), "heldout": list(cfg.heldout), "val_fraction": cfg.val_fraction, "seed": cfg.seed,
        "camera": cfg.camera, "resolution": list(hw), "num_frames": cfg.num_frames,
        "observed": list(cfg.observed_choices), "stride": cfg.window_stride, "val_windows": cfg.val_windows,
        "vae": vae_fingerprint(encoder.model.vae),
    }
    if cfg.cache_dir:
        train = load_or_build(Path(cfg.cache_dir) / "train", key, lambda: encode(train_src, cfg.window_stride, None, "cache train"))
    else:
        train = None
    val = load_or_build(Path(cfg.cache_dir or cfg.out_dir) / "val", key, lambda: encode(val_src, 1, cfg.val_windows, "cache val"))
    return SftData(train, val, train_src, encoder, instructions)


def batch_from(windows: EncodedWindows, index: torch.Tensor, device) -> Batch:
    return Batch(
        latents=windows.latents[index].float().to(device),
        image=windows.image[index].float().to(device),
        text=windows.texts[windows.text_index[index]].to(device),
        history=windows.history_latents,
    )


def sample_batch(data: SftData, cfg: SftConfig, gen: torch.Generator, device) -> Batch:
    """A random training batch: one history length for the whole batch (one transformer layout)."""
    choices = cfg.observed_choices
    h = choices[int(torch.randint(0, len(choices), (1,), generator=gen))]
    if data.train is not None:
        windows = data.train[h]
        return batch_from(windows, torch.randint(0, len(windows), (cfg.batch_size,), generator=gen), device)
    src = data.source
    picked = []
    for _ in range(cfg.batch_size):
        e = int(torch.randint(0, src.num_episodes, (1,), generator=gen))
        c = int(torch.randint(0, src.episode_frames(e), (1,), generator=gen))
        picked.append(Window(e, c, h))
    encoded = encode_windows(src, picked, data.encoder, cfg.num_frames, data.instructions, progress=False)
    return batch_from(encoded, torch.arange(len(picked)), device)
