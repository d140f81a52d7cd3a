"""SDK units at the PiPER boundary: exact round trips, the PiPER's scales."""

import math

import numpy as np
import pytest

from eva_core.devices.arms.piper import units


def test_sdk_integers_round_trip_exactly():
    rng = np.random.default_rng(0)
    values = np.concatenate([np.arange(-200_000, 200_001, 1), rng.integers(-2**31, 2**31 - 1, 200_000)])
    for n in values.tolist():
        assert units.rad_to_mdeg(units.mdeg_to_rad(n)) == n
    for n in range(0, 70_001):
        assert units.opening_to_um(units.um_to_opening(n, 0.07), 0.07) == n


def test_scales():
    assert units.rad_to_mdeg(math.pi) == 180_000
    assert units.rad_to_mdeg(-math.pi / 2) == -90_000
    assert units.opening_to_um(1.0, 0.07) == 70_000
    assert units.um_to_opening(35_000, 0.07) == pytest.approx(0.5)


def test_radians_quantise_to_a_thousandth_of_a_degree():
    q = np.array([0.1234567, -2.5, 3.0, -1.7, 1.2, 2.0, 0.42])
    joints, grip = units.q7_to_sdk(q, 0.07)
    back = units.sdk_to_q7(joints, grip, 0.07)
    assert np.all(np.abs(back[:6] - q[:6]) <= math.radians(0.0005) + 1e-15)
    assert abs(back[6] - q[6]) <= 0.5e-6 / 0.07 + 1e-15
    assert units.q7_to_sdk(back, 0.07) == (joints, grip)
    with pytest.raises(ValueError):
        units.q7_to_sdk(np.zeros(6), 0.07)
