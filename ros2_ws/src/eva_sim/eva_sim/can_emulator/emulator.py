"""A PiPER firmware emulator on python-can buses: the real piper_sdk talks to it unmodified.

    with PiperCanEmulator({"left": "can_left", "right": "can_right"}, TwinMotion()) as emu:
        sdk = C_PiperInterface_V2("can_left", can_auto_init=False)
        sdk.CreateCanBus("can_left", bustype="virtual"); sdk.ConnectPort()
        ...
        emu.arms["left"].set_error(7)        # collision: the firmware stops and reports it
        emu.arms["left"].stop_feedback()     # the arm goes silent
        emu.arms["left"].commands(since=t)   # every frame received after t (timestamped)

One `EmulatedPiper` per arm, each with its own bus on the arm's channel (python-can's in-process
`virtual` bus by default) and a receive thread that updates the firmware state; one clock thread
for all arms that, every control tick (200 Hz), hands each arm's target to the motion model, steps
it once, and sends every arm's feedback.

Frames handled, as the firmware does for what EVA uses (standard ids, 8 bytes, big-endian):
  0x150 e-stop (byte 0: 0x01 stop, 0x02 resume)      0x151 control mode, move mode, speed rate
  0x155-0x157 joint targets (>ii, 0.001°)             0x159 gripper (>ihBB: 0.001 mm, effort, code, zero)
  0x470 leader/follower config (0xFA, 0xFC)           0x471 motor enable/disable (motor, 0x02/0x01)
  0x472 limit queries → 0x473 / 0x47C                 0x4AF firmware version query → 0x4AF "S-V1.6-3"
Feedback every tick: 0x2A1 status (>BBBBBBH), 0x2A5-0x2A7 joints, 0x2A8 gripper (>ihB),
0x251-0x256 motor speed/current/position, 0x261-0x266 driver info (bit 6 of the status byte: enabled).
A leader arm (0xFA) also sends its position as joint/gripper commands (0x155-0x157, 0x159), which is
what the follower's firmware and a recording host read.

Firmware rules modelled: joint targets are accepted only with every motor enabled, CAN command mode
(0x151 ctrl 0x01, move J) and a normal arm status, and not on a follower; a target beyond the joint
limits sets status 0x04 (over limit) with the joint's bit, and the arm stops; in any error or e-stop
the arm holds where it is and ignores targets until resumed (0x150 0x02), which clears the error and
drops to standby (a new 0x151 is needed). The emulator never receives its own frames; frames the
SDK reads back from itself (two buses per SDK on the virtual interface) are not its concern.

Fault injection: `stop_feedback()` / `resume_feedback()`, `set_error(code)` (4 over limit, 5 joint
comms, 7 collision, ...) / `clear_error()`, `stick_joint(i)` / `unstick_joint(i)` (the joint stays
where it is whatever the target, with no error reported: the firmware does not see it).
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import can
import numpy as np

from eva_core.devices.arms.arm import arm_limits
from eva_core.devices.arms.piper import units
from eva_sim.can_emulator.motion import FirstOrderMotion, MotionModel

FIRMWARE_VERSION = b"S-V1.6-3"

# Command ids
ESTOP = 0x150
MOTION_CTRL_2 = 0x151
JOINT_CTRL = (0x155, 0x156, 0x157)
GRIPPER_CTRL = 0x159
LEADER_FOLLOWER = 0x470
MOTOR_ENABLE = 0x471
LIMIT_QUERY = 0x472
FIRMWARE_QUERY = 0x4AF
# Feedback ids
STATUS = 0x2A1
JOINT_FEEDBACK = (0x2A5, 0x2A6, 0x2A7)
GRIPPER_FEEDBACK = 0x2A8
HIGH_SPEED = tuple(range(0x251, 0x257))
LOW_SPEED = tuple(range(0x261, 0x267))
ANGLE_LIMIT_REPLY = 0x473
ACC_LIMIT_REPLY = 0x47C

COMMAND_IDS = frozenset((ESTOP, MOTION_CTRL_2, *JOINT_CTRL, GRIPPER_CTRL, LEADER_FOLLOWER, MOTOR_ENABLE,
                         LIMIT_QUERY, FIRMWARE_QUERY))

# Arm status codes (piper_sdk ArmMsgFeedbackStatusEnum.ArmStatus)
NORMAL, EMERGENCY_STOP, OVER_LIMIT, JOINT_COMMS, COLLISION = 0x00, 0x01, 0x04, 0x05, 0x07
_DEFAULT_ERROR_BITS = {OVER_LIMIT: 1 << 8, JOINT_COMMS: 1 << 0}  # joint 1 limit / joint 1 comms

_LIMIT_MARGIN_RAD = 0.01  # targets this far beyond a limit still count as within (rounding, snapping)


@dataclass(frozen=True)
class ReceivedFrame:
    """A frame the emulated firmware received: host time of arrival, id, payload."""

    t: float
    arbitration_id: int
    data: bytes


def _frame(arbitration_id: int, data: bytes) -> can.Message:
    return can.Message(arbitration_id=arbitration_id, data=data, is_extended_id=False, dlc=8)


class EmulatedPiper:
    """One arm's firmware: its bus, receive thread, state, fault injection and command log."""

    def __init__(self, name: str, channel: str, motion: MotionModel, interface: str = "virtual"):
        self.name = name
        self.channel = channel
        self.interface = interface
        self.motion = motion
        self._opening_max_m = motion.embodiment.arm.gripper.opening_max_m
        limits = arm_limits(motion.embodiment, name)
        self._qmin, self._qmax = limits.position_min, limits.position_max
        self._vmax = limits.velocity_max
        self.lock = threading.RLock()
        # firmware state
        self.enabled = [False] * 6
        self.gripper_enabled = False
        self.ctrl_mode = 0x00  # 0 standby, 1 CAN command
        self.move_mode = 0x01
        self.speed_rate = 0
        self.arm_status = NORMAL
        self.err_code = 0
        self.linkage = 0x00  # 0xFA leader, 0xFC follower
        self.target = motion.state(name)
        self._stuck: dict[int, float] = {}
        # emulation state
        self.feedback_on = True
        self._replies: list[can.Message] = []
        self._log: list[ReceivedFrame] = []
        self._bus: can.BusABC | None = None
        self._rx: threading.Thread | None = None
        self._running = threading.Event()

    # -- bus -----------------------------------------------------------------------------------------

    def open(self) -> None:
        self._bus = can.Bus(interface=self.interface, channel=self.channel, receive_own_messages=False)
        self._running.set()
        self._rx = threading.Thread(target=self._receive, name=f"piper-emu-rx-{self.name}", daemon=True)
        self._rx.start()

    def close(self) -> None:
        self._running.clear()
        if self._rx is not None:
            self._rx.join(timeout=1.0)
        if self._bus is not None:
            self._bus.shutdown()
        self._bus, self._rx = None, None

    def _receive(self) -> None:
        while self._running.is_set():
            try:
                msg = self._bus.recv(timeout=0.05)
            except can.CanOperationError:
                return
            if msg is None or msg.is_extended_id:
                continue
            self.handle(msg.arbitration_id, bytes(msg.data), msg.timestamp or time.time())

    def _send(self, messages: list[can.Message]) -> None:
        bus = self._bus
        if bus is None:
            return
        for m in messages:
            try:
                bus.send(m)
            except can.CanError:
                return

    # -- firmware: commands --------------------------------------------------------------------------

    def handle(self, arbitration_id: int, data: bytes, t: float) -> None:
        """Process one received frame (the receive thread calls this; tests may too)."""
        if arbitration_id not in COMMAND_IDS:
            return  # feedback from another node on the bus, or a command we do not emulate
        data = data.ljust(8, b"\x00")
        with self.lock:
            self._log.append(ReceivedFrame(t, arbitration_id, data))
            if arbitration_id == ESTOP:
                self._on_estop(data[0])
            elif arbitration_id == MOTION_CTRL_2:
                if self.arm_status == NORMAL:
                    self.ctrl_mode, self.move_mode, self.speed_rate = data[0], data[1], data[2]
            elif arbitration_id in JOINT_CTRL:
                self._on_joint_target(JOINT_CTRL.index(arbitration_id), *struct.unpack(">ii", data))
            elif arbitration_id == GRIPPER_CTRL:
                self._on_gripper(*struct.unpack(">ihBB", data[:8]))
            elif arbitration_id == LEADER_FOLLOWER:
                self.linkage = data[0]
            elif arbitration_id == MOTOR_ENABLE:
                self._on_enable(data[0], data[1])
            elif arbitration_id == LIMIT_QUERY:
                self._on_limit_query(data[0], data[1])
            elif arbitration_id == FIRMWARE_QUERY:
                # Replied on the next tick, as the firmware does: the SDK clears its buffer after sending.
                self._replies.append(_frame(FIRMWARE_QUERY, FIRMWARE_VERSION))
                self._replies.append(_frame(FIRMWARE_QUERY, b"\x00" * 8))

    def _hold_here(self) -> None:
        self.target = self.motion.state(self.name)

    def _on_estop(self, code: int) -> None:
        if code == 0x01:
            self.arm_status = EMERGENCY_STOP
            self._hold_here()
        elif code == 0x02:
            self.arm_status, self.err_code = NORMAL, 0
            self.ctrl_mode = 0x00  # standby until a new 0x151
            self._hold_here()

    def _accepts_targets(self) -> bool:
        return (self.arm_status == NORMAL and self.ctrl_mode == 0x01 and self.move_mode == 0x01
                and all(self.enabled) and self.linkage != 0xFC)

    def _on_joint_target(self, pair: int, a: int, b: int) -> None:
        if not self._accepts_targets():
            return
        for k, value in ((2 * pair, a), (2 * pair + 1, b)):
            rad = units.mdeg_to_rad(value)
            if not (self._qmin[k] - _LIMIT_MARGIN_RAD <= rad <= self._qmax[k] + _LIMIT_MARGIN_RAD):
                self._raise_error(OVER_LIMIT, 1 << (8 + k))
                return
            self.target[k] = rad

    def _on_gripper(self, angle: int, effort: int, code: int, set_zero: int) -> None:
        self.gripper_enabled = code in (0x01, 0x03)
        if self.arm_status == NORMAL and self.gripper_enabled and self.linkage != 0xFC:
            self.target[6] = min(max(units.um_to_opening(abs(angle), self._opening_max_m), 0.0), 1.0)

    def _on_enable(self, motor: int, flag: int) -> None:
        motors = range(6) if motor in (7, 0xFF) else ([motor - 1] if 1 <= motor <= 6 else [])
        for m in motors:
            self.enabled[m] = flag == 0x02
        if flag == 0x01 and motor in (7, 0xFF):
            self.ctrl_mode = 0x00
        self._hold_here()

    def _on_limit_query(self, motor: int, content: int) -> None:
        if not 1 <= motor <= 6:
            return
        k = motor - 1
        if content == 0x01:  # angle limits in 0.1°, max speed in 0.001 rad/s
            deg = lambda r: int(round(np.degrees(r) * 10))  # noqa: E731
            data = struct.pack(">BhhHB", motor, deg(self._qmax[k]), deg(self._qmin[k]), int(round(self._vmax[k] * 1000)), 0)
            self._replies.append(_frame(ANGLE_LIMIT_REPLY, data))
        elif content == 0x02:  # max acceleration in 0.01 rad/s²
            acc = arm_limits(self.motion.embodiment, self.name).acceleration_max[k]
            self._replies.append(_frame(ACC_LIMIT_REPLY, struct.pack(">BH5x", motor, int(round(acc * 100)))))

    def _raise_error(self, code: int, bits: int) -> None:
        self.arm_status, self.err_code = code, bits
        self._hold_here()

    # -- fault injection -----------------------------------------------------------------------------

    def stop_feedback(self) -> None:
        """The arm goes silent: no feedback frames at all (commands are still received and logged)."""
        with self.lock:
            self.feedback_on = False

    def resume_feedback(self) -> None:
        with self.lock:
            self.feedback_on = True

    def set_error(self, code: int, error_bits: int | None = None) -> None:
        """The firmware reports arm status `code` (4 over limit, 5 joint comms, 7 collision, ...) and
        stops moving the arm until resumed (0x150 0x02) or `clear_error`."""
        with self.lock:
            self._raise_error(code, _DEFAULT_ERROR_BITS.get(code, 0) if error_bits is None else error_bits)

    def clear_error(self) -> None:
        with self.lock:
            self.arm_status, self.err_code = NORMAL, 0

    def stick_joint(self, index: int) -> None:
        """Joint `index` (0-5) stays where it is now, whatever it is commanded; no error is reported."""
        with self.lock:
            self._stuck[index] = float(self.motion.state(self.name)[index])

    def unstick_joint(self, index: int) -> None:
        with self.lock:
            self._stuck.pop(index, None)

    # -- command log ---------------------------------------------------------------------------------

    def commands(self, since: float = -np.inf, ids=None) -> list[ReceivedFrame]:
        """Frames received at or after `since` (host time), optionally only those with an id in `ids`."""
        with self.lock:
            return [f for f in self._log if f.t >= since and (ids is None or f.arbitration_id in ids)]

    # -- clock-thread side ---------------------------------------------------------------------------

    def apply_target(self) -> None:
        with self.lock:
            target = self.target.copy()
            for k, value in self._stuck.items():
                target[k] = value
        self.motion.set_target(self.name, target)

    def feedback_frames(self) -> list[can.Message]:
        """This tick's frames: pending replies, then (unless silenced) the feedback."""
        q = self.motion.state(self.name)
        v = self.motion.velocity(self.name)
        with self.lock:
            out, self._replies = self._replies, []
            if not self.feedback_on:
                return out
            for k, value in self._stuck.items():
                q[k], v[k] = value, 0.0
            joints, gripper_um = units.q7_to_sdk(np.clip(q, -1e3, 1e3), self._opening_max_m)
            moving = bool(np.any(np.abs(self.target[:6] - q[:6]) > 1e-3))
            out.append(_frame(STATUS, struct.pack(">BBBBBBH", self.ctrl_mode, self.arm_status, self.move_mode, 0,
                                                  int(moving), 0, self.err_code)))
            for i, fid in enumerate(JOINT_FEEDBACK):
                out.append(_frame(fid, struct.pack(">ii", joints[2 * i], joints[2 * i + 1])))
            gripper_status = 0x40 if self.gripper_enabled else 0x00
            out.append(_frame(GRIPPER_FEEDBACK, struct.pack(">ihBx", max(gripper_um, 0), 0, gripper_status)))
            for i, fid in enumerate(HIGH_SPEED):
                speed = int(np.clip(round(v[i] * 1000), -32768, 32767))  # 0.001 rad/s
                out.append(_frame(fid, struct.pack(">hhi", speed, 0, joints[i])))
            for i, fid in enumerate(LOW_SPEED):
                foc = 0x40 if self.enabled[i] else 0x00
                out.append(_frame(fid, struct.pack(">HhbBH", 240, 30, 30, foc, 0)))
            if self.linkage == 0xFA:  # a leader arm's position goes out as commands
                for i, fid in enumerate(JOINT_CTRL):
                    out.append(_frame(fid, struct.pack(">ii", joints[2 * i], joints[2 * i + 1])))
                out.append(_frame(GRIPPER_CTRL, struct.pack(">ihBB", max(gripper_um, 0), 1000, 0x01, 0)))
        return out

    def tick_send(self) -> None:
        self._send(self.feedback_frames())


