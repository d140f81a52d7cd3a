"""Numpy executability reward: hand-computed terms, edge cases, shapes.

Expected values are worked out by hand below (not by calling the implementation). With the PiPER
embodiment: dt = 1/16 s; w = 14/12.4 for joints and 0.2·14/12.4 for grippers; d_a = 2.5 (joints) /
5.0 (grippers); d_j = 40 / 80; a_max = 5 / 10; P = 0.5·P_jerk + 0.25·P_acc + 2·P_vlim + P_alim;
R = (1 + P/2000)^-0.5. Every term divides by (rows × 14).
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from eva_core.embodiment import load_embodiment
from eva_core.reward import RewardParams, executability_reward
from eva_core.reward.executability import huber

PARAMS = RewardParams.from_embodiment(load_embodiment())
W_JOINT = 14 / 12.4
W_GRIPPER = 0.2 * 14 / 12.4


def step_plan(dim: int, height: float, steps: int = 6) -> np.ndarray:
    """Still, then one jump of `height` in `dim` between steps 2 and 3."""
    x = np.zeros((steps, 14))
    x[3:, dim] = height
    return x


def reward_of(penalty: float) -> float:
    return (1 + penalty / 2000) ** -0.5


def test_huber_both_branches():
    d = np.array([2.0, 2.0, 2.0])
    np.testing.assert_allclose(huber(np.array([1.0, 2.0, 5.0]), d), [0.5, 2.0, 2.0 * (5.0 - 1.0)])


def test_constant_velocity_has_no_smoothness_penalty():
    # 0.0625 rad per step = 1 rad/s in every dimension (below every v_max); exact in binary.
    x = np.arange(10)[:, None] * 0.0625 * np.ones(14)
    r = executability_reward(x, PARAMS)
    assert (r.p_jerk, r.p_acc, r.p_vlim, r.p_alim, r.penalty) == (0, 0, 0, 0, 0)
    assert r.reward == 1.0 and r.score == 10.0 and r.valid


def test_constant_velocity_over_the_limit():
    # left_joint1 at 3/16 rad per step = 3 rad/s, v_max 2.67036: every velocity row exceeds by 0.32964.
    x = np.zeros((10, 14))
    x[:, 0] = np.arange(10) * 3 / 16
    r = executability_reward(x, PARAMS)
    p_vlim = W_JOINT * 0.32964**2 / 14  # same in each of the 9 rows; 1 of 14 dims
    assert r.p_vlim == pytest.approx(p_vlim, rel=1e-9)
    assert r.p_jerk == pytest.approx(0, abs=1e-9) and r.p_acc == pytest.approx(0, abs=1e-9)
    assert r.penalty == pytest.approx(2 * p_vlim, rel=1e-9)
    assert r.reward == pytest.approx(reward_of(2 * p_vlim), rel=1e-12)


def test_small_step_stays_in_the_quadratic_branch():
    # Jump 0.001 rad: v = [0, 0, 0.016, 0, 0]; a = [0, 0.256, -0.256, 0]; j = [4.096, -8.192, 4.096].
    r = executability_reward(step_plan(0, 0.001), PARAMS)
    p_acc = W_JOINT * (2 * 0.5 * 0.256**2) / (4 * 14)
    p_jerk = W_JOINT * 0.5 * (4.096**2 + 8.192**2 + 4.096**2) / (3 * 14)
    assert r.p_acc == pytest.approx(p_acc, rel=1e-9)
    assert r.p_jerk == pytest.approx(p_jerk, rel=1e-9)
    assert r.p_vlim == 0 and r.p_alim == 0
    assert r.penalty == pytest.approx(0.5 * p_jerk + 0.25 * p_acc, rel=1e-9)


def test_joint_step_linear_huber_no_limit_violation():
    # Jump 0.01 rad in left_joint1: v peak 0.16 rad/s (< 2.67), a = ±2.56 (> d_a 2.5, < a_max 5),
    # j = 40.96, -81.92, 40.96 (all > d_j 40).
    r = executability_reward(step_plan(0, 0.01), PARAMS)
    huber_a = 2.5 * (2.56 - 1.25)  # 3.275 each
    huber_j = [40 * (40.96 - 20), 40 * (81.92 - 20), 40 * (40.96 - 20)]  # 838.4, 2476.8, 838.4
    p_acc = W_JOINT * 2 * huber_a / (4 * 14)
    p_jerk = W_JOINT * sum(huber_j) / (3 * 14)
    assert r.p_acc == pytest.approx(p_acc, rel=1e-9)
    assert r.p_jerk == pytest.approx(p_jerk, rel=1e-9)
    assert r.p_vlim == 0 and r.p_alim == 0
    penalty = 0.5 * p_jerk + 0.25 * p_acc  # ≈ 55.86
    assert r.penalty == pytest.approx(penalty, rel=1e-9)
    assert r.reward == pytest.approx(reward_of(penalty), rel=1e-9)
    assert r.reward == pytest.approx(0.98632, abs=1e-5)


def test_joint_step_violating_both_limits():
    # Jump 0.2 rad in right_joint2 (v_max 2.89289): v = 3.2, a = ±51.2, j = 819.2, -1638.4, 819.2.
    r = executability_reward(step_plan(8, 0.2), PARAMS)
    p_vlim = W_JOINT * (3.2 - 2.89289) ** 2 / (5 * 14)
    p_alim = W_JOINT * 2 * (51.2 - 5) ** 2 / (4 * 14)  # 2134.44 each
    p_acc = W_JOINT * 2 * 2.5 * (51.2 - 1.25) / (4 * 14)  # 124.875 each
    p_jerk = W_JOINT * (40 * (819.2 - 20) * 2 + 40 * (1638.4 - 20)) / (3 * 14)  # 31968 ×2 + 64736
    assert r.p_vlim == pytest.approx(p_vlim, rel=1e-9)
    assert r.p_alim == pytest.approx(p_alim, rel=1e-9)
    assert r.p_acc == pytest.approx(p_acc, rel=1e-9)
    assert r.p_jerk == pytest.approx(p_jerk, rel=1e-9)
    penalty = 0.5 * p_jerk + 0.25 * p_acc + 2 * p_vlim + p_alim
    assert r.penalty == pytest.approx(penalty, rel=1e-9)
    assert r.reward == pytest.approx(reward_of(penalty), rel=1e-9)


def test_gripper_step_uses_gripper_weight_and_tolerances():
    # Jump 0.1 (normalised opening) in left_gripper: v = 1.6 (< 2.0), a = ±25.6 (> a_max 10, > d_a 5),
    # j = 409.6, -819.2, 409.6 (> d_j 80).
    r = executability_reward(step_plan(6, 0.1), PARAMS)
    assert r.p_vlim == 0
    assert r.p_alim == pytest.approx(W_GRIPPER * 2 * 15.6**2 / (4 * 14), rel=1e-9)
    assert r.p_acc == pytest.approx(W_GRIPPER * 2 * 5 * (25.6 - 2.5) / (4 * 14), rel=1e-9)
    assert r.p_jerk == pytest.approx(W_GRIPPER * (80 * (409.6 - 40) * 2 + 80 * (819.2 - 40)) / (3 * 14), rel=1e-9)


def test_reward_is_half_power_at_p0():
    # R = (1 + P/P0)^-gamma: with P0 set to the plan's own penalty, R = 2^-0.5.
    x = step_plan(0, 0.01)
    penalty = executability_reward(x, PARAMS).penalty
    r = executability_reward(x, dataclasses.replace(PARAMS, p0=float(penalty)))
    assert r.reward == pytest.approx(2**-0.5, rel=1e-12)
    assert r.score == pytest.approx(10 * 2**-0.5, rel=1e-12)


def test_smooth_path_scores_above_the_same_path_with_jitter():
    t = np.linspace(0, 1, 49)[:, None]
    smooth = 0.5 * (1 - np.cos(np.pi * t)) * np.linspace(-0.6, 0.6, 14)  # 1.2 rad swing in 3 s
    jittery = smooth + np.random.default_rng(0).normal(0, 0.005, smooth.shape)
    r = executability_reward(np.stack([smooth, jittery]), PARAMS)
    assert r.score[0] > 9.99  # penalty ≈ 0.008
    assert r.score[0] > r.score[1]
    assert 6.0 < r.score[1] < 9.0  # 5 mrad noise at 16 fps is a large jerk (paper: 7.94 clean, 3.04 bad)


def test_batch_equals_single_plans():
    rng = np.random.default_rng(1)
    plans = np.cumsum(rng.normal(0, 0.05, (5, 20, 14)), axis=1)
    batch = executability_reward(plans, PARAMS)
    assert batch.reward.shape == (5,) and batch.valid.dtype == bool
    for i, plan in enumerate(plans):
        single = executability_reward(plan, PARAMS)
        assert np.ndim(single.reward) == 0
        for name in ("reward", "score", "penalty", "p_jerk", "p_acc", "p_vlim", "p_alim", "valid"):
            assert getattr(single, name) == pytest.approx(getattr(batch, name)[i], rel=1e-12)


@pytest.mark.parametrize("steps", [0, 1, 2, 3])
def test_too_short_scores_zero(steps):
    r = executability_reward(np.zeros((2, steps, 14)), PARAMS)
    np.testing.assert_array_equal(r.reward, [0, 0])
    np.testing.assert_array_equal(r.score, [0, 0])
    np.testing.assert_array_equal(r.penalty, [np.inf, np.inf])
    np.testing.assert_array_equal(r.p_jerk, [np.inf, np.inf])
    np.testing.assert_array_equal(r.valid, [False, False])


def test_four_steps_is_enough():
    r = executability_reward(np.zeros((4, 14)), PARAMS)
    assert r.valid and r.reward == 1.0


@pytest.mark.filterwarnings("error")  # no RuntimeWarning from NaN/overflow arithmetic either
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_plan_scores_zero_and_leaves_others_alone(bad):
    plans = np.cumsum(np.random.default_rng(2).normal(0, 0.02, (3, 12, 14)), axis=1)
    clean = executability_reward(plans, PARAMS)
    plans[1, 7, 4] = bad
    r = executability_reward(plans, PARAMS)
    np.testing.assert_array_equal(r.valid, [True, False, True])
    assert r.reward[1] == 0 and r.score[1] == 0 and r.penalty[1] == np.inf
    assert all(getattr(r, t)[1] == np.inf for t in ("p_jerk", "p_acc", "p_vlim", "p_alim"))
    for i in (0, 2):
        assert r.reward[i] == clean.reward[i] and r.penalty[i] == clean.penalty[i]


@pytest.mark.filterwarnings("error")
def test_overflowing_finite_values_score_zero_without_nan():
    x = np.zeros((8, 14))
    x[::2, 3] = 1e308
    x[1::2, 3] = -1e308  # differences overflow to ±inf, then inf − inf
    r = executability_reward(x, PARAMS)
    assert r.reward == 0 and r.penalty == np.inf and not r.valid
    assert not any(np.isnan(getattr(r, t)) for t in ("p_jerk", "p_acc", "p_vlim", "p_alim"))


def test_empty_batch_and_list_and_integer_input():
    assert executability_reward(np.zeros((0, 10, 14)), PARAMS).reward.shape == (0,)
    assert executability_reward([[0] * 14] * 5, PARAMS).reward == 1.0
    assert executability_reward(np.zeros((5, 14), dtype=np.int32), PARAMS).reward == 1.0


@pytest.mark.parametrize("shape", [(5,), (5, 7), (2, 5, 13), (1, 2, 5, 14)])
def test_wrong_shape_names_the_layout(shape):
    with pytest.raises(ValueError, match=r"\[T, 14\] or \[B, T, 14\].*left_joint1 \.\. right_gripper"):
        executability_reward(np.zeros(shape), PARAMS)


@pytest.mark.filterwarnings("error")  # no RuntimeWarning from NaN/overflow arithmetic
@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(0, 7), st.just(14)), elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_any_input_gives_a_reward_in_range_and_never_nan(x):
    r = executability_reward(x, PARAMS)
    assert np.all((r.reward >= 0) & (r.reward <= 1))
    np.testing.assert_array_equal(r.score, 10 * r.reward)
    for name in ("penalty", "p_jerk", "p_acc", "p_vlim", "p_alim"):
        assert not np.any(np.isnan(getattr(r, name)))
    np.testing.assert_array_equal(r.valid, r.reward > 0)
