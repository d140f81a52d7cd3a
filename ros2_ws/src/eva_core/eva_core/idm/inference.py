"""Decode a clip into actions with a trained IDM: one batched forward pass over every window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from eva_core.idm.checkpoint import load_checkpoint
from eva_core.idm.config import IdmConfig
from eva_core.idm.model import IdmModel, stack_frames
from eva_core.idm.normalization import ActionNormalizer


def window_indices(length: int, k: int) -> np.ndarray:
    """int64 [T, 2k+1]: for each t the frames t-k .. t+k, clamped to the clip (edges repeat)."""
    t = np.arange(length)[:, None] + np.arange(-k, k + 1)[None, :]
    return np.clip(t, 0, length - 1)


def resize_frames(frames: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """uint8 [T, H, W, 3] -> uint8 [T, h, w, 3] (bilinear, antialiased when shrinking)."""
    if tuple(frames.shape[1:3]) == tuple(hw):
        return frames
    x = frames.permute(0, 3, 1, 2).float()
    x = F.interpolate(x, size=hw, mode="bilinear", antialias=True, align_corners=False)
    return x.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1)


class IdmDecoder:
    def __init__(self, model: IdmModel, normalizer: ActionNormalizer, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.config: IdmConfig = model.config
        self.normalizer = normalizer

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> IdmDecoder:
        ckpt = load_checkpoint(path, device)
        return cls(ckpt.model, ckpt.normalizer, device)

    @torch.inference_mode()
    def decode(self, clip) -> np.ndarray:
        """clip: uint8 [T, H, W, 3] (numpy or tensor, any size) -> float32 [T, action_dim] actions."""
        frames = torch.as_tensor(np.asarray(clip) if not isinstance(clip, torch.Tensor) else clip)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != torch.uint8:
            raise ValueError(f"clip must be uint8 [T, H, W, 3], got {tuple(frames.shape)} {frames.dtype}")
        frames = resize_frames(frames.to(self.device), self.config.input_hw)
        idx = torch.as_tensor(window_indices(frames.shape[0], self.config.k), device=self.device)
        z = self.model(stack_frames(frames[idx]))
        return self.normalizer.denormalize(z).float().cpu().numpy()
