"""A closed loop for the executor core, without ROS: a plant, a camera and a fake planner in code.

`Loop` plays the node's part at 200 Hz on a simulated clock: it builds each `Observation` (joint
state from the plant, newest plan-camera frame, history readiness, success), calls `tick`, applies
the command to the plant, and answers plan requests through `planner(loop, plan_id, index)`, which
returns the replies to deliver (a filtered ActionPlan, a failure, or nothing) and when.

The plant is ideal (the measured state one tick later is the command sent, velocity by finite
difference), or the MuJoCo twin when `twin` is given (a `SimRobot`, one control tick per command);
the camera takes a frame every 1/30 s; "success" is every dimension within
`success_tol` of `goal`. Tests switch parts off (`camera_alive`, `feedback_alive`) to make faults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from eva_core.embodiment import JointLimits, load_embodiment
from eva_core.executor import ExecutorConfig, ExecutorGoal, Observation, RecedingHorizonExecutor, Tick
from eva_core.safety import limit_trajectory

EMBODIMENT = load_embodiment()
LIMITS = EMBODIMENT.limits
PLAN_DT = EMBODIMENT.plan_dt
CONTROL_DT = EMBODIMENT.control_dt
CAMERA_DT = 1.0 / 30.0
T0 = 100.0  # s, the loop's clock at the first tick (any monotonic origin)
# What the fake planner's plans respect: half the velocity and a third of the acceleration limits, as a
# decoded video plan of a careful motion would (plans at the limits at 16 Hz are clamped a little by
# the guard at 200 Hz: the spline between knots accelerates harder than their finite differences).
PLAN_LIMITS = JointLimits(
    LIMITS.names, LIMITS.position_min, LIMITS.position_max, 0.5 * LIMITS.velocity_max, LIMITS.acceleration_max / 3,
    LIMITS.is_gripper,
)


@dataclass
class Reply:
    """What the planner + IDM + safety filter send back for one request, `delay_s` after it."""

    delay_s: float
    plan_id: str
    positions: object = None  # [T, 14] (or anything: the executor must cope)
    score: object = 8.0
    accepted: object = True
    fail: str | None = None  # a planner failure instead of an ActionPlan


def plan_toward(q: np.ndarray, goal: np.ndarray, steps: int = 17) -> np.ndarray:
    """A smooth plan from `q` (at rest) toward `goal`, feasible at the plan rate: what a good world
    model decodes to after the safety filter. positions[0] = q (the current frame)."""
    desired = np.repeat(np.asarray(goal, dtype=np.float64)[None], steps, axis=0)
    desired[0] = q
    return limit_trajectory(q, None, desired, PLAN_DT, PLAN_LIMITS)


def good_planner(loop: "Loop", plan_id: str, index: int) -> list[Reply]:
    return [Reply(0.3, plan_id, plan_toward(loop.q, loop.goal))]


@dataclass
class Loop:
    config: ExecutorConfig = field(default_factory=ExecutorConfig)
    planner: Callable[["Loop", str, int], list[Reply]] = good_planner
    start_q: np.ndarray = field(default_factory=EMBODIMENT.ready_pose)
    goal: np.ndarray | None = None
    success_tol: float = 0.01
    judge_success: bool = True
    twin: object = None  # eva_sim.robot.SimRobot as the plant (None: ideal plant)

    def __post_init__(self) -> None:
        self.executor = RecedingHorizonExecutor(EMBODIMENT, self.config)
        self.now = T0
        self.q = np.array(self.start_q, dtype=np.float64)
        self.v = np.zeros_like(self.q)
        if self.twin is not None:
            self.twin.reset(self.q)
            self.q = self.twin.state()
        self.joint_stamp = self.now
        self.frame_stamps: list[float] = [self.now - k * CAMERA_DT for k in range(10)][::-1]
        self.run_started = -np.inf
        if self.goal is None:
            self.goal = self.q.copy()
        self.camera_alive = True
        self.feedback_alive = True
        self.pending: list[tuple[float, Reply]] = []
        self.requests: list[tuple[float, str]] = []
        self.commands: list[np.ndarray] = []  # every command, in order, from the start tick on
        self.ticks: list[Tick] = []
        self.results = []
        self.events: list[str] = []
        self.feedback = []
        self.result_tick: int | None = None  # index into commands of the tick with the result
        self.hooks: list[Callable[["Loop"], None]] = []  # called before each tick
        self.corrupt: Callable[[Observation], Observation] | None = None  # rewrites each observation

    # -- the world -----------------------------------------------------------------------------

    def observation(self) -> Observation:
        if self.camera_alive:
            while self.frame_stamps[-1] + CAMERA_DT <= self.now + 1e-12:
                self.frame_stamps.append(self.frame_stamps[-1] + CAMERA_DT)
            del self.frame_stamps[:-10]  # the node keeps a few; enough for any history_frames used here
        since_start = [s for s in self.frame_stamps if s >= self.run_started]
        success = None
        if self.judge_success:
            success = bool(np.max(np.abs(self.q - self.goal)) < self.success_tol)
        return Observation(
            now_s=self.now,
            joint_position=self.q.copy(),
            joint_velocity=self.v.copy(),
            joint_stamp_s=self.joint_stamp,
            frame_stamp_s=self.frame_stamps[-1],
            history_ready=len(since_start) >= self.config.history_frames,
            success=success,
        )

    def carry_out(self, tick: Tick) -> None:
        self.ticks.append(tick)
        self.events.extend(tick.events)
        if tick.feedback is not None:
            self.feedback.append(tick.feedback)
        if tick.command is not None:
            self.commands.append(tick.command.copy())
            if self.twin is not None:
                self.twin.command(tick.command)
                self.twin.step()
                self.q, self.v = self.twin.state(), self.twin.velocity()
            else:
                self.v = (tick.command - self.q) / CONTROL_DT
                self.q = tick.command.copy()
        if tick.request_plan is not None:
            self.requests.append((self.now, tick.request_plan))
            for reply in self.planner(self, tick.request_plan, len(self.requests) - 1):
                self.pending.append((self.now + reply.delay_s, reply))
        if tick.result is not None:
            self.results.append(tick.result)
            self.result_tick = len(self.commands) - 1

    def deliver(self) -> None:
        due = [item for item in self.pending if item[0] <= self.now + 1e-12]
        self.pending = [item for item in self.pending if item[0] > self.now + 1e-12]
        for _, reply in due:
            if reply.fail is not None:
                self.executor.on_plan_failed(reply.plan_id, reply.fail, self.now)
            else:
                self.executor.on_action_plan(reply.plan_id, reply.positions, reply.score, reply.accepted, self.now)

    # -- driving -------------------------------------------------------------------------------

    def start(self, goal: ExecutorGoal | None = None) -> Tick:
        self.run_started = self.ticks_t0 = self.now
        tick = self.executor.start(goal or ExecutorGoal("move to the goal"), self.observation())
        self.carry_out(tick)
        return tick

    def step(self, dt: float = CONTROL_DT) -> Tick:
        self.now += dt
        if self.feedback_alive:
            self.joint_stamp = self.now
        self.deliver()
        for hook in self.hooks:
            hook(self)
        obs = self.observation()
        tick = self.executor.tick(self.corrupt(obs) if self.corrupt else obs)
        self.carry_out(tick)
        return tick

    def once(self, when: Callable[["Loop"], bool], action: Callable[["Loop"], None]) -> None:
        """Do `action` before the first tick at which `when` holds."""
        done = []

        def hook(loop: "Loop") -> None:
            if not done and when(loop):
                done.append(True)
                action(loop)

        self.hooks.append(hook)

    def run(self, max_s: float = 30.0, after_s: float = 0.0):
        """Tick until the run ends (then `after_s` more), at most `max_s` of loop time. Returns the result."""
        end = self.now + max_s
        while self.now < end and not self.results:
            self.step()
        stop = self.now + after_s
        while self.now < stop - 1e-12:
            self.step()
        return self.results[-1] if self.results else None


@pytest.fixture(scope="session")
def make_loop():
    """`make_loop(**fields)` builds a `Loop`; also carries the helpers tests need."""

    def make(**kwargs) -> Loop:
        return Loop(**kwargs)

    make.Reply = Reply
    make.plan_toward = plan_toward
    make.embodiment = EMBODIMENT
    make.good_planner = good_planner
    return make
