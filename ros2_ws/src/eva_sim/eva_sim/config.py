"""Settings of the MuJoCo twin that are not facts about the robot.

Facts about the robot (joint limits, speeds, gripper range, DH numbers, mounts, control rate) come from
the embodiment file only (`eva_core.embodiment`); this file holds the simulator's own choices: servo
gains, integration substeps, camera resolutions and rendering quality.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from eva_core.config import ConfigError
from eva_core.config.validators import integer, positive

CAMERA_NAMES = ("cam_high", "cam_left_wrist", "cam_right_wrist")  # as on the real platform


@dataclass(frozen=True)
class CameraConfig:
    name: str  # one of CAMERA_NAMES
    width: int = 320  # px; the real RealSense streams 640x480, 320x240 keeps CPU rendering fast
    height: int = 240  # px

    def __post_init__(self) -> None:
        if self.name not in CAMERA_NAMES:
            raise ConfigError("name", f"unknown camera {self.name!r}; the twin has {', '.join(CAMERA_NAMES)}")
        for name in ("width", "height"):
            integer(name, getattr(self, name), 16, 4096, unit="(pixels)")


def _default_cameras() -> tuple[CameraConfig, ...]:
    return tuple(CameraConfig(name) for name in CAMERA_NAMES)


@dataclass(frozen=True)
class SimConfig:
    # Physics steps per control tick. The PiPER streams at 200 Hz (5 ms); a whole number of steps per
    # tick keeps command timing exact, and 2 gives a 2.5 ms step, stable with the gains below.
    substeps: int = 2
    # Servo stiffness per joint, N·m/rad. High enough that a joint lags a full-speed (velocity_max)
    # ramp by only a few hundredths of a radian, as the real servo loop does.
    joint_kp: tuple[float, float, float, float, float, float] = (1500.0, 1500.0, 1500.0, 400.0, 400.0, 400.0)
    # Reflected motor + gearbox inertia per joint, kg·m². It dominates the light links' inertia, which
    # keeps the stiff servos stable at a 2.5 ms step and their damping uniform across poses.
    joint_armature: tuple[float, float, float, float, float, float] = (0.15, 0.15, 0.15, 0.04, 0.04, 0.04)
    # Damping as a fraction of critical (computed by MuJoCo at the zero pose); >1 so the extended arm
    # (more inertia than at zero) still does not overshoot.
    joint_damping_ratio: float = 1.5
    gripper_kp: float = 2000.0  # N/m per finger: 1 cm of squeeze on an object gives 20 N
    gripper_force_max: float = 40.0  # N per finger; the PiPER gripper's rated grip is of this order
    # Move the servo set-point toward the command no faster than the embodiment's velocity_max, as the
    # PiPER firmware does; off, a step command is a step set-point (useful only for tests of the servo).
    rate_limit: bool = True
    cameras: tuple[CameraConfig, ...] = field(default_factory=_default_cameras)
    shadows: bool = False  # shadows cost most of the CPU render time (reference.md)
    multisamples: int = 0  # off-screen anti-aliasing samples; 0 = off, for the same reason

    def __post_init__(self) -> None:
        integer("substeps", self.substeps, 1)
        for name in ("joint_kp", "joint_armature"):
            values = getattr(self, name)
            if len(values) != 6:
                raise ConfigError(name, f"needs 6 values (joints 1..6), got {len(values)}")
            for value in values:
                positive(name, value)
        for name in ("joint_damping_ratio", "gripper_kp", "gripper_force_max"):
            positive(name, getattr(self, name))
        integer("multisamples", self.multisamples, 0)
        names = [c.name for c in self.cameras]
        if len(set(names)) != len(names):
            raise ConfigError("cameras", f"each camera at most once, got {names}")

    def camera(self, name: str) -> CameraConfig:
        """The resolution settings of camera `name` (the default 320x240 when not listed)."""
        for camera in self.cameras:
            if camera.name == name:
                return camera
        return CameraConfig(name)

    def with_resolution(self, width: int, height: int) -> SimConfig:
        """A copy with every camera at `width` x `height`."""
        return replace(self, cameras=tuple(CameraConfig(name, width, height) for name in CAMERA_NAMES))
