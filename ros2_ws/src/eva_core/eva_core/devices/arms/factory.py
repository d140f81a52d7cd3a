"""Build an arm from its config; a registry so other packages can add implementations.

    arm = make_arm(PiperArmConfig(channel="can_left"), name="left", embodiment=load_embodiment())
    config = arm_config_from_dict({"type": "piper", "channel": "can_left"})

Registering an implementation (what eva_sim does for `sim`):

    register_arm("sim", SimArmConfig, lambda config, name, embodiment: SimArm(config, name, embodiment))

Packages that are not imported yet are found through the `eva.arms` entry-point group: each entry point
names a callable that takes no arguments and calls `register_arm`, e.g. in eva_sim's setup.py

    entry_points={"eva.arms": ["sim = eva_sim.arm_sim:register"]}

Entry points are loaded the first time a type is asked for that is not registered yet, so importing
eva_core never imports MuJoCo. The `piper` implementation imports piper_sdk only when built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eva_core.devices.arms.arm import Arm
from eva_core.devices.arms.configs import ArmConfig, PiperArmConfig
from eva_core.embodiment.config import EmbodimentConfig
from eva_core.registry import Registry

ENTRY_POINT_GROUP = "eva.arms"

ArmBuilder = Callable[[Any, str, EmbodimentConfig], Arm]  # (config, name, embodiment) -> an unconnected Arm

_REGISTRY = Registry("arm", ArmConfig, ENTRY_POINT_GROUP)

register_arm = _REGISTRY.register  # (type_name, config class, ArmBuilder): make a type buildable
unregister_arm = _REGISTRY.unregister  # (type_name): remove a registration (tests)
arm_types = _REGISTRY.types  # () -> every registered type, plug-ins included


def make_arm(config: ArmConfig, name: str, embodiment: EmbodimentConfig) -> Arm:
    """An unconnected arm for `config`. `name` is the embodiment's arm name ("left"/"right"): it picks
    the arm's 7 dimensions (limits) of the 14-D layout."""
    if name not in embodiment.arm_names:
        raise ValueError(f"arm name {name!r} is not an arm of the embodiment; arms: {', '.join(embodiment.arm_names)}")
    return _REGISTRY.builder_for(config)(config, name, embodiment)


def arm_config_from_dict(data: Mapping[str, Any], key: str = "arm") -> ArmConfig:
    """A config from a YAML mapping with a `type` key. Errors name `key.field`."""
    return _REGISTRY.config_from_dict(data, key)


def _build_piper(config: PiperArmConfig, name: str, embodiment: EmbodimentConfig) -> Arm:
    from eva_core.devices.arms.piper.arm_piper import PiperArm  # imports piper_sdk only now

    return PiperArm(config, name, embodiment)


register_arm("piper", PiperArmConfig, _build_piper)
