"""Executability reward in numpy (paper §4.2, eq. 5-9; constants and reductions per reference.md).

From decoded positions x [B, T, D] at the plan rate: v, a, j are forward differences divided by dt
(T-1, T-2, T-3 rows). Each term is a weighted mean over time steps and dimensions:

    P_jerk = mean_{t,d} w_d·Huber(j_td; d_j,d)      P_acc  = mean_{t,d} w_d·Huber(a_td; d_a,d)
    P_vlim = mean_{t,d} w_d·relu(|v_td| − v_max,d)²  P_alim = mean_{t,d} w_d·relu(|a_td| − a_max,d)²
    P = λ_j·P_jerk + λ_a·P_acc + λ_vlim·P_vlim + λ_alim·P_alim,   R = (1 + P/P0)^−γ,   score = 10·R

Vectorised over the batch (no Python loop), in float64. `executability_reward_torch` in
`executability_torch.py` computes the same thing, step for step, on tensors.
"""

from __future__ import annotations

import numpy as np

from eva_core.reward.terms import RewardParams, RewardResult

SCORE_SCALE = 10.0  # the display score is 10·R (paper Figure 2: 7.94 clean, 3.04 with artifacts)


def huber(magnitude: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Huber(x; d) from |x|: with m = min(|x|, d), m·(|x| − m/2) is 0.5x² inside d and d(|x| − d/2) beyond."""
    m = np.minimum(magnitude, delta)
    # In place, one temporary: fresh multi-MB temporaries cost more than the arithmetic at B = 1024.
    h = np.multiply(m, -0.5)
    h += magnitude
    h *= m
    return h


def _relu_squared(magnitude: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """relu(|x| − limit)², in place on one temporary."""
    excess = np.subtract(magnitude, limit)
    np.maximum(excess, 0.0, out=excess)
    excess *= excess
    return excess


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """mean_{t,d}(w_d · values[b, t, d]) → [B], as one [B, T·D] @ [T·D] product (w tiled over t)."""
    batch, steps, dof = values.shape
    return values.reshape(batch, steps * dof) @ np.tile(weights, steps) / (steps * dof)


def executability_reward(actions, params: RewardParams) -> RewardResult:
    """Score plans `actions` ([T, D] or [B, T, D]; rad for joints, normalised opening for grippers).

    Never raises on content: plans shorter than `params.min_steps`, with NaN/inf, or whose penalty
    overflows get reward 0 and valid False. Raises ValueError only for a wrong shape.
    """
    x = np.asarray(actions, dtype=np.float64)
    params.check_shape(x.shape)
    single = x.ndim == 2
    if single:
        x = x[None]
    batch, steps, _ = x.shape
    if steps < params.min_steps:
        result = _finish(np.zeros(batch, dtype=bool), *(np.zeros(batch),) * 4, params=params)
        return _squeeze(result) if single else result
    valid = np.isfinite(np.abs(x).max(axis=(1, 2)))  # max propagates NaN; faster than isfinite().all()
    if not valid.all():
        x = np.where(valid[:, None, None], x, 0.0)  # keep NaN out of the arithmetic; overwritten below

    dt = params.dt
    # Huge finite inputs may overflow to inf (and inf − inf to NaN); _finish maps those plans to R = 0.
    with np.errstate(over="ignore", invalid="ignore"):
        # In place where possible: at B = 1024 each fresh [B, T, D] temporary costs about as much as
        # the arithmetic on it (page faults), and only magnitudes are needed once j is known.
        v = np.diff(x, axis=1)
        v /= dt  # rad/s, [B, T-1, D]
        a = np.diff(v, axis=1)
        a /= dt  # rad/s², [B, T-2, D]
        j = np.diff(a, axis=1)
        j /= dt  # rad/s³, [B, T-3, D]
        abs_v, abs_a, abs_j = np.abs(v, out=v), np.abs(a, out=a), np.abs(j, out=j)
        w = params.weights
        p_jerk = _weighted_mean(huber(abs_j, params.huber_jerk), w)
        p_acc = _weighted_mean(huber(abs_a, params.huber_acc), w)
        p_vlim = _weighted_mean(_relu_squared(abs_v, params.velocity_max), w)
        p_alim = _weighted_mean(_relu_squared(abs_a, params.acceleration_max), w)
        result = _finish(valid, p_jerk, p_acc, p_vlim, p_alim, params=params)
    return _squeeze(result) if single else result


def _finish(valid, p_jerk, p_acc, p_vlim, p_alim, *, params: RewardParams) -> RewardResult:
    """Combine the terms into P and R; unscorable plans get terms +inf, P = +inf, R = 0."""
    terms = [np.where(valid & ~np.isnan(t), t, np.inf) for t in (p_jerk, p_acc, p_vlim, p_alim)]
    with np.errstate(over="ignore", invalid="ignore"):
        penalty = (
            params.lambda_jerk * terms[0]
            + params.lambda_acc * terms[1]
            + params.lambda_vlim * terms[2]
            + params.lambda_alim * terms[3]
        )
    ok = valid & np.isfinite(penalty)
    penalty = np.where(ok, penalty, np.inf)
    reward = np.where(ok, (1.0 + penalty / params.p0) ** -params.gamma, 0.0)
    return RewardResult(reward, SCORE_SCALE * reward, penalty, *terms, valid=ok)


def _squeeze(result: RewardResult) -> RewardResult:
    """[1]-shaped fields → 0-d, for a single [T, D] plan."""
    return RewardResult(**{k: v[0] for k, v in result.__dict__.items()})
