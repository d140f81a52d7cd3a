"""The device file of a real platform: which arm and camera implementations, on which buses/serials.

    devices = load_devices("config/devices/piper_realsense.yaml")
    arm = make_bimanual(devices.arms, embodiment); cameras = connect_cameras(devices.cameras)

    arms:     {left: {type: piper, channel: can_left}, right: {type: piper, channel: can_right}}
    cameras:  {cam_high: {type: realsense, serial: "..."}, cam_left_wrist: {...}, cam_right_wrist: {...}}

Each entry goes through its kind's factory (`arm_config_from_dict`, `camera_config_from_dict`), so a
bad value gives one error naming e.g. `arms.left.channel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eva_core.config import ConfigError, load_yaml
from eva_core.devices.arms import ArmConfig, arm_config_from_dict
from eva_core.devices.cameras import CameraConfig, camera_config_from_dict


@dataclass(frozen=True)
class DevicesConfig:
    arms: Mapping[str, ArmConfig]  # by arm name (the embodiment's: left, right)
    cameras: Mapping[str, CameraConfig]  # by camera name (cam_high, cam_left_wrist, cam_right_wrist)


def devices_from_dict(data: Mapping, source: str = "") -> DevicesConfig:
    sections = {}
    for section, parse in (("arms", arm_config_from_dict), ("cameras", camera_config_from_dict)):
        entries = data.get(section) or {}
        if not isinstance(entries, Mapping):
            raise ConfigError(section, "must be a mapping of name -> settings", source)
        try:
            sections[section] = {str(name): parse(entry, f"{section}.{name}") for name, entry in entries.items()}
        except ConfigError as err:
            raise err.with_source(source) from None
    return DevicesConfig(sections["arms"], sections["cameras"])


def load_devices(path: str | Path) -> DevicesConfig:
    return devices_from_dict(load_yaml(path), str(path))
