"""Expert trajectories: quintic timing within the limits, IK poses reached, expert commands safe."""

import numpy as np
import pytest

from eva_core.embodiment import load_embodiment
from eva_core.embodiment.kinematics import end_effector_pose
from eva_core.safety.clearance import check_plan_clearance
from eva_core.safety.limiter import limit_violations
from eva_sim.experts import ArmIk, GraspPose, MotionScript, join_waypoints, segment_duration
from eva_sim.tasks import get_task, task_names
from eva_sim.tasks.base import iterate_commands

EMB = load_embodiment()


def test_quintic_segments_respect_limits():
    limits, dt = EMB.limits, EMB.control_dt
    q0 = EMB.ready_pose()
    q1 = q0 + np.r_[1.2, -0.5, 0.7, 1.0, -0.8, 1.5, 0.4, -1.0, 0.3, -0.6, 0.9, 0.2, -1.2, -0.5]
    q1 = limits.clip_position(q1)
    path = join_waypoints(q0, [(q1, 0.2), (q0, 0.0)], limits, dt, fraction=1.0)
    assert limit_violations(q0, None, path, dt, limits) == {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}
    np.testing.assert_allclose(path[-1], q0)
    # At 60 % the same move takes longer than at 100 %.
    assert segment_duration(q0, q1, limits, dt, 0.6) > segment_duration(q0, q1, limits, dt, 1.0)


def test_ik_reaches_grasp_pose():
    ik = ArmIk(EMB)
    pose = GraspPose((0.3, 0.2, 0.05), heading=0.0, pitch_deg=70.0)
    q = ik.solve("left", pose, EMB.ready_pose()[:6])
    assert q is not None
    world = EMB.mounts[0].transform() @ end_effector_pose(EMB.arm.kinematics, q)
    np.testing.assert_allclose(world[:3, 3], pose.position, atol=1e-3)
    np.testing.assert_allclose(world[:3, 2], pose.matrix()[:3, 2], atol=5e-3)


def test_motion_script_flushes_in_pieces():
    script = MotionScript(EMB, EMB.ready_pose())
    script.move({"right": GraspPose((0.3, -0.2, 0.1), 0.0, 60.0)}, {"right": 0.0})
    first = script.flush()
    script.hold(0.1)
    second = script.flush()
    assert len(second) == 20 and np.allclose(second, first[-1])


@pytest.mark.parametrize("name", task_names())
def test_expert_commands_respect_limits(name):
    task = get_task(name)
    robot = task.build_robot(EMB)
    rng = np.random.default_rng(1)
    q0 = robot.reset(task.start_pose(EMB), seed=1)
    task.reset(robot, rng)
    commands = []
    for command in iterate_commands(task.expert(robot, rng)):  # generators plan on the sim state
        commands.append(command)
        robot.command(command)
        robot.step()
    commands = np.asarray(commands)
    assert len(commands) > 100
    assert limit_violations(q0, None, commands, EMB.control_dt, EMB.limits) == {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}
    # ... and keep the arms the safety filter's clearance apart: a plan like the expert's is accepted.
    assert check_plan_clearance(EMB, commands).ok
