"""Validation plans during SFT: the planner's own sampler from a window's clean history, decoded and
put next to what really happened (a PNG strip), with the future frames' PSNR against the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from eva_core.planning.wan.encoding import decode_video
from eva_core.planning.wan.sampling import Conditioning, denoise
from eva_train.wm.data import batch_from
from eva_train.wm.cache import EncodedWindows


@torch.inference_mode()
def sample_plans(model, transformer, windows: EncodedWindows, index: torch.Tensor, steps: int, seed: int):
    """(generated uint8 [B, T, H, W, 3], truth uint8 [B, T, H, W, 3]) for the windows at `index`: the
    whole clips (history and future), the generated one from the clean history only."""
    import copy

    batch = batch_from(windows, index, model.device)
    b, z, f, h, w = batch.latents.shape
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(batch.latents.shape, generator=gen).to(model.device)
    condition = torch.zeros((b, z + 4, f, h, w), device=model.device)
    clean = batch.latents[:, :, : batch.history]
    cond = Conditioning(batch.text, batch.image, condition, None, clean)
    scheduler = copy.deepcopy(model.scheduler)  # the planner's scheduler keeps state between calls
    was_training = transformer.training
    transformer.eval()
    latents = denoise(transformer, scheduler, noise, cond, steps=steps)
    transformer.train(was_training)
    return decode_video(model.vae, latents), decode_video(model.vae, batch.latents)


def future_psnr(generated: np.ndarray, truth: np.ndarray, history_frames: int) -> float:
    """Mean PSNR (dB) of the generated future frames against the autoencoded truth."""
    a = generated[:, history_frames:].astype(np.float32) / 255
    b = truth[:, history_frames:].astype(np.float32) / 255
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3, 4))
    return float(np.mean(-10 * np.log10(np.maximum(mse, 1e-10))))


def save_strip(generated: np.ndarray, truth: np.ndarray, history_frames: int, out: Path, every: int = 2) -> None:
    """Rows of (truth, generated) per window: the current view, then every `every`-th future frame."""
    from PIL import Image

    cols = list(range(history_frames - 1, truth.shape[1], every))
    rows = []
    for g, t in zip(generated, truth):
        rows.append(np.concatenate([t[c] for c in cols], axis=1))
        rows.append(np.concatenate([g[c] for c in cols], axis=1))
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out)