class PiperCanEmulator:
    """Several emulated PiPER arms (one bus each) sharing one motion model and one 200 Hz clock."""

    def __init__(self, channels: Mapping[str, str], motion: MotionModel | None = None, interface: str = "virtual",
                 start_pose: Mapping[str, np.ndarray] | None = None):
        self.motion = motion or FirstOrderMotion()
        unknown = set(channels) - set(self.motion.arm_names)
        if unknown:
            raise ValueError(f"arms {sorted(unknown)} are not in the motion model ({self.motion.arm_names})")
        for name, q in (start_pose or {}).items():
            self.motion.reset(name, np.asarray(q, dtype=np.float64))
        self.arms = {name: EmulatedPiper(name, ch, self.motion, interface) for name, ch in channels.items()}
        self.dt = self.motion.dt
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self.ticks = 0
        self.late_ticks = 0  # ticks that started more than one period late (the host could not keep up)

    def start(self) -> PiperCanEmulator:
        for arm in self.arms.values():
            arm.open()
        self._running.set()
        self._thread = threading.Thread(target=self._clock, name="piper-emu-clock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._thread = None
        for arm in self.arms.values():
            arm.close()

    def __enter__(self) -> PiperCanEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def tick(self) -> None:
        """One control tick: targets to the model, one model step, every arm's feedback."""
        for arm in self.arms.values():
            arm.apply_target()
        self.motion.step()
        for arm in self.arms.values():
            arm.tick_send()
        self.ticks += 1

    def _clock(self) -> None:
        next_t = time.perf_counter()
        while self._running.is_set():
            self.tick()
            next_t += self.dt
            delay = next_t - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif delay < -self.dt:
                self.late_ticks += 1
                next_t = time.perf_counter()  # do not burst to catch up
