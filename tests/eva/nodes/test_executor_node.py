"""The executor node in-process: a goal waits for the planner's server to be discovered before it starts.

Each process discovers the others on its own; a goal sent right after start-up used to fault at once
with "no planner server" when the executor had not yet seen the planner that the job had seen.
"""

from __future__ import annotations

from rclpy.action import ActionClient
from rclpy.parameter import Parameter

from eva.nodes.executor_node import START_TIMEOUT_S, ExecutorNode
from eva.nodes.planner_node import PlannerNode
from eva.nodes.sim_robot_node import SimRobotNode
from eva_interfaces.action import ExecuteTask, GeneratePlan
from eva_interfaces.msg import VideoPlan


def send_task(ros):
    client = ActionClient(ros.helper, ExecuteTask, "/executor/execute_task")
    assert client.wait_for_server(timeout_sec=10.0)
    sent = client.send_goal_async(ExecuteTask.Goal(instruction="press the red button", task="press_button", max_segments=1, max_duration_s=60.0))
    assert ros.spin_until(sent.done) and sent.result().accepted
    return sent.result()


def test_a_goal_sent_before_the_planner_is_discovered_requests_its_plan_once_it_is(ros):
    ros.add(SimRobotNode(context=ros.context, parameter_overrides=[]))
    ros.add(ExecutorNode(context=ros.context, parameter_overrides=[]))
    plans = []
    ros.helper.create_subscription(VideoPlan, "/video_plan", plans.append, 5)
    handle = send_task(ros)
    result = handle.get_result_async()
    ros.spin_for(1.0)
    assert not result.done()  # waiting for the planner, not a fault
    ros.add(PlannerNode(context=ros.context, parameter_overrides=[Parameter("backend", value="sim_oracle")]))
    assert ros.spin_until(lambda: bool(plans) or result.done(), 30.0)
    assert plans and not result.done(), result.result().result.reason if result.done() else "no plan"
    handle.cancel_goal_async()  # no IDM here: the plan would never be decoded
    assert ros.spin_until(result.done, 10.0)
    assert result.result().result.outcome == "canceled"


def test_without_a_planner_the_goal_faults_after_the_start_timeout(ros):
    ros.add(SimRobotNode(context=ros.context, parameter_overrides=[]))
    ros.add(ExecutorNode(context=ros.context, parameter_overrides=[]))
    # Precondition: no planner from an earlier test of this process is still discoverable.
    stale = ActionClient(ros.helper, GeneratePlan, "/planner/generate_plan")
    assert ros.spin_until(lambda: not stale.server_is_ready(), 10.0)
    result = send_task(ros).get_result_async()
    assert ros.spin_until(result.done, START_TIMEOUT_S + 10.0)
    outcome = result.result().result
    assert outcome.outcome == "fault" and "planner" in outcome.reason and outcome.segments == 0
