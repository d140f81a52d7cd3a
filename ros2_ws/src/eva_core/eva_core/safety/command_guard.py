"""Command-level safety guard: the last check on every command sent to the arms, at the control rate.

    guard = CommandGuard.from_config(config)      # or CommandGuard(limits, control_dt, timeout_s)
    guard.reset(measured_q, measured_v)           # once, from the measured state, before commanding
    sent, report = guard.apply(desired, stamp_s, now_s)   # every control tick: send `sent`, nothing else
    sent, report = guard.hold()                   # a tick with no fresh command

Guarantee: relative to the previous command sent (the measured state for the first one), every
command returned is finite, within the position limits, and its finite-difference velocity and
acceleration at `control_dt` never exceed v_max and a_max, whatever `desired` is (see limiter.py; this
holds from any feasible reset state, and position limits hold from any finite one).

Tracking: a command within the limits is sent bit for bit ("sent"). Otherwise the guard sends the
nearest command the limits allow ("clamped"), catching up with the commanded trajectory as fast as
the limits allow and without overshooting it (see `StepLimiter.step_lists`).

Hold: a command that is not a finite [14] vector, whose stamp is stale (now - stamp > timeout), from the
future (stamp - now > timeout: a clock fault), or not newer than the last accepted one (duplicated,
old or reordered message), is refused: the guard brakes to rest as hard as the limits allow and then
repeats the same position exactly. The next valid command resumes from wherever the braking got to.

Stamps: `stamp_s` is when the desired command was produced, on the same clock as `now_s`; each command
must carry a newer stamp than the last accepted one. A caller that interpolates one plan to the
control rate stamps each interpolated command with its own tick, and judges the plan's age itself.

Cost: about 10-30 µs per call on one core (bench/safety.py); the state is kept as Python floats,
which on 14 numbers is faster than numpy.
"""

from __future__ import annotations

import math

import numpy as np

from eva_core.embodiment.config import EmbodimentConfig
from eva_core.embodiment.limits import JointLimits
from eva_core.safety import report as codes
from eva_core.safety.limiter import StepLimiter, snap_to_limits
from eva_core.safety.report import CommandReport, UnsafeStateError

_isfinite = math.isfinite


