"""Plan-level safety filter: make a [T, 14] plan respect the joint limits from the measured state, and
say whether the plan is usable at all.

    safe, report = filter_plan(state, plan, config, velocity=None)

Guarantee. Whatever the plan holds (NaN, inf, jumps, a start far away), for a *feasible* measured state
(finite, within the position limits, |v| <= v_max, able to stop before the limits; see limiter.py) the
returned plan has the same shape, is finite, stays within the position limits, and its finite-difference
velocities and accelerations, starting from the measured state (q_{-1} = state, v_{-1} = velocity or
0), never exceed v_max and a_max. The step is `config.plan_dt` (1/16 s).

Verdicts. "accept": the returned plan is the filtered plan: bit for bit the input up to the first step
that breaks a limit; from there corrected, rejoining the input as fast as the limits allow without
overshooting it (and bit for bit again once rejoined). "reject": the plan is unusable, and the returned
plan is a braking hold from the state (brake to rest as hard as the limits allow, then stay still),
never a jump. A plan is
rejected when it has NaN/inf, when its first step is farther than `safety.max_start_deviation_rad`
from the state, when the filter had to move any joint by more than `safety.max_deviation_rad` or change
more than `safety.max_changed_fraction` of the steps (by more than `safety.change_tolerance` each), or when the filtered plan brings the arms closer
than `safety.arm_clearance_m`. The deviation thresholds apply to the joints (rad), not the grippers.

Measured state problems. Positions at most `safety.state_tolerance_rad` outside a limit are taken
to be on it (encoder noise at the rest pose). A finite state farther outside the limits, faster than v_max, or too fast to stop
before a limit is rejected too; the braking hold then keeps the position limits from the first step
on, and the velocity/acceleration limits wherever the state allows (a state like that is already
outside what the limits promise). A state with NaN/inf has no safe command at all: `filter_plan`
raises `UnsafeStateError` (its `.report` is the reject report) and the caller must not send anything;
the command guard keeps the arms still.
"""

from __future__ import annotations

import numpy as np

from eva_core.embodiment.config import EmbodimentConfig
from eva_core.safety import report as codes
from eva_core.safety.clearance import check_plan_clearance
from eva_core.safety.limiter import brake_to_rest, limit_trajectory, limiter_for, snap_to_limits
from eva_core.safety.report import PlanReport, UnsafeStateError


def filter_plan(
    current: np.ndarray,
    desired: np.ndarray,
    config: EmbodimentConfig,
    velocity: np.ndarray | None = None,
    *,
    check_clearance: bool = True,
    gripper_start: str = "measured",
) -> tuple[np.ndarray, PlanReport]:
    """Filter plan `desired` [T, 14] (T >= 1, plan rate) from the measured `current` [14] positions
    and optional `velocity` [14] (None: at rest). Returns (plan to send [T, 14], report).

    `check_clearance=False` skips the dual-arm clearance check (single-arm tests, benchmarks); the
    report's distance is then None. `gripper_start="plan"` filters the grippers from the plan's own
    first opening at rest instead of the measured one (see below; the deployed stack uses it). Raises
    ValueError for wrong shapes and `UnsafeStateError` for a non-finite state.
    """
    if gripper_start not in ("measured", "plan"):
        raise ValueError(f"gripper_start must be 'measured' or 'plan', got {gripper_start!r}")
    limits = config.limits
    n = limits.dof
    q0 = _array(current, (n,), "current")
    v0 = np.zeros(n) if velocity is None else _array(velocity, (n,), "velocity")
    plan = _array(desired, (None, n), "desired")
    steps = plan.shape[0]
    if steps == 0:
        raise ValueError("desired: a plan needs at least one step")
    plan_finite = bool(np.isfinite(plan).all())

    if not (np.isfinite(q0).all() and np.isfinite(v0).all()):
        reasons = (codes.STATE_NOT_FINITE,) + (() if plan_finite else (codes.PLAN_NOT_FINITE,))
        report = PlanReport("reject", reasons, "none", steps, None, None, None, None, None)
        raise UnsafeStateError("the measured state contains NaN or inf: nothing is safe to send", report)

    dt = config.plan_dt
    safety = config.safety
    joints = ~limits.is_gripper
    q0 = snap_to_limits(q0, limits, safety.state_tolerance_rad)
    # gripper_start="plan": grippers start from the plan's own first opening, at rest, not from the measured one: a
    # position-controlled gripper holding an object stays open by the object's width while commanded
    # closed (that error is the squeeze). Filtering from the measured opening would command the
    # gripper open at every replan and loosen the grasp. The command guard still limits gripper
    # velocity and acceleration from the last command actually sent, so this cannot make a jump.
    # (A rejected plan still brakes from the measured state.)
    grippers = limits.is_gripper
    q_start, v_start = q0.copy(), v0.copy()
    if gripper_start == "plan" and np.isfinite(plan[0, grippers]).all():
        q_start[grippers] = np.clip(plan[0, grippers], limits.position_min[grippers], limits.position_max[grippers])
        v_start[grippers] = 0.0
    reasons = limiter_for(limits, dt).state_problems(q0, v0)
    if not plan_finite:
        reasons.append(codes.PLAN_NOT_FINITE)

    first_step_deviation = None
    if np.isfinite(plan[0]).all():
        with np.errstate(over="ignore"):
            first_step_deviation = float(np.abs(plan[0, joints] - q0[joints]).max())
        if first_step_deviation > safety.max_start_deviation_rad:
            reasons.append(codes.START_DEVIATION)

    filtered = None
    steps_changed = max_deviation = min_distance = closest_step = None
    if plan_finite:
        with np.errstate(over="ignore"):  # finite but absurd values (1e308) overflow to inf: clamped anyway
            filtered = limit_trajectory(q_start, v_start, plan, dt, limits)
            max_deviation = float(np.abs(filtered[:, joints] - plan[:, joints]).max())
        # Only corrections beyond `safety.change_tolerance` count: smoothing decoding noise (or µrad of
        # rounding at a limit) is not rewriting the plan.
        steps_changed = int((np.abs(filtered - plan) > safety.change_tolerance).any(axis=1).sum())
        if max_deviation > safety.max_deviation_rad:
            reasons.append(codes.MAX_DEVIATION)
        if steps_changed > safety.max_changed_fraction * steps:
            reasons.append(codes.TOO_MANY_CHANGES)
        if check_clearance:
            clearance = check_plan_clearance(config, filtered)
            min_distance, closest_step = float(clearance.min_distance_m), int(clearance.step)
            if not clearance.ok:
                reasons.append(codes.ARM_CLEARANCE)

    if reasons:
        safe, verdict, returned = brake_to_rest(q0, v0, steps, dt, limits), "reject", "hold"
    else:
        safe, verdict, returned = filtered, "accept", "filtered"
    report = PlanReport(
        verdict=verdict,
        reasons=tuple(reasons),
        returned=returned,
        steps=steps,
        steps_changed=steps_changed,
        max_deviation=max_deviation,
        first_step_deviation=first_step_deviation,
        min_arm_distance_m=min_distance,
        closest_step=closest_step,
    )
    return safe, report


def _array(value, shape: tuple[int | None, ...], name: str) -> np.ndarray:
    """A float64 array of `shape` (None: any length), or a ValueError naming the argument."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: not a numeric array ({err})") from None
    if array.ndim != len(shape) or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        wanted = "[" + ", ".join("T" if s is None else str(s) for s in shape) + "]"
        raise ValueError(f"{name}: expected shape {wanted}, got {list(array.shape)}")
    return array
