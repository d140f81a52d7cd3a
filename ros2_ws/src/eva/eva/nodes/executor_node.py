"""Receding-horizon executor node: the `execute_task` action over `eva_core.executor`.

Per segment: ask `/planner/generate_plan` for a plan conditioned on the latest frames of the plan
camera, wait for `/action_plan/filtered` of that plan id (decoded by the IDM, filtered by the safety
node), stream its first segment to `/joint_commands` at the control rate, then replan. The core
decides everything (thresholds, timeouts, limits); this node feeds it observations from topics at
200 Hz and carries out what it returns. While a plan is awaited, and after any fault, the commands
it sends hold the arms still; a planner node that disappears is a fault at once.
"""

from __future__ import annotations

import math
import secrets

import numpy as np
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.task import Future
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Bool

from eva.conversions import MessageError, joint_state_msg, joint_state_position, joint_state_velocity, to_seconds, trajectory_positions
from eva.node_support import EvaNode, main_for
from eva_core.config import load_yaml
from eva_core.executor import ExecutionResult, ExecutorConfig, ExecutorGoal, FrameHistory, Observation, RecedingHorizonExecutor
from eva_interfaces.action import ExecuteTask, GeneratePlan
from eva_interfaces.msg import ActionPlan

GRACE_HOLD_S = 0.5  # keep sending the hold this long after a run ends, then let the driver's watchdog hold
# A goal waits this long for fresh joint feedback and for this process to have discovered the planner's
# action server (just after start-up or a reset; each process discovers the others on its own).
START_TIMEOUT_S = 5.0


