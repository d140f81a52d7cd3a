"""The interface every arm follows (one arm: 6 joints + gripper), its state, faults and errors.

    arm = make_arm(PiperArmConfig(channel="can_left"), name="left", embodiment=emb)
    arm.connect()                      # open the bus; state readable, commands refused
    arm.enable(timeout_s=2.0)          # motors on, read back; the guard starts from the measured state
    state = arm.read_state()           # positions [7], status code/name, feedback timestamp, fault
    sent = arm.send(q7)                # through the command guard; returns what was actually sent
    arm.hold()                         # a tick without a fresh command: brake to rest, then stay put
    arm.emergency_stop(); arm.resume() # firmware e-stop and resume (never a power cut)
    arm.disable(); arm.disconnect()

Vector layout of one arm: [joint1..joint6 (rad, SDK convention), gripper (normalised opening 0..1)],
i.e. one `EmbodimentConfig.arm_slice` of the 14-D vector. A bimanual arm is two of these (bimanual.py).

Safety. Every command passes through a `CommandGuard` over this arm's 7 dimensions (position,
velocity and acceleration limits at the control rate, hold on stale/invalid input); `send` returns the
guard's output, which is what went to the device. Commands are refused (`ArmFaultError`, nothing is
written) while a fault is latched: the device reported an error, its feedback stopped, or it was
e-stopped. Faults are reported in the device's own words (`ArmFault.message`) and stay latched until
`resume()` / `clear_fault()` succeeds against fresh, normal feedback. Fault latching and command writes
share one lock, so once `fault` is set no further command reaches the device.

Clock: `now()` (default `time.time`, the clock python-can stamps frames with) is the clock of
`ArmState.timestamp_s`, of the guard's stamps and of fault detection times.
"""

from __future__ import annotations

import abc
import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from eva_core.embodiment.config import EmbodimentConfig
from eva_core.embodiment.limits import JointLimits
from eva_core.safety.command_guard import CommandGuard
from eva_core.safety.report import CommandReport

ARM_DOF = 7  # 6 joints + gripper


# --- errors -----------------------------------------------------------------------------------------


class ArmError(RuntimeError):
    """Base class of every arm failure."""


class ArmNotConnectedError(ArmError):
    """A call that needs the device on an arm that is not connected."""


class ArmNotEnabledError(ArmError):
    """A command to an arm that is not enabled (inactive: state readable, commands refused)."""


class ArmEnableError(ArmError):
    """Enabling did not complete within its timeout; the message holds what the device reported."""


class ArmFaultError(ArmError):
    """A command refused because a fault is latched; `fault` says what the device reported."""

    def __init__(self, arm: str, fault: ArmFault):
        self.fault = fault
        super().__init__(f"{arm}: command refused, fault latched: {fault.message}")


# --- state ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmFault:
    """A latched fault. `kind`: "feedback_lost" (no feedback for longer than the timeout),
    "arm_status" (the firmware reports a non-normal arm status), "driver" (a motor driver reports an
    error), "emergency_stop" (e-stop requested or reported), "tracking" (a joint not following its
    commands: stuck or blocked)."""

    kind: str
    message: str  # in the device's own words (firmware status names, error bits)
    detected_s: float  # when the driver latched it, on the arm's clock
    code: int | None = None  # the firmware's arm status code, where there is one


@dataclass(frozen=True, eq=False)
class ArmState:
    """One arm as last reported by the device."""

    position: np.ndarray  # [7] joints rad, gripper normalised opening
    timestamp_s: float  # feedback time of the newest position frame on the arm's clock (nan: none yet)
    status_code: int  # firmware arm status (0 normal, 1 e-stop, 4 over limit, 5 comms, 7 collision, ...)
    status_name: str  # the firmware's name for it
    error_code: int = 0  # firmware error bits (joint limit bits 8-13, joint comms bits 0-5)
    enabled: tuple[bool, ...] = ()  # per motor, as read back from the drivers
    ctrl_mode: int = 0  # firmware control mode (0 standby, 1 CAN command)
    velocity: np.ndarray | None = None  # [7] where the device reports it
    fault: ArmFault | None = None  # the latched fault, if any

    def age_s(self, now_s: float) -> float:
        return now_s - self.timestamp_s

    @property
    def is_enabled(self) -> bool:
        return bool(self.enabled) and all(self.enabled)


