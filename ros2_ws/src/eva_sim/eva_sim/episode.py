"""`SimEpisode`: one task running in the twin, stepped by whoever drives it (the simulated-robot node
in real time, a planner's private copy, a test).

    episode = SimEpisode("press_button", embodiment, SimConfig().with_resolution(160, 120))
    episode.reset(seed=3)                      # exactly as `demos.run_episode` starts an episode
    episode.command(q14); episode.step()       # one 200 Hz control tick; the task observes after each
    episode.success(), episode.elapsed_s, episode.timed_out
    snapshot = episode.snapshot()              # an `eva_core.planning.WorldSnapshot`
    restore_into(copy, snapshot)               # `copy` (same task, any model) now is that world

Physics state alone does not reproduce a scene: a task's reset may move fixed bodies *in the model*
(`set_static_position`, e.g. the bowl and the button), which `mj_getState` does not hold. So
`restore_into` first resets the copy with the snapshot's task seed (rebuilding the scene exactly as the
original's reset did), then restores physics, command and servo set-point. Task latches (the deepest
press of `press_button`) are not part of the snapshot: after a restore they hold what the restored
state shows, not what happened before it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from eva_core.embodiment import EmbodimentConfig
from eva_core.planning.world import WorldSnapshot
from eva_sim.config import SimConfig
from eva_sim.demos import SETTLE_S
from eva_sim.robot import SimRobot, TwinSnapshot
from eva_sim.tasks import Task, get_task
from eva_sim.tasks.base import iterate_commands


class SimEpisode:
    """A task's scene in its own twin, with episode bookkeeping; see the module docstring."""

    def __init__(self, task_name: str, embodiment: EmbodimentConfig | None = None, sim_config: SimConfig | None = None) -> None:
        self._task = get_task(task_name)  # KeyError naming the registered tasks
        self._robot = self._task.build_robot(embodiment, sim_config)
        self._seed: int | None = None
        self._episode = 0
        self._start_time = 0.0
        self._rng: np.random.Generator | None = None
        self._driven_ticks = 0  # ticks of this episode whose command differed from the tick before
        self._fresh_command = False  # a new command since the last tick
        self._last_command: np.ndarray | None = None

    @property
    def robot(self) -> SimRobot:
        return self._robot

    @property
    def task(self) -> Task:
        return self._task

    @property
    def seed(self) -> int | None:
        """The seed of the current episode (None before the first reset)."""
        return self._seed

    @property
    def episode(self) -> int:
        """Episode counter: +1 on every reset (0 before the first)."""
        return self._episode

    # ------------------------------------------------------------------------------- episode

    def reset(self, seed: int) -> None:
        """A new episode, exactly as `demos.run_episode` starts one: arms at the task's start pose, objects
        placed from `seed`, `SETTLE_S` of settling, one `task.observe`."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        seed = int(seed)
        robot, task = self._robot, self._task
        self._rng = np.random.default_rng(seed)
        robot.reset(task.start_pose(robot.embodiment), seed=seed)
        task.reset(robot, self._rng)
        robot.step(duration_s=SETTLE_S)
        task.observe(robot)
        self._seed = seed
        self._episode += 1
        self._start_time = robot.time
        self._driven_ticks, self._fresh_command, self._last_command = 0, False, robot.snapshot().command

    def expert(self) -> Iterator[np.ndarray]:
        """The task's scripted expert for this episode: 14-D commands at the control rate, as
        `run_episode` streams them (same generator state). Start it right after `reset`; experts that
        are generators look at the simulator between phases, so step each command before the next."""
        self._require_reset("expert")
        return iterate_commands(self._task.expert(self._robot, self._rng))

    def command(self, q14: np.ndarray) -> np.ndarray:
        """Set the 14-D target; returns the command accepted (clipped to the limits)."""
        accepted = self._robot.command(q14)
        # A change below 1e-9 (rad / opening) is the same command: a hold re-sent from the measured state.
        self._fresh_command |= self._last_command is None or bool(np.max(np.abs(accepted - self._last_command)) > 1e-9)
        self._last_command = accepted.copy()
        return accepted

    def step(self, ticks: int = 1) -> np.ndarray:
        """Advance `ticks` control ticks, the task observing after each; returns the measured 14-D state."""
        if isinstance(ticks, bool) or not isinstance(ticks, (int, np.integer)) or ticks < 0:
            raise ValueError(f"ticks must be an integer >= 0, got {ticks!r}")
        robot, task = self._robot, self._task
        for _ in range(ticks):
            robot.step()
            task.observe(robot)
            self._driven_ticks += self._fresh_command
            self._fresh_command = False
        return robot.state()

    @property
    def driven_ticks(self) -> int:
        """Ticks of this episode in which the twin got a new command (see `WorldSnapshot.driven_ticks`)."""
        return self._driven_ticks

    def success(self) -> bool:
        return bool(self._task.success(self._robot))

    @property
    def elapsed_ticks(self) -> int:
        """Control ticks since the episode started (after settling)."""
        return int(round((self._robot.time - self._start_time) * self._robot.embodiment.control_rate_hz))

    @property
    def elapsed_s(self) -> float:
        """Simulated seconds since the episode started (after settling), a whole number of ticks."""
        return self.elapsed_ticks * self._robot.control_dt

    @property
    def timed_out(self) -> bool:
        """The episode has run the task's `max_duration_s` (where `run_episode` cuts the expert)."""
        max_ticks = int(round(self._task.max_duration_s * self._robot.embodiment.control_rate_hz))
        return self.elapsed_ticks >= max_ticks

    # ---------------------------------------------------------------------------- snapshots

    def snapshot(self) -> WorldSnapshot:
        """The world now: task, seed, episode counter, physics, command and servo set-point."""
        self._require_reset("snapshot")
        twin = self._robot.snapshot()
        return WorldSnapshot(
            task=self._task.name, seed=self._seed, episode=self._episode, sim_time_s=self._robot.time,
            physics=twin.physics, command=twin.command, setpoint=twin.setpoint, driven_ticks=self._driven_ticks,
        )

    def restore(self, snapshot: WorldSnapshot) -> None:
        """Become the world of `snapshot` (see `restore_into`)."""
        if snapshot.task != self._task.name:
            raise ValueError(f"snapshot is of task {snapshot.task!r}, this episode runs {self._task.name!r}")
        expected = self._robot.snapshot()
        for name in ("physics", "command"):
            have, want = getattr(snapshot, name).shape, getattr(expected, name).shape
            if have != want:
                raise ValueError(f"snapshot {name} has shape {have}, this twin's is {want} (another model or embodiment?)")
        self.reset(snapshot.seed)  # rebuilds the scene: fixed bodies placed by the task live in the model
        self._robot.restore(TwinSnapshot(physics=snapshot.physics.copy(), command=snapshot.command.copy(), setpoint=snapshot.setpoint.copy()))
        self._episode = snapshot.episode  # this copy now mirrors that episode
        self._driven_ticks, self._fresh_command, self._last_command = snapshot.driven_ticks, False, snapshot.command.copy()
        self._task.observe(self._robot)  # latches see the restored state

    def close(self) -> None:
        self._robot.close()

    def _require_reset(self, what: str) -> None:
        if self._seed is None:
            raise RuntimeError(f"{what}: no episode yet, call reset(seed) first")

    def __enter__(self) -> SimEpisode:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def restore_into(episode: SimEpisode, snapshot: WorldSnapshot) -> None:
    """Make `episode` (a copy: same task, its own twin) the world of `snapshot`: reset it with the
    snapshot's seed (rebuilding fixed bodies moved in the model), then restore physics, command and
    servo set-point. Stepping the same commands afterwards gives the same states as the original, to
    the bit. `episode.episode` takes the snapshot's counter."""
    episode.restore(snapshot)
