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

from collections.abc import Callable, Mapping
from typing import Any

from eva_core.devices.cameras.camera import Camera
from eva_core.devices.cameras.configs import CameraConfig, RealSenseCameraConfig, ReplayCameraConfig
from eva_core.registry import Registry

ENTRY_POINT_GROUP = "eva.cameras"

CameraBuilder = Callable[[Any, str], Camera]  # (config, name) -> an unconnected Camera

_REGISTRY = Registry("camera", CameraConfig, ENTRY_POINT_GROUP)

register_camera = _REGISTRY.register  # (type_name, config class, CameraBuilder): make a type buildable
unregister_camera = _REGISTRY.unregister  # (type_name): remove a registration (tests)
camera_types = _REGISTRY.types  # () -> every registered type, plug-ins included


def make_camera(config: CameraConfig, name: str | None = None) -> Camera:
    """An unconnected camera for `config`; `name` defaults to the config's type."""
    return _REGISTRY.builder_for(config)(config, name or type(config).type)


def camera_config_from_dict(data: Mapping[str, Any], key: str = "camera") -> CameraConfig:
    """A config from a YAML mapping with a `type` key. Errors name `key.field`."""
    return _REGISTRY.config_from_dict(data, key)


# --- built-in implementations (driver imported on first use) --------------------------------------


def _build_realsense(config: RealSenseCameraConfig, name: str) -> Camera:
    from eva_core.devices.cameras.realsense.camera_realsense import RealSenseCamera

    return RealSenseCamera(config, name)


def _build_replay(config: ReplayCameraConfig, name: str) -> Camera:
    from eva_core.devices.cameras.replay.camera_replay import ReplayCamera

    return ReplayCamera(config, name)


register_camera(RealSenseCameraConfig.type, RealSenseCameraConfig, _build_realsense)
register_camera(ReplayCameraConfig.type, ReplayCameraConfig, _build_replay)
