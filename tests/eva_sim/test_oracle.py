"""The `sim_oracle` planner: a perfect world model of the twin. Its frames are what the world shows when
it executes the expert, and following its commands segment by segment (replanning each time) does the task.

Recording the expert costs seconds (the expert's IK), so one planner serves the module (one seed)."""

import numpy as np
import pytest

from eva_core.config import ConfigError
from eva_core.planning import PlanRequest, make_planner, planner_config
from eva_sim.config import SimConfig
from eva_sim.episode import SimEpisode
from eva_sim.oracle import CURSOR_SLACK_S, SimOracleConfig, SimOraclePlanner, advance_cursor, frame_ticks, ramp_ticks

TASK, SEED, RESOLUTION = "press_button", 2, (160, 120)


@pytest.fixture(scope="module")
def oracle(embodiment):
    planner = make_planner("sim_oracle", {"task": TASK}, embodiment)
    yield planner
    planner.close()


@pytest.fixture
def world(embodiment):
    """The 'real' simulated world: a fresh episode of the module's seed."""
    episode = SimEpisode(TASK, embodiment, SimConfig().with_resolution(*RESOLUTION))
    episode.reset(SEED)
    yield episode
    episode.close()


def request_for(world, num_frames, plan_id="p"):
    return PlanRequest(plan_id, world.task.instruction, (world.robot.render("cam_high"),), num_frames=num_frames, world=world.snapshot())


# --------------------------------------------------------------------------------------- config


def test_config_defaults_and_errors():
    config = planner_config("sim_oracle", {"task": TASK})
    assert config == SimOracleConfig(task=TASK, camera="cam_high", resolution=(160, 120), fps=None)
    assert planner_config("sim_oracle", {"task": TASK, "resolution": [64, 48], "fps": 8}).resolution == (64, 48)
    assert planner_config("sim_oracle", {}).task == ""  # any task: the one the snapshots are of
    for values, message in [
        ({"task": "fly"}, r"^planner\.task: unknown task 'fly'; tasks: .*press_button"),
        ({"task": TASK, "camera": "cam_low"}, r"^planner\.camera: unknown camera"),
        ({"task": TASK, "resolution": [8, 8]}, r"^planner\.resolution: "),
        ({"task": TASK, "resolution": [160]}, r"^planner\.resolution: expected 2 values"),
        ({"task": TASK, "fps": 0}, r"^planner\.fps: must be > 0"),
    ]:
        with pytest.raises(ConfigError, match=message):
            planner_config("sim_oracle", values)


def test_frame_ticks_follow_demos_sampling():
    assert frame_ticks(9, 200.0, 16.0).tolist() == [0, 13, 25, 38, 50, 63, 75, 88, 100]
    assert frame_ticks(49, 200.0, 16.0)[-1] == 600


# --------------------------------------------------------------------------------------- cursor


def test_cursor_takes_the_earliest_of_a_hold_then_credits_time_held():
    s = np.array([[0.0], [1.0], [2.0], [2.0], [2.0], [2.0], [3.0], [4.0]])  # a hold of 4 ticks at 2.0
    assert advance_cursor(s, [2.0], previous=0, elapsed_ticks=10, slack_ticks=0) == 2  # the hold's start
    assert advance_cursor(s, [2.0], previous=2, elapsed_ticks=0, slack_ticks=0) == 2  # no time passed
    assert advance_cursor(s, [2.0], previous=2, elapsed_ticks=2, slack_ticks=0) == 4  # held 2 ticks since
    assert advance_cursor(s, [2.0], previous=2, elapsed_ticks=9, slack_ticks=0) == 5  # at most the hold's end
    assert advance_cursor(s, [3.1], previous=2, elapsed_ticks=9, slack_ticks=0) == 6
    assert advance_cursor(s, [1.0], previous=6, elapsed_ticks=1, slack_ticks=0) == 6  # monotone
    assert advance_cursor(s, [2.2], previous=1, elapsed_ticks=5, slack_ticks=0) == 2  # nearest, not exact


def test_cursor_does_not_reach_a_later_revisit_of_the_same_pose():
    s = np.array([[0.0], [1.0], [2.0], [1.0], [0.1], [1.0]])  # out and back
    assert advance_cursor(s, [0.1], previous=0, elapsed_ticks=1, slack_ticks=1) == 0  # tick 4 is out of reach
    assert advance_cursor(s, [0.1], previous=0, elapsed_ticks=4, slack_ticks=0) == 4


def test_start_ramp_eases_into_the_expert_pace():
    assert [ramp_ticks(t, 0) for t in (0, 5, 50)] == [0, 5, 50]
    ticks = [ramp_ticks(t, 100) for t in range(0, 301)]
    assert ticks[0] == 0 and ticks[100] == 50 and ticks[300] == 250  # half the ramp is lost, then full pace
    steps = np.diff(ticks)
    assert (steps >= 0).all() and steps[:20].sum() < 3 and (steps[150:] == 1).all()  # slow start, never backwards
    with pytest.raises(ConfigError, match="start_ramp_s"):
        SimOracleConfig(task=TASK, start_ramp_s=-1.0)