def arm_limits(embodiment: EmbodimentConfig, arm: str) -> JointLimits:
    """The 7-D `JointLimits` of one arm (`arm` in `embodiment.arm_names`), sliced from the 14-D ones."""
    full = embodiment.limits
    s = embodiment.arm_slice(arm)
    return JointLimits(
        names=full.names[s],
        position_min=full.position_min[s],
        position_max=full.position_max[s],
        velocity_max=full.velocity_max[s],
        acceleration_max=full.acceleration_max[s],
        is_gripper=full.is_gripper[s],
    )


# --- the interface ----------------------------------------------------------------------------------


class Arm(abc.ABC):
    """One arm. Implementations provide the device calls (`_connect`, `_enable`, `_write`, ...);
    the guard, the fault latch and the refusal of commands live here, once for every implementation."""

    def __init__(
        self,
        name: str,
        limits: JointLimits,
        control_dt: float,
        command_timeout_s: float,
        state_tolerance: float = 0.0,
        clock: Callable[[], float] = time.time,
    ):
        if limits.dof != ARM_DOF:
            raise ValueError(f"{name}: an arm has {ARM_DOF} dimensions, limits have {limits.dof}")
        self.name = name
        self.limits = limits
        self.control_dt = float(control_dt)
        self._clock = clock
        self._guard = CommandGuard(limits, control_dt, command_timeout_s, state_tolerance)
        self._lock = threading.RLock()  # fault latch + command writes
        self._fault: ArmFault | None = None
        self._enabled = False
        self.last_report: CommandReport | None = None

    # -- device calls the implementations provide ---------------------------------------------------

    @property
    @abc.abstractmethod
    def is_connected(self) -> bool: ...

    @abc.abstractmethod
    def _connect(self) -> None:
        """Open the device; state readable afterwards. Leave nothing open on failure."""

    @abc.abstractmethod
    def _disconnect(self) -> None:
        """Release the device. Safe to call twice or after a failed connect."""

    @abc.abstractmethod
    def _enable(self, timeout_s: float) -> None:
        """Power the motors, read the enable state back, put the arm in joint command mode; raise
        `ArmEnableError` (with the device's report) when that does not happen within `timeout_s`."""

    @abc.abstractmethod
    def _disable(self) -> None: ...

    @abc.abstractmethod
    def _read(self) -> ArmState:
        """The newest state as the device reported it (fault field left None)."""

    @abc.abstractmethod
    def _write(self, q7: np.ndarray) -> None:
        """Send one joint+gripper command, already guarded. Called with the arm's lock held."""

    @abc.abstractmethod
    def _estop(self) -> None: ...

    @abc.abstractmethod
    def _resume(self, timeout_s: float) -> None:
        """Leave the e-stop/error state and return to joint command mode; raise `ArmError` with the
        device's words if it does not come back within `timeout_s`."""

    # -- lifecycle -----------------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    def connect(self) -> None:
        if self.is_connected:
            return
        self._connect()

    def disconnect(self) -> None:
        with self._lock:
            self._enabled = False
        self._disconnect()

    def enable(self, timeout_s: float = 2.0) -> None:
        """Motors on (read back) and joint command mode; the guard starts from the measured state.
        Refused while a fault is latched (resume or clear it first)."""
        self._require_connected()
        with self._lock:
            if self._fault is not None:
                raise ArmFaultError(self.name, self._fault)
        self._enable(timeout_s)
        self._start_guard()
        with self._lock:
            self._enabled = True

    def disable(self) -> None:
        """Stop commanding and power the motors off. On a real arm the links then fall under gravity:
        put it at rest first."""
        with self._lock:
            self._enabled = False
        if self.is_connected:
            self._disable()

    @property
    def is_enabled(self) -> bool:
        return self._enabled

    def __enter__(self) -> Arm:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    # -- state and faults ----------------------------------------------------------------------------

    def read_state(self) -> ArmState:
        self._require_connected()
        state = self._read()
        fault = self._fault
        if fault is None:
            return state
        return ArmState(**{**state.__dict__, "fault": fault})

    @property
    def fault(self) -> ArmFault | None:
        return self._fault

    def _latch_fault(self, fault: ArmFault) -> bool:
        """Latch `fault` unless one is latched already; waits for a command write in progress, so no
        command is written after this returns. True if this call latched it."""
        with self._lock:
            if self._fault is not None:
                return False
            # Stamped under the lock: every command frame was written before `detected_s`.
            self._fault = dataclasses.replace(fault, detected_s=self.now())
            return True

    def clear_fault(self) -> None:
        """Forget the latched fault (the cause must be gone: implementations check fresh feedback),
        and restart the guard from the measured state."""
        with self._lock:
            self._fault = None
            if self._enabled:
                self._start_guard()

    # -- commands ------------------------------------------------------------------------------------

    def send(self, desired, stamp_s: float | None = None) -> np.ndarray:
        """Send a 7-D joint+gripper command through the guard; returns the command actually sent.

        `stamp_s`: when `desired` was produced, on `now()`'s clock (default: now). Raises
        `ArmFaultError` while a fault is latched, `ArmNotEnabledError` before `enable`; nothing is
        written then. The guard's report of the last command is in `last_report`.
        """
        with self._lock:
            self._require_commandable()
            now = self.now()
            sent, report = self._guard.apply(desired, now if stamp_s is None else stamp_s, now)
            self._write(sent)
            self.last_report = report
            return sent

    def hold(self) -> np.ndarray:
        """A tick without a fresh command: the guard brakes to rest and then repeats the position."""
        with self._lock:
            self._require_commandable()
            sent, report = self._guard.hold()
            self._write(sent)
            self.last_report = report
            return sent

    def emergency_stop(self) -> None:
        """Firmware e-stop: latches an "emergency_stop" fault first (no command after it), then tells
        the device. Works whatever the arm's state, as long as it is connected."""
        self._require_connected()
        self._latch_fault(ArmFault("emergency_stop", "emergency stop requested by the host", self.now(), 1))
        self._estop()

    def resume(self, timeout_s: float = 1.0) -> None:
        """Leave an e-stop or a device error: the device resumes (implementation), then the fault is
        cleared and the guard restarts from the measured state. Raises if the device does not report
        normal, fresh feedback within `timeout_s`."""
        self._require_connected()
        self._resume(timeout_s)
        self.clear_fault()

    # -- helpers -------------------------------------------------------------------------------------

    def _start_guard(self) -> None:
        state = self._read()
        self._guard.reset(state.position)

    def _require_connected(self) -> None:
        if not self.is_connected:
            raise ArmNotConnectedError(f"{self.name}: not connected")

    def _require_commandable(self) -> None:
        if self._fault is not None:
            raise ArmFaultError(self.name, self._fault)
        if not self._enabled:
            raise ArmNotEnabledError(f"{self.name}: not enabled; call enable() first")
        if not self.is_connected:
            raise ArmNotConnectedError(f"{self.name}: not connected")

    def __repr__(self) -> str:
        state = "enabled" if self._enabled else ("connected" if self.is_connected else "disconnected")
        fault = f", fault={self._fault.kind}" if self._fault else ""
        return f"{type(self).__name__}(name={self.name!r}, {state}{fault})"
