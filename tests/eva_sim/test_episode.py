"""`SimEpisode`: the same episode start as `run_episode`, bookkeeping, and snapshots that a separately
built copy restores exactly (fixed bodies the task moved in the model included)."""

import numpy as np
import pytest

from eva_core.planning import WorldSnapshot
from eva_sim.demos import run_episode
from eva_sim.episode import SimEpisode, restore_into
from eva_sim.robot import TwinSnapshot
from eva_sim.tasks import get_task
from eva_sim.tasks.base import body_position


def wiggle(embodiment, ticks, phase=0.0):
    """Commands [ticks, 14]: the ready pose with both arms swaying (no IK: experts are slow to plan)."""
    t = np.arange(ticks)[:, None] * embodiment.control_dt
    offsets = np.zeros(14)
    offsets[[0, 1, 2, 7, 8, 9]] = (0.3, 0.4, -0.3, -0.3, 0.4, -0.3)
    commands = embodiment.ready_pose() + np.sin(2 * np.pi * 0.7 * t + phase) * offsets
    commands[:, [6, 13]] = 0.5 + 0.4 * np.sin(2 * np.pi * t)
    return embodiment.limits.clip_position(commands)


def same_physics(a: WorldSnapshot, b: WorldSnapshot) -> bool:
    return a.sim_time_s == b.sim_time_s and all(np.array_equal(getattr(a, n), getattr(b, n)) for n in ("physics", "command", "setpoint"))


def test_reset_and_steps_match_run_episode(embodiment):
    commands = wiggle(embodiment, 150)
    task = get_task("pick_place_bowl")
    task.expert = lambda robot, rng: commands  # the expert's IK is slow; its commands do not matter here
    robot = task.build_robot(embodiment)
    result = run_episode(task, robot, seed=4)
    episode = SimEpisode("pick_place_bowl", embodiment)
    episode.reset(4)
    for command in commands:
        episode.command(command)
        episode.step()
    assert result.ticks == episode.elapsed_ticks == 150 and episode.elapsed_s == pytest.approx(0.75, abs=1e-12)
    assert np.array_equal(robot.snapshot().physics, episode.robot.snapshot().physics)
    assert episode.success() == result.success


def test_bookkeeping(embodiment):
    episode = SimEpisode("press_button", embodiment)
    assert (episode.seed, episode.episode, episode.task.name) == (None, 0, "press_button")
    with pytest.raises(RuntimeError, match="reset"):
        episode.snapshot()
    episode.reset(2)
    episode.reset(3)
    assert (episode.seed, episode.episode, episode.elapsed_s) == (3, 2, 0.0)
    np.testing.assert_allclose(episode.robot.state(), embodiment.ready_pose(), atol=0.02)
    accepted = episode.command(np.full(14, 100.0))
    assert np.all(accepted == embodiment.limits.position_max)
    episode.command(embodiment.ready_pose())
    max_ticks = int(round(episode.task.max_duration_s * embodiment.control_rate_hz))
    episode.step(max_ticks - 1)
    assert not episode.timed_out and not episode.success()
    episode.step()
    assert episode.timed_out and episode.elapsed_s == pytest.approx(episode.task.max_duration_s)
    snap = episode.snapshot()
    assert (snap.task, snap.seed, snap.episode) == ("press_button", 3, 2)
    assert snap.command.shape == snap.setpoint.shape == (14,) and snap.sim_time_s == episode.robot.time
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            episode.reset(bad)
    with pytest.raises(ValueError, match="ticks"):
        episode.step(-1)
    with pytest.raises(KeyError, match="unknown task 'fly'"):
        SimEpisode("fly", embodiment)


def test_a_restored_copy_steps_bit_exactly_like_the_original(embodiment):
    original = SimEpisode("pick_place_bowl", embodiment)
    original.reset(11)
    for command in wiggle(embodiment, 120):
        original.command(command)
        original.step()
    snap = WorldSnapshot.from_dict(original.snapshot().to_dict())  # as it travels over the service

    copy = SimEpisode("pick_place_bowl", embodiment)  # its own model
    copy.reset(5)  # another scene: the bowl elsewhere
    restore_into(copy, snap)
    assert (copy.seed, copy.episode, copy.elapsed_ticks) == (11, 1, 120)
    assert same_physics(copy.snapshot(), original.snapshot())
    for command in wiggle(embodiment, 300, phase=1.0):
        for episode in (original, copy):
            episode.command(command)
            episode.step()
    assert same_physics(copy.snapshot(), original.snapshot())
    assert np.array_equal(body_position(copy.robot, "bowl"), body_position(original.robot, "bowl"))
    assert copy.success() == original.success()


def test_physics_alone_leaves_the_fixed_bowl_where_the_copy_had_it(embodiment):
    """Why `restore_into` resets first: the bowl is placed in the model, outside the physics state."""
    original, copy = SimEpisode("pick_place_bowl", embodiment), SimEpisode("pick_place_bowl", embodiment)
    original.reset(11)
    copy.reset(5)
    snap = original.snapshot()
    copy.robot.restore(TwinSnapshot(snap.physics, snap.command, snap.setpoint))
    assert not np.allclose(body_position(copy.robot, "bowl"), body_position(original.robot, "bowl"), atol=1e-3)
    restore_into(copy, snap)
    assert np.array_equal(body_position(copy.robot, "bowl"), body_position(original.robot, "bowl"))


def test_restore_refuses_another_task(embodiment):
    original, other = SimEpisode("press_button", embodiment), SimEpisode("lift_box", embodiment)
    original.reset(0)
    with pytest.raises(ValueError, match="task 'press_button', this episode runs 'lift_box'"):
        restore_into(other, original.snapshot())
