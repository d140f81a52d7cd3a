"""The AgileX PiPER arm through the real piper_sdk (`C_PiperInterface_V2`, one per CAN channel).

    arm = PiperArm(PiperArmConfig(channel="can_left"), "left", embodiment)
    arm.connect()        # CreateCanBus + ConnectPort, waits for the first feedback, starts the watchdog
    arm.enable()         # EnableArm(7) + gripper enable until every driver reads back enabled, then
                         # MotionCtrl_2(0x01 CAN, 0x01 MOVE J, speed_rate, 0x00) until the firmware
                         # reports CAN command mode
    arm.send(q7)         # guard → JointCtrl (0.001°) + GripperCtrl (0.001 mm)

Units are converted here and only here (`units.py`). The SDK object is a singleton per channel name,
so two PiperArm on one channel share it (do not do that).

Watchdog (a thread, every `watchdog_period_s`): joint or status feedback older than
`feedback_timeout_s`, a non-normal arm status, a motor driver reporting an error, or a joint that does
not follow its commands (`tracking_error_rad` for `tracking_timeout_s`: stuck or blocked) latches a fault
in the firmware's words; from then on nothing is sent (the firmware holds its last target) and
commands raise `ArmFaultError` until `resume()` sees normal, fresh feedback again.

E-stop is `EmergencyStop(0x01)` and resume `EmergencyStop(0x02)`. `ResetPiper` is never used: it
cuts motor power and the arm falls.

Leader/follower teleop (`teleop_role`): `connect` sends `MasterSlaveConfig(0xFA leader | 0xFC
follower, 0, 0, 0)`; the firmware then moves the follower from the leader and software only records:
`read_leader_command()` (the leader's joint/gripper commands, `GetArmJointCtrl`/`GetArmGripperCtrl`)
and `read_state()` (the follower's feedback). `enable`/`send` are refused in those roles. Note that on
python-can's `virtual` bus the SDK also receives its own command frames, so `read_leader_command` on
an arm this process commands would return its own commands; it is meant for the leader's channel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from eva_core.devices.arms.arm import (
    Arm,
    ArmEnableError,
    ArmError,
    ArmFault,
    ArmNotConnectedError,
    ArmState,
    arm_limits,
)
from eva_core.devices.arms.configs import PiperArmConfig
from eva_core.devices.arms.piper import units
from eva_core.devices.arms.tracking import TrackingMonitor
from eva_core.embodiment.config import EmbodimentConfig

log = logging.getLogger(__name__)

# Firmware constants (piper_sdk / AgileX CAN protocol V2).
CTRL_MODE_CAN = 0x01
MOVE_MODE_JOINT = 0x01
ENABLE_FLAG = 0x02
DISABLE_FLAG = 0x01
ALL_MOTORS = 7
GRIPPER_ENABLE = 0x01
GRIPPER_DISABLE = 0x00
ESTOP = 0x01
ESTOP_RESUME = 0x02
LEADER = 0xFA
FOLLOWER = 0xFC
STATUS_NORMAL = 0x00

# Driver (0x261-0x266 foc_status) bits that mean the motor cannot be trusted.
_DRIVER_FAULT_FLAGS = ("driver_error_status", "collision_status", "stall_status", "driver_overcurrent")


def _status_names():
    """The firmware's names for its status codes, as piper_sdk spells them."""
    from piper_sdk.piper_msgs.msg_v2.feedback.arm_feedback_status import ArmMsgFeedbackStatusEnum

    return ArmMsgFeedbackStatusEnum.ArmStatus


def _joints_mdeg(joint_state) -> list[int]:
    """Joints 1-6 of an SDK joint feedback message, in its unit (0.001°)."""
    return [joint_state.joint_1, joint_state.joint_2, joint_state.joint_3, joint_state.joint_4, joint_state.joint_5, joint_state.joint_6]


def status_name(code: int) -> str:
    try:
        return _status_names()(code).name
    except ValueError:
        return f"UNKNOWN_STATUS_{code:#04x}"


def error_bits_text(err_code: int) -> str:
    """The firmware's error bits in words: joint angle limits (bits 8-13), joint comms (bits 0-5)."""
    words = [f"joint_{i + 1}_angle_limit" for i in range(6) if err_code & (1 << (8 + i))]
    words += [f"communication_status_joint_{i + 1}" for i in range(6) if err_code & (1 << i)]
    return ", ".join(words) if words else "none"


