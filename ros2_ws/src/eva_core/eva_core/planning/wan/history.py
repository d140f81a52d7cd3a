"""The observed history as the model sees it: which frames, at what size, in which latent slots.

The Wan2.1 VAE encodes a clip of 1 + 4m frames into 1 + m latent frames (the first frame alone, then
4 frames per latent), causally: the latents of a clip's first frames do not depend on later frames.
A diffusion-forcing plan is one clip [history | future]:

    frames   h-4 h-3 h-2 h-1 h0 | f1 ... f48          (history of 5 = 4 observed, oldest repeated)
    latents  [ 0 ][    1      ] | [ 2 ] ... [ 13 ]    history latents clean (timestep 0), future denoised

and the plan is the decoded clip from the current view h0 on, so it has num_frames frames with
frames[0] the (VAE-reconstructed) current view. In first-frame mode the clip is [h0 | f1 ... f48].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

VAE_TIME_STRIDE = 4  # Wan2.1 VAE: latent frame i > 0 covers 4 frames
SIZE_MULTIPLE = 16  # VAE spatial stride 8 x transformer patch 2


@dataclass(frozen=True)
class ClipLayout:
    history: int  # frames of history in the clip (1 + 4m), the current view last
    num_frames: int  # frames of the plan (4k+1), the current view first

    def __post_init__(self) -> None:
        if self.history < 1 or (self.history - 1) % VAE_TIME_STRIDE:
            raise ValueError(f"history must be 1 + 4m frames, got {self.history}")
        if self.num_frames < 1 or (self.num_frames - 1) % VAE_TIME_STRIDE:
            raise ValueError(f"num_frames must be 4k+1, got {self.num_frames}")

    @property
    def total(self) -> int:
        """Frames of the whole clip: the history, then num_frames - 1 new ones."""
        return self.history + self.num_frames - 1

    @property
    def latent_frames(self) -> int:
        return (self.total - 1) // VAE_TIME_STRIDE + 1

    @property
    def history_latents(self) -> int:
        """Latent frames that hold only history (kept clean in diffusion forcing)."""
        return (self.history - 1) // VAE_TIME_STRIDE + 1

    @property
    def plan_start(self) -> int:
        """Index of the current view in the decoded clip: the plan is clip[plan_start:]."""
        return self.history - 1


def history_length(available: int, wanted: int) -> int:
    """Clip history frames for `available` observed frames of which `wanted` are used: the next 1 + 4m."""
    n = max(1, min(int(available), int(wanted)))
    return 1 + VAE_TIME_STRIDE * math.ceil((n - 1) / VAE_TIME_STRIDE)


def history_clip(history: Sequence[np.ndarray], wanted: int, pad: bool = False) -> np.ndarray:
    """uint8 [1 + 4m, H, W, 3]: the last `wanted` frames (oldest first), padded at the old end by
    repeating the oldest one until the length is 1 + 4m; with `pad`, a shorter history (the first plans
    of an episode) is padded as if `wanted` frames had been observed, so every clip has one layout."""
    used = list(history)[-max(1, int(wanted)):]
    length = history_length(wanted if pad else len(used), wanted)
    frames = [used[0]] * (length - len(used)) + used
    return np.stack(frames)


def plan_size(height: int | None, width: int | None, frame_hw: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of the plan: the configured size, or the frames' rounded down to a multiple of 16."""
    h = height if height is not None else frame_hw[0] // SIZE_MULTIPLE * SIZE_MULTIPLE
    w = width if width is not None else frame_hw[1] // SIZE_MULTIPLE * SIZE_MULTIPLE
    if h < SIZE_MULTIPLE or w < SIZE_MULTIPLE:
        raise ValueError(f"history frames of {frame_hw[0]}x{frame_hw[1]} px are too small for the VAE (16 px at least)")
    return h, w


def video_tensor(frames: np.ndarray, height: int, width: int, device=None):
    """uint8 [T, H, W, 3] -> float32 [1, 3, T, height, width] in [-1, 1] (bilinear resize, antialiased
    when shrinking, if the size differs): the VAE's input."""
    import torch
    import torch.nn.functional as F

    x = torch.tensor(np.asarray(frames), device=device).permute(0, 3, 1, 2).float()  # a copy: inputs may be read-only
    if tuple(x.shape[-2:]) != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        x = x.round().clamp(0, 255)
    x = x / 127.5 - 1.0
    return x.permute(1, 0, 2, 3).unsqueeze(0)


def resized_uint8(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    """One uint8 [H, W, 3] frame at (height, width), as `video_tensor` resizes it (for CLIP)."""
    import torch

    x = video_tensor(frame[None], height, width)[0, :, 0]
    return ((x + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
