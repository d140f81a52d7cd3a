"""The whole graph as separate processes over real DDS (localhost): `eva bringup`'s MainJob with the
sim_oracle planner and the shipped IDM, one graph start for every case in this module.

Checks: an episode runs and ends with an outcome, the run folder holds what the topics carried, every
command sent to the robot respects the limits; and the faults of the acceptance list (a stopped
camera, NaN and jumps in the decoded actions, lost joint feedback, a killed planner) each end the run
with a fault reported by the executor while the arms hold (no command beyond limits, no jump), and
the graph stops cleanly afterwards.
"""

from __future__ import annotations

import os
import dataclasses
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rclpy")
pytest.importorskip("eva_interfaces")

from eva.bringup.job import MainJob  # noqa: E402
from eva.dds_environment import dds_environment  # noqa: E402
from eva.graph import NodeSpec, load_graph, resolve_arguments, resolve_graph  # noqa: E402
from eva_core.embodiment import load_embodiment  # noqa: E402
from eva_core.runs import load_run  # noqa: E402
from eva_core.safety import limit_violations  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.slow]

EMB = load_embodiment()
TASK = "press_button"
SETTER = Path(__file__).with_name("set_parameter.py")
SUPPORT = Path(__file__).parent  # faulty_idm_node.py: the IDM node with the `inject_fault` parameter
CLEAN = {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}


@dataclasses.dataclass(frozen=True)
class SupportNodeSpec(NodeSpec):
    """A node of the graph run from a test-support module instead of `eva.nodes`."""

    support_module: str = ""

    @property
    def module(self) -> str:
        return self.support_module


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    values = {"sim": True, "task": TASK}
    graph = load_graph()
    specs = [
        SupportNodeSpec(**dataclasses.asdict(spec), support_module="faulty_idm_node") if spec.name == "idm" else spec
        for spec in resolve_graph(graph, values)
    ]
    env = dds_environment()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SUPPORT), env.get("PYTHONPATH", "")) if p)
    job = MainJob(specs, env, resolve_arguments(graph, values), runs_dir=tmp_path_factory.mktemp("runs"), log=print)
    try:
        job.wait_for_graph(sim=True)
        yield job
    finally:
        job.shutdown()


def set_parameter_later(node: str, name: str, value: str, delay_s: float) -> threading.Thread:
    def run():
        subprocess.run([sys.executable, str(SETTER), node, name, value], env=dict(os.environ), check=False, timeout=60)

    timer = threading.Timer(delay_s, run)
    timer.start()
    return timer


def episode_commands(job, index: int) -> np.ndarray:
    run = load_run(job.run_dir)
    episode = next(e for e in run["episodes"] if e.get("index") == index)
    arrays = np.load(Path(episode["path"]) / "commands.npz")
    return arrays["command_q"]


def assert_commands_safe(commands: np.ndarray) -> None:
    """The executor's stream, judged as the arms take it: one command per control tick."""
    assert len(commands) > 0
    violations = limit_violations(commands[0], None, commands[1:], EMB.control_dt, EMB.limits)
    assert violations == CLEAN, violations


def assert_holds_at_the_end(commands: np.ndarray) -> None:
    tail = commands[-20:]
    assert np.max(np.abs(np.diff(tail, axis=0))) < 1e-9, "the arms did not end holding still"


def test_an_episode_runs_closed_loop_and_every_command_is_within_limits(job):
    outcome = job._episode(TASK, 0, seed=0, max_segments=3)
    assert outcome.outcome in ("success", "segment_limit", "fault"), outcome
    commands = episode_commands(job, 0)
    assert_commands_safe(commands)
    run = load_run(job.run_dir)
    episode = run["episodes"][0]
    assert episode["plans"], "no plan reached the recorder (/video_plan, /action_plan/*)"
    for camera in ("cam_high", "cam_left_wrist", "cam_right_wrist"):
        assert (Path(episode["path"]) / f"{camera}.mp4").is_file()
    state = np.load(Path(episode["path"]) / "commands.npz")
    assert state["state_q"].shape[1] == 14 and len(state["state_q"]) > 100  # /joint_states by name at the control rate


def test_a_stopped_camera_is_a_fault_and_the_arms_hold(job):
    setter = set_parameter_later("/sim_robot", "publish_cameras", "false", 1.5)
    try:
        outcome = job._episode(TASK, 1, seed=1, max_segments=40)
    finally:
        setter.join()
        subprocess.run([sys.executable, str(SETTER), "/sim_robot", "publish_cameras", "true"], check=True, timeout=60)
    assert outcome.outcome == "fault" and "camera" in outcome.reason, outcome
    commands = episode_commands(job, 1)
    assert_commands_safe(commands)
    assert_holds_at_the_end(commands)


@pytest.mark.parametrize("fault", ["nan", "jump"])
def test_nan_and_jumps_in_decoded_actions_are_never_executed(job, fault):
    index = {"nan": 2, "jump": 3}[fault]
    subprocess.run([sys.executable, str(SETTER), "/idm", "inject_fault", fault], check=True, timeout=60)
    try:
        outcome = job._episode(TASK, index, seed=index, max_segments=40)
    finally:
        subprocess.run([sys.executable, str(SETTER), "/idm", "inject_fault", ""], check=True, timeout=60)
    assert outcome.outcome == "fault" and "rejected" in outcome.reason, outcome
    assert outcome.segments == 0
    commands = episode_commands(job, index)
    assert_commands_safe(commands)
    assert np.max(np.abs(commands - commands[0])) < 1e-9  # nothing but the hold was ever sent


def test_lost_joint_feedback_is_a_fault_and_the_arms_hold(job):
    setter = set_parameter_later("/sim_robot", "publish_joint_states", "false", 1.0)
    try:
        outcome = job._episode(TASK, 4, seed=4, max_segments=40)
    finally:
        setter.join()
        subprocess.run([sys.executable, str(SETTER), "/sim_robot", "publish_joint_states", "true"], check=True, timeout=60)
    assert outcome.outcome == "fault", outcome
    assert "feedback" in outcome.reason or "rejected" in outcome.reason, outcome
    commands = episode_commands(job, 4)
    assert_commands_safe(commands)
    assert_holds_at_the_end(commands)


def test_a_killed_planner_is_a_fault_and_the_graph_stops_cleanly(job):
    killer = threading.Timer(2.0, job.supervisor.kill, args=("planner",))
    killer.start()
    outcome = job._episode(TASK, 5, seed=5, max_segments=40)
    killer.join()
    assert outcome.outcome == "fault" and "planner" in outcome.reason, outcome
    commands = episode_commands(job, 5)
    assert_commands_safe(commands)
    assert_holds_at_the_end(commands)
    codes = job.supervisor.stop()
    assert codes.pop("planner") != 0
    assert all(code == 0 for code in codes.values()), codes
