import math

import numpy as np
import pytest
import yaml

from eva_core.config import ConfigError, repo_root
from eva_core.embodiment import load_embodiment

EMBODIMENT = repo_root() / "config/embodiment/piper_bimanual.yaml"


@pytest.fixture(scope="module")
def config():
    return load_embodiment()


def test_layout_is_left_arm_then_right_arm_with_grippers_last(config):
    names = config.joint_names
    assert len(names) == 14
    assert names[:7] == tuple(f"left_joint{i}" for i in range(1, 7)) + ("left_gripper",)
    assert names[7:] == tuple(f"right_joint{i}" for i in range(1, 7)) + ("right_gripper",)
    assert config.gripper_indices == (6, 13)
    assert list(np.flatnonzero(config.limits.is_gripper)) == [6, 13]
    assert config.arm_slice("right") == slice(7, 14)


def test_limits_match_the_reference_values(config):
    limits = config.limits
    # Datasheet joint speeds × 0.85 (public reward code), grippers 2.0 normalised opening per s.
    expected_v = [2.67036, 2.89289, 2.67036, 3.33795, 3.33795, 3.33795, 2.0]
    np.testing.assert_allclose(limits.velocity_max, expected_v * 2)
    np.testing.assert_allclose(limits.acceleration_max, ([5.0] * 6 + [10.0]) * 2)
    # Deployed position limit = datasheet ∩ SDK soft limit; J6 is the datasheet's ±100°.
    np.testing.assert_allclose(limits.position_max[:7], [2.618, 3.14, 0.0, 1.745, 1.22, 1.7453, 1.0])
    np.testing.assert_allclose(limits.position_min[:7], [-2.618, 0.0, -2.967, -1.745, -1.22, -1.7453, 0.0])
    assert math.isclose(config.arm.kinematics.theta_offset_rad[1], math.radians(-172.22))
    assert config.control_rate_hz == 200 and config.plan_rate_hz == 16
    assert config.plan_dt == pytest.approx(1 / 16)


def test_limits_are_read_only(config):
    with pytest.raises(ValueError):
        config.limits.velocity_max[0] = 100.0


def _write_modified(tmp_path, edit):
    data = yaml.safe_load(EMBODIMENT.read_text())
    edit(data)
    path = tmp_path / "embodiment.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda d: d.pop("plan_rate_hz"), "plan_rate_hz"),
        (lambda d: d["arm"]["joints"][2].update(velocity_max=-1.0), "arm.joints[2].velocity_max"),
        (lambda d: d["arm"]["joints"][0].update(position_min=3.0), "arm.joints[0].position_min"),
        (lambda d: d["arm"]["joints"].pop(), "arm.joints"),
        (lambda d: d["reward"].update(p0="big"), "reward.p0"),
        (lambda d: d["safety"].update(max_changed_fraction=2.0), "safety.max_changed_fraction"),
        (lambda d: d["mounts"].reverse(), "mounts"),
        (lambda d: d.update(control_rate=200), "control_rate"),
    ],
)
def test_a_bad_key_gives_one_readable_error_naming_it(tmp_path, edit, key):
    path = _write_modified(tmp_path, edit)
    with pytest.raises(ConfigError) as err:
        load_embodiment(path)
    assert err.value.key == key
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_ready_pose_is_within_limits_for_both_arms(config):
    pose = config.ready_pose()
    assert pose.shape == (14,)
    np.testing.assert_array_equal(pose[:7], pose[7:])
    assert np.all(pose >= config.limits.position_min) and np.all(pose <= config.limits.position_max)


def test_ready_pose_outside_a_limit_names_the_entry(tmp_path):
    path = _write_modified(tmp_path, lambda d: d["arm"].update(ready_pose=[0, -1.0, -1.0, 0, 0, 0, 0.5]))
    with pytest.raises(ConfigError) as err:
        load_embodiment(path)
    assert err.value.key == "arm.ready_pose[1]"
