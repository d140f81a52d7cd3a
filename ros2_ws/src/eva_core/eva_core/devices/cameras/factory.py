"""Build a camera from its config; a registry so other packages can add implementations.

    camera = make_camera(RealSenseCameraConfig(serial="233522071234"), name="cam_high")
    config = camera_config_from_dict({"type": "replay", "dataset": "runs/demos", "camera": "cam_high"})

Registering an implementation (what eva_sim does for `sim`):

    register_camera("sim", SimCameraConfig, lambda config, name: SimCamera(config, name))

Packages that are not imported yet are found through the `eva.cameras` entry-point group: each entry
point names a callable that takes no arguments and calls `register_camera`, e.g. in eva_sim's setup.py

    entry_points={"eva.cameras": ["sim = eva_sim.camera:register"]}

Entry points are loaded the first time a type is asked for that is not registered yet, so importing
eva_core never imports MuJoCo. Built-in implementations import their driver (pyrealsense2) only when a
camera of that type is built.
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
from eva_core.devices.cameras.camera import Camera
from eva_core.devices.cameras.configs import CameraConfig, RealSenseCameraConfig, ReplayCameraConfig

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "eva.cameras"

CameraBuilder = Callable[[Any, str], Camera]  # (config, name) -> an unconnected Camera


@dataclass(frozen=True)
class _Registration:
    config_cls: type[CameraConfig]
    builder: CameraBuilder


_registry: dict[str, _Registration] = {}
_lock = threading.Lock()
_plugins_loaded = False


def register_camera(type_name: str, config_cls: type[CameraConfig], builder: CameraBuilder) -> None:
    """Make `type_name` buildable. `config_cls.type` must equal `type_name`. Registering the same
    (config class, builder) again is a no-op; a different one under a taken name is an error."""
    if not (isinstance(config_cls, type) and issubclass(config_cls, CameraConfig)):
        raise TypeError(f"camera type {type_name!r}: config class must subclass CameraConfig, got {config_cls!r}")
    if not dataclasses.is_dataclass(config_cls):
        raise TypeError(f"camera type {type_name!r}: {config_cls.__name__} must be a dataclass")
    if config_cls.type != type_name:
        raise ValueError(f"{config_cls.__name__}.type is {config_cls.type!r}, registered as {type_name!r}")
    reg = _Registration(config_cls, builder)
    with _lock:
        old = _registry.get(type_name)
        if old is not None and old != reg:
            raise ValueError(f"camera type {type_name!r} is already registered by {old.config_cls.__module__}")
        _registry[type_name] = reg


def unregister_camera(type_name: str) -> None:
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
        except Exception as err:  # a broken optional plug-in must not hide the built-in cameras
            log.warning("camera plug-in %s (%s) failed to load: %s", ep.name, ep.value, err)
            continue
        if callable(hook):
            hook()


def camera_types() -> tuple[str, ...]:
    """Every registered type, plug-ins included."""
    _load_plugins()
    return tuple(sorted(_registry))


def _lookup(type_name: str) -> _Registration:
    reg = _registry.get(type_name)
    if reg is None:
        _load_plugins()
        reg = _registry.get(type_name)
    if reg is None:
        raise ConfigError("type", f"unknown camera type {type_name!r}; known: {', '.join(camera_types())}")
    return reg


def make_camera(config: CameraConfig, name: str | None = None) -> Camera:
    """An unconnected camera for `config`; `name` defaults to the config's type."""
    reg = _lookup(type(config).type)
    if not isinstance(config, reg.config_cls):
        raise TypeError(f"camera type {type(config).type!r} expects {reg.config_cls.__name__}, "
                        f"got {type(config).__name__}")
    return reg.builder(config, name or type(config).type)


def camera_config_from_dict(data: Mapping[str, Any], key: str = "camera") -> CameraConfig:
    """A config from a YAML mapping with a `type` key. Errors name `key.field`."""
    if not isinstance(data, Mapping):
        raise ConfigError(key, f"must be a mapping with a 'type', got {type(data).__name__}")
    values = dict(data)
    type_name = values.pop("type", None)
    if not isinstance(type_name, str):
        raise ConfigError(f"{key}.type", f"must name a camera type, got {type_name!r}")
    try:
        config_cls = _lookup(type_name).config_cls
    except ConfigError as err:
        raise ConfigError(f"{key}.type", err.problem) from None
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}", f"unknown field for a {type_name} camera; "
                          f"fields: {', '.join(fields)}")
    missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{key}.{missing[0]}", f"required for a {type_name} camera")
    try:
        return config_cls(**values)
    except ConfigError as err:
        raise ConfigError(f"{key}.{err.key}", err.problem) from None


# --- built-in implementations (driver imported on first use) --------------------------------------


def _build_realsense(config: RealSenseCameraConfig, name: str) -> Camera:
    from eva_core.devices.cameras.realsense.camera_realsense import RealSenseCamera

    return RealSenseCamera(config, name)


def _build_replay(config: ReplayCameraConfig, name: str) -> Camera:
    from eva_core.devices.cameras.replay.camera_replay import ReplayCamera

    return ReplayCamera(config, name)


register_camera(RealSenseCameraConfig.type, RealSenseCameraConfig, _build_realsense)
register_camera(ReplayCameraConfig.type, ReplayCameraConfig, _build_replay)
