"""The set-up delivered a working ROS 2: a JointState crosses real Fast DDS on localhost."""

import os
import time

import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402

from eva_core.embodiment import load_embodiment  # noqa: E402


def test_dds_is_bound_to_localhost_in_tests():
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert 1 <= int(os.environ["ROS_DOMAIN_ID"]) <= 101


def test_joint_state_round_trip_by_name():
    names = list(load_embodiment().joint_names)
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = rclpy.create_node("eva_middleware_check", context=context)
        received = []
        node.create_subscription(JointState, "/joint_states", received.append, 10)
        publisher = node.create_publisher(JointState, "/joint_states", 10)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        message = JointState(name=names, position=[0.1 * i for i in range(14)])
        deadline = time.monotonic() + 10.0
        while not received and time.monotonic() < deadline:
            publisher.publish(message)
            executor.spin_once(timeout_sec=0.05)
        assert received, "no JointState came back over DDS within 10 s"
        assert list(received[0].name) == names
        assert list(received[0].position) == pytest.approx([0.1 * i for i in range(14)])
        executor.shutdown()
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
