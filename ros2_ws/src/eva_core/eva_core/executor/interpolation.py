"""Plan rate -> control rate: smooth interpolation of plan-rate joint knots.

A plan holds one 14-D command per plan frame (16 Hz); the arms take commands at 200 Hz. Linear
interpolation would make the velocity jump at every knot (an acceleration spike of Δv / control_dt,
12.5x what the plan-level filter allowed), so the knots are joined by a cubic Hermite spline
(Catmull-Rom tangents, zero velocity at both ends): velocity is continuous, the curve passes through
every knot, and between two knots it never leaves their convex hull by more than a small overshoot.
The command guard downstream still enforces the limits at the control rate.
"""

from __future__ import annotations

import numpy as np


def hermite_tangents(knots: np.ndarray, dt: float) -> np.ndarray:
    """Catmull-Rom tangents (per second) at each knot, zero at the first and the last."""
    tangents = np.zeros_like(knots)
    if len(knots) > 2:
        tangents[1:-1] = (knots[2:] - knots[:-2]) / (2.0 * dt)
    return tangents


def upsample_plan(knots: np.ndarray, plan_dt: float, control_dt: float) -> np.ndarray:
    """Commands at the control rate through `knots` [K, D] spaced `plan_dt` apart.

    Returns [N, D] with N = round((K - 1) · plan_dt / control_dt) + 1: row 0 is knots[0], the last row
    is knots[-1], row n is the spline at time n · control_dt. K = 1 returns the single knot.
    """
    knots = np.asarray(knots, dtype=np.float64)
    if knots.ndim != 2 or len(knots) == 0:
        raise ValueError(f"knots must be [K, D] with K >= 1, got shape {knots.shape}")
    if not (plan_dt > 0 and control_dt > 0):
        raise ValueError(f"plan_dt and control_dt must be positive, got {plan_dt}, {control_dt}")
    if len(knots) == 1:
        return knots.copy()
    duration = (len(knots) - 1) * plan_dt
    n = int(round(duration / control_dt)) + 1
    t = np.minimum(np.arange(n) * control_dt, duration)
    index = np.minimum((t / plan_dt).astype(int), len(knots) - 2)
    s = (t - index * plan_dt) / plan_dt  # 0..1 within the interval
    tangents = hermite_tangents(knots, plan_dt) * plan_dt  # per interval
    s2, s3 = s * s, s * s * s
    h00 = (2 * s3 - 3 * s2 + 1)[:, None]
    h10 = (s3 - 2 * s2 + s)[:, None]
    h01 = (-2 * s3 + 3 * s2)[:, None]
    h11 = (s3 - s2)[:, None]
    out = h00 * knots[index] + h10 * tangents[index] + h01 * knots[index + 1] + h11 * tangents[index + 1]
    out[-1] = knots[-1]
    return out
