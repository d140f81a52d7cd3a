"""Closed-loop check of an IDM without ROS: execute the IDM-decoded actions of expert videos in the twin.

For one seeded episode: run the scripted expert while recording the plan camera at the plan rate (the
video an ideal world model would generate), decode the video with the IDM, then reset the twin to the
same seed and execute the decoded actions segment by segment as the deployed stack would: each
49-step window through the plan-level safety filter (from the measured state), its first 8 steps
joined at the control rate by the executor's spline (`upsample_plan`), every command through the
command guard. The video is fixed (open loop): a rejected window is skipped with the arms holding. Success of the replay is judged like the
expert's. The comparison (paper §4.1's use of the IDM to turn videos into actions) is the replay
success rate against the expert's own on the same seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eva_core.executor import upsample_plan
from eva_core.idm.metrics import idm_metrics
from eva_core.safety import CommandGuard, filter_plan
from eva_sim.config import SimConfig
from eva_sim.episode import SimEpisode

SETTLE_AFTER_S = 0.5  # the replay ends at rest: objects settle before success is judged, as in a real trial


@dataclass(frozen=True)
class ReplayResult:
    task: str
    seed: int
    expert_success: bool
    replay_success: bool
    frames: int
    joint_accuracy: float  # of the decoded actions against the expert's commands at the frames
    segments_executed: int
    segments_rejected: int  # by the plan-level safety filter (the arms held instead)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def record_expert(episode: SimEpisode, seed: int, camera: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """The expert episode of `seed`: plan-camera frames [T, H, W, 3] and commands [T, 14] at the plan
    rate (frame t shows the state before command t, as in the datasets), and its success."""
    embodiment = episode.robot.embodiment
    episode.reset(seed)
    per_frame = embodiment.control_rate_hz / embodiment.plan_rate_hz
    max_ticks = int(round(episode.task.max_duration_s * embodiment.control_rate_hz))
    frames, commands = [], []
    for tick, command in enumerate(episode.expert()):
        if tick >= max_ticks:
            break
        if tick >= math.floor(len(frames) * per_frame + 0.5):
            frames.append(episode.robot.render(camera))
            commands.append(np.asarray(command, dtype=np.float64))
        episode.command(command)
        episode.step()
    return np.stack(frames), np.stack(commands), episode.success()


def execute_actions(episode: SimEpisode, seed: int, actions: np.ndarray, segment_steps: int = 8, plan_steps: int = 49) -> tuple[bool, int, int]:
    """Reset to `seed` and execute plan-rate `actions` as the stack would, segment by segment: the
    next `plan_steps` actions are a "plan", filtered from the measured state; an accepted plan's first
    `segment_steps` are executed (spline from the last command, command guard), a rejected one is
    not (the arms hold for that segment). Returns (success, segments executed, segments rejected)."""
    robot = episode.robot
    embodiment = robot.embodiment
    episode.reset(seed)
    guard = CommandGuard.from_config(embodiment)
    guard.reset(robot.state())
    last = robot.state()
    t, executed, rejected = 0.0, 0, 0
    ticks_per_segment = int(round(segment_steps * embodiment.plan_dt / embodiment.control_dt))

    def tick(desired: np.ndarray | None) -> None:
        nonlocal t
        t += embodiment.control_dt
        sent = guard.hold()[0] if desired is None else guard.apply(desired, t, t)[0]
        episode.command(sent)
        episode.step()

    for start in range(0, len(actions) - 1, segment_steps):
        plan = actions[start : start + plan_steps]
        safe, report = filter_plan(robot.state(), plan, embodiment, robot.velocity(), gripper_start="plan")  # as the safety node
        if not report.accepted:
            rejected += 1
            for _ in range(ticks_per_segment):
                tick(None)
            continue
        knots = np.concatenate([last[None], safe[1 : segment_steps + 1]])  # from the last command, as the executor does
        for desired in upsample_plan(knots, embodiment.plan_dt, embodiment.control_dt)[1:]:
            tick(desired)
        last = knots[-1]
        executed += 1
    for _ in range(int(round(SETTLE_AFTER_S / embodiment.control_dt))):
        tick(None)
    return episode.success(), executed, rejected


def replay_episode(task: str, seed: int, decoder, *, camera: str = "cam_high", resolution: tuple[int, int] = (160, 120),
                   episode: SimEpisode | None = None) -> ReplayResult:
    """`decoder`: an `IdmDecoder`. `episode`: reuse a SimEpisode of `task` at `resolution` (faster over many seeds)."""
    episode = episode or SimEpisode(task, sim_config=SimConfig().with_resolution(*resolution))
    frames, commands, expert_ok = record_expert(episode, seed, camera)
    actions = np.asarray(decoder.decode(frames), dtype=np.float64)
    metrics = idm_metrics(actions, commands, episode.robot.embodiment.gripper_indices)
    replay_ok, executed, rejected = execute_actions(episode, seed, actions)
    return ReplayResult(task, seed, expert_ok, replay_ok, len(frames), float(metrics.joint_accuracy), executed, rejected)
