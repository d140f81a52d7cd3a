"""Arm registry, YAML-to-config, config validation and the plug-in hook."""

from dataclasses import dataclass
from typing import ClassVar

import pytest

from eva_core.config import ConfigError
from eva_core.devices.arms import (
    ArmConfig,
    PiperArmConfig,
    arm_config_from_dict,
    arm_types,
    make_arm,
    register_arm,
    unregister_arm,
)
from eva_core.devices.arms.piper.arm_piper import PiperArm
from eva_core.embodiment import load_embodiment


@pytest.fixture(scope="module")
def emb():
    return load_embodiment()


def test_piper_is_builtin_and_builds_unconnected(emb):
    assert "piper" in arm_types()
    arm = make_arm(PiperArmConfig(channel="can_left"), "left", emb)
    assert isinstance(arm, PiperArm) and arm.name == "left" and not arm.is_connected
    assert arm.limits.names == emb.joint_names[emb.arm_slice("left")]


def test_arm_name_must_be_an_embodiment_arm(emb):
    with pytest.raises(ValueError, match="not an arm"):
        make_arm(PiperArmConfig(channel="can_left"), "middle", emb)


def test_config_from_dict_and_errors_name_the_field():
    cfg = arm_config_from_dict({"type": "piper", "channel": "can_right", "can_interface": "virtual"})
    assert cfg == PiperArmConfig(channel="can_right", can_interface="virtual")
    with pytest.raises(ConfigError, match=r"arm\.channel"):
        arm_config_from_dict({"type": "piper"})
    with pytest.raises(ConfigError, match=r"arm\.bogus"):
        arm_config_from_dict({"type": "piper", "channel": "c", "bogus": 1})
    with pytest.raises(ConfigError, match=r"arm\.type"):
        arm_config_from_dict({"type": "nope"})
    with pytest.raises(ConfigError, match=r"arm\.can_interface"):
        arm_config_from_dict({"type": "piper", "channel": "c", "can_interface": "slcan"})


@pytest.mark.parametrize("field,value", [
    ("channel", ""), ("speed_rate", 0), ("speed_rate", 101), ("speed_rate", True), ("gripper_effort", -1),
    ("feedback_timeout_s", 0.0), ("feedback_timeout_s", float("nan")), ("watchdog_period_s", 0.05),
    ("teleop_role", "master"),
])
def test_piper_config_rejects_bad_values(field, value):
    kwargs = {"channel": "can_left", field: value}
    with pytest.raises(ConfigError, match=field):
        PiperArmConfig(**kwargs)


def test_register_plugin_type(emb):
    @dataclass(frozen=True)
    class FakeConfig(ArmConfig):
        type: ClassVar[str] = "fake_test_arm"

    built = []

    def builder(config, name, embodiment):
        built.append((config, name))
        return "an arm"

    register_arm("fake_test_arm", FakeConfig, builder)
    try:
        register_arm("fake_test_arm", FakeConfig, builder)  # same again: no-op
        with pytest.raises(ValueError, match="already registered"):
            register_arm("fake_test_arm", FakeConfig, lambda *a: None)
        assert make_arm(FakeConfig(), "right", emb) == "an arm" and built[0][1] == "right"
        assert isinstance(arm_config_from_dict({"type": "fake_test_arm"}), FakeConfig)
    finally:
        unregister_arm("fake_test_arm")
    with pytest.raises(ValueError, match="registered as"):
        register_arm("other", FakeConfig, builder)


def test_sim_plugin_is_found_through_entry_points():
    """eva_sim registers `sim` through the `eva.arms` group (skipped until its setup.py has the line)."""
    from importlib import metadata

    if not any(ep.name == "sim" for ep in metadata.entry_points(group="eva.arms")):
        pytest.skip("eva_sim's eva.arms entry point is not installed")
    assert "sim" in arm_types()
