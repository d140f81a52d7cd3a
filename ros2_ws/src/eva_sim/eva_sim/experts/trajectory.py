"""Smooth joint trajectories: quintic (minimum-jerk) segments between joint-space waypoints.

Each segment starts and ends at rest, so waypoints can be chained freely. A segment's duration is the
shortest whole number of control ticks for which the quintic profile's peak velocity (1.875·Δ/T) and
peak acceleration (5.7735·Δ/T², at the profile's inflection points) stay under `fraction` of the
embodiment's limits on every dimension, grippers included. Sampled at the control rate, the finite
differences of a quintic are bounded by its continuous peaks, so `eva_core.safety.limit_violations`
finds nothing (the tests check it).
"""

from __future__ import annotations

import math

import numpy as np

from eva_core.embodiment import JointLimits

PEAK_VELOCITY = 1.875  # max of d/ds of 10s³ − 15s⁴ + 6s⁵ on [0, 1]
PEAK_ACCELERATION = 10.0 / math.sqrt(3.0)  # max |d²/ds²| of the same polynomial, at s = 1/2 ± √3/6


def min_jerk(s: np.ndarray) -> np.ndarray:
    """The quintic 0 → 1 with zero velocity and acceleration at both ends, at phase `s` in [0, 1]."""
    s = np.clip(s, 0.0, 1.0)
    return s**3 * (10.0 - 15.0 * s + 6.0 * s**2)


def segment_duration(q0: np.ndarray, q1: np.ndarray, limits: JointLimits, dt: float, fraction: float = 0.6) -> float:
    """Shortest duration (s, a whole number of `dt` ticks, at least one) of a quintic from q0 to q1
    that keeps every dimension under `fraction` of its velocity and acceleration limits."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    delta = np.abs(np.asarray(q1, dtype=np.float64) - np.asarray(q0, dtype=np.float64))
    t_vel = PEAK_VELOCITY * delta / (fraction * limits.velocity_max)
    t_acc = np.sqrt(PEAK_ACCELERATION * delta / (fraction * limits.acceleration_max))
    needed = float(max(np.max(t_vel), np.max(t_acc)))
    return max(1, math.ceil(needed / dt - 1e-9)) * dt


def quintic_segment(q0: np.ndarray, q1: np.ndarray, duration_s: float, dt: float) -> np.ndarray:
    """Positions [n, D] at t = dt, 2·dt, ..., duration_s (the last row is exactly q1)."""
    q0, q1 = np.asarray(q0, dtype=np.float64), np.asarray(q1, dtype=np.float64)
    n = max(1, int(round(duration_s / dt)))
    s = min_jerk(np.arange(1, n + 1) / n)
    return q0 + s[:, None] * (q1 - q0)


def join_waypoints(
    q_start: np.ndarray, waypoints: list[tuple[np.ndarray, float]], limits: JointLimits, dt: float, fraction: float = 0.6
) -> np.ndarray:
    """Chain quintic segments from `q_start` through `waypoints` [(q, hold_s), ...]: each waypoint is
    reached as fast as `fraction` of the limits allows, then held for `hold_s`. Returns [T, D]
    positions at the control rate (the state before the first row is `q_start`)."""
    rows = []
    q = np.asarray(q_start, dtype=np.float64)
    for target, hold_s in waypoints:
        target = limits.clip_position(np.asarray(target, dtype=np.float64))
        if np.any(target != q):
            rows.append(quintic_segment(q, target, segment_duration(q, target, limits, dt, fraction), dt))
        ticks = int(round(hold_s / dt))
        if ticks > 0:
            rows.append(np.repeat(target[None], ticks, axis=0))
        q = target
    if not rows:
        return np.empty((0, len(q)))
    return np.concatenate(rows)
