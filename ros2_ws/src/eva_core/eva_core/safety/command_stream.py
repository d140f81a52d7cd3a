"""The receiving end of a joint-command stream: what an arm driver or the simulated robot runs.

Commands arrive as messages at their own pace (DDS jitter, bursts, gaps, duplicates, reordering);
the arms take one command per control tick. `CommandStream` keeps the newest message and, once per
tick, decides what reaches the arms, always through a `CommandGuard`:

- a message arrived since the last tick -> `guard.apply(q, stamp, now)` (so a stale, reordered,
  non-finite or malformed one becomes a braking hold, a jump becomes the nearest allowed step);
- none arrived, and the last one is younger than the guard's timeout -> `guard.coast()`: keep
  moving toward the last command within the limits (repeating it verbatim would stop the arm within
  one tick, an acceleration far beyond the limit; braking hard on every late message would make the
  arms stutter with DDS jitter);
- none for longer than the timeout (the sender died or the network dropped) -> `guard.hold()`:
  brake to rest as hard as the limits allow, then stay put.

Only the newest message per tick counts: older ones in the same tick were superseded anyway.
"""

from __future__ import annotations

import math

import numpy as np

from eva_core.safety.command_guard import CommandGuard
from eva_core.safety.report import CommandReport


class CommandStream:
    def __init__(self, guard: CommandGuard):
        self.guard = guard
        self._pending: tuple[object, float] | None = None
        self._last_arrival_s = -math.inf  # receiver clock: when the last message arrived
        self.last_report: CommandReport | None = None
        self.received = 0
        self.holds = 0

    def reset(self, q: np.ndarray, v: np.ndarray | None = None) -> None:
        """Start (again) from the measured state; forgets pending and past commands."""
        self.guard.reset(q, v)
        self._pending = None
        self._last_arrival_s = -math.inf

    def offer(self, desired, stamp_s: float, arrival_s: float) -> None:
        """A command message: `desired` [14] (anything: it is checked by the guard), stamped by its
        sender at `stamp_s`, received at `arrival_s` (both on the guard's clock)."""
        self._pending = (desired, stamp_s)
        self._last_arrival_s = arrival_s
        self.received += 1

    def tick(self, now_s: float) -> np.ndarray:
        """The command to write this control tick."""
        if self._pending is not None:
            desired, stamp = self._pending
            self._pending = None
            sent, self.last_report = self.guard.apply(desired, stamp, now_s)
        elif now_s - self._last_arrival_s > self.guard.timeout_s:
            sent, self.last_report = self.guard.hold()
        else:
            sent, self.last_report = self.guard.coast()
        if self.last_report.status == "hold":
            self.holds += 1
        return sent

    @property
    def streaming(self) -> bool:
        """Whether fresh commands are currently arriving (for status displays)."""
        return self.last_report is not None and self.last_report.status != "hold"
