"""Plan rate -> control rate: the spline passes through every knot, at rest at both ends."""

import numpy as np
import pytest

from eva_core.embodiment import load_embodiment
from eva_core.executor import upsample_plan

CONFIG = load_embodiment()
PLAN_DT, CONTROL_DT = CONFIG.plan_dt, CONFIG.control_dt  # 1/16 s, 1/200 s: 12.5 ticks per step


def knots(k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return CONFIG.ready_pose() + np.cumsum(rng.normal(0, 0.05, (k, 14)), axis=0)


@pytest.mark.parametrize("k", [2, 3, 9, 17, 49])
def test_shape_endpoints_and_every_knot(k):
    plan = knots(k)
    out = upsample_plan(plan, PLAN_DT, CONTROL_DT)
    n = int(round((k - 1) * PLAN_DT / CONTROL_DT)) + 1
    assert out.shape == (n, 14)
    np.testing.assert_array_equal(out[0], plan[0])
    np.testing.assert_array_equal(out[-1], plan[-1])
    # Knot j lies at time j·plan_dt; at 12.5 ticks per step every second knot falls on a tick.
    for j in range(0, k - 1, 2):
        np.testing.assert_allclose(out[int(round(j * PLAN_DT / CONTROL_DT))], plan[j], atol=1e-12)


def test_integer_ratio_hits_every_knot_exactly():
    plan = knots(9, seed=1)
    out = upsample_plan(plan, 0.05, 0.01)
    assert out.shape == (41, 14)
    np.testing.assert_allclose(out[::5], plan, atol=1e-12)


def test_a_single_knot_is_returned_as_is():
    plan = knots(1)
    out = upsample_plan(plan, PLAN_DT, CONTROL_DT)
    assert out.shape == (1, 14)
    np.testing.assert_array_equal(out, plan)
    assert out is not plan


def test_at_rest_at_both_ends_and_velocity_continuous():
    plan = knots(9, seed=2)
    out = upsample_plan(plan, PLAN_DT, CONTROL_DT)
    v = np.diff(out, axis=0) / CONTROL_DT
    step = np.abs(np.diff(plan, axis=0)).max() / PLAN_DT
    # Zero tangent at the ends: the first and last control steps move much less than a plan step's pace.
    assert np.abs(v[0]).max() < 0.2 * step and np.abs(v[-1]).max() < 0.2 * step
    # C1: the velocity changes a little every control step instead of jumping at the knots, as it
    # does when the knots are joined by straight lines.
    t = np.arange(len(out)) * CONTROL_DT
    linear = np.stack([np.interp(t, np.arange(9) * PLAN_DT, plan[:, d]) for d in range(14)], axis=1)
    jump_linear = np.abs(np.diff(np.diff(linear, axis=0), axis=0)).max() / CONTROL_DT
    assert np.abs(np.diff(v, axis=0)).max() < 0.3 * jump_linear


def test_straight_line_stays_on_the_line():
    a, b = CONFIG.ready_pose(), CONFIG.ready_pose() + 0.2
    plan = np.linspace(a, b, 5)
    out = upsample_plan(plan, PLAN_DT, CONTROL_DT)
    s = (out - a) / (b - a)
    np.testing.assert_allclose(s, s[:, :1] * np.ones((1, 14)), atol=1e-12)  # same progress in every dim
    assert (np.diff(s[:, 0]) >= -1e-12).all() and s[0, 0] == 0 and s[-1, 0] == 1  # monotone, no overshoot


@pytest.mark.parametrize(
    "plan, plan_dt, control_dt",
    [(np.zeros((0, 14)), PLAN_DT, CONTROL_DT), (np.zeros(14), PLAN_DT, CONTROL_DT), (np.zeros((3, 14)), 0.0, CONTROL_DT),
     (np.zeros((3, 14)), PLAN_DT, -1.0)],
)
def test_bad_input_is_refused(plan, plan_dt, control_dt):
    with pytest.raises(ValueError):
        upsample_plan(plan, plan_dt, control_dt)
