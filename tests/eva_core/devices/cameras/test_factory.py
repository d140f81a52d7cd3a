"""Registry, YAML-to-config, config validation and the plug-in hook."""

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from eva_core.config import ConfigError
from eva_core.devices.cameras import (
    Camera,
    CameraConfig,
    Frame,
    RealSenseCameraConfig,
    ReplayCameraConfig,
    camera_config_from_dict,
    camera_types,
    make_camera,
    register_camera,
    unregister_camera,
)
from eva_core.devices.cameras.realsense.camera_realsense import RealSenseCamera
from eva_core.devices.cameras.replay.camera_replay import ReplayCamera


def test_builtin_types_build_their_cameras():
    assert {"realsense", "replay"} <= set(camera_types())
    cam = make_camera(RealSenseCameraConfig(serial="123"), name="cam_high")
    assert isinstance(cam, RealSenseCamera) and cam.name == "cam_high" and not cam.is_connected
    assert isinstance(make_camera(ReplayCameraConfig(dataset=Path("x"), camera="c")), ReplayCamera)


def test_config_from_yaml_mapping():
    cfg = camera_config_from_dict({"type": "realsense", "serial": "0042", "fps": 15, "recording": "a.db3"})
    assert cfg == RealSenseCameraConfig(serial="0042", fps=15, recording=Path("a.db3"))
    with pytest.raises(ConfigError, match=r"cameras\.cam_high\.type: unknown camera type 'usb'"):
        camera_config_from_dict({"type": "usb"}, key="cameras.cam_high")
    with pytest.raises(ConfigError, match=r"camera\.serail: unknown field"):
        camera_config_from_dict({"type": "realsense", "serail": "1"})
    with pytest.raises(ConfigError, match=r"camera\.serial: required"):
        camera_config_from_dict({"type": "realsense"})
    with pytest.raises(ConfigError, match=r"camera\.fps: must be a positive integer"):
        camera_config_from_dict({"type": "realsense", "serial": "1", "fps": 0})


@pytest.mark.parametrize("kw, field", [
    ({"serial": 42}, "serial"), ({"serial": "1", "width": -1}, "width"), ({"serial": "1", "height": 1.5}, "height"),
])
def test_realsense_config_rejects_bad_values(kw, field):
    with pytest.raises(ConfigError, match=rf"^{field}:"):
        RealSenseCameraConfig(**kw)


def test_replay_config_rejects_bad_values():
    with pytest.raises(ConfigError, match="^rate_hz:"):
        ReplayCameraConfig(dataset=Path("x"), camera="c", rate_hz=0)
    with pytest.raises(ConfigError, match="^episode:"):
        ReplayCameraConfig(dataset=Path("x"), camera="c", episode=-1)


@dataclass(frozen=True)
class _DummyConfig(CameraConfig):
    type: ClassVar[str] = "dummy"
    value: int = 0


class _DummyCamera(Camera):
    def __init__(self, config, name):
        super().__init__(name)
        self.config, self.connected = config, False

    @property
    def is_connected(self):
        return self.connected

    def connect(self):
        self.connected = True

    def disconnect(self):
        self.connected = False

    def _newest(self):
        return None


def test_register_a_plugin_type():
    register_camera("dummy", _DummyConfig, _DummyCamera)
    try:
        register_camera("dummy", _DummyConfig, _DummyCamera)  # idempotent
        with pytest.raises(ValueError, match="already registered"):
            register_camera("dummy", _DummyConfig, lambda c, n: _DummyCamera(c, n))
        assert "dummy" in camera_types()
        cfg = camera_config_from_dict({"type": "dummy", "value": 3})
        cam = make_camera(cfg, "d")
        assert isinstance(cam, _DummyCamera) and cam.config.value == 3
        with cam:
            assert cam.is_connected
    finally:
        unregister_camera("dummy")
    assert "dummy" not in camera_types()


def test_register_checks_the_type_string():
    with pytest.raises(ValueError, match="registered as 'other'"):
        register_camera("other", _DummyConfig, _DummyCamera)


def test_frame_age():
    import numpy as np

    f = Frame(np.zeros((1, 1, 3), np.uint8), timestamp_s=5.0, host_time_s=10.0, frame_number=0)
    assert f.age_s(10.5) == pytest.approx(0.5)
