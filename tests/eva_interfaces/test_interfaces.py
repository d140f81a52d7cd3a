"""eva_interfaces is built and usable: every type imports, survives CDR serialization, and crosses DDS.

`make setup` builds the package (scripts/build_interfaces.sh); with the PyPI wheels it is installed into
the venv and nothing needs sourcing.
"""

import importlib
import math
import time

import pytest

rclpy = pytest.importorskip("rclpy")
from builtin_interfaces.msg import Duration, Time  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.serialization import deserialize_message, serialize_message  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from std_msgs.msg import Header  # noqa: E402
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint  # noqa: E402

from eva_core.embodiment import load_embodiment  # noqa: E402
from eva_interfaces.action import ExecuteTask, GeneratePlan  # noqa: E402
from eva_interfaces.msg import ActionPlan, SafetyReport, VideoPlan  # noqa: E402
from eva_interfaces.srv import GetWorldSnapshot, ResetEpisode  # noqa: E402

MESSAGES = ["VideoPlan", "SafetyReport", "ActionPlan"]
SERVICES = ["GetWorldSnapshot", "ResetEpisode"]
ACTIONS = ["ExecuteTask", "GeneratePlan"]


def round_trip(message):
    data = serialize_message(message)
    assert isinstance(data, bytes) and data
    return deserialize_message(data, type(message))


