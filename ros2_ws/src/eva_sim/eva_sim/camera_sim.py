"""The `sim` camera: one of the twin's cameras behind the same `Camera` interface as a RealSense.

    cameras:
      cam_high: {type: sim, camera: cam_high, width: 640, height: 480}

It renders the twin that the `sim` arms of the same `twin` name drive (`arm_sim.shared_twin`), so the
images show what the simulated arms do. Frames are rendered on demand in the reading thread (an EGL
context belongs to the thread that made it) and stamped with the host time of the render, so a live
sim camera is never stale. `freeze()` simulates a lost camera for fault tests: the last frame keeps its
old stamp and `read_latest` raises `StaleFrameError` once it ages past the caller's limit.

Registered with the camera factory through the `eva.cameras` entry-point group (`register`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import ClassVar

import mujoco

from eva_core.config import ConfigError
from eva_core.devices.cameras import Camera, CameraConfig, CameraNotConnectedError, Frame, register_camera
from eva_core.embodiment import load_embodiment
from eva_sim.arm_sim import SimArmConfig, shared_twin
from eva_sim.config import CAMERA_NAMES, CameraConfig as TwinCameraConfig
from eva_sim.render import TwinRenderer


@dataclass(frozen=True)
class SimCameraConfig(CameraConfig):
    type: ClassVar[str] = "sim"

    camera: str = "cam_high"  # which of the twin's cameras
    width: int = 320  # px; the real cameras stream 640x480, 320x240 keeps CPU rendering fast
    height: int = 240  # px
    twin: str = "default"  # the shared twin the `sim` arms of this name drive

    def __post_init__(self) -> None:
        if self.camera not in CAMERA_NAMES:
            raise ConfigError("camera", f"unknown camera {self.camera!r}; the twin has {', '.join(CAMERA_NAMES)}")
        TwinCameraConfig(self.camera, self.width, self.height)  # validates the resolution


class SimCamera(Camera):
    def __init__(self, config: SimCameraConfig, name: str, embodiment=None):
        super().__init__(name)
        self.config = config
        self._embodiment = embodiment or load_embodiment()
        self._twin = None
        self._renderers: dict[int, TwinRenderer] = {}  # per thread: a GL context is thread-bound
        self._frame_number = 0
        self._frozen: Frame | None = None

    @property
    def is_connected(self) -> bool:
        return self._twin is not None

    def connect(self) -> None:
        if self._twin is None:
            self._twin = shared_twin(SimArmConfig(twin=self.config.twin), self._embodiment)
            self._twin.acquire()

    def disconnect(self) -> None:
        if self._twin is not None:
            for renderer in self._renderers.values():
                renderer.close()
            self._renderers.clear()
            self._twin.release()
            self._twin = None

    def freeze(self, frozen: bool = True) -> None:
        """Fault injection: stop producing frames (True) or resume (False)."""
        self._frozen = self._render() if frozen else None

    def _newest(self) -> Frame:
        return self._frozen if self._frozen is not None else self._render()

    def _render(self) -> Frame:
        if self._twin is None:
            raise CameraNotConnectedError(f"{self.name}: not connected")
        key = threading.get_ident()
        renderer = self._renderers.get(key)
        robot = self._twin.robot
        if renderer is None:
            camera = TwinCameraConfig(self.config.camera, self.config.width, self.config.height)
            renderer = self._renderers[key] = TwinRenderer(robot.model, (camera,))
        with self._twin.lock:
            mujoco.mj_kinematics(robot.model, robot.data)
            mujoco.mj_camlight(robot.model, robot.data)
            image = renderer.render(robot.data, self.config.camera)
            stamp = time.time()
        self._frame_number += 1
        image.setflags(write=False)
        return Frame(image=image, timestamp_s=stamp, host_time_s=stamp, frame_number=self._frame_number)


def register() -> None:
    """Entry point of the `eva.cameras` group: make the `sim` camera type buildable (idempotent)."""
    register_camera("sim", SimCameraConfig, lambda config, name: SimCamera(config, name))
