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

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from eva_core.config import ConfigError
from eva_core.devices.arms.arm import Arm
from eva_core.devices.arms.configs import ArmConfig, PiperArmConfig
from eva_core.embodiment.config import EmbodimentConfig

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "eva.arms"

ArmBuilder = Callable[[Any, str, EmbodimentConfig], Arm]  # (config, name, embodiment) -> an unconnected Arm


@dataclass(frozen=True)
class _Registration:
    config_cls: type[ArmConfig]
    builder: ArmBuilder


_registry: dict[str, _Registration] = {}
_lock = threading.Lock()
_plugins_loaded = False


def register_arm(type_name: str, config_cls: type[ArmConfig], builder: ArmBuilder) -> None:
    """Make `type_name` buildable. `config_cls.type` must equal `type_name`. Registering the same
    (config class, builder) again is a no-op; a different one under a taken name is an error."""
    if not (isinstance(config_cls, type) and issubclass(config_cls, ArmConfig)):
        raise TypeError(f"arm type {type_name!r}: config class must subclass ArmConfig, got {config_cls!r}")
    if not dataclasses.is_dataclass(config_cls):
        raise TypeError(f"arm type {type_name!r}: {config_cls.__name__} must be a dataclass")
    if config_cls.type != type_name:
        raise ValueError(f"{config_cls.__name__}.type is {config_cls.type!r}, registered as {type_name!r}")
    reg = _Registration(config_cls, builder)
    with _lock:
        old = _registry.get(type_name)
        if old is not None and old != reg:
            raise ValueError(f"arm type {type_name!r} is already registered by {old.config_cls.__module__}")
        _registry[type_name] = reg


def unregister_arm(type_name: str) -> None:
    """Remove a registration (tests)."""
    with _lock:
        _registry.pop(type_name, None)


def _load_plugins() -> None:
    global _plugins_loaded
    with _lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            hook = ep.load()
        except Exception as err:  # a broken optional plug-in must not hide the built-in arms
            log.warning("arm plug-in %s (%s) failed to load: %s", ep.name, ep.value, err)
            continue
        if callable(hook):
            hook()


def arm_types() -> tuple[str, ...]:
    """Every registered type, plug-ins included."""
    _load_plugins()
    return tuple(sorted(_registry))


def _lookup(type_name: str) -> _Registration:
    reg = _registry.get(type_name)
    if reg is None:
        _load_plugins()
        reg = _registry.get(type_name)
    if reg is None:
        raise ConfigError("type", f"unknown arm type {type_name!r}; known: {', '.join(arm_types())}")
    return reg


def make_arm(config: ArmConfig, name: str, embodiment: EmbodimentConfig) -> Arm:
    """An unconnected arm for `config`. `name` is the embodiment's arm name ("left"/"right"): it picks
    the arm's 7 dimensions (limits) of the 14-D layout."""
    if name not in embodiment.arm_names:
        raise ValueError(f"arm name {name!r} is not an arm of the embodiment; arms: {', '.join(embodiment.arm_names)}")
    reg = _lookup(type(config).type)
    if not isinstance(config, reg.config_cls):
        raise TypeError(f"arm type {type(config).type!r} expects {reg.config_cls.__name__}, got {type(config).__name__}")
    return reg.builder(config, name, embodiment)


def arm_config_from_dict(data: Mapping[str, Any], key: str = "arm") -> ArmConfig:
    """A config from a YAML mapping with a `type` key. Errors name `key.field`."""
    if not isinstance(data, Mapping):
        raise ConfigError(key, f"must be a mapping with a 'type', got {type(data).__name__}")
    values = dict(data)
    type_name = values.pop("type", None)
    if not isinstance(type_name, str):
        raise ConfigError(f"{key}.type", f"must name an arm type, got {type_name!r}")
    try:
        config_cls = _lookup(type_name).config_cls
    except ConfigError as err:
        raise ConfigError(f"{key}.type", err.problem) from None
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", f"unknown field for a {type_name} arm; fields: {', '.join(fields)}")
    missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{key}.{missing[0]}", f"required for a {type_name} arm")
    try:
        return config_cls(**values)
    except ConfigError as err:
        raise ConfigError(f"{key}.{err.key}", err.problem) from None


def _build_piper(config: PiperArmConfig, name: str, embodiment: EmbodimentConfig) -> Arm:
    from eva_core.devices.arms.piper.arm_piper import PiperArm  # imports piper_sdk only now

    return PiperArm(config, name, embodiment)


register_arm("piper", PiperArmConfig, _build_piper)
