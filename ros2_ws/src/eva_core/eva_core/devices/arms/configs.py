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

from dataclasses import dataclass
from typing import ClassVar

from eva_core.config import ConfigError
from eva_core.config.validators import integer, number_in, one_of


@dataclass(frozen=True)
class ArmConfig:
    """Base of every arm config. `type` names the implementation in the factory's registry."""

    type: ClassVar[str] = ""


CAN_INTERFACES = ("socketcan", "virtual")  # PiperArmConfig.can_interface
TELEOP_ROLES = ("none", "leader", "follower")  # PiperArmConfig.teleop_role


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
        one_of("can_interface", self.can_interface, CAN_INTERFACES)
        integer("speed_rate", self.speed_rate, 1, 100, unit="(percent)")
        integer("gripper_effort", self.gripper_effort, 0, 5000, unit="(0.001 N·m)")
        number_in("feedback_timeout_s", self.feedback_timeout_s, 0.0, 1.0, low_open=True, unit="seconds")
        number_in("watchdog_period_s", self.watchdog_period_s, 0.0, 0.1, low_open=True, unit="seconds")
        if self.watchdog_period_s >= self.feedback_timeout_s:
            raise ConfigError("watchdog_period_s", "must be shorter than feedback_timeout_s")
        number_in("tracking_error_rad", self.tracking_error_rad, 0, 3.2, low_open=True, unit="rad")
        number_in("tracking_timeout_s", self.tracking_timeout_s, 0.0, 10.0, low_open=True, unit="seconds")
        one_of("teleop_role", self.teleop_role, TELEOP_ROLES)