class CommandGuard:
    """Stateful limit guard at the control rate; see the module docstring."""

    def __init__(self, limits: JointLimits, control_dt: float, timeout_s: float, state_tolerance: float = 0.0):
        if not (isinstance(timeout_s, (int, float)) and math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError(f"timeout_s must be a positive number of seconds, got {timeout_s!r}")
        self._limiter = StepLimiter(limits, control_dt)
        self._n = limits.dof
        self.timeout_s = float(timeout_s)
        self._limits = limits
        self._state_tolerance = float(state_tolerance)  # rad; see SafetyConfig.state_tolerance_rad
        self._q: list[float] | None = None  # last command sent
        self._v: list[float] | None = None  # its finite-difference velocity
        self._last_stamp = -math.inf  # stamp of the last accepted command
        self._last_desired: list[float] | None = None  # last accepted command (None after reset or a hold)

    @classmethod
    def from_config(cls, config: EmbodimentConfig) -> "CommandGuard":
        safety = config.safety
        return cls(config.limits, config.control_dt, safety.command_timeout_s, safety.state_tolerance_rad)

    @property
    def control_dt(self) -> float:
        return self._limiter.dt

    @property
    def last_sent(self) -> np.ndarray | None:
        """The last command sent; None before `reset`."""
        return None if self._q is None else np.array(self._q)

    @property
    def velocity(self) -> np.ndarray | None:
        """Finite-difference velocity of the last command sent; None before `reset`."""
        return None if self._v is None else np.array(self._v)

    def reset(self, q: np.ndarray, v: np.ndarray | None = None) -> None:
        """Start from the measured state: positions `q` [14] and velocities `v` [14] (None: at rest).

        Forgets the last accepted stamp. Raises ValueError for a wrong shape and `UnsafeStateError`
        for NaN/inf (nothing safe can be derived from such a state; keep the arms still).
        """
        q = np.asarray(q, dtype=np.float64)
        v = np.zeros(self._n) if v is None else np.asarray(v, dtype=np.float64)
        if q.shape != (self._n,) or v.shape != (self._n,):
            raise ValueError(f"reset: q and v must have shape [{self._n}], got {list(q.shape)} and {list(v.shape)}")
        if not (np.isfinite(q).all() and np.isfinite(v).all()):
            raise UnsafeStateError("reset: the measured state contains NaN or inf")
        q = snap_to_limits(q, self._limits, self._state_tolerance)
        self._q, self._v = q.tolist(), v.tolist()
        self._last_stamp = -math.inf
        self._last_desired = None

    def apply(self, desired, stamp_s: float, now_s: float) -> tuple[np.ndarray, CommandReport]:
        """Limit `desired` [14] (stamped `stamp_s`, judged at `now_s`, both s) into the command to send.

        Returns (command actually sent [14], report). Refused input gives a hold (see module docstring).
        """
        if self._q is None:
            raise RuntimeError("CommandGuard.apply before reset(): the guard needs the measured state first")
        target = self._as_floats(desired)
        if target is None:
            return self._hold(codes.MALFORMED)
        if not all(map(_isfinite, target)):
            return self._hold(codes.NOT_FINITE)
        try:
            stamp, now = float(stamp_s), float(now_s)
        except (TypeError, ValueError):
            return self._hold(codes.BAD_STAMP)
        if not (_isfinite(stamp) and _isfinite(now)):
            return self._hold(codes.BAD_STAMP)
        if now - stamp > self.timeout_s:
            return self._hold(codes.STALE)
        if stamp - now > self.timeout_s:
            return self._hold(codes.FUTURE_STAMP)
        if stamp <= self._last_stamp:
            return self._hold(codes.REORDERED)
        self._last_stamp = stamp

        q, v, unchanged = self._limiter.step_lists(self._q, self._v, target, self._last_desired)
        self._q, self._v, self._last_desired = q, v, target
        if unchanged:
            return np.array(q), CommandReport("sent", None, 0.0, not any(v))
        correction = max(abs(a - b) for a, b in zip(q, target))  # inf for absurd targets: still clamped
        return np.array(q), CommandReport("clamped", None, correction, not any(v))

    def hold(self) -> tuple[np.ndarray, CommandReport]:
        """A tick without a fresh command: brake to rest as hard as the limits allow, then stay put."""
        if self._q is None:
            raise RuntimeError("CommandGuard.hold before reset(): the guard needs the measured state first")
        return self._hold(codes.NO_COMMAND)

    def coast(self) -> tuple[np.ndarray, CommandReport]:
        """A control tick between two commands of a live stream (a message came late): keep moving
        toward the last accepted command, taken as standing still, within the limits. Simply
        repeating the last command would stop the arm within one tick (an acceleration of v / dt).
        Without an accepted command to track (after a reset or a hold) this is a hold."""
        if self._q is None:
            raise RuntimeError("CommandGuard.coast before reset(): the guard needs the measured state first")
        if self._last_desired is None:
            return self._hold(codes.NO_COMMAND)
        target = self._last_desired
        q, v, unchanged = self._limiter.step_lists(self._q, self._v, target, target)
        self._q, self._v = q, v
        correction = 0.0 if unchanged else max(abs(a - b) for a, b in zip(q, target))
        return np.array(q), CommandReport("sent" if unchanged else "clamped", None, correction, not any(v))

    def _hold(self, reason: str) -> tuple[np.ndarray, CommandReport]:
        q, v = self._limiter.brake_lists(self._q, self._v)
        self._q, self._v = q, v
        self._last_desired = None  # the next command starts a new trajectory
        return np.array(q), CommandReport("hold", reason, 0.0, not any(v))

    def _as_floats(self, desired) -> list[float] | None:
        """`desired` as 14 Python floats, or None when it is not a numeric [14] vector."""
        if isinstance(desired, np.ndarray):
            if desired.shape != (self._n,) or desired.dtype.kind not in "fiu":
                return None
            return desired.astype(np.float64, copy=False).tolist()
        try:
            array = np.asarray(desired, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            return None
        return array.tolist() if array.shape == (self._n,) else None
