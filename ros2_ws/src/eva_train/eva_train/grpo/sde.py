"""The Flow-GRPO SDE sampler step, a pure function, and the sigma schedule it walks.

Sampling a rectified-flow model with an SDE instead of the ODE makes every denoising step a Gaussian
transition with a known density, which is what a policy gradient needs. For one step from sigma to
sigma_next (dt = sigma_next - sigma < 0) with velocity v predicted at x:

    std  = sqrt(sigma / (1 - sigma)) * noise_level          (sigma = 1 replaced by the first sigma < 1)
    mean = x (1 + std^2 dt / (2 sigma)) + v (1 + std^2 (1 - sigma) / (2 sigma)) dt
    x'   = mean + std sqrt(-dt) eps

and log p(x' | x) is the Gaussian density of x' under (mean, std sqrt(-dt)), averaged over every
non-batch element (shared/spec/reference.md, Flow-GRPO). With noise_level = 0 it is the Euler ODE step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass
class StepResult:
    prev_sample: torch.Tensor  # x' (the next, less noisy sample)
    log_prob: torch.Tensor  # [B]: mean Gaussian log-density of x' over its non-batch elements
    mean: torch.Tensor  # the transition's mean (for the KL to a reference model)
    std: torch.Tensor  # [B, 1, ...]: std * sqrt(-dt), the transition's standard deviation


def sigma_schedule(steps: int, shift: float) -> torch.Tensor:
    """float [steps + 1]: 1 -> 0 in `steps` equal steps of the unshifted time, then Wan's shift
    sigma = s u / (1 + (s - 1) u) (the scheduler's flow_shift); the last entry is 0."""
    u = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    return (shift * u / (1 + (shift - 1) * u)).float()


def _per_row(value, like: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(value, dtype=torch.float32, device=like.device)
    if t.dim() == 0:
        t = t.expand(like.shape[0])
    return t.view(-1, *([1] * (like.dim() - 1)))


def sde_step(model_output: torch.Tensor, sigma, sigma_next, sample: torch.Tensor, *, noise_level: float = 0.7,
             sigma_max: float | None = None, noise: torch.Tensor | None = None, generator: torch.Generator | None = None,
             prev_sample: torch.Tensor | None = None) -> StepResult:
    """One SDE step. `sigma`, `sigma_next`: scalars or [B]. `sigma_max`: the first sigma below 1 (used
    in place of sigma = 1, where sqrt(sigma / (1 - sigma)) is infinite). With `prev_sample` given
    (training), x' is not drawn: its log-probability under this step's Gaussian is returned."""
    x = sample.float()
    v = model_output.float()
    s = _per_row(sigma, x)
    s_next = _per_row(sigma_next, x)
    dt = s_next - s
    s_safe = torch.where(s >= 1.0, torch.full_like(s, sigma_max if sigma_max is not None else 0.999), s)
    std = torch.sqrt(s_safe / (1 - s_safe)) * noise_level
    mean = x * (1 + std**2 / (2 * s) * dt) + v * (1 + std**2 * (1 - s) / (2 * s)) * dt
    scale = std * torch.sqrt(-dt)
    if prev_sample is None:
        if noise is None:
            noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
        prev_sample = mean + scale * noise
    prev = prev_sample.float()
    log_prob = -((prev.detach() - mean) ** 2) / (2 * scale**2) - torch.log(scale) - 0.5 * math.log(2 * math.pi)
    return StepResult(prev_sample, log_prob.mean(dim=tuple(range(1, x.dim()))), mean, scale)
