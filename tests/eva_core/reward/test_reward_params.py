"""RewardParams: the constants both backends use, resolved from the real embodiment file."""

import dataclasses

import numpy as np
import pytest

from eva_core.embodiment import RewardConfig, load_embodiment
from eva_core.reward import RewardParams


@pytest.fixture(scope="module")
def embodiment():
    return load_embodiment()


def test_constants_from_piper_embodiment(embodiment):
    p = RewardParams.from_embodiment(embodiment)
    grippers = [6, 13]
    joints = [i for i in range(14) if i not in grippers]
    assert p.dof == 14 and p.dt == 1 / 16
    # Raw weights: 12 joints × 1.0 + 2 grippers × 0.2 = 12.4 over 14 dims → divide by 12.4/14.
    np.testing.assert_allclose(p.weights[joints], 14 / 12.4)
    np.testing.assert_allclose(p.weights[grippers], 0.2 * 14 / 12.4)
    assert p.weights.mean() == pytest.approx(1.0)
    # d_a = 0.5·a_max (5 joints, 10 grippers); d_j = 0.5·a_max/dt = 0.5·a_max·16.
    np.testing.assert_allclose(p.huber_acc[joints], 2.5)
    np.testing.assert_allclose(p.huber_acc[grippers], 5.0)
    np.testing.assert_allclose(p.huber_jerk[joints], 40.0)
    np.testing.assert_allclose(p.huber_jerk[grippers], 80.0)
    per_arm_v = [2.67036, 2.89289, 2.67036, 3.33795, 3.33795, 3.33795, 2.0]
    np.testing.assert_allclose(p.velocity_max, per_arm_v * 2)
    np.testing.assert_allclose(p.acceleration_max, [5.0] * 6 + [10.0] + [5.0] * 6 + [10.0])
    assert (p.lambda_jerk, p.lambda_acc, p.lambda_vlim, p.lambda_alim) == (0.5, 0.25, 2.0, 1.0)
    assert (p.p0, p.gamma, p.min_steps) == (2000.0, 0.5, 4)


def test_arrays_are_read_only(embodiment):
    p = RewardParams.from_embodiment(embodiment)
    with pytest.raises(ValueError):
        p.velocity_max[0] = 100.0


def test_weights_follow_the_reward_config(embodiment):
    equal = dataclasses.replace(embodiment, reward=RewardConfig(gripper_weight=1.0, p0=500.0))
    p = RewardParams.from_embodiment(equal)
    np.testing.assert_array_equal(p.weights, np.ones(14))
    assert p.p0 == 500.0


@pytest.mark.parametrize(
    "change, message",
    [({"p0": 0.0}, "p0"), ({"lambda_acc": -1.0}, "lambda"), ({"min_steps": 3}, "min_steps"), ({"weights": np.ones(13)}, "weights")],
)
def test_bad_values_are_rejected(embodiment, change, message):
    p = RewardParams.from_embodiment(embodiment)
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(p, **change)
