"""The simulated robot node in-process: commands move the twin, and the world snapshot says so."""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import JointState

from eva.conversions import joint_state_msg
from eva.nodes.sim_robot_node import SimRobotNode
from eva_core.embodiment import load_embodiment
from eva_interfaces.srv import GetWorldSnapshot

EMB = load_embodiment()
NAMES = list(EMB.joint_names)


def test_commands_drive_the_twin_and_count_as_driven_ticks(ros):
    node = ros.add(SimRobotNode(context=ros.context, parameter_overrides=[]))
    commands = ros.helper.create_publisher(JointState, "/joint_commands", 10)
    snapshot = ros.helper.create_client(GetWorldSnapshot, "/sim_robot/get_world_snapshot")
    now = lambda: ros.helper.get_clock().now().nanoseconds * 1e-9  # noqa: E731
    ros.spin_for(1.0)  # discovery
    idle = ros.call(snapshot, GetWorldSnapshot.Request())
    assert idle.success and idle.driven_ticks == 0  # holding since the reset: not driven

    start = node.episode.robot.state()
    sent = {"n": 0}

    def stream() -> bool:  # a slow ramp of joint 1, one command per spin
        sent["n"] += 1
        q = start.copy()
        q[0] += min(0.2, 0.002 * sent["n"])
        commands.publish(joint_state_msg(NAMES, q, now()))
        return sent["n"] >= 100

    ros.spin_until(stream, 10.0)
    ros.spin_for(0.2)
    moved = ros.call(snapshot, GetWorldSnapshot.Request())
    assert moved.driven_ticks > 20
    assert moved.command[0] > start[0] + 0.05 and np.isfinite(moved.physics).all()
