"""Typed, frozen camera configs. Each implementation has one config class with a registered `type`
string; YAML becomes one of these once, at the boundary (`factory.camera_config_from_dict`).

    cameras:
      cam_high:       {type: realsense, serial: "233522071234", width: 640, height: 480, fps: 30}
      cam_left_wrist: {type: replay, dataset: runs/demos, episode: 3, camera: cam_left_wrist}

The `sim` config lives in eva_sim and subclasses `CameraConfig` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from eva_core.config import ConfigError
from eva_core.config.validators import integer, number_in, positive, positive_int


@dataclass(frozen=True)
class CameraConfig:
    """Base of every camera config. `type` names the implementation in the factory's registry."""

    type: ClassVar[str] = ""


@dataclass(frozen=True)
class RealSenseCameraConfig(CameraConfig):
    """An Intel RealSense camera, chosen by serial number, or a RealSense recording of one."""

    type: ClassVar[str] = "realsense"

    # Serial number as printed on the camera and reported by librealsense (a string: leading zeros
    # matter). The only way to tell two identical cameras apart, so it is required.
    serial: str
    # Colour resolution in pixels; 640x480 is what the platform's cameras stream (reference.md).
    width: int = 640
    height: int = 480
    # Frame rate in Hz; 30 is the D4xx colour rate at 640x480 and the teleop recording rate.
    fps: int = 30
    # Also stream depth (z16), aligned to the colour image, delivered in millimetres. Off by default:
    # the policy only uses RGB and alignment costs CPU.
    depth: bool = False
    # Play this RealSense recording (.db3, or .bag from older SDKs) instead of a live device. The
    # recording's device serial must equal `serial`, so a config works unchanged on either.
    recording: Path | None = None
    # Recordings only: True plays at the recorded pace, like a live camera (frames the reader misses
    # are dropped); False hands over every frame, each one held until `read_next` took it (offline
    # processing and tests).
    playback_real_time: bool = True
    # How long the reader thread waits for a frameset before checking for shutdown or the end of a
    # recording, in seconds. Small enough to stop promptly; it does not limit frame age.
    poll_timeout_s: float = 0.1

    def __post_init__(self) -> None:
        if not isinstance(self.serial, str) or not self.serial.strip():
            raise ConfigError("serial", f"must be a non-empty string (quote it in YAML), got {self.serial!r}")
        for name in ("width", "height", "fps"):
            positive_int(name, getattr(self, name))
        if self.recording is not None and not isinstance(self.recording, Path):
            object.__setattr__(self, "recording", Path(self.recording))
        number_in("poll_timeout_s", self.poll_timeout_s, 0, 5, low_open=True, unit="seconds")


@dataclass(frozen=True)
class ReplayCameraConfig(CameraConfig):
    """Plays one camera of one recorded dataset episode (eva_core.data layout) as if it were live."""

    type: ClassVar[str] = "replay"

    # Root of the dataset (the folder holding meta/info.json).
    dataset: Path
    # Camera name in the dataset schema, e.g. "cam_high".
    camera: str
    # Episode index in the dataset.
    episode: int = 0
    # Start over after the last frame; otherwise the last frame is held and goes stale.
    loop: bool = False
    # Serve frames at this rate (Hz) instead of at their recorded timestamps; None keeps the recording's
    # timing, which is what a replayed trial needs.
    rate_hz: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, Path):
            object.__setattr__(self, "dataset", Path(self.dataset))
        if not isinstance(self.camera, str) or not self.camera:
            raise ConfigError("camera", f"must be a camera name of the dataset, got {self.camera!r}")
        integer("episode", self.episode, 0, unit="(an episode index)")
        if self.rate_hz is not None:
            positive("rate_hz", self.rate_hz, unit="Hz (a frame rate, or null)")
