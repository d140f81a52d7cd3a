"""The planner node in-process with the sim_oracle backend: it waits for the world snapshot service.

Every process discovers the others on its own, so right after start-up the planner may not have seen
the simulated robot's service yet even though the job has (seen once in CI: the first plan of a run
failed with "no world snapshot service"). A plan now waits up to `snapshot_wait_s` for it, without
blocking the node's executor.
"""

from __future__ import annotations

import time

import numpy as np
from rclpy.action import ActionClient
from rclpy.parameter import Parameter

from eva.conversions import image_msg
from eva.nodes.planner_node import PlannerNode
from eva.nodes.sim_robot_node import SimRobotNode
from eva_interfaces.action import GeneratePlan
from eva_interfaces.msg import VideoPlan

NUM_FRAMES = 5  # a short plan keeps the rendering quick


def planner(ros, wait_s: float) -> PlannerNode:
    overrides = [Parameter("backend", value="sim_oracle"), Parameter("snapshot_wait_s", value=wait_s)]
    return ros.add(PlannerNode(context=ros.context, parameter_overrides=overrides))


def send_goal(ros, plan_id: str):
    client = ActionClient(ros.helper, GeneratePlan, "/planner/generate_plan")
    assert client.wait_for_server(timeout_sec=10.0)
    frame = np.zeros((120, 160, 3), np.uint8)
    goal = GeneratePlan.Goal(plan_id=plan_id, instruction="press the red button", num_frames=NUM_FRAMES,
                             history=[image_msg(frame, 0.0, "cam_high")] * 4)
    sent = client.send_goal_async(goal)
    assert ros.spin_until(sent.done) and sent.result().accepted
    return sent.result().get_result_async()


def test_a_plan_without_the_snapshot_service_aborts_after_the_wait_naming_it(ros):
    planner(ros, wait_s=0.5)
    ticks = []
    ros.helper.create_timer(0.05, lambda: ticks.append(time.monotonic()))
    started = time.monotonic()
    result = send_goal(ros, "p-alone")
    assert ros.spin_until(result.done, 10.0)
    outcome = result.result().result
    assert not outcome.ok and "/sim_robot/get_world_snapshot" in outcome.message
    assert time.monotonic() - started >= 0.5
    assert len(ticks) >= 5  # the executor kept serving other callbacks while the plan waited


def test_a_plan_sent_before_the_simulated_robot_is_discovered_still_succeeds(ros):
    planner(ros, wait_s=10.0)
    plans = []
    ros.helper.create_subscription(VideoPlan, "/video_plan", plans.append, 5)
    result = send_goal(ros, "p-early")
    ros.spin_for(0.3)
    assert not result.done()  # waiting for the service, not failed
    ros.add(SimRobotNode(context=ros.context, parameter_overrides=[]))
    assert ros.spin_until(result.done, 30.0)
    outcome = result.result().result
    assert outcome.ok, outcome.message
    assert ros.spin_until(lambda: bool(plans), 5.0)
    assert plans[0].plan_id == "p-early" and len(plans[0].frames) == NUM_FRAMES