class ExecutorNode(EvaNode):
    def __init__(self, **node_options) -> None:
        super().__init__("executor", **node_options)  # node_options: context, parameter_overrides (in-process tests)
        self.embodiment = self.load_embodiment_parameter()
        config_path = self.declare("config", "", "executor YAML (segment length, thresholds, timeouts); empty: defaults")
        self.config = ExecutorConfig.from_mapping(load_yaml(config_path) if config_path else {}, source=config_path or "defaults")
        camera = self.declare("plan_camera", "cam_high", "camera whose frames condition the planner")
        self.names = list(self.embodiment.joint_names)
        # A per-process prefix: a late plan of a previous executor process can never match a new request.
        self.core = RecedingHorizonExecutor(self.embodiment, self.config, plan_id_prefix=f"plan-{secrets.token_hex(2)}")
        self.history = FrameHistory(max(self.config.history_frames, 1))
        self.joint: tuple[np.ndarray, np.ndarray | None, float] | None = None
        self.success: tuple[bool, float] | None = None  # value, arrival time
        self.goal_started_s = math.inf
        self.result_future: Future | None = None
        self.goal_handle = None
        self.hold_until_s = -math.inf
        self.instruction = ""
        self.pending_start: tuple[ExecutorGoal, float] | None = None  # goal waiting for fresh feedback, deadline

        self.command_pub = self.create_publisher(JointState, "/joint_commands", 10)
        self.create_subscription(JointState, "/joint_states", self.on_joint_state, 10)
        self.create_subscription(Image, f"/cameras/{camera}/image_raw", self.on_frame, 5)
        self.create_subscription(Bool, "/task_success", self.on_success, 10)
        self.create_subscription(ActionPlan, "/action_plan/filtered", self.on_action_plan, 10)
        self.diagnostics = self.diagnostics_publisher()
        self.plan_client = ActionClient(self, GeneratePlan, "/planner/generate_plan")
        self.server = ActionServer(
            self, ExecuteTask, "~/execute_task", execute_callback=self.execute,
            goal_callback=self.on_goal, cancel_callback=self.on_cancel,
        )
        self.create_timer(self.embodiment.control_dt, self.on_tick)

    # ------------------------------------------------------------------------------- observations

    def on_joint_state(self, msg: JointState) -> None:
        try:
            self.joint = (joint_state_position(msg, self.names), joint_state_velocity(msg, self.names), to_seconds(msg.header.stamp))
        except MessageError as err:
            self.get_logger().warning(f"joint state ignored: {err}", throttle_duration_sec=1.0)

    def on_frame(self, msg: Image) -> None:
        self.history.push(to_seconds(msg.header.stamp), msg)

    def on_success(self, msg: Bool) -> None:
        self.success = (bool(msg.data), self.now_s())

    def observation(self) -> Observation:
        now = self.now_s()
        q, v, stamp = self.joint if self.joint is not None else (None, None, None)
        frames = [s for s, _ in self.history.latest(self.config.history_frames) if s >= self.goal_started_s]
        success = self.success[0] if self.success is not None and self.success[1] > self.goal_started_s + 0.2 else None
        return Observation(
            now_s=now, joint_position=q, joint_velocity=v, joint_stamp_s=stamp,
            frame_stamp_s=self.history.newest_stamp, history_ready=len(frames) >= self.config.history_frames, success=success,
        )

    # -------------------------------------------------------------------------------- action server

    def on_goal(self, goal) -> GoalResponse:
        if self.core.running or self.pending_start is not None or self.goal_handle is not None:
            self.get_logger().warning("execute_task refused: a task is already running")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def on_cancel(self, goal_handle) -> CancelResponse:
        self.core.cancel("canceled by the client")
        return CancelResponse.ACCEPT

    async def execute(self, goal_handle):
        goal = goal_handle.request
        self.goal_started_s = self.now_s()
        self.instruction = goal.instruction
        self.goal_handle = goal_handle
        self.result_future = Future()
        self.pending_start = (ExecutorGoal(goal.instruction, int(goal.max_segments), float(goal.max_duration_s)), self.goal_started_s + START_TIMEOUT_S)
        outcome = await self.result_future
        if outcome.outcome == "canceled":
            goal_handle.canceled()
        elif outcome.success:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        self.goal_handle = None
        return ExecuteTask.Result(
            success=outcome.success, outcome=outcome.outcome, reason=outcome.reason, segments=outcome.segments,
            plans_rejected=outcome.plans_rejected, duration_s=outcome.duration_s,
        )

    def try_start(self) -> None:
        """Start the pending goal once joint feedback is fresh and the planner is discovered; past the
        deadline it starts anyway and faults on what is missing (stale state, no planner server)."""
        goal, deadline = self.pending_start
        obs = self.observation()
        fresh = obs.joint_stamp_s is not None and obs.now_s - obs.joint_stamp_s <= self.config.state_timeout_s
        if not (fresh and self.plan_client.server_is_ready()) and obs.now_s < deadline:
            return
        self.pending_start = None
        try:
            self.carry_out(self.core.start(goal, obs))
        except ValueError as err:
            self.result_future.set_result(ExecutionResult(False, "fault", f"cannot start: {err}", 0, 0, 0.0))

    # ------------------------------------------------------------------------------------ control

    def on_tick(self) -> None:
        if self.pending_start is not None:
            self.try_start()
        if not self.core.running and self.now_s() > self.hold_until_s:
            return
        if self.core.running and self.core.stage == "planning" and not self.plan_client.server_is_ready():
            self.core.fault("planner node lost: /planner/generate_plan has no server")
        self.carry_out(self.core.tick(self.observation()))

    def carry_out(self, tick) -> None:
        now = self.now_s()
        if tick.command is not None:
            self.command_pub.publish(joint_state_msg(self.names, tick.command, now))
        for event in tick.events:
            self.get_logger().info(event)
        if tick.request_plan is not None:
            self.request_plan(tick.request_plan)
        if tick.feedback is not None and self.goal_handle is not None:
            f = tick.feedback
            self.goal_handle.publish_feedback(ExecuteTask.Feedback(segment=f.segment, stage=f.stage, plan_id=f.plan_id, last_score=float(f.last_score)))
        if tick.result is not None:
            self.hold_until_s = now + GRACE_HOLD_S
            r = tick.result
            level = "ok" if r.success else "warn" if r.outcome in ("segment_limit", "time_limit", "canceled") else "error"
            self.publish_status(self.diagnostics, level, f"{r.outcome}: {r.reason}", segments=r.segments, plans_rejected=r.plans_rejected)
            line = f"run ended: {r.outcome} ({r.reason}) after {r.segments} segments"
            if r.success:  # rclpy refuses one call site logging at two severities
                self.get_logger().info(line)
            else:
                self.get_logger().warning(line)
            if self.result_future is not None and not self.result_future.done():
                self.result_future.set_result(r)

    def request_plan(self, plan_id: str) -> None:
        frames = [msg for _, msg in self.history.latest(self.config.history_frames)]
        if not self.plan_client.server_is_ready():
            self.core.on_plan_failed(plan_id, "no planner server", self.now_s())
            return
        goal = GeneratePlan.Goal(plan_id=plan_id, instruction=self.instruction, history=frames)
        future = self.plan_client.send_goal_async(goal)
        future.add_done_callback(lambda f: self.on_plan_goal_response(plan_id, f))

    def on_plan_goal_response(self, plan_id: str, future) -> None:
        handle = future.result()
        if not handle.accepted:
            self.core.on_plan_failed(plan_id, "the planner refused the goal", self.now_s())
            return
        handle.get_result_async().add_done_callback(lambda f: self.on_plan_result(plan_id, f))

    def on_plan_result(self, plan_id: str, future) -> None:
        result = future.result().result
        if not result.ok:
            self.core.on_plan_failed(plan_id, result.message or "the planner failed", self.now_s())

    def on_action_plan(self, msg: ActionPlan) -> None:
        if not msg.filtered:
            return
        try:
            positions = trajectory_positions(msg.trajectory, self.names)
        except MessageError:
            positions = np.full((0, len(self.names)), np.nan)
        self.core.on_action_plan(msg.plan_id, positions, float(msg.score), msg.safety.verdict == "accept", self.now_s())

    def on_shutdown(self) -> None:
        if self.core.running:
            self.core.cancel("executor shutting down")
            tick = self.core.tick(self.observation())
            if tick.command is not None:
                self.command_pub.publish(joint_state_msg(self.names, tick.command, self.now_s()))


main = main_for(ExecutorNode)

if __name__ == "__main__":
    raise SystemExit(main())
