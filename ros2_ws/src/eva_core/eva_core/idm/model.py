"""The IDM network (paper §4.1): stacked frames -> conv backbone -> spatial softmax -> MLP -> a_t."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eva_core.idm.config import IdmConfig


def stack_frames(windows: torch.Tensor) -> torch.Tensor:
    """uint8 [B, 2k+1, H, W, 3] -> float32 [B, 3(2k+1), H, W] in [-0.5, 0.5], frames on channels."""
    b, n, h, w, c = windows.shape
    x = windows.permute(0, 1, 4, 2, 3).reshape(b, n * c, h, w)
    return x.float().div_(255.0).sub_(0.5)


class SpatialSoftmax(nn.Module):
    """Per channel: softmax over the H x W positions, then the expected (x, y) in [-1, 1] (eq. 4).

    One learnable temperature shared by all channels (stored as its log so it stays positive)."""

    def __init__(self) -> None:
        super().__init__()
        self.log_temperature = nn.Parameter(torch.zeros(()))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        b, c, h, w = features.shape
        logits = features.flatten(2) / self.log_temperature.exp()
        p = logits.softmax(dim=-1).view(b, c, h, w)
        ys = torch.linspace(-1.0, 1.0, h, device=features.device, dtype=features.dtype)
        xs = torch.linspace(-1.0, 1.0, w, device=features.device, dtype=features.dtype)
        x = (p.sum(dim=2) * xs).sum(dim=-1)
        y = (p.sum(dim=3) * ys).sum(dim=-1)
        return torch.stack([x, y], dim=-1).flatten(1)  # [B, 2C]: (x_1, y_1, x_2, y_2, ...)


class IdmModel(nn.Module):
    def __init__(self, config: IdmConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        in_ch = 3 * config.num_frames
        for i, (width, stride) in enumerate(zip(config.widths, config.strides)):
            kernel = config.first_kernel if i == 0 else 3
            layers += [
                nn.Conv2d(in_ch, width, kernel, stride=stride, padding=kernel // 2),
                nn.GroupNorm(config.groups, width),
                nn.GELU(),
            ]
            in_ch = width
        self.backbone = nn.Sequential(*layers)
        if config.pooling == "spatial_softmax":
            self.pool: nn.Module = SpatialSoftmax()
            feat = 2 * in_ch
        else:
            self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            feat = in_ch
        head: list[nn.Module] = []
        for dim in config.mlp_dims:
            head += [nn.Linear(feat, dim), nn.LayerNorm(dim), nn.GELU(), nn.Dropout(config.dropout)]
            feat = dim
        head.append(nn.Linear(feat, config.action_dim))
        self.head = nn.Sequential(*head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: float [B, 3(2k+1), H, W] from `stack_frames` -> normalised actions [B, action_dim]."""
        return self.head(self.pool(self.backbone(x)))

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
