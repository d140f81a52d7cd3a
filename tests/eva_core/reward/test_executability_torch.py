"""Torch executability reward: agrees with the numpy backend to 1e-6, same edge-case rules."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

torch = pytest.importorskip("torch")

from eva_core.embodiment import load_embodiment  # noqa: E402
from eva_core.reward import RewardParams, executability_reward  # noqa: E402
from eva_core.reward.executability_torch import executability_reward_torch  # noqa: E402

PARAMS = RewardParams.from_embodiment(load_embodiment())
FIELDS = ("reward", "score", "penalty", "p_jerk", "p_acc", "p_vlim", "p_alim")


def assert_agree(x: np.ndarray, tolerance: float = 1e-6) -> None:
    expected = executability_reward(x, PARAMS)
    got = executability_reward_torch(torch.as_tensor(x), PARAMS).to_numpy()
    np.testing.assert_array_equal(got.valid, expected.valid)
    for name in FIELDS:
        e, g = getattr(expected, name), getattr(got, name)
        assert np.shape(e) == np.shape(g), name
        # Relative for the penalties (they reach 1e5); equal infinities compare equal.
        np.testing.assert_allclose(g, e, rtol=tolerance, atol=tolerance, err_msg=name)


def hand_made_plans() -> np.ndarray:
    """Still; a 0.01 rad joint step; a 0.2 rad step (both limits); a gripper step; over-speed ramp."""
    plans = np.zeros((5, 12, 14))
    plans[1, 6:, 0] = 0.01
    plans[2, 6:, 8] = 0.2
    plans[3, 6:, 6] = 0.1
    plans[4, :, 2] = np.arange(12) * 3 / 16
    return plans


def test_agree_on_hand_made_plans():
    assert_agree(hand_made_plans())


def test_agree_on_random_plans_with_violations_and_bad_plans():
    rng = np.random.default_rng(0)
    plans = np.cumsum(rng.normal(0, 0.08, (64, 49, 14)), axis=1)  # many limit violations
    plans[:8] = plans[:8] * 0.01  # and some nearly smooth ones
    plans[10, 3, 3] = np.nan
    plans[11, 0, 13] = np.inf
    plans[12, ::2, 5], plans[12, 1::2, 5] = 1e308, -1e308  # overflow
    assert_agree(plans)


@pytest.mark.parametrize("steps", [0, 3, 4, 5])
def test_agree_on_short_and_minimal_plans(steps):
    assert_agree(np.random.default_rng(steps).normal(0, 0.1, (3, steps, 14)))


def test_single_plan_gives_0d_tensors():
    r = executability_reward_torch(torch.zeros(6, 14, dtype=torch.float64), PARAMS)
    assert r.reward.shape == () and r.reward.item() == 1.0 and r.valid.item() is True
    short = executability_reward_torch(torch.zeros(3, 14), PARAMS)
    assert short.reward.item() == 0.0 and short.penalty.item() == float("inf") and not short.valid.item()


def test_float32_and_integer_inputs_are_scored_in_float32():
    x = hand_made_plans()
    expected = executability_reward(x, PARAMS)
    got = executability_reward_torch(torch.as_tensor(x, dtype=torch.float32), PARAMS)
    assert got.reward.dtype == torch.float32
    np.testing.assert_allclose(got.reward.numpy(), expected.reward, rtol=1e-5)
    ints = executability_reward_torch(torch.zeros(2, 6, 14, dtype=torch.int64), PARAMS)
    assert ints.reward.dtype == torch.float32 and ints.reward.tolist() == [1.0, 1.0]


def test_wrong_shape_raises_value_error():
    with pytest.raises(ValueError, match=r"\[T, 14\] or \[B, T, 14\]"):
        executability_reward_torch(torch.zeros(2, 5, 7), PARAMS)


def test_gradients_are_finite_even_next_to_a_nan_plan():
    x = torch.as_tensor(hand_made_plans()).requires_grad_()
    with torch.no_grad():
        x[0, 2, 2] = float("nan")
    executability_reward_torch(x, PARAMS).reward.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad[0].abs().sum() == 0 and x.grad[2].abs().sum() > 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    x = torch.as_tensor(hand_made_plans())
    got = executability_reward_torch(x.cuda(), PARAMS)
    assert got.reward.device.type == "cuda"
    np.testing.assert_allclose(got.to_numpy().penalty, executability_reward(x.numpy(), PARAMS).penalty, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 3), st.integers(0, 8), st.just(14)),
        elements=st.one_of(st.floats(-4, 4), st.sampled_from([np.nan, np.inf, -np.inf])),
    )
)
def test_agree_on_arbitrary_plans(x):
    assert_agree(x)
