"""Typed, frozen arm configs. Each implementation has one config class with a registered `type`
string; YAML becomes one of these once, at the boundary (`factory.arm_config_from_dict`).

    arms:
      left:  {type: piper, channel: can_left}
      right: {type: piper, channel: can_right}
      # in simulation:  left: {type: sim}   right: {type: sim}
      # against the CAN emulator:  {type: piper, channel: can_left, can_interface: virtual}

The `sim` config lives in eva_sim and subclasses `ArmConfig` the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from eva_core.config import ConfigError

CAN_INTERFACES = ("socketcan", "virtual")
TELEOP_ROLES = ("none", "leader", "follower")


@dataclass(frozen=True)
class ArmConfig:
    """Base of every arm config. `type` names the implementation in the factory's registry."""

    type: ClassVar[str] = ""


def _seconds(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low < value <= high:
        raise ConfigError(name, f"must be in ({low}, {high}] seconds, got {value!r}")


@dataclass(frozen=True)
class PiperArmConfig(ArmConfig):
    """An AgileX PiPER arm driven through piper_sdk (`C_PiperInterface_V2`, one per CAN channel)."""

    type: ClassVar[str] = "piper"

    # CAN channel of this arm, as renamed on the host (one bus per arm: can_left, can_right).
    channel: str
    # python-can interface: "socketcan" for the robot, "virtual" for the in-process PiPER emulator
    # (eva_sim.can_emulator). One typed choice rather than a "simulated" flag.
    can_interface: str = "socketcan"
    # Firmware speed rate for joint mode (MotionCtrl_2 move_spd_rate_ctrl, percent). 100: the guard
    # already limits velocity and acceleration; a lower rate would make the arm lag the stream.
    speed_rate: int = 100
    # Gripper effort sent with every gripper command, in 0.001 N·m (SDK unit); 1000 = 1 N·m, the
    # value AgileX's demos use.
    gripper_effort: int = 1000
    # Feedback older than this latches a "feedback_lost" fault, in s. Joint feedback comes at 200 Hz
    # (every 5 ms): 30 ms is six missed frames, and with the watchdog period it keeps detection well
    # under the 50 ms the acceptance criteria ask for.
    feedback_timeout_s: float = 0.03
    # Watchdog poll period, in s: bounds the detection latency on top of the timeout.
    watchdog_period_s: float = 0.002
    # Stuck-joint detection (eva_core.devices.arms.tracking): a joint farther than tracking_error_rad
    # from its last command for longer than tracking_timeout_s latches a "tracking" fault. Commands
    # pass the guard (at most v_max), which a healthy PiPER in joint mode follows within a few
    # hundredths of a radian; 0.2 rad for 0.25 s is a joint that is not moving with its commands.
    tracking_error_rad: float = 0.2
    tracking_timeout_s: float = 0.25
    # Leader/follower teleop: "leader" configures the arm as the teaching input (MasterSlaveConfig
    # 0xFA), "follower" as the arm the firmware moves from the leader (0xFC); both are then read-only
    # for software (recording), and `send` is refused. "none": software commands the arm.
    teleop_role: str = "none"
    # Firmware version string to expect ("S-V1.6-3"); None accepts any. A mismatch fails `connect`.
    expect_firmware: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.channel, str) or not self.channel.strip():
            raise ConfigError("channel", f"must name a CAN channel (e.g. can_left), got {self.channel!r}")
        if self.can_interface not in CAN_INTERFACES:
            raise ConfigError("can_interface", f"must be one of {', '.join(CAN_INTERFACES)}, got {self.can_interface!r}")
        if isinstance(self.speed_rate, bool) or not isinstance(self.speed_rate, int) or not 1 <= self.speed_rate <= 100:
            raise ConfigError("speed_rate", f"must be an integer percentage in 1..100, got {self.speed_rate!r}")
        effort = self.gripper_effort
        if isinstance(effort, bool) or not isinstance(effort, int) or not 0 <= effort <= 5000:
            raise ConfigError("gripper_effort", f"must be an integer in 0..5000 (0.001 N·m), got {self.gripper_effort!r}")
        _seconds("feedback_timeout_s", self.feedback_timeout_s, 0.0, 1.0)
        _seconds("watchdog_period_s", self.watchdog_period_s, 0.0, 0.1)
        if self.watchdog_period_s >= self.feedback_timeout_s:
            raise ConfigError("watchdog_period_s", "must be shorter than feedback_timeout_s")
        if isinstance(self.tracking_error_rad, bool) or not isinstance(self.tracking_error_rad, (int, float)) or not 0.0 < self.tracking_error_rad <= 3.2:
            raise ConfigError("tracking_error_rad", f"must be in (0, 3.2] rad, got {self.tracking_error_rad!r}")
        _seconds("tracking_timeout_s", self.tracking_timeout_s, 0.0, 10.0)
        if self.teleop_role not in TELEOP_ROLES:
            raise ConfigError("teleop_role", f"must be one of {', '.join(TELEOP_ROLES)}, got {self.teleop_role!r}")
