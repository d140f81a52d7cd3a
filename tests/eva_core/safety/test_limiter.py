"""The discrete-time limit kernel: the braking bound is exact for finite differences, steps keep the
limits, and the whole-plan fast path gives the same result as filtering step by step."""

import numpy as np
import pytest

from eva_core.embodiment import load_embodiment
from eva_core.safety import StepLimiter, brake_to_rest, limit_trajectory, limit_violations

CONFIG = load_embodiment()
LIMITS = CONFIG.limits


def simulated_stop_distance(speed: float, dv: float, dt: float) -> float:
    """Brake from `speed` by dv per step until rest; distance covered after the current step."""
    covered = 0.0
    while speed > 0:
        speed = max(speed - dv, 0.0)
        covered += speed * dt
    return covered


def largest_stoppable_speed(distance: float, dv: float, dt: float) -> float:
    """Bisection on "one step at v, then brake" staying within `distance`: the bound, found by brute force."""
    lo, hi = 0.0, distance / dt + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid * dt + simulated_stop_distance(mid, dv, dt) <= distance:
            lo = mid
        else:
            hi = mid
    return lo


@pytest.mark.parametrize("dt", [CONFIG.plan_dt, CONFIG.control_dt])
def test_braking_speed_matches_brute_force(dt):
    limiter = StepLimiter(LIMITS, dt)
    dv = float(limiter.dv[0])
    distances = np.concatenate([[0.0, 1e-9, dv * dt, 1.5 * dv * dt, 3 * dv * dt], np.linspace(0.0, 3.0, 61)])
    for d in distances:
        expected = largest_stoppable_speed(float(d), dv, dt)
        got = float(limiter.braking_speed(np.full(14, d))[0])
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), d


def test_braking_speed_is_not_the_continuous_time_bound():
    # sqrt(2·a·d) would allow more than a discrete-time arm can stop from at the plan rate.
    limiter = StepLimiter(LIMITS, CONFIG.plan_dt)
    d = 0.2
    continuous = np.sqrt(2 * LIMITS.acceleration_max[0] * d)
    discrete = float(limiter.braking_speed(np.full(14, d))[0])
    assert discrete < continuous - 0.1
    assert discrete * limiter.dt + simulated_stop_distance(discrete, float(limiter.dv[0]), limiter.dt) <= d + 1e-12
    assert continuous * limiter.dt + simulated_stop_distance(continuous, float(limiter.dv[0]), limiter.dt) > d


def test_stop_distance_matches_simulation():
    limiter = StepLimiter(LIMITS, CONFIG.control_dt)
    for speed in [0.0, 0.01, 0.025, 0.0251, 0.7, 2.67036]:
        got = float(limiter.stop_distance(np.full(14, speed))[0])
        assert got == pytest.approx(simulated_stop_distance(speed, float(limiter.dv[0]), limiter.dt), rel=1e-9, abs=1e-15)


def test_speed_caps_contain_zero_inside_the_limits_and_reach_v_max_far_from_them():
    limiter = StepLimiter(LIMITS, CONFIG.control_dt)
    mid = (LIMITS.position_min + LIMITS.position_max) / 2
    lo, hi = limiter.speed_caps(mid)
    assert np.all(lo <= 0) and np.all(hi >= 0)
    np.testing.assert_array_equal(hi[:2], LIMITS.velocity_max[:2])  # J1/J2 have room to reach v_max
    lo, hi = limiter.speed_caps(LIMITS.position_max)
    np.testing.assert_array_equal(hi, 0.0)


def test_a_plan_running_past_a_limit_stops_exactly_at_it():
    dt = CONFIG.plan_dt
    q0 = np.zeros(14)
    q0[1] = 2.5  # left joint2, limit 3.14
    q0[[2, 9]] = -1.0
    plan = np.repeat(q0[None], 49, axis=0)
    plan[:, 1] = 2.5 + 1.0 * dt * np.arange(1, 50)  # 1 rad/s straight through the limit
    safe = limit_trajectory(q0, None, plan, dt, LIMITS)
    assert limit_violations(q0, None, safe, dt, LIMITS) == {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}
    assert safe[-1, 1] == LIMITS.position_max[1]
    assert np.all(np.diff(safe[:, 1]) >= 0)  # approaches and stops, never bounces back


