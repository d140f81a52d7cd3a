"""What goes into and comes out of the receding-horizon executor, one tick at a time.

Plain frozen records, no behaviour: the ROS node converts messages into an `Observation`, calls the
core, and carries out the `Tick` it gets back (publish the command, send the plan request, publish
the feedback and the result, log the events). Times are seconds on one monotonic clock, the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Stages of a run (`RecedingHorizonExecutor.stage`, `Feedback.stage`).
IDLE = "idle"  # no run started yet
PLANNING = "planning"  # waiting for camera frames, or for the filtered ActionPlan of the requested id
EXECUTING = "executing"  # streaming a segment to the arms (and settling on its last pose)
FINISHED = "finished"  # the run ended; ticks return holds until the next start
STAGES = (IDLE, PLANNING, EXECUTING, FINISHED)

# Outcomes of a run (`ExecutionResult.outcome`).
SUCCESS = "success"  # the task was judged successful
SEGMENT_LIMIT = "segment_limit"  # max_segments segments were executed without success
TIME_LIMIT = "time_limit"  # max_duration_s passed without success
CANCELED = "canceled"  # `cancel()` (operator, action client, shutdown)
FAULT = "fault"  # lost camera/feedback, planner timeout or failure, too many rejected plans, `fault()`
OUTCOMES = (SUCCESS, SEGMENT_LIMIT, TIME_LIMIT, CANCELED, FAULT)


@dataclass(frozen=True, eq=False)
class Observation:
    """What the node knows at `now_s`. Not validated here: the executor judges every field itself
    (a missing, stale or non-finite joint state is a fault during execution, never an exception)."""

    now_s: float  # s, the caller's monotonic clock (the one every stamp below is on)
    joint_position: np.ndarray | None  # [14] latest measured positions (rad, gripper 0..1); None: none yet
    joint_velocity: np.ndarray | None  # [14] measured velocities (rad/s); None: unknown, taken as at rest
    joint_stamp_s: float | None  # s, when that joint state was measured; None: none yet
    frame_stamp_s: float | None  # s, when the newest plan-camera frame was taken; None: none yet
    history_ready: bool  # the node holds >= history_frames frames to condition the planner on
    success: bool | None = None  # task success if something can judge it (the simulator); None: unknown


@dataclass(frozen=True)
class Feedback:
    """Progress for the action feedback; sent when any field changes, and every feedback_period_s."""

    segment: int  # 1-based number of the segment being planned or executed (finished: segments executed)
    stage: str  # one of STAGES
    plan_id: str  # the plan requested or being executed ("" before the first request)
    last_score: float  # executability score (0-10) of the last plan received; NaN before the first


@dataclass(frozen=True)
class ExecutionResult:
    """How a run ended; returned exactly once per run, in the Tick that ends it."""

    success: bool  # outcome == "success"
    outcome: str  # one of OUTCOMES
    reason: str  # a sentence for people: what ended the run
    segments: int  # segments whose execution began (one cut short by the end counts)
    plans_rejected: int  # plans discarded in this run (low score, safety reject, malformed)
    duration_s: float  # s from start() to the end


@dataclass(frozen=True, eq=False)
class Tick:
    """What the node must do now. Every field may be set in the same tick."""

    command: np.ndarray | None  # [14] to publish now (already through the CommandGuard); None: nothing
    request_plan: str | None  # a new plan id: gather the last history_frames frames, ask the planner
    feedback: Feedback | None  # publish as action feedback
    result: ExecutionResult | None  # the run ended: send the action result (exactly once per run)
    events: tuple[str, ...] = ()  # log lines since the last tick (rejected plans and why, faults, ...)
