"""The main job's client node: resets simulated episodes, runs each through `execute_task`, records.

    client = EpisodeClient(embodiment, recorder)        # an rclpy node in the bringup process
    client.wait_for_graph(timeout_s)                     # every server the job needs is up
    outcome = client.run_episode(task, seed, spin)       # reset, execute, wait for the result

Recording (when a `RunRecorder` is given) listens to the topics the graph already publishes: every
camera, the video plans, the decoded and filtered action plans, the commands sent and the measured
joint states; nothing in the graph knows it is being recorded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rclpy.action import ActionClient
from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import Image, JointState

from eva.conversions import MessageError, image_array, joint_state_position, safety_report_dict, to_seconds, trajectory_positions
from eva_interfaces.action import ExecuteTask, GeneratePlan
from eva_interfaces.msg import ActionPlan, VideoPlan
from eva_interfaces.srv import ResetEpisode

CAMERAS = ("cam_high", "cam_left_wrist", "cam_right_wrist")


@dataclass(frozen=True)
class EpisodeOutcome:
    seed: int
    success: bool
    outcome: str
    reason: str
    segments: int
    plans_rejected: int
    duration_s: float

    def to_json(self) -> dict:
        return {
            "seed": self.seed, "success": self.success, "outcome": self.outcome, "reason": self.reason,
            "segments": self.segments, "plans_rejected": self.plans_rejected, "duration_s": round(self.duration_s, 3),
        }


class GraphError(RuntimeError):
    """The node graph is not (or no longer) there: a server never came up or a call went unanswered."""


JOINT_QUEUE_DEPTH = 2000


class EpisodeClient(Node):
    def __init__(self, embodiment, recorder=None, *, cameras=CAMERAS, live=None):
        super().__init__("bringup_client")
        self.names = list(embodiment.joint_names)
        self.recorder = recorder
        self.live = live  # an optional LiveView (Rerun)
        self.execute_client = ActionClient(self, ExecuteTask, "/executor/execute_task")
        self.plan_client = ActionClient(self, GeneratePlan, "/planner/generate_plan")  # only to see it is up
        self.reset_client = self.create_client(ResetEpisode, "/sim_robot/reset_episode")
        self.feedback: ExecuteTask.Feedback | None = None
        self.last_command_s = -math.inf  # monotonic arrival time of the last /joint_commands message
        if recorder is None and live is None:  # only to see when the executor stops commanding
            self.create_subscription(JointState, "/joint_commands", self.on_command, 10)
        else:
            qos = QoSProfile(depth=10)
            for camera in cameras:
                self.create_subscription(Image, f"/cameras/{camera}/image_raw", lambda m, c=camera: self.on_camera(c, m), qos)
            self.create_subscription(VideoPlan, "/video_plan", self.on_video_plan, 5)
            self.create_subscription(ActionPlan, "/action_plan/decoded", self.on_action_plan, 10)
            self.create_subscription(ActionPlan, "/action_plan/filtered", self.on_action_plan, 10)
            # 200 Hz streams: a deep queue (10 s) so that a slow spin (episode end, video encoding on a
            # loaded CPU) never drops a command from the record; a gap would read as a jump.
            self.create_subscription(JointState, "/joint_commands", self.on_command, JOINT_QUEUE_DEPTH)
            self.create_subscription(JointState, "/joint_states", self.on_joint_state, JOINT_QUEUE_DEPTH)

    def now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # ------------------------------------------------------------------------------------ the job

    def wait_for_graph(self, spin: Callable[[float], None], timeout_s: float, nodes: Sequence[str], sim: bool = True) -> None:
        """Until every node of the graph is discovered and the job's servers answer."""
        deadline = time.monotonic() + timeout_s
        while True:
            missing = sorted(set(nodes) - set(self.get_node_names()))
            # A node's name shows before it has loaded its model: wait for what each one serves.
            if not self.execute_client.server_is_ready():
                missing.append("/executor/execute_task")
            if not self.plan_client.server_is_ready():
                missing.append("/planner/generate_plan")
            for topic, reader in (("/video_plan", "idm"), ("/action_plan/decoded", "safety_filter")):
                if self.count_subscribers(topic) - (1 if self.recorder is not None or self.live is not None else 0) < 1:
                    missing.append(f"{topic} ({reader})")
            if sim and not self.reset_client.service_is_ready():
                missing.append("/sim_robot/reset_episode")
            if not missing:
                return
            if time.monotonic() > deadline:
                raise GraphError(f"not up after {timeout_s:.0f} s: {', '.join(missing)}")
            spin(0.1)

    def reset(self, task: str, seed: int, spin: Callable[[float], None], timeout_s: float = 30.0) -> ResetEpisode.Response:
        future = self.reset_client.call_async(ResetEpisode.Request(task=task, seed=seed))
        response = self._wait(future, spin, timeout_s, "reset_episode")
        if not response.success:
            raise GraphError(f"reset_episode refused: {response.message}")
        return response

    def execute(self, instruction: str, task: str, max_duration_s: float, spin: Callable[[float], None],
                timeout_s: float, max_segments: int = 0, abort: Callable[[], str | None] | None = None) -> ExecuteTask.Result:
        """Send the goal and wait for its result; `abort()` returning a reason cancels the goal."""
        goal = ExecuteTask.Goal(instruction=instruction, task=task, max_segments=max_segments, max_duration_s=max_duration_s)
        handle = self._wait(self.execute_client.send_goal_async(goal, feedback_callback=self.on_feedback), spin, 10.0, "execute_task goal")
        if not handle.accepted:
            raise GraphError("execute_task refused the goal (a task is already running?)")
        result_future = handle.get_result_async()
        deadline = time.monotonic() + timeout_s
        canceled = False
        while not result_future.done():
            reason = abort() if abort is not None else None
            if (reason or time.monotonic() > deadline) and not canceled:
                handle.cancel_goal_async()
                canceled = True
                deadline = time.monotonic() + 10.0
            elif canceled and time.monotonic() > deadline:
                raise GraphError("execute_task did not answer a cancel within 10 s")
            spin(0.05)
        return result_future.result().result

    def _wait(self, future, spin, timeout_s: float, what: str):
        deadline = time.monotonic() + timeout_s
        while not future.done():
            if time.monotonic() > deadline:
                raise GraphError(f"{what}: no answer within {timeout_s:.0f} s")
            spin(0.05)
        return future.result()

    def on_feedback(self, message) -> None:
        self.feedback = message.feedback

    # ----------------------------------------------------------------------------------- recording

    def on_camera(self, camera: str, msg: Image) -> None:
        try:
            frame, stamp = image_array(msg), to_seconds(msg.header.stamp)
            if self.recorder is not None:
                self.recorder.add_camera_frame(camera, stamp, frame)
            if self.live is not None:
                self.live.camera(camera, stamp, frame)
        except MessageError as err:
            self.get_logger().warn(f"{camera}: frame not recorded: {err}", throttle_duration_sec=5.0)

    def on_video_plan(self, msg: VideoPlan) -> None:
        try:
            frames = np.stack([image_array(m) for m in msg.frames])
        except (MessageError, ValueError):
            return
        if self.recorder is not None:
            self.recorder.add_video_plan(msg.plan_id, to_seconds(msg.header.stamp), frames, msg.fps, msg.instruction, msg.backend, msg.planning_time_s)
        if self.live is not None:
            self.live.plan(msg.plan_id, to_seconds(msg.header.stamp), frames, msg.fps or 16.0)

    def on_action_plan(self, msg: ActionPlan) -> None:
        if self.recorder is None:
            return
        try:
            positions = trajectory_positions(msg.trajectory, self.names)
        except MessageError:
            positions = np.zeros((0, len(self.names)))
        self.recorder.add_action_plan(
            msg.plan_id, to_seconds(msg.header.stamp), positions, filtered=msg.filtered, score=msg.score, reward=msg.reward,
            reward_terms=dict(zip(msg.reward_term_names, msg.reward_terms)), safety=safety_report_dict(msg.safety) if msg.filtered else None,
            decode_time_s=msg.decode_time_s, filter_time_s=msg.filter_time_s if msg.filtered else None,
        )

    def on_command(self, msg: JointState) -> None:
        self.last_command_s = time.monotonic()
        if self.recorder is not None or self.live is not None:
            self._joints("command", msg)

    def commands_quiet_for(self) -> float:
        """Seconds since the last command arrived (inf when none ever did)."""
        return time.monotonic() - self.last_command_s

    def on_joint_state(self, msg: JointState) -> None:
        self._joints("measured", msg)

    def _joints(self, kind: str, msg: JointState) -> None:
        try:
            q, stamp = joint_state_position(msg, self.names), to_seconds(msg.header.stamp)
        except MessageError:
            return
        if self.recorder is not None:
            (self.recorder.add_command if kind == "command" else self.recorder.add_joint_state)(stamp, q)
        if self.live is not None:
            self.live.joints(kind, stamp, q)
