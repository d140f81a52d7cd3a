"""Image augmentation in torch on a batch of stacked windows (the same transform for every frame of
a window, so the motion between frames, which is what the IDM reads, is left intact)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from eva_train.idm.config import AugmentConfig


def augment(x: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """x: float [B, 3n, H, W] in [-0.5, 0.5] (from `stack_frames`) -> same shape, augmented."""
    b, c, h, w = x.shape
    n = c // 3
    dev, dt = x.device, x.dtype

    def rand(*shape):
        return torch.rand(*shape, generator=generator).to(device=dev, dtype=dt)

    # Colour: brightness offset, contrast and per-channel gain, shared by the frames of a window.
    if cfg.color > 0:
        v = x.view(b, n, 3, h, w)
        gain = 1 + cfg.color * (2 * rand(b, 1, 3, 1, 1) - 1)
        contrast = 1 + cfg.color * (2 * rand(b, 1, 1, 1, 1) - 1)
        bright = cfg.color * (2 * rand(b, 1, 1, 1, 1) - 1)
        mean = v.mean(dim=(2, 3, 4), keepdim=True)
        x = ((v - mean) * contrast + mean) * gain + bright
        x = x.view(b, c, h, w)
    # Geometry: a small random translation and zoom-in (a random crop resized back), one affine grid.
    if cfg.shift_px > 0 or cfg.crop > 0:
        scale = 1 - cfg.crop * rand(b)
        tx = (2 * rand(b) - 1) * (2 * cfg.shift_px / w)
        ty = (2 * rand(b) - 1) * (2 * cfg.shift_px / h)
        theta = torch.zeros(b, 2, 3, device=dev, dtype=dt)
        theta[:, 0, 0], theta[:, 1, 1], theta[:, 0, 2], theta[:, 1, 2] = scale, scale, tx, ty
        grid = F.affine_grid(theta, (b, c, h, w), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # Blur: a 3x3 Gaussian on a random subset of the batch.
    if cfg.blur_p > 0:
        pick = rand(b) < cfg.blur_p
        if pick.any():
            k1 = torch.tensor([1.0, 2.0, 1.0], device=dev, dtype=dt)
            kernel = (k1[:, None] * k1[None, :] / 16).expand(c, 1, 3, 3)
            blurred = F.conv2d(F.pad(x[pick], (1, 1, 1, 1), mode="replicate"), kernel, groups=c)
            x = x.clone()
            x[pick] = blurred
    if cfg.noise > 0:
        x = x + cfg.noise * torch.randn(x.shape, generator=generator).to(device=dev, dtype=dt)
    return x.clamp(-0.5, 0.5)