def test_cursor_with_match_tolerance_keeps_the_expert_pace_through_a_slow_phase():
    # A slow phase (0.05 over 100 ticks, less than decoding noise), then a fast move.
    s = np.concatenate([np.linspace(0.0, 0.05, 100), np.linspace(0.06, 1.0, 50)])[:, None]
    noisy = [0.03]  # the world's command: somewhere in the slow phase, 0.02-0.03 off the expert
    assert advance_cursor(s, noisy, previous=0, elapsed_ticks=50, slack_ticks=0) < 70  # nearest only: no credit for time
    assert advance_cursor(s, noisy, previous=0, elapsed_ticks=50, slack_ticks=0, match_tolerance=0.1) == 50
    assert advance_cursor(s, noisy, previous=50, elapsed_ticks=50, slack_ticks=0, match_tolerance=0.1) == 100


def test_cursor_with_match_tolerance_does_not_run_ahead_of_a_world_that_held():
    s = np.linspace(0.0, 1.0, 101)[:, None]  # the expert moves steadily
    # The world held at the start (its plans were rejected): only the first ticks are within tolerance.
    assert advance_cursor(s, [0.002], previous=0, elapsed_ticks=50, slack_ticks=0, match_tolerance=0.1) == 10


def test_cursor_with_match_tolerance_never_goes_behind_a_world_that_overshot():
    s = np.linspace(0.0, 1.0, 101)[:, None]
    # Driven for 20 ticks (pace: 0.2) but the world braked to 0.5: the cursor is where the world is.
    assert advance_cursor(s, [0.501], previous=0, elapsed_ticks=100, slack_ticks=0, match_tolerance=0.1, driven_ticks=20) == 50


def test_cursor_with_match_tolerance_takes_the_first_pass_through_a_pose():
    # Down to a press and back up through the same poses, then a hold: the world, on its way down
    # (0.5, noisy), was driven long enough that the pace points past the press to the way back up.
    s = np.concatenate([np.linspace(1.0, 0.0, 101), np.linspace(0.0, 1.0, 101)[1:], np.ones(50)])[:, None]
    cursor = advance_cursor(s, [0.52], previous=0, elapsed_ticks=250, slack_ticks=0, match_tolerance=0.1, driven_ticks=170)
    assert 45 <= cursor <= 58  # on the way down (index 48 is 0.52), never past the press (index 100)


# --------------------------------------------------------------------------------------- plans


def test_first_frame_is_the_current_view_and_the_world_is_untouched(oracle, world, embodiment):
    world.command(embodiment.ready_pose())
    world.step(7)
    before = world.snapshot()
    calls = []
    request = request_for(world, 9)
    result = oracle.plan(request, lambda done, total: calls.append((done, total)))
    assert result.backend == "sim_oracle" and result.fps == embodiment.plan_rate_hz and result.plan_id == "p"
    assert result.frames.shape == (9, 120, 160, 3) and result.frames.dtype == np.uint8
    assert np.array_equal(result.frames[0], request.current)
    assert not np.array_equal(result.frames[-1], result.frames[0])  # the arm moves
    assert calls == [(i, 9) for i in range(1, 10)]
    info = result.info
    assert info["commands"].shape == (9, 14) and info["command_ticks"].tolist() == [0, 13, 25, 38, 50, 63, 75, 88, 100]
    assert info["cursor"] == 0 and info["expert_success"] and not info["expert_done"]
    after = world.snapshot()
    assert all(np.array_equal(getattr(before, n), getattr(after, n)) for n in ("physics", "command", "setpoint"))
    again = oracle.plan(request_for(world, 9))
    assert np.array_equal(again.frames, result.frames) and not again.info["recorded_expert"]


def test_frames_are_what_the_world_shows_executing_the_expert(oracle, world, embodiment):
    world.command(embodiment.ready_pose())
    world.step(3)
    result = oracle.plan(request_for(world, 5))
    sequence, cursor = oracle.expert_commands, result.info["cursor"]
    tick = 0
    for i, target in enumerate(result.info["command_ticks"]):
        while tick < target:
            world.command(sequence[cursor + 1 + tick])
            world.step()
            tick += 1
        np.testing.assert_array_equal(result.info["commands"][i], sequence[cursor + 1 + tick])
        assert np.array_equal(world.robot.render("cam_high"), result.frames[i]), f"frame {i}"


def test_following_the_plans_presses_the_button(oracle, world):
    """Execute the first 8 plan-rate commands of each plan (each held until the next frame), replan."""
    cursors = []
    for n in range(12):
        result = oracle.plan(request_for(world, 17, f"p{n}"))
        commands, ticks = result.info["commands"], result.info["command_ticks"]
        cursors.append(result.info["cursor"])
        for j in range(8):
            world.command(commands[j])
            world.step(int(ticks[j + 1] - ticks[j]))
        if world.success():
            break
    assert world.success(), f"not pressed after {n + 1} plans, cursors {cursors}"
    assert cursors == sorted(cursors) and cursors[1] > 0
    assert world.elapsed_s < 0.8 * world.task.max_duration_s


def test_refuses_requests_it_cannot_plan(oracle, world, embodiment):
    frame = np.zeros((120, 160, 3), np.uint8)
    with pytest.raises(ValueError, match="PlanRequest.world must be a WorldSnapshot"):
        oracle.plan(PlanRequest("p", "x", (frame,)))
    other = SimEpisode("lift_box", embodiment)
    other.reset(0)
    with pytest.raises(ValueError, match="configured for task 'press_button', the snapshot is of 'lift_box'"):
        oracle.plan(PlanRequest("p", "x", (frame,), world=other.snapshot()))
    assert isinstance(oracle, SimOraclePlanner) and SimOraclePlanner.needs_world_snapshot and CURSOR_SLACK_S > 0
