"""Stuck-joint detection: a joint that does not follow its commands.

    monitor = TrackingMonitor(max_error_rad=0.2, max_duration_s=0.25)
    message = monitor.update(commanded, measured, now_s)   # None, or why the arm must stop

The firmware reports driver faults, over-limit and collisions, but not a joint that silently stays
behind (a slipping or blocked joint, a driver that stopped without raising a flag). Commands reach the
arm through the command guard, so they move at most at v_max and a healthy PiPER in joint mode follows
them within a few hundredths of a radian; a joint farther than `max_error_rad` from its last command
for longer than `max_duration_s` is not following. The duration filter keeps a single late feedback
frame or a short transient (a grasp closing on an object) from stopping the arm.
"""

from __future__ import annotations

import math

import numpy as np


class TrackingMonitor:
    """Per-joint tracking error against the last command; see the module docstring."""

    def __init__(self, max_error_rad: float, max_duration_s: float) -> None:
        if not (math.isfinite(max_error_rad) and max_error_rad > 0):
            raise ValueError(f"max_error_rad must be > 0, got {max_error_rad!r}")
        if not (math.isfinite(max_duration_s) and max_duration_s >= 0):
            raise ValueError(f"max_duration_s must be >= 0, got {max_duration_s!r}")
        self.max_error_rad = float(max_error_rad)
        self.max_duration_s = float(max_duration_s)
        self._since: np.ndarray | None = None  # per joint: when its error first went over the limit (nan: it is not)

    def reset(self) -> None:
        """Forget the history (after enable, resume, or a hold the firmware did itself)."""
        self._since = None

    def update(self, commanded: np.ndarray, measured: np.ndarray, now_s: float) -> str | None:
        """Check one feedback sample against the last command (joint positions, rad, same length).
        Returns a message naming the worst offending joint once one has been off for too long."""
        commanded = np.asarray(commanded, dtype=np.float64)
        measured = np.asarray(measured, dtype=np.float64)
        error = np.abs(commanded - measured)
        over = ~(error <= self.max_error_rad)  # NaN counts as over: a joint we cannot read is not following
        if self._since is None or self._since.shape != error.shape:
            self._since = np.full(error.shape, np.nan)
        self._since = np.where(over, np.where(np.isnan(self._since), now_s, self._since), np.nan)
        late = over & (now_s - np.nan_to_num(self._since, nan=now_s) > self.max_duration_s)
        if not late.any():
            return None
        joint = int(np.argmax(np.where(late, np.nan_to_num(error, nan=np.inf), -1.0)))
        return (f"joint {joint + 1} not following its command: {error[joint]:.3f} rad off for "
                f"{1e3 * (now_s - self._since[joint]):.0f} ms (limit {self.max_error_rad:.3f} rad for "
                f"{1e3 * self.max_duration_s:.0f} ms): stuck or blocked")
