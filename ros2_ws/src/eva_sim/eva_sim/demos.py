"""Expert demonstrations: run a task's scripted expert in the twin and record it as a dataset.

    result = run_episode(task, robot, seed=3)                      # physics only
    summary = generate_demos("pick_place_bowl", episodes=10, out="data/demos", seed=0)

An episode: reset the arms to the task's start pose, place the objects (seeded), let them settle,
then stream the expert's commands at the control rate (200 Hz) until it ends (or `max_duration_s`),
and judge success. Recording samples the episode at the plan rate (16 fps by default): each frame has
the three cameras, `observation.state` = the measured 14-D position just before the command of that
instant and `action` = that command. Episodes end with the success flag and the seed in their metadata.
Simulated frames are stored losslessly (`VideoConfig.lossless()`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eva_core.data import DatasetWriter, VideoConfig
from eva_core.embodiment import EmbodimentConfig, load_embodiment
from eva_sim.config import CAMERA_NAMES, SimConfig
from eva_sim.robot import SimRobot
from eva_sim.tasks import Task, get_task
from eva_sim.tasks.base import iterate_commands

SETTLE_S = 0.1  # objects placed at rest on the table settle into contact before the expert starts
DEFAULT_RESOLUTION = (320, 240)  # px per camera: CPU rendering of 3 cameras stays ~real-time-ish

FrameCallback = Callable[[SimRobot, np.ndarray], None]  # (robot before the command, command)


@dataclass(frozen=True)
class EpisodeResult:
    seed: int
    success: bool
    ticks: int  # control ticks the expert ran
    sim_time_s: float
    wall_time_s: float
    frames: int  # recorded frames (0 without a callback)


def run_episode(task: Task, robot: SimRobot, seed: int, *, fps: float | None = None, on_frame: FrameCallback | None = None) -> EpisodeResult:
    """One seeded expert episode on `robot` (built by `task.build_robot`); `on_frame` is called at
    `fps` (default the plan rate) with the robot and the command about to be sent."""
    start = time.perf_counter()
    embodiment = robot.embodiment
    rng = np.random.default_rng(seed)
    robot.reset(task.start_pose(embodiment), seed=seed)
    task.reset(robot, rng)
    robot.step(duration_s=SETTLE_S)
    task.observe(robot)
    control_hz = embodiment.control_rate_hz
    frame_every = control_hz / (fps or embodiment.plan_rate_hz)  # ticks per frame, not always whole
    max_ticks = int(round(task.max_duration_s * control_hz))
    ticks = frames = 0
    for command in iterate_commands(task.expert(robot, rng)):
        if ticks >= max_ticks:
            break
        if on_frame is not None and ticks >= math.floor(frames * frame_every + 0.5):
            on_frame(robot, command)
            frames += 1
        robot.command(command)
        robot.step()
        task.observe(robot)
        ticks += 1
    return EpisodeResult(seed, task.success(robot), ticks, ticks / control_hz, time.perf_counter() - start, frames)


@dataclass(frozen=True)
class DemoSummary:
    task: str
    episodes: int
    successes: int
    out: str
    seconds_per_episode: float

    def to_json(self) -> dict:
        return {"task": self.task, "episodes": self.episodes, "successes": self.successes, "out": self.out}


def generate_demos(
    task_name: str,
    episodes: int,
    out: str | Path,
    *,
    seed: int = 0,
    fps: int | None = None,
    resolution: tuple[int, int] = DEFAULT_RESOLUTION,
    embodiment: EmbodimentConfig | None = None,
    progress: bool = True,
) -> DemoSummary:
    """Record `episodes` expert episodes (seeds seed, seed+1, ...) of `task_name` into a new dataset
    at `out`, with a tqdm progress bar; failed episodes are kept, flagged success=False."""
    from tqdm import tqdm

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    embodiment = embodiment or load_embodiment()
    fps = fps or int(round(embodiment.plan_rate_hz))
    width, height = resolution
    task = get_task(task_name)
    robot = task.build_robot(embodiment, SimConfig().with_resolution(width, height))
    cameras = {name: (height, width) for name in CAMERA_NAMES}
    writer = DatasetWriter.create(out, fps=fps, cameras=cameras, joint_names=embodiment.joint_names, robot_type=embodiment.name, video=VideoConfig.lossless())
    successes = 0
    start = time.perf_counter()
    try:
        with writer, robot, tqdm(range(seed, seed + episodes), desc=task_name, unit="episode", disable=not progress) as bar:
            for episode_seed in bar:
                writer.begin_episode(task.instruction)

                def record(twin: SimRobot, command: np.ndarray) -> None:
                    writer.add_frame(twin.render_all(), twin.state(), command)

                try:
                    result = run_episode(task, robot, episode_seed, fps=fps, on_frame=record)
                except BaseException:
                    writer.discard_episode()
                    raise
                writer.end_episode(success=result.success, seed=episode_seed, source="sim", task_name=task_name)
                successes += int(result.success)
                bar.set_postfix(successes=f"{successes}/{bar.n + 1}")
    finally:
        pass
    elapsed = time.perf_counter() - start
    return DemoSummary(task_name, episodes, successes, str(out), elapsed / episodes)