def frame(index: int, width: int = 8, height: int = 6) -> Image:
    """A small rgb8 frame whose bytes differ per index, so a swapped or truncated frame shows."""
    return Image(
        header=Header(stamp=Time(sec=100 + index // 16, nanosec=(index % 16) * 62_500_000), frame_id="cam_high"),
        height=height,
        width=width,
        encoding="rgb8",
        is_bigendian=0,
        step=3 * width,
        data=bytes((index * 7 + i) % 256 for i in range(3 * width * height)),
    )


def video_plan(num_history: int = 2, num_frames: int = 4, width: int = 8, height: int = 6) -> VideoPlan:
    return VideoPlan(
        header=Header(stamp=Time(sec=100), frame_id="cam_high"),
        plan_id="plan-0001",
        instruction="lift the box with both arms",
        backend="sim_oracle",
        fps=16.0,
        history=[frame(i, width, height) for i in range(num_history)],
        frames=[frame(100 + i, width, height) for i in range(num_frames)],
        planning_time_s=0.42,
    )


def joint_trajectory(steps: int = 5) -> JointTrajectory:
    names = list(load_embodiment().joint_names)
    assert len(names) == 14
    return JointTrajectory(
        header=Header(stamp=Time(sec=101), frame_id=""),
        joint_names=names,
        points=[
            JointTrajectoryPoint(
                positions=[0.01 * step + 0.1 * j for j in range(14)],
                velocities=[0.16] * 14,
                time_from_start=Duration(sec=0, nanosec=step * 62_500_000),
            )
            for step in range(steps)
        ],
    )


@pytest.mark.parametrize("name", MESSAGES)
def test_every_message_imports(name):
    module = importlib.import_module("eva_interfaces.msg")
    assert getattr(module, name)() is not None


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_imports(name):
    service = getattr(importlib.import_module("eva_interfaces.srv"), name)
    service.Request()
    service.Response()


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_imports(name):
    action = getattr(importlib.import_module("eva_interfaces.action"), name)
    action.Goal()
    action.Result()
    action.Feedback()


def test_video_plan_with_frames_round_trips():
    plan = video_plan()
    back = round_trip(plan)
    assert back == plan
    assert [f.header.stamp.nanosec for f in back.frames] == [f.header.stamp.nanosec for f in plan.frames]
    assert bytes(back.frames[3].data) == bytes(frame(103).data)
    assert len(back.history) == 2 and back.history[0].encoding == "rgb8"


def test_action_plan_with_14_joint_trajectory_round_trips():
    plan = ActionPlan(
        header=Header(stamp=Time(sec=101), frame_id=""),
        plan_id="plan-0001",
        trajectory=joint_trajectory(steps=5),
        reward=0.87,
        score=8.7,
        reward_term_names=["penalty", "p_jerk", "p_acc", "p_vlim", "p_alim"],
        reward_terms=[0.14, 0.05, 0.06, 0.02, 0.01],
        filtered=True,
        safety=SafetyReport(
            verdict="accept",
            reasons=[],
            returned="filtered",
            steps=5,
            steps_changed=1,
            max_deviation=0.003,
            first_step_deviation=0.01,
            min_arm_distance_m=0.21,
        ),
        decode_time_s=0.05,
        filter_time_s=0.002,
    )
    back = round_trip(plan)
    assert back == plan
    assert list(back.trajectory.joint_names) == list(load_embodiment().joint_names)
    assert len(back.trajectory.points) == 5
    assert list(back.trajectory.points[4].positions) == pytest.approx([0.04 + 0.1 * j for j in range(14)])


def test_safety_report_keeps_nan_and_negative_markers():
    report = SafetyReport(
        verdict="reject",
        reasons=["joint_limit", "arm_collision"],
        returned="hold",
        steps=49,
        steps_changed=-1,
        max_deviation=math.nan,
        first_step_deviation=math.nan,
        min_arm_distance_m=0.02,
    )
    back = round_trip(report)
    assert list(back.reasons) == ["joint_limit", "arm_collision"]
    assert back.steps_changed == -1
    assert math.isnan(back.max_deviation) and math.isnan(back.first_step_deviation)
    assert back.min_arm_distance_m == 0.02


def test_services_round_trip():
    request = ResetEpisode.Request(task="lift_box", seed=1234)
    assert round_trip(request) == request
    response = ResetEpisode.Response(
        success=True, message="", instruction="lift the box with both arms", max_duration_s=30.0
    )
    assert round_trip(response) == response
    snapshot = GetWorldSnapshot.Response(
        success=True,
        message="",
        task="lift_box",
        seed=-7,
        episode=3,
        sim_time_s=2.5,
        physics=[0.001 * i for i in range(200)],
        command=[0.1] * 14,
        setpoint=[0.09] * 14,
    )
    back = round_trip(snapshot)
    assert back == snapshot
    assert back.seed == -7 and len(back.physics) == 200
    assert round_trip(GetWorldSnapshot.Request()) == GetWorldSnapshot.Request()


def test_actions_round_trip():
    goal = ExecuteTask.Goal(instruction="lift the box", task="lift_box", max_segments=0, max_duration_s=30.0)
    assert round_trip(goal) == goal
    result = ExecuteTask.Result(
        success=False, outcome="fault", reason="left arm: CAN timeout", segments=2, plans_rejected=1, duration_s=3.1
    )
    assert round_trip(result) == result
    feedback = ExecuteTask.Feedback(segment=2, stage="executing", plan_id="plan-0002", last_score=7.5)
    assert round_trip(feedback) == feedback

    plan_goal = GeneratePlan.Goal(plan_id="plan-0003", instruction="lift the box", history=[frame(0), frame(1)])
    back = round_trip(plan_goal)
    assert back == plan_goal and back.num_frames == 0
    assert round_trip(GeneratePlan.Result(ok=True, planning_time_s=0.4)).ok
    assert round_trip(GeneratePlan.Feedback(step=3, total_steps=49)).total_steps == 49


@pytest.mark.ros
def test_video_plan_crosses_dds_between_two_nodes():
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        planner = rclpy.create_node("eva_interfaces_check_planner", context=context)
        idm = rclpy.create_node("eva_interfaces_check_idm", context=context)
        received = []
        idm.create_subscription(VideoPlan, "video_plan", received.append, 10)
        publisher = planner.create_publisher(VideoPlan, "video_plan", 10)
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(planner)
        executor.add_node(idm)
        plan = video_plan(num_history=2, num_frames=9, width=64, height=48)
        deadline = time.monotonic() + 10.0
        while not received and time.monotonic() < deadline:
            publisher.publish(plan)
            executor.spin_once(timeout_sec=0.05)
        assert received, "no VideoPlan came back over DDS within 10 s"
        assert received[0] == plan
        assert bytes(received[0].frames[8].data) == bytes(plan.frames[8].data)
        executor.shutdown()
        planner.destroy_node()
        idm.destroy_node()
    finally:
        rclpy.shutdown(context=context)
