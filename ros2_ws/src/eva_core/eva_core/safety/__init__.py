"""Safety filter, two layers of pure limit functions that report what they changed.

- Plan level (`filter_plan`): a [T, 14] plan at the plan rate, from the measured state, made to respect
  the position, velocity and acceleration limits (finite differences, as the executability reward
  measures them), plus a verdict: a plan that is unusable (NaN/inf, far from the state, heavily
  corrected, arms too close) is rejected and replaced by a braking hold.
- Command level (`CommandGuard`): the last check at the control rate on every command sent to the
  arms, with the same guarantees relative to the previous command, and a hold on invalid or stale input.
- Receiving end (`CommandStream`): what a driver writes each tick from a stream of command messages.
- Dual-arm clearance (`check_plan_clearance`): capsule distance between the two arms along a plan.

The discrete-time limit kernel both layers share is in `limiter.py`, where the guarantees are derived.
"""

from eva_core.safety.clearance import ClearanceResult, check_plan_clearance
from eva_core.safety.command_guard import CommandGuard
from eva_core.safety.command_stream import CommandStream
from eva_core.safety.limiter import StepLimiter, brake_to_rest, limit_trajectory, limit_violations
from eva_core.safety.plan_filter import filter_plan
from eva_core.safety.report import CommandReport, PlanReport, UnsafeStateError

__all__ = [
    "ClearanceResult",
    "CommandGuard",
    "CommandReport",
    "CommandStream",
    "PlanReport",
    "StepLimiter",
    "UnsafeStateError",
    "brake_to_rest",
    "check_plan_clearance",
    "filter_plan",
    "limit_trajectory",
    "limit_violations",
]
