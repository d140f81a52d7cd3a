"""Executability reward in torch: the same formulas as `executability.py`, step for step, so the two
agree to float rounding. For GRPO: score a batch of decoded plans where they already are (any
device). Differentiable almost everywhere, but the training loop only needs the values.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from eva_core.reward.executability import SCORE_SCALE
from eva_core.reward.terms import RewardParams, RewardResult


@lru_cache(maxsize=32)
def _constants(params: RewardParams, device: torch.device, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The per-dimension vectors as tensors, built once per (params, device, dtype)."""
    names = ("weights", "huber_acc", "huber_jerk", "velocity_max", "acceleration_max")
    # .tolist(): the params' arrays are read-only, which torch.as_tensor would warn about.
    return {n: torch.tensor(getattr(params, n).tolist(), dtype=dtype, device=device) for n in names}


def huber(magnitude: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """Huber(x; d) from |x|, as in the numpy backend: m = min(|x|, d), m·(|x| − m/2)."""
    m = torch.minimum(magnitude, delta)
    return m * (magnitude - 0.5 * m)


def _weighted_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """mean_{t,d}(w_d · values[b, t, d]) → [B], as one [B, T·D] @ [T·D] product (w tiled over t)."""
    batch, steps, dof = values.shape
    return values.reshape(batch, steps * dof) @ weights.repeat(steps) / (steps * dof)


def executability_reward_torch(actions: torch.Tensor, params: RewardParams) -> RewardResult:
    """Score plans ([T, D] or [B, T, D]) on their own device; fields are tensors ([B] or 0-d).

    float64 input is scored in float64, anything else in float32 (half precision would overflow in
    the squared limit terms). Same edge-case rules as the numpy backend; never raises on content.
    """
    x = torch.as_tensor(actions)
    params.check_shape(tuple(x.shape))
    x = x.to(torch.float64 if x.dtype == torch.float64 else torch.float32)
    single = x.dim() == 2
    if single:
        x = x.unsqueeze(0)
    batch, steps, _ = x.shape
    c = _constants(params, x.device, x.dtype)
    if steps < params.min_steps:
        zeros = x.new_zeros(batch)
        result = _finish(torch.zeros(batch, dtype=torch.bool, device=x.device), *(zeros,) * 4, params=params)
        return _squeeze(result) if single else result
    valid = torch.isfinite(x.abs().amax(dim=(1, 2)))  # amax propagates NaN; faster than isfinite().all()
    # Keep NaN/inf out of the arithmetic (and of any gradient); those plans are overwritten below.
    x = torch.where(valid[:, None, None], x, torch.zeros((), dtype=x.dtype, device=x.device))

    dt = params.dt
    v = torch.diff(x, dim=1) / dt  # rad/s, [B, T-1, D]
    a = torch.diff(v, dim=1) / dt  # rad/s², [B, T-2, D]
    j = torch.diff(a, dim=1) / dt  # rad/s³, [B, T-3, D]
    abs_a = a.abs()
    w = c["weights"]
    p_jerk = _weighted_mean(huber(j.abs(), c["huber_jerk"]), w)
    p_acc = _weighted_mean(huber(abs_a, c["huber_acc"]), w)
    p_vlim = _weighted_mean(torch.relu(v.abs() - c["velocity_max"]).square(), w)
    p_alim = _weighted_mean(torch.relu(abs_a - c["acceleration_max"]).square(), w)
    result = _finish(valid, p_jerk, p_acc, p_vlim, p_alim, params=params)
    return _squeeze(result) if single else result


def _finish(valid, p_jerk, p_acc, p_vlim, p_alim, *, params: RewardParams) -> RewardResult:
    inf = torch.full_like(p_jerk, float("inf"))
    terms = [torch.where(valid & ~torch.isnan(t), t, inf) for t in (p_jerk, p_acc, p_vlim, p_alim)]
    penalty = (
        params.lambda_jerk * terms[0]
        + params.lambda_acc * terms[1]
        + params.lambda_vlim * terms[2]
        + params.lambda_alim * terms[3]
    )
    ok = valid & torch.isfinite(penalty)
    penalty = torch.where(ok, penalty, inf)
    reward = torch.where(ok, (1.0 + penalty / params.p0) ** -params.gamma, torch.zeros_like(penalty))
    return RewardResult(reward, SCORE_SCALE * reward, penalty, *terms, valid=ok)


def _squeeze(result: RewardResult) -> RewardResult:
    return RewardResult(**{k: v[0] for k, v in result.__dict__.items()})
