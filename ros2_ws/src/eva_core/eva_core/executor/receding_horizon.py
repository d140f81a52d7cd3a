"""Receding-horizon execution (paper §5): plan, execute the near part of the plan, replan.

    executor = RecedingHorizonExecutor(embodiment, ExecutorConfig())
    tick = executor.start(ExecutorGoal("stack the cups"), observation)   # raises ValueError: no fresh state
    every control period (200 Hz):   tick = executor.tick(observation)
    when the filtered ActionPlan arrives:   executor.on_action_plan(plan_id, positions, score, accepted, now_s)
    when the planner aborts or refuses:     executor.on_plan_failed(plan_id, reason, now_s)
    operator / client / other nodes:        executor.cancel(reason), executor.fault(reason)

and carry out each `Tick`: publish `command` (when not None), ask the planner for `request_plan` with
the last `history_frames` plan-camera frames, publish `feedback` and, once, `result`; log `events`.
The core never reads a clock and never imports ROS: time comes in as `now_s` (s, monotonic) and
everything goes out in the Tick. It is not thread-safe: call it from one thread (one
single-threaded ROS executor).

One run:

1. `start` resets the `CommandGuard` from the measured state (position and velocity), then the run
   is in stage "planning": a plan id `f"{prefix}-{n:04d}"` is requested as soon as the node holds
   `history_frames` frames and the newest one is fresh (younger than `camera_timeout_s`; after a
   segment also taken at least `settle_s` after the arms came to rest, so the planner sees where the
   segment left them). No such frame within `camera_timeout_s` is a fault ("lost camera: ...").
   Plan ids count up across runs, so a late plan from an earlier run or request never matches.
2. While the plan is awaited the arms hold: every tick sends `guard.hold()` (brakes to rest as hard
   as the limits allow, then repeats the same position exactly; the driver's watchdog stays fed).
   No ActionPlan of that id within `plan_timeout_s` is a fault ("planner timeout: ...").
3. An ActionPlan of the awaited id is accepted when its score is finite and >= `min_score`, the safety
   filter accepted it (if `require_safety_accept`), and its positions are a finite [T, 14] array
   (T >= 2) within the position limits whose step 0 is within the embodiment's
   `max_start_deviation_rad` (joints) of the last command sent. Anything else is discarded with the
   reason in `events` (never executed, a fresh plan is requested); `max_consecutive_rejects` in a row
   is a fault. Plans of other ids (stale, duplicated, reordered) are ignored.
4. The segment: knots = positions[0 .. segment_steps] (fewer if the plan is shorter), with knot 0
   replaced by the last command sent (see "Knot 0" below), joined by `upsample_plan` (cubic Hermite:
   at rest at knot 0, the plan's own velocity at the last knot) at the control rate, knots
   `time_scale` x plan_dt apart (config: 1 = the plan's own speed). One row per tick
   goes through `guard.apply(row, stamp_s=now_s, now_s=now_s)`; after the last row the guard brakes
   the arms to rest (see "Segment end" below). Then the segment is done: the segment limit ends the
   run, otherwise back to 1 for the next plan.
5. Every tick of a run: a non-finite or backward `now_s` is a fault ("clock fault"), `success` True
   ends the run with "success", the time limit ends it with "time_limit", and a `cancel`/`fault`
   called since the last tick ends it. While executing, a joint state that is missing, non-finite,
   of the wrong shape, or older than `state_timeout_s` is a fault ("lost joint feedback: ...").
6. The end: the Tick that ends the run carries the `ExecutionResult` (exactly once per run) and a
   hold command. Afterwards every `tick` keeps returning guard holds (the arms stay exactly where the
   braking left them, never jump) until the next `start`; the node may stop publishing after a short
   grace period and let the driver's own watchdog hold. `running` stays True until the Tick with the
   result has been returned, so a node that ticks only while `running` still receives it.

Design choices the node author relies on:

- Knot 0. positions[0] is the IDM's estimate of the pose in the current frame; the arms' pose is known
  better: the last command sent (the arms hold it while the plan is made). Replacing knot 0 with it
  makes the stream start exactly where the arms are commanded (no jump, velocity continuous, at rest)
  and lets the decoding error of step 0 fade out over the first plan step instead of being sent as a
  one-tick jump. The size of that replacement is logged with the segment; a plan whose step 0 is
  farther than `max_start_deviation_rad` from the command is not trusted (step 3).
- Segment end. The plan goes on beyond the segment, so its last executed knot may be passed at
  speed. The arms follow the plan up to that knot, at the plan's velocity, and are then braked to rest
  by `guard.hold()` as hard as the limits allow, each joint continuing in its own direction: they stop
  v²/(2·a_max) beyond the knot (0.01 rad at 0.3 rad/s; nothing when the plan is at rest there) and
  never turn back to it. The alternative, a spline forced to rest at the knot, is infeasible for a
  fast plan: the guard would overshoot and then return, moving the arms twice for nothing. The next
  plan is conditioned on frames taken `settle_s` after they came to rest, wherever that is.
- Tick-indexed streaming. Row n is sent at the n-th tick of the segment, whatever the clock says: the
  guard's limits are per command at `control_dt`, so a late or missed timer tick slows the motion a
  little rather than making the next command jump. Stamps are the tick times; a tick whose `now_s` is
  not newer than the previous one gets a guard hold (and the stream goes on from there).
- Every command leaves through the same `CommandGuard`, whatever the stage: the sequence of commands
  within a run is continuous and within the position, velocity and acceleration limits (limiter.py).
  A new `start` resets the guard from the measured state.
- Nothing raises out of `tick`, `on_action_plan`, `on_plan_failed`, `cancel` or `fault` for bad input:
  it is a discarded plan or a fault, with the reason. `cancel`/`fault` outside a run do nothing.
  `start` raises ValueError (no fresh, finite joint state; bad time) and RuntimeError (a run is
  already in progress). `tick` before any `start` has nothing to hold from and returns no command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from eva_core.embodiment.config import EmbodimentConfig
from eva_core.executor.config import ExecutorConfig, ExecutorGoal
from eva_core.executor.interpolation import upsample_plan
from eva_core.executor.records import (
    CANCELED,
    EXECUTING,
    FAULT,
    FINISHED,
    IDLE,
    PLANNING,
    SEGMENT_LIMIT,
    SUCCESS,
    TIME_LIMIT,
    ExecutionResult,
    Feedback,
    Observation,
    Tick,
)
from eva_core.safety import CommandGuard

# s; longest the arms may take, after a segment's last row, to come to rest. Braking from the fastest
# allowed speed takes v_max / a_max (about 0.7 s on the PiPER): beyond 2 s something else is wrong
# (the guard kept refusing commands), and the run goes on to plan from wherever the arms are.
END_POSE_TIMEOUT_S = 2.0

# Positions this far outside a position limit (relative to the joint's range) count as outside: the
# safety filter clips to the limits exactly, so anything more is an unfiltered plan.
LIMIT_RTOL = 1e-6


@dataclass
class _Run:
    """Mutable state of one run."""

    goal: ExecutorGoal
    max_segments: int
    max_duration_s: float
    start_s: float
    last_now_s: float
    segments: int = 0  # segments whose execution began
    rejected: int = 0  # plans discarded in this run
    rejects_in_row: int = 0
    plan_id: str = ""  # the last plan requested (awaited or executing)
    awaiting: str | None = None  # the plan id whose ActionPlan is awaited
    requested_s: float = math.nan  # when `awaiting` was requested
    want_since_s: float | None = None  # when the run began wanting to request a plan (None: not yet known)
    frames_after_s: float = -math.inf  # the newest frame must be taken at or after this to request a plan
    rows: np.ndarray | None = None  # the segment at the control rate [N, 14] (stage executing)
    row: int = 0  # next row to send
    end_pose_since_s: float = math.nan  # when the last row was sent (then braking to rest)
    start_offset: float = 0.0  # rad, |knot 0 replaced - positions[0]| over the joints, for the log
    clamped: int = 0  # commands of this segment the guard clamped
    held: int = 0  # commands of this segment the guard refused (hold)
    max_correction: float = 0.0  # largest correction of this segment's clamped commands
    last_score: float = math.nan
    pending_end: tuple[str, str] | None = None  # (outcome, reason) from cancel/fault/a callback
    result: ExecutionResult | None = None
    feedback_key: tuple | None = None
    feedback_s: float = -math.inf
    stage: str = PLANNING
    events: list[str] = field(default_factory=list)


class RecedingHorizonExecutor:
    """Plan → segment → replan, one control tick at a time; see the module docstring."""

    def __init__(self, embodiment: EmbodimentConfig, config: ExecutorConfig | None = None, plan_id_prefix: str = "plan"):
        if not isinstance(plan_id_prefix, str) or not plan_id_prefix:
            raise ValueError(f"plan_id_prefix must be a non-empty string, got {plan_id_prefix!r}")
        self.embodiment = embodiment
        self.config = config if config is not None else ExecutorConfig()
        self.plan_id_prefix = plan_id_prefix
        self._guard = CommandGuard.from_config(embodiment)
        self._guard_ready = False
        self._limits = embodiment.limits
        self._dof = self._limits.dof
        self._joints = ~np.asarray(self._limits.is_gripper, dtype=bool)
        span = self._limits.position_max - self._limits.position_min
        self._q_low = self._limits.position_min - LIMIT_RTOL * span
        self._q_high = self._limits.position_max + LIMIT_RTOL * span
        self._max_start_deviation = embodiment.safety.max_start_deviation_rad
        self._plans_requested = 0  # never reset: plan ids stay unique across runs
        self._run: _Run | None = None

    # ----------------------------------------------------------------------------------- state

    @property
    def running(self) -> bool:
        """A run was started and the Tick with its result has not been returned yet."""
        return self._run is not None and self._run.result is None

    @property
    def stage(self) -> str:
        """"idle" (never started), "planning", "executing" or "finished"."""
        return IDLE if self._run is None else self._run.stage

    @property
    def segments(self) -> int:
        """Segments whose execution began in the current (or last) run."""
        return 0 if self._run is None else self._run.segments

    @property
    def plan_id(self) -> str:
        """The plan last requested in the current (or last) run; "" before the first request."""
        return "" if self._run is None else self._run.plan_id

    @property
    def last_command(self) -> np.ndarray | None:
        """The last command the guard sent (a copy); None before the first start."""
        return self._guard.last_sent if self._guard_ready else None

    @property
    def last_result(self) -> ExecutionResult | None:
        """The result of the last run that ended (None while running or before any run)."""
        return None if self._run is None else self._run.result

    # ------------------------------------------------------------------------------- lifecycle

    def start(self, goal: ExecutorGoal, obs: Observation) -> Tick:
        """Begin a run from the measured state in `obs`; returns the first Tick (a hold command, and a
        plan request if the camera is ready). Raises ValueError when `obs` has no fresh, finite joint
        state (nothing safe can be commanded from it) and RuntimeError while a run is in progress."""
        if self.running:
            raise RuntimeError("a run is already in progress: cancel it and tick once before starting another")
        if not isinstance(goal, ExecutorGoal):
            raise TypeError(f"goal must be an ExecutorGoal, got {type(goal).__name__}")
        now = _time(obs.now_s)
        if now is None:
            raise ValueError(f"cannot start: now_s is not a finite time ({obs.now_s!r})")
        q, v, problem = self._read_state(obs, now)
        if problem is not None:
            raise ValueError(f"cannot start: {problem}")
        self._guard.reset(q, v)  # UnsafeStateError (a ValueError) cannot happen: q, v are finite
        self._guard_ready = True
        cfg = self.config
        run = _Run(
            goal=goal,
            max_segments=goal.max_segments or cfg.max_segments,
            max_duration_s=float(goal.max_duration_s or cfg.max_duration_s),
            start_s=now,
            last_now_s=now,
            want_since_s=now,
        )
        self._run = run
        run.events.append(
            f"run started: {goal.instruction!r}, at most {run.max_segments} segments of {cfg.segment_steps} plan steps"
            f" or {run.max_duration_s:g} s"
        )
        return self._step(obs)

    def tick(self, obs: Observation) -> Tick:
        """One control period: the command to send now and whatever else the node must do."""
        if not self._guard_ready:
            return Tick(None, None, None, None, ())
        if not self.running:
            return Tick(self._guard.hold()[0], None, None, None, ())
        return self._step(obs)

    def on_action_plan(self, plan_id: str, positions, score: float, safety_accepted: bool, now_s: float) -> None:
        """The safety-filtered ActionPlan of `plan_id`: `positions` [T, 14] at the plan rate, positions[0]
        the command for the frame the plan starts from; `score` its executability score (0-10);
        `safety_accepted` the filter's verdict. Only the awaited plan id is used; others are ignored.
        Takes effect at the next tick (an accepted plan's first command is sent then)."""
        run = self._run
        if not self.running or run.pending_end is not None:
            return
        if run.awaiting is None or plan_id != run.awaiting:
            waiting = f"waiting for {run.awaiting}" if run.awaiting else f"no plan awaited while {run.stage}"
            run.events.append(f"ignored action plan {plan_id!r}: {waiting}")
            return
        run.awaiting = None
        run.last_score = _float_or_nan(score)
        latency = _time(now_s)
        after = f" {latency - run.requested_s:.2f} s after the request" if latency is not None else ""
        rows, reasons = self._segment_from(positions, score, safety_accepted)
        if reasons:
            self._reject(plan_id, "; ".join(reasons))
            return
        run.rows, run.row = rows, 0
        run.clamped = run.held = 0
        run.max_correction = 0.0
        run.rejects_in_row = 0
        run.segments += 1
        run.stage = EXECUTING
        run.events.append(
            f"plan {plan_id} accepted (score {run.last_score:.2f}){after}: executing segment {run.segments},"
            f" {len(rows)} commands; step 0 moved {run.start_offset:.3f} rad onto the commanded pose"
        )

    def on_plan_failed(self, plan_id: str, reason: str, now_s: float) -> None:
        """The planner aborted or refused `plan_id`: a fault (the planner is broken), if it is the
        awaited plan; otherwise ignored (an earlier request's late answer)."""
        run = self._run
        if not self.running or run.pending_end is not None:
            return
        if plan_id != run.awaiting:
            run.events.append(f"ignored planner failure for {plan_id!r} (not awaited): {reason}")
            return
        run.pending_end = (FAULT, f"planner failed on {plan_id}: {reason}")

    def cancel(self, reason: str = "operator request") -> None:
        """End the run at the next tick with outcome "canceled" (the arms hold). Nothing outside a run."""
        self._request_end(CANCELED, reason)

    def fault(self, reason: str) -> None:
        """An external fault (camera node lost, driver fault): end the run at the next tick with outcome
        "fault" (the arms hold). Nothing outside a run."""
        self._request_end(FAULT, reason)

    def _request_end(self, outcome: str, reason: str) -> None:
        if self.running and self._run.pending_end is None:
            self._run.pending_end = (outcome, str(reason))

    # ------------------------------------------------------------------------------------ tick

    def _step(self, obs: Observation) -> Tick:
        """One tick of a running run."""
        run = self._run
        command, request = None, None
        now, end = self._check_run(obs)
        if end is None:
            if run.stage == EXECUTING:
                command, end = self._execute(obs, now)
            else:
                request, end = self._plan(obs, now)
        result = self._finish(*end, now) if end is not None else None
        if command is None:
            command = self._guard.hold()[0]
        feedback = self._feedback(now, force=result is not None)
        events = tuple(run.events)
        run.events.clear()
        return Tick(command, request, feedback, result, events)

    def _check_run(self, obs: Observation) -> tuple[float, tuple[str, str] | None]:
        """(time of this tick, the end of the run if it ends now for a reason of any stage)."""
        run = self._run
        now = _time(obs.now_s)
        if now is None:
            return run.last_now_s, (FAULT, f"clock fault: now_s is not a finite time ({obs.now_s!r})")
        if now < run.last_now_s:
            return run.last_now_s, (FAULT, f"clock fault: time went back {run.last_now_s - now:.6f} s")
        run.last_now_s = now
        if run.pending_end is not None:
            return now, run.pending_end
        if isinstance(obs.success, (bool, np.bool_)) and obs.success:
            where = f"executing segment {run.segments}" if run.stage == EXECUTING else f"after {run.segments} segments"
            return now, (SUCCESS, f"task success observed {where}")
        if now - run.start_s >= run.max_duration_s:
            return now, (TIME_LIMIT, f"time limit: {run.max_duration_s:g} s passed without success ({run.segments} segments)")
        return now, None

    def _plan(self, obs: Observation, now: float) -> tuple[str | None, tuple[str, str] | None]:
        """Stage planning: request a plan once the camera allows, or wait for the awaited one."""
        run, cfg = self._run, self.config
        if run.awaiting is not None:
            if now - run.requested_s > cfg.plan_timeout_s:
                return None, (FAULT, f"planner timeout: no action plan for {run.awaiting} within {cfg.plan_timeout_s:g} s")
            return None, None
        if run.want_since_s is None:
            run.want_since_s = now
        problem = self._camera_problem(obs, now)
        if problem is None:
            self._plans_requested += 1
            plan_id = f"{self.plan_id_prefix}-{self._plans_requested:04d}"
            run.plan_id = run.awaiting = plan_id
            run.requested_s = now
            run.want_since_s = None
            run.events.append(f"requesting plan {plan_id} for segment {run.segments + 1}")
            return plan_id, None
        waited_from = max(run.want_since_s, run.frames_after_s)
        if now - waited_from > cfg.camera_timeout_s:
            return None, (FAULT, f"lost camera: {problem} (waited {now - run.want_since_s:.2f} s for a frame)")
        return None, None

    def _execute(self, obs: Observation, now: float) -> tuple[np.ndarray | None, tuple[str, str] | None]:
        """Stage executing: send the next row of the segment, then brake to rest after the last one."""
        run = self._run
        _, _, problem = self._read_state(obs, now)
        if problem is not None:
            return None, (FAULT, f"lost joint feedback: {problem}")
        rows = run.rows
        if run.row < len(rows):
            command, report = self._guard.apply(rows[run.row], now, now)
            run.row += 1
            if report.status == "clamped":
                run.clamped += 1
                run.max_correction = max(run.max_correction, report.correction)
            elif report.status == "hold":
                run.held += 1
            if run.row < len(rows):
                return command, None
            run.end_pose_since_s = now
        else:
            command, report = self._guard.hold()
        if report.at_rest:
            return command, self._segment_done(now, command)
        if now - run.end_pose_since_s > END_POSE_TIMEOUT_S:
            run.events.append(f"segment {run.segments}: the arms did not come to rest within {END_POSE_TIMEOUT_S:g} s")
            return command, self._segment_done(now, command)
        return command, None

    def _segment_done(self, now: float, command: np.ndarray) -> tuple[str, str] | None:
        run = self._run
        beyond = float(np.abs(command - run.rows[-1])[self._joints].max(initial=0.0))
        run.events.append(
            f"segment {run.segments} done: {len(run.rows)} commands, {run.clamped} clamped by the guard"
            f" (largest correction {run.max_correction:.4f}), {run.held} held; at rest {beyond:.4f} rad"
            " beyond its last knot"
        )
        run.rows = None
        if run.segments >= run.max_segments:
            return SEGMENT_LIMIT, f"segment limit: {run.segments} segments executed without success"
        run.stage = PLANNING
        run.want_since_s = now
        run.frames_after_s = now + self.config.settle_s
        return None

    def _finish(self, outcome: str, reason: str, now: float) -> ExecutionResult:
        run = self._run
        run.stage = FINISHED
        run.rows = None
        run.awaiting = None
        run.result = ExecutionResult(
            success=outcome == SUCCESS,
            outcome=outcome,
            reason=reason,
            segments=run.segments,
            plans_rejected=run.rejected,
            duration_s=max(0.0, now - run.start_s),
        )
        run.events.append(f"run ended: {outcome}: {reason}")
        return run.result

    def _feedback(self, now: float, force: bool) -> Feedback | None:
        run = self._run
        segment = run.segments + 1 if run.stage == PLANNING else run.segments
        feedback = Feedback(segment, run.stage, run.plan_id, run.last_score)
        key = (segment, run.stage, run.plan_id, None if math.isnan(run.last_score) else run.last_score)
        if force or key != run.feedback_key or now - run.feedback_s >= self.config.feedback_period_s:
            run.feedback_key, run.feedback_s = key, now
            return feedback
        return None

    # ------------------------------------------------------------------------------- judgement

    def _read_state(self, obs: Observation, now: float) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
        """(position, velocity, None) from a usable joint state in `obs`, else (None, None, problem)."""
        if obs.joint_position is None or obs.joint_stamp_s is None:
            return None, None, "no joint state received"
        q = _vector(obs.joint_position, self._dof)
        if isinstance(q, str):
            return None, None, f"joint position {q}"
        stamp = _time(obs.joint_stamp_s)
        if stamp is None:
            return None, None, f"joint state stamp is not a finite time ({obs.joint_stamp_s!r})"
        age = now - stamp
        if age > self.config.state_timeout_s:
            return None, None, f"newest joint state is {age:.3f} s old (limit {self.config.state_timeout_s:g} s)"
        if -age > self.config.state_timeout_s:
            return None, None, f"joint state stamped {-age:.3f} s in the future (clock fault)"
        if obs.joint_velocity is None:
            return q, np.zeros(self._dof), None
        v = _vector(obs.joint_velocity, self._dof)
        if isinstance(v, str):
            return None, None, f"joint velocity {v}"
        return q, v, None

    def _camera_problem(self, obs: Observation, now: float) -> str | None:
        """Why no plan can be requested from the plan camera now (None: it can)."""
        cfg, run = self.config, self._run
        if obs.frame_stamp_s is None:
            return "no plan-camera frame received"
        stamp = _time(obs.frame_stamp_s)
        if stamp is None:
            return f"plan-camera frame stamp is not a finite time ({obs.frame_stamp_s!r})"
        if not obs.history_ready:
            return f"fewer than {cfg.history_frames} plan-camera frames to condition the planner on"
        age = now - stamp
        if age > cfg.camera_timeout_s:
            return f"newest plan-camera frame is {age:.2f} s old (limit {cfg.camera_timeout_s:g} s)"
        if stamp < run.frames_after_s:
            return f"no plan-camera frame taken since the arms came to rest (newest {run.frames_after_s - stamp:.3f} s too early)"
        return None

    def _segment_from(self, positions, score, safety_accepted) -> tuple[np.ndarray | None, list[str]]:
        """(the segment's commands at the control rate, []) for a usable plan, else (None, reasons)."""
        cfg, run = self.config, self._run
        reasons = []
        value = _float_or_nan(score)
        if not math.isfinite(value):
            reasons.append(f"score {score!r} is not a finite number")
        elif value < cfg.min_score:
            reasons.append(f"score {value:.2f} is below min_score {cfg.min_score:g}")
        if cfg.require_safety_accept and not (isinstance(safety_accepted, (bool, np.bool_)) and safety_accepted):
            reasons.append("the safety filter rejected it")
        try:
            plan = np.array(positions, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            return None, reasons + ["positions are not a numeric [T, 14] array"]
        if plan.ndim != 2 or plan.shape[1] != self._dof:
            return None, reasons + [f"positions have shape {list(plan.shape)}, expected [T, {self._dof}]"]
        if len(plan) < 2:
            return None, reasons + [f"the plan has {len(plan)} step(s), at least 2 are needed to move"]
        if not np.isfinite(plan).all():
            return None, reasons + [f"positions contain NaN or inf ({int(np.count_nonzero(~np.isfinite(plan)))} of {plan.size} values)"]
        outside = np.maximum(self._q_low - plan, plan - self._q_high).max()
        if outside > 0:
            reasons.append(f"positions are outside the position limits (by up to {outside:.4f}): not a filtered plan")
        current = self._guard.last_sent
        offset = float(np.abs(plan[0] - current)[self._joints].max(initial=0.0))
        if offset > self._max_start_deviation:
            reasons.append(
                f"step 0 is {offset:.3f} rad from the commanded pose (limit {self._max_start_deviation:g} rad)"
            )
        if reasons:
            return None, reasons
        steps = min(cfg.segment_steps, len(plan) - 1)
        # Knots 0 .. steps are executed; knot steps + 1 (the plan's next step, or a linear extrapolation
        # when the plan ends there) only gives the spline the plan's own velocity at the last one.
        after = plan[steps + 1] if len(plan) > steps + 1 else 2.0 * plan[steps] - plan[steps - 1]
        knots = np.concatenate([plan[: steps + 1], after[None]])
        knots[0] = current  # see "Knot 0" in the module docstring
        run.start_offset = offset
        knot_dt = self.embodiment.plan_dt * cfg.time_scale  # the plan's timing, stretched (config.time_scale)
        spline = upsample_plan(knots, knot_dt, self.embodiment.control_dt)
        last = int(math.floor(steps * knot_dt / self.embodiment.control_dt + 1e-9))
        # Row 0 is the last command sent; row `last` is at knot `steps` (within a tick before it when
        # plan_dt is not a whole number of ticks: 12.5 on the PiPER, for odd `steps`).
        return spline[1 : last + 1], []

    def _reject(self, plan_id: str, reason: str) -> None:
        run, cfg = self._run, self.config
        run.rejected += 1
        run.rejects_in_row += 1
        run.events.append(f"plan {plan_id} rejected ({run.rejects_in_row} in a row): {reason}")
        if run.rejects_in_row >= cfg.max_consecutive_rejects:
            run.pending_end = (FAULT, f"{run.rejects_in_row} plans rejected in a row (last, {plan_id}: {reason})")
        else:
            run.want_since_s = None  # the next tick requests a new plan as soon as the camera allows


def _time(value) -> float | None:
    """`value` as a finite float, else None."""
    try:
        t = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return t if math.isfinite(t) else None


def _float_or_nan(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _vector(value, n: int) -> np.ndarray | str:
    """`value` as a finite [n] float array, or a description of what is wrong with it."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return "is not a numeric vector"
    if array.shape != (n,):
        return f"has shape {list(array.shape)}, expected [{n}]"
    if not np.isfinite(array).all():
        return "contains NaN or inf"
    return array