class PiperArm(Arm):
    """One PiPER on one CAN channel; see the module docstring."""

    def __init__(
        self,
        config: PiperArmConfig,
        name: str,
        embodiment: EmbodimentConfig,
        clock: Callable[[], float] = time.time,
    ):
        safety = embodiment.safety
        super().__init__(
            name,
            arm_limits(embodiment, name),
            embodiment.control_dt,
            safety.command_timeout_s,
            safety.state_tolerance_rad,
            clock,
        )
        self.config = config
        self._opening_max_m = embodiment.arm.gripper.opening_max_m
        self._sdk = None
        self._connected_at = float("inf")
        self._watchdog: threading.Thread | None = None
        self._stop = threading.Event()
        self.firmware_version: str | None = None
        self._tracking = TrackingMonitor(config.tracking_error_rad, config.tracking_timeout_s)
        self._last_command: np.ndarray | None = None  # joints 1-6 of the last JointCtrl written, rad

    # -- lifecycle -----------------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._sdk is not None

    def _connect(self) -> None:
        from piper_sdk import C_PiperInterface_V2

        cfg = self.config
        socketcan = cfg.can_interface == "socketcan"
        sdk = C_PiperInterface_V2(cfg.channel, judge_flag=socketcan, can_auto_init=False)
        try:
            sdk.CreateCanBus(cfg.channel, bustype=cfg.can_interface, judge_flag=socketcan)
        except ConnectionError as err:
            raise ArmNotConnectedError(
                f"{self.name}: cannot open CAN channel {cfg.channel!r} ({cfg.can_interface}): {err}"
            ) from err
        if not socketcan:
            self._share_virtual_bus(sdk)
        self._connected_at = self.now()
        sdk.ConnectPort(can_init=False, piper_init=True)  # piper_init: limit + firmware queries
        self._sdk = sdk
        try:
            self._wait_first_feedback(timeout_s=1.0)
            self.firmware_version = self._wait_firmware(timeout_s=0.5)
            if cfg.expect_firmware is not None and self.firmware_version != cfg.expect_firmware:
                raise ArmError(
                    f"{self.name}: firmware {self.firmware_version!r} on {cfg.channel}, expected {cfg.expect_firmware!r}"
                )
            if cfg.teleop_role != "none":
                sdk.MasterSlaveConfig(LEADER if cfg.teleop_role == "leader" else FOLLOWER, 0, 0, 0)
        except BaseException:
            self._close_sdk()
            raise
        self._stop.clear()
        self._watchdog = threading.Thread(target=self._watch, name=f"piper-watchdog-{self.name}", daemon=True)
        self._watchdog.start()

    @staticmethod
    def _share_virtual_bus(sdk) -> None:
        """On Linux the SDK opens two buses per channel, one to receive and one to send. On python-can's
        in-process `virtual` interface every frame is then also queued on the send bus, which nobody
        reads (memory grows by ~3,400 frames/s per arm, each deep-copied), and the SDK reads back its
        own commands. Use one bus for both, which is what the SDK itself does on Windows and macOS
        (`C_STD_CAN._share_bus_between_rx_tx`)."""
        can_bus = sdk.GetCanBus()
        recv_bus, send_bus = getattr(can_bus, "recv_bus", None), getattr(can_bus, "send_bus", None)
        if recv_bus is not None and send_bus is not None and send_bus is not recv_bus:
            send_bus.shutdown()
            can_bus.send_bus = recv_bus
            can_bus._share_bus_between_rx_tx = True

    def _wait_first_feedback(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._joint_stamp() >= self._connected_at and self._status_stamp() >= self._connected_at:
                return
            time.sleep(0.002)
        raise ArmNotConnectedError(
            f"{self.name}: no feedback from a PiPER on {self.config.channel!r} ({self.config.can_interface}) "
            f"within {timeout_s:.1f} s: is the arm powered and the channel right?"
        )

    def _wait_firmware(self, timeout_s: float) -> str | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            version = self._sdk.GetPiperFirmwareVersion()
            if isinstance(version, str):
                return version
            time.sleep(0.005)
        log.warning("%s: no firmware version reply on %s", self.name, self.config.channel)
        return None

    def _disconnect(self) -> None:
        self._stop.set()
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=1.0)
        self._watchdog = None
        self._close_sdk()

    def _close_sdk(self) -> None:
        sdk, self._sdk = self._sdk, None
        if sdk is not None:
            sdk.DisconnectPort()

    def _enable(self, timeout_s: float) -> None:
        if self.config.teleop_role != "none":
            raise ArmError(f"{self.name}: teleop {self.config.teleop_role}: the firmware moves this arm, software only records")
        sdk = self._sdk
        start = self.now()
        deadline = time.monotonic() + timeout_s
        while True:
            sdk.EnableArm(ALL_MOTORS, ENABLE_FLAG)
            gripper = abs(int(sdk.GetArmGripperMsgs().gripper_state.grippers_angle))
            sdk.GripperCtrl(gripper, self.config.gripper_effort, GRIPPER_ENABLE, 0)
            if self._poll(lambda: self._drivers_enabled(since=start), min(0.05, max(0.0, deadline - time.monotonic()))):
                break
            if time.monotonic() >= deadline:
                raise ArmEnableError(
                    f"{self.name}: motors not enabled within {timeout_s:.2f} s; drivers report enabled="
                    f"{sdk.GetArmEnableStatus()}, {self._status_text()}"
                )
        self._enter_joint_mode(deadline, timeout_s)
        self._forget_command()

    def _forget_command(self) -> None:
        """No command to track until the next write (after enable, resume, disable)."""
        self._last_command = None
        self._tracking.reset()

    def _enter_joint_mode(self, deadline: float, timeout_s: float) -> None:
        sdk = self._sdk
        while True:
            sdk.MotionCtrl_2(CTRL_MODE_CAN, MOVE_MODE_JOINT, self.config.speed_rate, 0x00)
            if self._poll(lambda: sdk.GetArmStatus().arm_status.ctrl_mode == CTRL_MODE_CAN,
                          min(0.05, max(0.0, deadline - time.monotonic()))):
                return
            if time.monotonic() >= deadline:
                raise ArmEnableError(
                    f"{self.name}: firmware did not enter CAN joint mode within {timeout_s:.2f} s; {self._status_text()}"
                )

    def _drivers_enabled(self, since: float) -> bool:
        low = self._sdk.GetArmLowSpdInfoMsgs()
        return low.time_stamp >= since and all(self._sdk.GetArmEnableStatus())

    @staticmethod
    def _poll(predicate: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)

    def _disable(self) -> None:
        sdk = self._sdk
        with self._lock:
            sdk.DisableArm(ALL_MOTORS, DISABLE_FLAG)
            gripper = abs(int(sdk.GetArmGripperMsgs().gripper_state.grippers_angle))
            sdk.GripperCtrl(gripper, self.config.gripper_effort, GRIPPER_DISABLE, 0)
            self._forget_command()

    # -- state ---------------------------------------------------------------------------------------

    def _joint_stamp(self) -> float:
        return float(self._sdk.GetArmJointMsgs().time_stamp)

    def _status_stamp(self) -> float:
        return float(self._sdk.GetArmStatus().time_stamp)

    def _read(self) -> ArmState:
        sdk = self._sdk
        if sdk is None:
            raise ArmNotConnectedError(f"{self.name}: not connected")
        joints = sdk.GetArmJointMsgs()
        gripper = sdk.GetArmGripperMsgs()
        status = sdk.GetArmStatus()
        high = sdk.GetArmHighSpdInfoMsgs()
        js = joints.joint_state
        position = units.sdk_to_q7(
            _joints_mdeg(js),
            gripper.gripper_state.grippers_angle,
            self._opening_max_m,
        )
        velocity = np.zeros(7)  # the gripper's speed is not reported: 0
        velocity[:6] = [getattr(high, f"motor_{i}").motor_speed / 1000.0 for i in range(1, 7)]  # 0.001 rad/s
        stamp = float(joints.time_stamp)
        code = int(status.arm_status.arm_status)
        return ArmState(
            position=position,
            timestamp_s=stamp if stamp >= self._connected_at else float("nan"),
            status_code=code,
            status_name=status_name(code),
            error_code=int(status.arm_status.err_code),
            enabled=tuple(bool(e) for e in sdk.GetArmEnableStatus()),
            ctrl_mode=int(status.arm_status.ctrl_mode),
            velocity=velocity,
        )

    def read_leader_command(self) -> tuple[np.ndarray, float]:
        """The leader arm's latest joint+gripper command as a 7-D vector, and its frame time (nan when
        none has arrived since connect). For recording in leader/follower teleop."""
        if self._sdk is None:
            raise ArmNotConnectedError(f"{self.name}: not connected")
        joints = self._sdk.GetArmJointCtrl()
        gripper = self._sdk.GetArmGripperCtrl()
        jc = joints.joint_ctrl
        q = units.sdk_to_q7(
            [jc.joint_1, jc.joint_2, jc.joint_3, jc.joint_4, jc.joint_5, jc.joint_6],
            gripper.gripper_ctrl.grippers_angle,
            self._opening_max_m,
        )
        stamp = float(joints.time_stamp)
        return q, (stamp if stamp >= self._connected_at else float("nan"))

    def _status_text(self) -> str:
        st = self._sdk.GetArmStatus().arm_status
        return (f"arm status {int(st.arm_status):#04x} {status_name(int(st.arm_status))}, ctrl mode {int(st.ctrl_mode):#04x}, "
                f"error bits {int(st.err_code):#06x} ({error_bits_text(int(st.err_code))})")

    # -- commands ------------------------------------------------------------------------------------

    def _write(self, q7: np.ndarray) -> None:
        joints, gripper = units.q7_to_sdk(q7, self._opening_max_m)
        self._last_command = np.asarray(q7[:6], dtype=np.float64).copy()
        self._sdk.JointCtrl(*joints)
        self._sdk.GripperCtrl(abs(gripper), self.config.gripper_effort, GRIPPER_ENABLE, 0)

    def _estop(self) -> None:
        self._sdk.EmergencyStop(ESTOP)

    def _resume(self, timeout_s: float) -> None:
        sdk = self._sdk
        start = self.now()
        deadline = time.monotonic() + timeout_s
        sdk.EmergencyStop(ESTOP_RESUME)

        def normal_and_fresh() -> bool:
            st = sdk.GetArmStatus()
            now = self.now()
            return (st.time_stamp > start and int(st.arm_status.arm_status) == STATUS_NORMAL
                    and now - self._joint_stamp() <= self.config.feedback_timeout_s)

        if not self._poll(normal_and_fresh, timeout_s):
            raise ArmError(f"{self.name}: did not resume within {timeout_s:.2f} s; {self._status_text()}, "
                           f"joint feedback {1e3 * (self.now() - self._joint_stamp()):.0f} ms old")
        self._forget_command()
        if self.is_enabled:
            self._enter_joint_mode(deadline, timeout_s)

    # -- watchdog ------------------------------------------------------------------------------------

    def check(self, now_s: float | None = None) -> ArmFault | None:
        """One watchdog check: the fault the current feedback shows (not latched), or None."""
        sdk = self._sdk
        if sdk is None:
            return None
        now = self.now() if now_s is None else now_s
        timeout = self.config.feedback_timeout_s
        joint_age = now - self._joint_stamp()
        if joint_age > timeout:
            return ArmFault("feedback_lost", f"no joint feedback (0x2A5-0x2A7) on {self.config.channel} for "
                            f"{joint_age * 1e3:.0f} ms (limit {timeout * 1e3:.0f} ms)", now)
        status = sdk.GetArmStatus()
        status_age = now - float(status.time_stamp)
        if status_age > timeout:
            return ArmFault("feedback_lost", f"no arm status (0x2A1) on {self.config.channel} for "
                            f"{status_age * 1e3:.0f} ms (limit {timeout * 1e3:.0f} ms)", now)
        code = int(status.arm_status.arm_status)
        if code != STATUS_NORMAL:
            return ArmFault("arm_status", f"firmware reports arm status {code:#04x} {status_name(code)}; error bits "
                            f"{int(status.arm_status.err_code):#06x} ({error_bits_text(int(status.arm_status.err_code))})",
                            now, code)
        low = sdk.GetArmLowSpdInfoMsgs()
        if low.time_stamp >= self._connected_at:
            for i in range(1, 7):
                foc = getattr(low, f"motor_{i}").foc_status
                bad = [flag for flag in _DRIVER_FAULT_FLAGS if getattr(foc, flag)]
                if bad:
                    return ArmFault("driver", f"motor {i} driver reports {', '.join(bad)}", now)
        return self._check_tracking(now)

    def _check_tracking(self, now: float) -> ArmFault | None:
        commanded = self._last_command
        if commanded is None or self.fault is not None:
            return None
        measured = units.sdk_to_q7(_joints_mdeg(self._sdk.GetArmJointMsgs().joint_state), 0, self._opening_max_m)[:6]
        message = self._tracking.update(commanded, measured, now)
        return None if message is None else ArmFault("tracking", message, now)

    def _watch(self) -> None:
        period = self.config.watchdog_period_s
        while not self._stop.wait(period):
            try:
                fault = self.check()
            except Exception as err:  # the SDK object went away under us (disconnect): stop watching
                if self._stop.is_set():
                    return
                fault = ArmFault("driver", f"watchdog could not read the SDK: {err!r}", self.now())
            if fault is not None and self._latch_fault(fault):
                log.error("%s: fault latched, commands stopped: %s", self.name, fault.message)
