"""The GRPO objective: group-normalised advantages, PPO-style clipped ratio, KL to the reference."""

from __future__ import annotations

import torch


def group_advantages(rewards: torch.Tensor, group: torch.Tensor, clip: float, eps: float = 1e-4) -> torch.Tensor:
    """(R - mean of its group) / (std of its group + eps), clipped to [-clip, clip]."""
    adv = torch.zeros_like(rewards)
    for g in torch.unique(group):
        rows = group == g
        r = rewards[rows]
        adv[rows] = (r - r.mean()) / (r.std(unbiased=False) + eps)
    return adv.clamp(-clip, clip)


def kl_to_reference(mean: torch.Tensor, ref_mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """[N]: KL between the two Gaussian transitions of equal std (Flow-GRPO): mean squared difference
    of their means over the non-batch elements / (2 std^2)."""
    dims = tuple(range(1, mean.dim()))
    return (mean - ref_mean).pow(2).mean(dim=dims) / (2 * std.flatten() ** 2)


def policy_loss(new_log_prob: torch.Tensor, old_log_prob: torch.Tensor, advantages: torch.Tensor, clip_range: float):
    """PPO clipped surrogate, to minimise: mean(max(-A r, -A clip(r, 1 - e, 1 + e))), r = exp(new - old).
    Returns (loss, ratio)."""
    ratio = torch.exp(new_log_prob - old_log_prob)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip_range, 1.0 + clip_range)
    return torch.maximum(unclipped, clipped).mean(), ratio
