"""What the safety filter tells its caller: the plan report, the command report, and the one error.

Reason codes are stable identifiers (tools and tests match on them); `PlanReport.describe()` turns
them into sentences for people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

# Plan-level reasons for a reject.
STATE_NOT_FINITE = "state_not_finite"  # measured positions/velocities contain NaN or inf
STATE_OUTSIDE_LIMITS = "state_outside_limits"  # measured positions beyond the position limits
STATE_VELOCITY_OVER_LIMIT = "state_velocity_over_limit"  # |measured velocity| > v_max
STATE_CANNOT_STOP = "state_cannot_stop"  # moving too fast to stop before a limit at a_max
PLAN_NOT_FINITE = "plan_not_finite"  # NaN or inf anywhere in the plan
START_DEVIATION = "start_deviation"  # first step farther than max_start_deviation_rad from the state
MAX_DEVIATION = "max_deviation"  # the filter moved a joint farther than max_deviation_rad
TOO_MANY_CHANGES = "too_many_changes"  # more than max_changed_fraction of the steps changed
ARM_CLEARANCE = "arm_clearance"  # the two arms come closer than arm_clearance_m

# Command-level reasons for a hold.
NOT_INITIALISED = "not_initialised"  # (only as an exception: the guard was never reset)
MALFORMED = "malformed"  # not a [14] numeric vector
NOT_FINITE = "not_finite"  # NaN or inf in the command
BAD_STAMP = "bad_stamp"  # stamp or clock not finite
STALE = "stale"  # now - stamp > timeout
FUTURE_STAMP = "future_stamp"  # stamp - now > timeout: a clock problem, not a fresh command
REORDERED = "reordered"  # stamp <= the last accepted stamp (old, duplicated or reordered message)
NO_COMMAND = "no_command"  # the caller asked for a hold (no fresh command this tick)

_DESCRIPTIONS = {
    STATE_NOT_FINITE: "the measured state contains NaN or inf: nothing can be sent",
    STATE_OUTSIDE_LIMITS: "the measured positions are outside the position limits",
    STATE_VELOCITY_OVER_LIMIT: "the measured velocity exceeds the velocity limit",
    STATE_CANNOT_STOP: "the arm moves too fast to stop before a position limit",
    PLAN_NOT_FINITE: "the plan contains NaN or inf",
    START_DEVIATION: "the plan starts too far from the measured state",
    MAX_DEVIATION: "the filter had to move the plan too far",
    TOO_MANY_CHANGES: "the filter had to change too many steps",
    ARM_CLEARANCE: "the two arms come closer than the configured clearance",
}


def _json_float(value: float | None) -> float | None:
    """JSON has no NaN/inf: those become null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class PlanReport:
    """What `filter_plan` did to one plan.

    The figures describe the *filtered* plan (the input made to respect the limits), compared with the
    plan as given, even when the plan is rejected and a braking hold is returned instead. A figure is
    None where it cannot be computed (non-finite plan or state) or was not (clearance not checked).
    Deviations are over the joints only, in rad (the thresholds are in rad; gripper openings are a
    different unit and are still limited, and counted in `steps_changed`).
    """

    verdict: Literal["accept", "reject"]
    reasons: tuple[str, ...]  # reason codes of a reject (empty for accept), in check order
    returned: Literal["filtered", "hold", "none"]  # what the returned plan is ("none": nothing sendable)
    steps: int  # T, the length of the plan (and of the returned plan)
    steps_changed: int | None  # steps where the filter moved some dimension by more than safety.change_tolerance
    max_deviation: float | None  # rad, largest |filtered - given| over steps and joints
    first_step_deviation: float | None  # rad, largest |given[0] - measured state| over joints
    min_arm_distance_m: float | None  # closest approach of the arms' link surfaces along the filtered plan
    closest_step: int | None  # step of that closest approach

    @property
    def accepted(self) -> bool:
        return self.verdict == "accept"

    @property
    def changed_fraction(self) -> float | None:
        return None if self.steps_changed is None or self.steps == 0 else self.steps_changed / self.steps

    def to_dict(self) -> dict:
        """Plain JSON-ready values (non-finite numbers become null)."""
        return {
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "returned": self.returned,
            "steps": self.steps,
            "steps_changed": self.steps_changed,
            "changed_fraction": _json_float(self.changed_fraction),
            "max_deviation": _json_float(self.max_deviation),
            "first_step_deviation": _json_float(self.first_step_deviation),
            "min_arm_distance_m": _json_float(self.min_arm_distance_m),
            "closest_step": self.closest_step,
        }

    def describe(self) -> list[str]:
        """One sentence per reason, for people."""
        return [_DESCRIPTIONS.get(reason, reason) for reason in self.reasons]


@dataclass(frozen=True, slots=True)
class CommandReport:
    """What `CommandGuard` did to one command.

    status: "sent" (passed unchanged), "clamped" (limited to the nearest allowed command) or "hold"
    (the input was refused: braking to rest as hard as the limits allow, then staying put).
    """

    status: Literal["sent", "clamped", "hold"]
    reason: str | None  # why it held (a command-level reason code); None otherwise
    correction: float  # largest |sent - desired| over the dimensions; 0.0 for a hold (nothing to compare)
    at_rest: bool  # the command sent has zero velocity in every dimension


class UnsafeStateError(ValueError):
    """The measured state is not finite (or not a state at all): there is nothing safe to send.

    The caller must not command the arms from it. For the plan filter, `report` is the reject report
    (verdict "reject", reasons including "state_not_finite", returned "none").
    """

    def __init__(self, message: str, report: PlanReport | None = None):
        super().__init__(message)
        self.report = report