def test_fast_path_equals_step_by_step_filtering():
    rng = np.random.default_rng(3)
    dt = CONFIG.plan_dt
    limiter = StepLimiter(LIMITS, dt)
    q0 = (LIMITS.position_min + LIMITS.position_max) / 2
    for k in range(20):
        plan = q0 + np.cumsum(rng.normal(0, 0.01 * (k + 1), (49, 14)), axis=0)
        safe = limit_trajectory(q0, None, plan, dt, LIMITS)
        q, v, previous, expected = q0, np.zeros(14), q0, []
        for row in plan:
            q, v = limiter.step(q, v, row, previous)
            previous = row
            expected.append(q)
        np.testing.assert_array_equal(safe, np.array(expected))


def test_brake_to_rest_from_full_speed():
    dt = CONFIG.control_dt
    q0 = (LIMITS.position_min + LIMITS.position_max) / 2
    v0 = 0.5 * LIMITS.velocity_max * np.where(np.arange(14) % 2, 1, -1)
    out = brake_to_rest(q0, v0, 200, dt, LIMITS)
    assert limit_violations(q0, v0, out, dt, LIMITS) == {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}
    steps_to_rest = int(np.ceil(np.max(np.abs(v0) / (LIMITS.acceleration_max * dt))))
    # Step k (0-based) moves at |v0| - (k+1)·dv: the last moving step is steps_to_rest - 2.
    rest = out[steps_to_rest - 1]
    np.testing.assert_array_equal(out[steps_to_rest - 1 :], np.repeat(rest[None], 201 - steps_to_rest, axis=0))
    assert not np.array_equal(out[steps_to_rest - 2], out[steps_to_rest - 3])  # as hard as allowed, not earlier


def test_limit_violations_counts_each_kind():
    dt = CONFIG.plan_dt
    q0 = np.zeros(14)
    q0[[2, 9]] = -1.0
    plan = np.repeat(q0[None], 3, axis=0)
    plan[1, 0] = 1.0  # jump: velocity and acceleration
    plan[2, 1] = -0.5  # below joint2's 0: position, velocity, acceleration
    plan[2, 3] = np.nan
    counts = limit_violations(q0, None, plan, dt, LIMITS)
    assert counts["non_finite"] == 1 and counts["position"] == 2  # NaN counts as out of limits too
    assert counts["velocity"] >= 3 and counts["acceleration"] >= 3


def test_bad_dt_is_refused():
    with pytest.raises(ValueError, match="dt"):
        StepLimiter(LIMITS, 0.0)
    with pytest.raises(ValueError, match="dt"):
        StepLimiter(LIMITS, float("nan"))


@pytest.mark.parametrize("excess", [0.0, 1e-7])
def test_plans_exactly_at_the_limits_pass_and_just_beyond_are_corrected(excess):
    """At the boundary: exactly at v_max, a_max and the position limit nothing changes (beyond
    rounding); a hair beyond, the plan is corrected back within (checked to 1e-12 of each limit)."""
    dt = CONFIG.plan_dt
    q0 = (LIMITS.position_min + LIMITS.position_max) / 2
    low = LIMITS.position_min + 0.01 * (LIMITS.position_max - LIMITS.position_min)
    t = np.arange(1, 4)[:, None] * dt  # three steps: short enough to stay clear of the far limits
    cases = {
        # cruising at v_max from a state already at v_max, from near the lower limit upward
        "velocity": (low, LIMITS.velocity_max.copy(), low + LIMITS.velocity_max * (1 + excess) * t),
        # accelerating at a_max from rest: q = a·dt²·k(k+1)/2
        "acceleration": (q0, None, q0 + LIMITS.acceleration_max * (1 + excess) * dt**2 * (t / dt) * (t / dt + 1) / 2),
        # resting exactly on the upper position limit
        "position": (LIMITS.position_max.copy(), None, np.repeat(LIMITS.position_max[None], 3, axis=0) + excess),
    }
    for name, (start, v0, plan) in cases.items():
        safe = limit_trajectory(start, v0, plan, dt, LIMITS)
        assert limit_violations(start, v0, safe, dt, LIMITS, rtol=1e-12) == {
            "non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0
        }, name
        if excess == 0.0:  # unchanged, up to the rounding of building the plan itself
            np.testing.assert_allclose(safe, plan, rtol=0, atol=1e-12, err_msg=name)
        else:
            assert not np.array_equal(safe, plan), name
