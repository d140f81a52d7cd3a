"""The `sim` arm: one arm of the MuJoCo twin behind the Arm interface, and its factory registration."""

import time

import numpy as np
import pytest

from eva_core.devices.arms import ArmFaultError, arm_config_from_dict, make_bimanual
from eva_core.embodiment import load_embodiment
from eva_sim.arm_sim import SharedTwin, SimArm, SimArmConfig, register

EMB = load_embodiment()


def lockstep_pair():
    from eva_sim.robot import SimRobot

    robot = SimRobot(EMB)
    robot.reset(EMB.ready_pose())
    twin = SharedTwin(robot, real_time=False)
    cfg = SimArmConfig(real_time=False)
    return twin, {a: SimArm(cfg, a, EMB, twin=twin) for a in EMB.arm_names}


def test_register_and_config_from_dict():
    register()
    cfg = arm_config_from_dict({"type": "sim", "twin": "t1", "real_time": False})
    assert cfg == SimArmConfig(twin="t1", real_time=False)
    with pytest.raises(Exception, match="start_pose"):
        SimArmConfig(start_pose="up")


def test_lockstep_commands_move_the_twin():
    twin, arms = lockstep_pair()
    from eva_core.devices.arms import BimanualArm

    bi = BimanualArm(arms, EMB)
    with bi:
        bi.enable()
        q0 = bi.read_state().position
        goal = q0.copy()
        goal[0] += 0.2
        goal[7 + 1] -= 0.1
        for _ in range(200):
            bi.send(goal, stamp_s=None)
            twin.step()
        assert np.allclose(bi.read_state().position, goal, atol=0.01)
        bi.arms["left"].emergency_stop()
        with pytest.raises(ArmFaultError):
            bi.send(goal)
        assert bi.read_state().arms["left"].status_name == "EMERGENCY_STOP"
        bi.arms["left"].resume()
        bi.send(goal)


def test_real_time_twin_through_the_factory():
    register()
    cfgs = {a: SimArmConfig(twin=f"rt-{time.time_ns()}") for a in EMB.arm_names}
    bi = make_bimanual(cfgs, EMB)
    with bi:
        bi.enable()
        q0 = bi.read_state().position
        goal = q0.copy()
        goal[2] -= 0.15
        t0 = time.perf_counter()
        for i in range(120):  # 0.6 s at 200 Hz
            bi.send(goal)
            time.sleep(max(0.0, t0 + (i + 1) * EMB.control_dt - time.perf_counter()))
        time.sleep(0.2)
        assert np.allclose(bi.read_state().position, goal, atol=0.01)
    assert bi.arms["left"].twin.users == 0
