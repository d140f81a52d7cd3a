"""The arm driver lifecycle node with the real piper_sdk talking to the CAN emulator (in-process
virtual CAN bus): configure/activate, 200 Hz joint states by name, a command stream the arms follow,
and e-stop through its service."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import yaml
from rclpy.parameter import Parameter
from sensor_msgs.msg import JointState
from std_srvs.srv import Trigger

from eva.conversions import joint_state_msg, joint_state_position
from eva.nodes.arm_driver_node import ArmDriverNode
from eva_core.embodiment import load_embodiment
from eva_sim.can_emulator import FirstOrderMotion, PiperCanEmulator

EMB = load_embodiment()
NAMES = list(EMB.joint_names)


@pytest.fixture
def emulator_and_devices(tmp_path):
    tag = uuid.uuid4().hex[:8]
    channels = {"left": f"can_left_{tag}", "right": f"can_right_{tag}"}
    ready = EMB.ready_pose()
    emu = PiperCanEmulator(channels, FirstOrderMotion(), start_pose={"left": ready[:7], "right": ready[7:]}).start()
    devices = tmp_path / "devices.yaml"
    # feedback timeout relaxed: this test is about the node, not fault-detection timing on a loaded box
    arm = lambda ch: {"type": "piper", "channel": ch, "can_interface": "virtual", "feedback_timeout_s": 1.0}  # noqa: E731
    devices.write_text(yaml.safe_dump({"arms": {name: arm(ch) for name, ch in channels.items()}}))
    try:
        yield emu, devices
    finally:
        emu.stop()


def test_lifecycle_stream_and_estop(ros, emulator_and_devices):
    emu, devices = emulator_and_devices
    node = ros.add(ArmDriverNode(context=ros.context, parameter_overrides=[Parameter("devices", value=str(devices)), Parameter("autostart", value=True)]))
    try:
        states = []
        ros.helper.create_subscription(JointState, "/joint_states", states.append, 50)
        publisher = ros.helper.create_publisher(JointState, "/joint_commands", 10)
        assert ros.spin_until(lambda: len(states) > 20, 10.0), "no /joint_states from the driver"
        assert list(states[-1].name) == NAMES
        start = joint_state_position(states[-1], NAMES)
        np.testing.assert_allclose(start, EMB.ready_pose(), atol=1e-3)

        # Stream a smooth 0.2 rad move of left_joint1 at the control rate; the emulated arm follows.
        goal = start.copy()
        goal[0] += 0.2
        steps = 200
        for k in range(steps + 40):
            s = min(k / steps, 1.0)
            q = start + (goal - start) * (10 * s**3 - 15 * s**4 + 6 * s**5)
            publisher.publish(joint_state_msg(NAMES, q, ros.helper.get_clock().now().nanoseconds * 1e-9))
            ros.spin_for(EMB.control_dt)
        assert ros.spin_until(lambda: abs(joint_state_position(states[-1], NAMES)[0] - goal[0]) < 0.01, 5.0)

        # A command missing a joint is refused (never filled with zeros): the arm holds.
        bad = JointState(name=NAMES[1:], position=[0.0] * 13)
        bad.header.stamp = ros.helper.get_clock().now().to_msg()
        publisher.publish(bad)
        ros.spin_for(0.3)
        np.testing.assert_allclose(joint_state_position(states[-1], NAMES)[0], goal[0], atol=0.01)

        estop = ros.helper.create_client(Trigger, "/arm_driver/emergency_stop")
        assert ros.call(estop, Trigger.Request()).success
        assert ros.spin_until(lambda: emu.arms["left"].arm_status == 0x01, 2.0)
    finally:
        node.on_shutdown()
