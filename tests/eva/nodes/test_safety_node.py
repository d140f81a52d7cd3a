"""The plan-level safety node in-process: a decoded plan in, the filtered plan and verdict out."""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import JointState

from eva.conversions import joint_state_msg, trajectory_msg, trajectory_positions
from eva.nodes.safety_node import SafetyNode
from eva_core.embodiment import load_embodiment
from eva_core.safety import limit_violations
from eva_interfaces.msg import ActionPlan

EMB = load_embodiment()
NAMES = list(EMB.joint_names)


def test_filters_against_the_latest_state_and_rejects_without_one(ros):
    ros.add(SafetyNode(context=ros.context))
    out = []
    ros.helper.create_subscription(ActionPlan, "/action_plan/filtered", out.append, 10)
    plans = ros.helper.create_publisher(ActionPlan, "/action_plan/decoded", 10)
    states = ros.helper.create_publisher(JointState, "/joint_states", 10)
    now = lambda: ros.helper.get_clock().now().nanoseconds * 1e-9  # noqa: E731
    ready = EMB.ready_pose()
    plan = np.repeat(ready[None], 49, axis=0)
    plan[:, 0] += np.linspace(0, 0.3, 49) + 0.01 * np.sin(np.arange(49) * 3)  # a ramp with jitter to smooth out
    ros.spin_for(1.0)  # discovery

    plans.publish(ActionPlan(plan_id="p1", trajectory=trajectory_msg(NAMES, plan, EMB.plan_dt, now())))
    assert ros.spin_until(lambda: len(out) == 1)
    assert out[0].filtered and out[0].safety.verdict == "reject" and list(out[0].safety.reasons) == ["no_fresh_state"]

    def fresh_state():
        states.publish(joint_state_msg(NAMES, ready, now()))
        ros.spin_for(0.05)
        return False

    ros.spin_until(fresh_state, 0.5)
    plans.publish(ActionPlan(plan_id="p2", trajectory=trajectory_msg(NAMES, plan, EMB.plan_dt, now())))
    assert ros.spin_until(lambda: len(out) == 2)
    result = out[1]
    assert result.plan_id == "p2" and result.filtered
    filtered = trajectory_positions(result.trajectory, NAMES)
    assert filtered.shape == (49, 14)
    if result.safety.verdict == "accept":
        assert limit_violations(ready, None, filtered, EMB.plan_dt, EMB.limits) == {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}
    assert result.filter_time_s > 0
