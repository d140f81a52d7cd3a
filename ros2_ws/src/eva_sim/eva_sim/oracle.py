"""The `sim_oracle` planner backend: a perfect world model of the simulated world, for testing everything
downstream of the planner (IDM, safety filter, executor) without a video model.

Given a `WorldSnapshot` of the running simulation, it rolls the task's scripted expert out in its own
copy of the world and renders the plan camera at the plan rate:

    planner = make_planner("sim_oracle", {"task": "press_button"}, embodiment)
    result = planner.plan(PlanRequest("p1", instruction, history=(frame,), world=episode.snapshot()))
    result.frames[0]               # the current view (the copy restored to the snapshot)
    result.info["commands"][i]     # the expert command sent at frame i's instant (plan rate)

How a plan is made:
1. First plan of an episode (a new seed): the copy is reset with the seed and the expert's whole command
   sequence is recorded at the control rate by running the expert episode (experts may be generators
   that look at the simulator between phases, so it is run, not just read; `demos.run_episode` order).
   The sequence `S` starts with the command the world holds before the expert's first one.
2. Every plan: the copy is restored to the snapshot (`SimEpisode.restore`: same seed first, then physics).
3. The cursor, where along `S` the world is (`advance_cursor`): monotone, the nearest command of `S` (within
   `cursor_tolerance`, the decoding noise, preferring the expert's own pace among near ones) to
   `snapshot.command` searching forward from the previous cursor, no further than the world could have
   come in the simulated time since the previous plan (plus `CURSOR_SLACK_S`), so a pose the expert
   revisits later (back above the button after the press) is not mistaken for the first visit. Among
   equally near commands (holds repeat one command) the earliest is taken, so a gripper squeeze or a
   press is replayed in full rather than skipped; if the world is still in the hold where the previous
   plan found it, the simulated time since then counts as held, so a hold longer than the executed part
   of a plan cannot replay forever.
4. The copy then sends `S[cursor + 1], S[cursor + 2], ...` (past the end: the last command again) one
   per control tick, and frame i is rendered at tick floor(i · control_rate / fps + 0.5) (12.5 ticks per
   frame at 200 Hz / 16 fps, as `demos.py` samples), frames[0] before any tick.

The oracle follows the expert recorded in the ideal episode: if the world strays from it (objects
pushed elsewhere), the plan shows the expert's motions in the true world's physics, not a new expert
solution. Rendering uses one GL context per calling thread (an EGL context belongs to its thread).

Registered with the planner factory through the `eva.planners` entry-point group (`register`).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import mujoco
import numpy as np

from eva_core.config import ConfigError
from eva_core.config.validators import non_negative, number_in, positive
from eva_core.embodiment import EmbodimentConfig, load_embodiment
from eva_core.planning import PlannerConfig, PlanRequest, Progress, VideoPlanner, VideoPlanResult, WorldSnapshot, register_planner
from eva_sim.config import CAMERA_NAMES, CameraConfig, SimConfig
from eva_sim.episode import SimEpisode
from eva_sim.render import TwinRenderer
from eva_sim.tasks import task_names

# How much further along the expert than the simulated time allows the world may be found (s). The
# world cannot follow the expert faster than the expert moves; a little slack covers followers that
# run slightly ahead (interpolation, IDM noise) without reaching the expert's later revisits.
CURSOR_SLACK_S = 0.5
# Commands this close (Euclidean, rad / normalised opening) count as equal: holds repeat one command
# exactly; the tolerance absorbs the last-bit differences where a quintic segment lands on its target,
# and is far below the first step of a segment leaving a hold (~1e-6 rad for a 1 s, 1 rad segment).
COMMAND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SimOracleConfig(PlannerConfig):
    type: ClassVar[str] = "sim_oracle"

    task: str = ""  # the simulated task (`eva sim tasks`); "" = whatever task the snapshots are of
    camera: str = "cam_high"  # the plan camera, the one the IDM decodes
    resolution: tuple[int, int] = (160, 120)  # (width, height) px of the frames; the shipped IDM is trained at 160x120
    fps: float | None = None  # plan frame rate, Hz; None = the embodiment's plan_rate_hz (16, Wan2.1's rate)
    # How far (Euclidean over the 14-D command, rad / normalised opening) the world's command may be from
    # the expert's and still count as the same point of the expert (`advance_cursor`'s match_tolerance).
    # The world follows IDM-decoded actions, 0.01-0.03 rad off per joint (models/idm_sim/README.md):
    # 0.1 covers that noise and is well below what the expert moves in one executed segment (0.5 s).
    cursor_tolerance: float = 0.1
    # s over which the plan eases into the expert's pace: the world is at rest when a plan is made (the
    # executor stops between segments), but the expert may be mid-motion at the cursor. Replayed at
    # full pace from rest, the copy's commands would leap ahead of its arms, the IDM would decode a
    # start no arm can follow, and the safety filter would reject the same plan again and again. The
    # expert's time runs at (tick / ramp) of its pace over the ramp (a constant-acceleration start),
    # then at its pace. 0 = no ramp (the expert's own timing).
    start_ramp_s: float = 0.0

    def __post_init__(self) -> None:
        number_in("start_ramp_s", self.start_ramp_s, 0, 10, unit="s")
        non_negative("cursor_tolerance", self.cursor_tolerance)
        if self.task and self.task not in task_names():
            raise ConfigError("task", f"unknown task {self.task!r}; tasks: {', '.join(task_names())}")
        if self.camera not in CAMERA_NAMES:
            raise ConfigError("camera", f"unknown camera {self.camera!r}; the twin has {', '.join(CAMERA_NAMES)}")
        try:
            CameraConfig(self.camera, *self.resolution)
        except (ConfigError, TypeError) as err:
            raise ConfigError("resolution", f"(width, height) in px, 16..4096 each: {getattr(err, 'problem', err)}") from None
        if self.fps is not None:
            positive("fps", self.fps, unit="(Hz)")


def frame_ticks(num_frames: int, control_rate_hz: float, fps: float) -> np.ndarray:
    """Control tick (from now) of each plan frame: floor(i · control_rate / fps + 0.5), as demos.py samples."""
    per_frame = control_rate_hz / fps
    return np.array([math.floor(i * per_frame + 0.5) for i in range(num_frames)], dtype=np.int64)


def ramp_ticks(tick: int, ramp: int) -> int:
    """Expert ticks elapsed after `tick` ticks of a plan that eases in over `ramp` ticks: tick²/(2·ramp)
    during the ramp (the pace rising linearly from 0 to 1), then tick - ramp/2. `ramp` 0: `tick`."""
    if ramp <= 0:
        return tick
    if tick < ramp:
        return int(tick * tick / (2 * ramp))
    return int(tick - ramp / 2)


def advance_cursor(sequence: np.ndarray, command: np.ndarray, previous: int, elapsed_ticks: int, *, slack_ticks: int,
                   tolerance: float = COMMAND_TOLERANCE, match_tolerance: float = 0.0, driven_ticks: int | None = None) -> int:
    """Where along `sequence` [T+1, D] the world is, given its last accepted `command`.

    `previous`: the cursor at the previous plan of this episode (0 for the first); `elapsed_ticks`:
    control ticks the world advanced since then. The search runs over sequence[previous : previous +
    elapsed_ticks + slack_ticks] and returns the earliest index whose command is nearest (within
    `tolerance`) to `command`. When that is `previous` itself and `previous` starts or lies in a run of
    equal commands (a hold), the world has held since the previous plan: the cursor moves on by
    `elapsed_ticks`, at most to the run's last index.

    `match_tolerance` (> 0) is for worlds driven by decoded actions, whose commands are never the
    expert's exactly: when no command matches within `tolerance`, the indices of the expert's first pass
    within `match_tolerance` (Euclidean) of the nearest distance, from that pass's nearest on, count as
    matches, and the one closest to `previous + driven_ticks` (where the world would be had it kept the
    expert's pace while it was driven; `driven_ticks` defaults to `elapsed_ticks`) is taken. Without it, a slow phase of the expert (a
    squeeze, a settle) that moves less than the decoding noise would pull the cursor back to its start
    at every replan.
    """
    last = len(sequence) - 1
    previous = min(max(int(previous), 0), last)
    elapsed_ticks = max(int(elapsed_ticks), 0)
    end = min(last, previous + elapsed_ticks + max(int(slack_ticks), 0))
    window = sequence[previous : end + 1]
    distance = np.linalg.norm(window - np.asarray(command, dtype=np.float64), axis=1)
    if match_tolerance > 0 and distance.min() > tolerance:  # no exact match: a world following decoded actions
        within = distance <= distance.min() + match_tolerance
        # Only the first pass of the expert through the world's pose counts: a later pass (the way back
        # up after a press goes through the same poses as the way down) is out of reach without the
        # motion in between, and taking it would skip that motion (a button never pressed).
        first = int(np.argmax(within))
        leaves = np.flatnonzero(~within[first:])
        run_end = first + (int(leaves[0]) if len(leaves) else len(within) - first)
        nearest = first + int(np.argmin(distance[first:run_end]))
        near = np.arange(nearest, run_end)  # never behind the nearest: a world that overshot (braking) is ahead, not behind
        pace = elapsed_ticks if driven_ticks is None else min(max(int(driven_ticks), 0), elapsed_ticks)
        cursor = previous + int(near[np.argmin(np.abs(near - pace))])
    else:
        cursor = previous + int(np.flatnonzero(distance <= distance.min() + tolerance)[0])
    if cursor == previous and elapsed_ticks > 0:
        run_end = previous
        while run_end < last and np.linalg.norm(sequence[run_end + 1] - sequence[previous]) <= tolerance:
            run_end += 1
        cursor = min(previous + elapsed_ticks, run_end)
    return cursor


class SimOraclePlanner(VideoPlanner):
    """See the module docstring. `plan` needs `request.world`; `request.history` is not used."""

    backend: ClassVar[str] = "sim_oracle"
    needs_world_snapshot: ClassVar[bool] = True

    def __init__(self, config: SimOracleConfig, embodiment: EmbodimentConfig | None = None) -> None:
        self.config = config
        self.embodiment = embodiment or load_embodiment()
        width, height = config.resolution
        self._sim_config = SimConfig().with_resolution(width, height)
        self._episode = SimEpisode(config.task, self.embodiment, self._sim_config) if config.task else None  # the private copy
        self.fps = float(config.fps or self.embodiment.plan_rate_hz)
        self._slack_ticks = int(round(CURSOR_SLACK_S * self.embodiment.control_rate_hz))
        self._ramp_ticks = int(round(config.start_ramp_s * self.embodiment.control_rate_hz))
        self._renderers: dict[int, TwinRenderer] = {}  # per thread: an EGL context is bound to its thread
        self._sequence: np.ndarray | None = None  # [T+1, 14]: the world's command before the expert, then the expert's
        self._sequence_seed: int | None = None
        self._expert_success = False
        self._episode_key: tuple[int, int] | None = None  # (seed, episode) the cursor belongs to
        self._cursor = 0
        self._cursor_tick = 0  # episode tick of the snapshot the cursor was found for
        self._cursor_driven = 0  # its driven ticks (WorldSnapshot.driven_ticks)

    @property
    def expert_commands(self) -> np.ndarray | None:
        """The recorded sequence [T+1, 14] at the control rate (row 0: the command before the expert's
        first), or None before the first plan."""
        return None if self._sequence is None else self._sequence.copy()

    def plan(self, request: PlanRequest, progress: Progress | None = None) -> VideoPlanResult:
        """Frames of the expert's future from `request.world`; `progress(frames done, num_frames)` after each frame.

        info: "commands" float64 [num_frames, 14], the expert command sent at each frame's instant (what
        `demos.py` records as `action`); "command_ticks" the control tick of each frame from now;
        "cursor" / "expert_ticks" where along the expert the world is, of how many commands;
        "expert_done" the world has reached the expert's last command; "expert_success" the recorded
        expert episode succeeded; "recorded_expert" this plan recorded it, "record_time_s" how long that took.
        """
        start = time.perf_counter()
        world = self._check(request)
        record_time = self._ensure_sequence(world.seed)
        episode = self._episode
        episode.restore(world)
        cursor = self._locate(world, episode.elapsed_ticks)
        sequence, last = self._sequence, len(self._sequence) - 1
        ticks = frame_ticks(request.num_frames, self.embodiment.control_rate_hz, self.fps)
        width, height = self.config.resolution
        frames = np.empty((request.num_frames, height, width, 3), dtype=np.uint8)
        commands = np.empty((request.num_frames, sequence.shape[1]))
        tick = 0
        for i, target in enumerate(ticks):
            while tick < target:
                episode.command(sequence[min(cursor + 1 + ramp_ticks(tick, self._ramp_ticks), last)])
                episode.step()
                tick += 1
            self._render(out=frames[i])
            commands[i] = sequence[min(cursor + 1 + ramp_ticks(tick, self._ramp_ticks), last)]
            if progress is not None:
                progress(i + 1, request.num_frames)
        info: dict[str, Any] = {
            "commands": commands,
            "command_ticks": ticks,
            "cursor": cursor,
            "expert_ticks": last,
            "expert_done": cursor >= last,
            "expert_success": self._expert_success,
            "recorded_expert": record_time is not None,
            "record_time_s": record_time or 0.0,
            "camera": self.config.camera,
        }
        return VideoPlanResult(request.plan_id, frames, self.fps, self.backend, time.perf_counter() - start, info)

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
        if self._episode is not None:
            self._episode.close()

    # ------------------------------------------------------------------------------- internals

    def _check(self, request: PlanRequest) -> WorldSnapshot:
        world = request.world
        if world is None:
            raise ValueError("sim_oracle plans from the simulated world's state: PlanRequest.world must be a WorldSnapshot "
                             "(the simulated robot's ~/get_world_snapshot); it cannot plan for a real robot")
        if self.config.task and world.task != self.config.task:
            raise ValueError(f"sim_oracle is configured for task {self.config.task!r}, the snapshot is of {world.task!r}")
        if self._episode is None or self._episode.task.name != world.task:  # first plan, or the simulator changed task
            if self._episode is not None:
                self._episode.close()
            self._episode = SimEpisode(world.task, self.embodiment, self._sim_config)
            self._sequence = self._sequence_seed = None
        return world

    def _ensure_sequence(self, seed: int) -> float | None:
        """Record the expert of episode `seed` unless it is recorded already; returns the time it took or None."""
        if self._sequence is not None and self._sequence_seed == seed:
            return None
        start = time.perf_counter()
        episode = self._episode
        episode.reset(seed)
        rows = [episode.robot.snapshot().command]
        max_ticks = int(round(episode.task.max_duration_s * self.embodiment.control_rate_hz))
        for command in episode.expert():
            if len(rows) > max_ticks:  # cut where run_episode cuts
                break
            rows.append(episode.command(command))
            episode.step()
        self._sequence, self._sequence_seed = np.array(rows), seed
        self._expert_success = episode.success()
        self._episode_key = None
        return time.perf_counter() - start

    def _locate(self, world: WorldSnapshot, tick: int) -> int:
        key = (world.seed, world.episode)
        if key != self._episode_key or tick < self._cursor_tick:  # a new episode (or time went back): start over
            self._episode_key, self._cursor, self._cursor_tick, self._cursor_driven = key, 0, 0, 0
        self._cursor = advance_cursor(self._sequence, world.command, self._cursor, tick - self._cursor_tick,
                                      slack_ticks=self._slack_ticks, match_tolerance=self.config.cursor_tolerance,
                                      driven_ticks=world.driven_ticks - self._cursor_driven)
        self._cursor_tick, self._cursor_driven = tick, world.driven_ticks
        return self._cursor

    def _render(self, out: np.ndarray) -> None:
        key = threading.get_ident()
        renderer = self._renderers.get(key)
        robot = self._episode.robot
        if renderer is None:
            renderer = self._renderers[key] = TwinRenderer(robot.model, self._sim_config.cameras, shadows=self._sim_config.shadows)
        # As SimRobot.render: mj_step leaves body poses of the state before its last integration.
        mujoco.mj_kinematics(robot.model, robot.data)
        mujoco.mj_camlight(robot.model, robot.data)
        renderer.render(robot.data, self.config.camera, out=out)


def register() -> None:
    """Entry point of the `eva.planners` group: make the `sim_oracle` backend buildable (idempotent)."""
    register_planner("sim_oracle", SimOracleConfig, SimOraclePlanner)
