import numpy as np
import pytest

from eva_core.embodiment import load_embodiment
from eva_core.embodiment.ik import rotation_error, solve_ik
from eva_core.embodiment.kinematics import end_effector_pose


@pytest.fixture(scope="module")
def arm():
    config = load_embodiment()
    limits = config.limits
    return config.arm.kinematics, limits.position_min[:6], limits.position_max[:6]


def test_recovers_poses_of_random_reachable_joint_vectors(arm):
    kin, lo, hi = arm
    rng = np.random.default_rng(0)
    solved = 0
    for _ in range(30):
        # Stay off the limits and the wrist singularity so the pose is reachable from a nearby start.
        q_true = rng.uniform(lo * 0.7 + hi * 0.3, lo * 0.3 + hi * 0.7)
        q_true[4] = rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)
        target = end_effector_pose(kin, q_true)
        start = np.clip(q_true + rng.normal(0, 0.3, 6), lo, hi)
        result = solve_ik(kin, target, start, lo, hi)
        assert np.all(result.q >= lo) and np.all(result.q <= hi)
        reached = end_effector_pose(kin, result.q)
        if result.converged:
            solved += 1
            assert np.linalg.norm(reached[:3, 3] - target[:3, 3]) < 1e-3
            assert np.linalg.norm(rotation_error(reached[:3, :3], target[:3, :3])) < 2e-2
    assert solved >= 27


def test_position_only_ignores_orientation(arm):
    kin, lo, hi = arm
    target = np.eye(4)
    target[:3, 3] = [0.35, 0.05, 0.25]  # in front of the base, reachable
    result = solve_ik(kin, target, np.array([0, 1.2, -1.2, 0, 0.5, 0]), lo, hi, position_only=True)
    assert result.converged
    assert result.position_error_m < 1e-3
    np.testing.assert_allclose(end_effector_pose(kin, result.q)[:3, 3], target[:3, 3], atol=1e-3)


def test_unreachable_target_returns_the_closest_commandable_pose(arm):
    kin, lo, hi = arm
    target = np.eye(4)
    target[:3, 3] = [3.0, 0.0, 0.2]  # far beyond the 0.63 m reach
    result = solve_ik(kin, target, np.zeros(6), lo, hi, position_only=True)
    assert not result.converged
    assert np.all(result.q >= lo) and np.all(result.q <= hi)
    assert result.position_error_m > 2.0


def test_rotation_error_of_known_rotations():
    half_turn_z = np.diag([-1.0, -1.0, 1.0])
    np.testing.assert_allclose(np.abs(rotation_error(np.eye(3), half_turn_z)), [0, 0, np.pi], atol=1e-9)
    c, s = np.cos(0.3), np.sin(0.3)
    about_x = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    np.testing.assert_allclose(rotation_error(np.eye(3), about_x), [0.3, 0, 0], atol=1e-12)
