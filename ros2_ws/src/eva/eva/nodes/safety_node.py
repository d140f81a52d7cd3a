"""Safety filter node (plan level): every decoded action plan, from the latest measured joint state.

`/action_plan/decoded` + `/joint_states` -> `/action_plan/filtered`: the plan made to respect the
position, velocity and acceleration limits (`eva_core.safety.filter_plan`), with the verdict. A plan
that arrives while the joint state is missing, stale or non-finite is rejected (nothing can be
filtered against an unknown state), so the executor replans instead of executing it.
"""

from __future__ import annotations

import time

import numpy as np
from sensor_msgs.msg import JointState

from eva.conversions import MessageError, joint_state_position, joint_state_velocity, safety_report_msg, to_seconds, trajectory_msg, trajectory_positions
from eva.node_support import EvaNode, main_for
from eva_core.safety import UnsafeStateError, filter_plan
from eva_interfaces.msg import ActionPlan


class SafetyNode(EvaNode):
    def __init__(self, **node_options) -> None:
        super().__init__("safety_filter", **node_options)  # node_options: context, parameter_overrides (in-process tests)
        self.embodiment = self.load_embodiment_parameter()
        self.state_timeout_s = self.declare("state_timeout_s", 0.2, "joint state older than this (s) is not used to filter")
        self.check_clearance = self.declare("check_clearance", True, "check the distance between the two arms along each plan")
        # "plan": filter the grippers from the plan's first opening, not the measured one, which a gripper
        # squeezing an object never reaches (filtering from it would open the grasp at every replan).
        self.gripper_start = self.declare("gripper_start", "plan", "'plan' or 'measured': where the grippers' filtered trajectory starts")
        if self.gripper_start not in ("plan", "measured"):
            raise ValueError(f"parameter gripper_start must be 'plan' or 'measured', got {self.gripper_start!r}")
        self.names = list(self.embodiment.joint_names)
        self.state: tuple[np.ndarray, np.ndarray | None, float] | None = None  # position, velocity, stamp
        self.publisher = self.create_publisher(ActionPlan, "/action_plan/filtered", 10)
        self.create_subscription(JointState, "/joint_states", self.on_joint_state, 10)
        self.create_subscription(ActionPlan, "/action_plan/decoded", self.on_plan, 10)

    def on_joint_state(self, msg: JointState) -> None:
        try:
            self.state = (joint_state_position(msg, self.names), joint_state_velocity(msg, self.names), to_seconds(msg.header.stamp))
        except MessageError as err:
            self.get_logger().warning(f"joint state ignored: {err}", throttle_duration_sec=1.0)

    def on_plan(self, msg: ActionPlan) -> None:
        start = time.perf_counter()
        out = ActionPlan()
        out.plan_id, out.reward, out.score = msg.plan_id, msg.reward, msg.score
        out.reward_term_names, out.reward_terms, out.decode_time_s = msg.reward_term_names, msg.reward_terms, msg.decode_time_s
        out.filtered = True
        plan_dt = self.embodiment.plan_dt
        reason = None
        try:
            decoded = trajectory_positions(msg.trajectory, self.names)
        except MessageError as err:
            decoded, reason = None, f"malformed_plan: {err}"
        if reason is None and (self.state is None or self.now_s() - self.state[2] > self.state_timeout_s):
            reason = "no_fresh_state"
        if reason is None:
            q, v, _ = self.state
            try:
                safe, report = filter_plan(q, decoded, self.embodiment, v, check_clearance=self.check_clearance,
                                           gripper_start=self.gripper_start)
                out.safety = safety_report_msg(report.to_dict())
                out.trajectory = trajectory_msg(self.names, safe, plan_dt, self.now_s())
            except (UnsafeStateError, ValueError) as err:
                reason = f"unsafe_state: {err}"
        if reason is not None:
            out.safety = safety_report_msg({"verdict": "reject", "reasons": [reason.split(":")[0]], "returned": "none", "steps": 0})
            out.trajectory = trajectory_msg(self.names, np.zeros((0, len(self.names))), plan_dt, self.now_s())
            self.get_logger().warning(f"plan {msg.plan_id} rejected: {reason}")
        out.filter_time_s = time.perf_counter() - start
        out.header.stamp = self.get_clock().now().to_msg()
        self.publisher.publish(out)


main = main_for(SafetyNode)

if __name__ == "__main__":
    raise SystemExit(main())
