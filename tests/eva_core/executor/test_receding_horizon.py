"""The receding-horizon executor in a closed loop (plant, camera and planner in code; see conftest).

Every test also checks what matters most: every command sent, from the first tick to the last, is
within the position limits and its finite-difference velocity and acceleration at the control rate
are within the limits (from the measured state the run started from).
"""

from dataclasses import replace

import numpy as np
import pytest

from eva_core.executor import ExecutorConfig, ExecutorGoal, Observation, RecedingHorizonExecutor
from eva_core.safety import limit_violations

CLEAN = {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}


@pytest.fixture(scope="module")
def emb(make_loop):
    return make_loop.embodiment


def goal_from(emb, **offsets) -> np.ndarray:
    """The ready pose moved by {index: offset}, e.g. goal_from(emb, j0=0.8)."""
    goal = emb.ready_pose()
    for key, offset in offsets.items():
        goal[int(key[1:])] += offset
    return goal


def executing_for(ticks: int):
    """A `Loop.once` condition: the executor has been executing for `ticks` ticks in a row."""
    count = [0]

    def condition(loop) -> bool:
        count[0] = count[0] + 1 if loop.executor.stage == "executing" else 0
        return count[0] > ticks

    return condition


def assert_safe(loop) -> None:
    commands = np.array(loop.commands)
    emb = loop.executor.embodiment
    assert limit_violations(loop.start_q, None, commands, emb.control_dt, emb.limits) == CLEAN


def assert_holds_after_the_end(loop) -> None:
    """One result; afterwards the commands brake to rest and then stay exactly put."""
    assert len(loop.results) == 1
    assert not loop.executor.running and loop.executor.stage == "finished"
    after = np.array(loop.commands[loop.result_tick :])
    assert len(after) > 40
    np.testing.assert_array_equal(after[-20:], np.repeat(after[-1:], 20, axis=0))
    assert all(t.result is None and t.request_plan is None for t in loop.ticks[loop.result_tick + 1 :])


# -- runs that end well ----------------------------------------------------------------------------


def test_reaches_the_goal_over_several_segments(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=0.8, j3=-0.5, j6=0.3, j8=0.6, j13=-0.4))
    tick = loop.start()
    assert loop.executor.running and loop.executor.stage == "planning"
    assert tick.command is not None and tick.feedback is not None and tick.result is None
    result = loop.run(max_s=20.0, after_s=0.5)
    assert result.success and result.outcome == "success" and result.plans_rejected == 0
    assert result.segments >= 2 and result.segments == loop.executor.segments
    assert [plan_id for _, plan_id in loop.requests] == [f"plan-{k:04d}" for k in range(1, result.segments + 1)]
    assert np.max(np.abs(loop.q - loop.goal)) < loop.success_tol
    assert result.duration_s == pytest.approx(loop.result_tick * 0.005, abs=1e-6)
    stages = [f.stage for f in loop.feedback]
    assert stages[0] == "planning" and stages[-1] == "finished" and "executing" in stages
    assert_safe(loop)
    assert_holds_after_the_end(loop)


def test_each_segment_streams_the_plan_and_the_arms_rest_before_the_next_plan(make_loop, emb):
    config = ExecutorConfig(segment_steps=6)
    loop = make_loop(config=config, goal=goal_from(emb, j0=1.5))
    loop.start()
    loop.run(max_s=20.0)
    commands = np.array(loop.commands)
    request_ticks = [int(round((t - loop.ticks_t0) / 0.005)) for t, _ in loop.requests]  # index into commands
    for k in request_ticks[1:]:
        # The request came at least settle_s after the arms stopped: the commands were still that long.
        still = commands[k - int(config.settle_s / 0.005) : k + 1]
        np.testing.assert_array_equal(still, np.repeat(still[:1], len(still), axis=0))
    segment_events = [e for e in loop.events if "done:" in e]
    assert segment_events and all(f"{int(6 * 12.5)} commands, 0 clamped" in e for e in segment_events)
    assert_safe(loop)


def test_time_scale_streams_each_segment_slower_along_the_same_knots(make_loop, emb):
    loops = {}
    for scale in (1.0, 2.0):
        loop = make_loop(config=ExecutorConfig(segment_steps=6, time_scale=scale), goal=goal_from(emb, j0=0.6))
        loop.start()
        result = loop.run(max_s=30.0)
        assert result.success
        segment_events = [e for e in loop.events if "done:" in e]
        assert segment_events and all(f"{int(6 * 12.5 * scale)} commands" in e for e in segment_events)
        assert_safe(loop)
        loops[scale] = loop
    # Half speed: the largest joint velocity commanded is (about) half.
    speed = {k: np.abs(np.diff(np.array(v.commands), axis=0)).max() / emb.control_dt for k, v in loops.items()}
    assert speed[2.0] < 0.6 * speed[1.0]


def test_step_zero_is_replaced_by_the_commanded_pose(make_loop, emb):
    """A decoding error of 0.1 rad in step 0 does not jump the arms: the stream starts from the hold."""

    def planner(loop, plan_id, index):
        plan = make_loop.plan_toward(loop.q, loop.goal)
        plan[0, 0] += 0.1
        return [make_loop.Reply(0.2, plan_id, plan)]

    loop = make_loop(planner=planner, goal=goal_from(emb, j2=-0.3), config=ExecutorConfig(max_segments=1))
    loop.start()
    result = loop.run(max_s=5.0)
    assert result.outcome == "segment_limit"
    assert any("step 0 moved 0.100 rad onto the commanded pose" in e for e in loop.events)
    commands = np.array(loop.commands)
    assert np.abs(commands[:, 0] - loop.start_q[0]).max() < 1e-12  # joint 0 was never moved toward it
    assert_safe(loop)


def test_a_plan_shorter_than_a_segment_is_executed_as_far_as_it_goes(make_loop, emb):
    def planner(loop, plan_id, index):
        return [make_loop.Reply(0.2, plan_id, make_loop.plan_toward(loop.q, loop.goal, steps=4))]

    loop = make_loop(planner=planner, goal=goal_from(emb, j1=0.2), config=ExecutorConfig(max_segments=1))
    loop.start()
    loop.run(max_s=5.0)
    assert any("executing segment 1, 37 commands" in e for e in loop.events)  # 3 steps x 12.5 ticks
    assert_safe(loop)


def test_success_observed_while_waiting_for_a_plan_ends_the_run(make_loop, emb):
    loop = make_loop()  # the goal is where the arms already are
    tick = loop.start()
    assert tick.result is not None and tick.result.success and tick.result.segments == 0
    assert "after 0 segments" in tick.result.reason and tick.request_plan is None
    loop.run(max_s=0.0, after_s=0.3)
    assert_holds_after_the_end(loop)


# -- limits, cancel ------------------------------------------------------------------------------------


def test_segment_limit_from_the_config_and_from_the_goal(make_loop, emb):
    far = goal_from(emb, j0=2.0)
    loop = make_loop(goal=far, config=ExecutorConfig(max_segments=2))
    loop.start()
    result = loop.run(max_s=20.0, after_s=0.3)
    assert (result.outcome, result.success, result.segments) == ("segment_limit", False, 2)
    assert "2 segments executed without success" in result.reason
    assert_holds_after_the_end(loop)

    loop = make_loop(goal=far)  # config allows 40; the goal asks for 1
    loop.start(ExecutorGoal("reach", max_segments=1))
    assert loop.run(max_s=20.0).segments == 1


def test_time_limit_is_checked_every_tick(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=2.0))
    loop.start(ExecutorGoal("reach", max_duration_s=1.0))
    result = loop.run(max_s=5.0, after_s=0.5)
    assert result.outcome == "time_limit" and not result.success
    assert result.duration_s == pytest.approx(1.0, abs=0.006)
    assert_safe(loop)  # stopped mid-segment: the guard brakes within the limits
    assert_holds_after_the_end(loop)


def test_cancel_mid_segment_holds_and_reports_once(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=1.0, j7=-0.5))
    loop.once(executing_for(50), lambda lp: lp.executor.cancel("operator pressed stop"))
    loop.start()
    result = loop.run(max_s=10.0, after_s=0.6)
    assert (result.outcome, result.reason, result.segments) == ("canceled", "operator pressed stop", 1)
    assert_safe(loop)
    assert_holds_after_the_end(loop)
    loop.executor.cancel("again")  # outside a run: nothing happens
    loop.executor.fault("late fault")
    assert loop.step().result is None


def test_running_stays_true_until_the_result_is_returned(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=1.0))
    loop.start()
    loop.executor.fault("camera node lost")
    loop.executor.cancel("ignored: the fault came first")
    assert loop.executor.running  # a node that ticks only while running still gets the result
    tick = loop.step()
    assert tick.result.outcome == "fault" and tick.result.reason == "camera node lost"
    assert not loop.executor.running and loop.executor.last_result is tick.result


# -- faults -------------------------------------------------------------------------------------------


def test_planner_timeout(make_loop, emb):
    silent = lambda loop, plan_id, index: []  # noqa: E731
    loop = make_loop(planner=silent, goal=goal_from(emb, j0=1.0), config=ExecutorConfig(plan_timeout_s=0.5))
    loop.start()
    result = loop.run(max_s=5.0, after_s=0.1)
    assert result.outcome == "fault"
    assert result.reason.startswith("planner timeout: no action plan for plan-0001 within 0.5 s")
    assert 0.5 < result.duration_s < 0.7
    commands = np.array(loop.commands)
    np.testing.assert_array_equal(commands, np.repeat(loop.start_q[None], len(commands), axis=0))  # held still


def test_planner_failure_of_the_awaited_plan_is_a_fault(make_loop, emb):
    def planner(loop, plan_id, index):
        Reply = make_loop.Reply
        return [Reply(0.1, "plan-9999", fail="stale request"), Reply(0.2, plan_id, fail="CUDA out of memory")]

    loop = make_loop(planner=planner, goal=goal_from(emb, j0=1.0))
    loop.start()
    result = loop.run(max_s=5.0)
    assert result.outcome == "fault" and result.reason == "planner failed on plan-0001: CUDA out of memory"
    assert any("ignored planner failure for 'plan-9999'" in e for e in loop.events)


@pytest.mark.parametrize("how", ["stale", "nan", "missing", "wrong_shape"])
def test_lost_joint_feedback_during_execution_is_a_fault(make_loop, emb, how):
    loop = make_loop(goal=goal_from(emb, j0=1.5))

    def corrupt(obs):
        if how == "nan":
            q = obs.joint_position.copy()
            q[4] = np.nan
            return replace(obs, joint_position=q)
        if how == "missing":
            return replace(obs, joint_position=None, joint_stamp_s=None)
        return replace(obs, joint_position=obs.joint_position[:7])

    def lose(lp):
        lp.lost_at = lp.now
        if how == "stale":
            lp.feedback_alive = False
        else:
            lp.corrupt = corrupt

    loop.once(executing_for(40), lose)
    loop.start()
    result = loop.run(max_s=10.0, after_s=0.8)
    assert result.outcome == "fault" and result.reason.startswith("lost joint feedback: ")
    if how == "stale":
        assert "s old (limit 0.1 s)" in result.reason
        ended_at = loop.ticks_t0 + result.duration_s
        assert 0.1 < ended_at - loop.lost_at <= 0.1 + 0.0051  # the first tick past state_timeout_s
    assert_safe(loop)
    assert_holds_after_the_end(loop)


def test_stale_feedback_while_waiting_for_a_plan_only_holds(make_loop, emb):
    """Nothing moves while a plan is awaited, so a feedback gap there is not a fault; executing
    without feedback is."""
    slow = lambda lp, pid, i: [make_loop.Reply(1.0, pid, make_loop.plan_toward(lp.q, lp.goal))]  # noqa: E731
    loop = make_loop(goal=goal_from(emb, j0=1.0), planner=slow)
    loop.once(lambda lp: lp.now > 100.1, lambda lp: setattr(lp, "feedback_alive", False))
    loop.start()
    for _ in range(150):
        assert loop.step().result is None
    result = loop.run(max_s=5.0)
    assert result.outcome == "fault" and "lost joint feedback" in result.reason and result.segments == 1


def test_camera_never_ready_is_a_fault_after_the_camera_timeout(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=1.0))
    loop.camera_alive = False  # frames from before the start only: no history for this run
    loop.start()
    result = loop.run(max_s=5.0)
    assert result.outcome == "fault" and result.reason.startswith("lost camera: fewer than 4 plan-camera frames")
    assert result.duration_s == pytest.approx(1.0, abs=0.006) and not loop.requests


def test_camera_lost_between_segments_is_a_fault(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=2.0))
    loop.once(lambda lp: lp.executor.stage == "executing", lambda lp: setattr(lp, "camera_alive", False))
    loop.start()
    result = loop.run(max_s=10.0)
    assert result.outcome == "fault" and result.reason.startswith("lost camera: ")
    assert result.segments == 1 and len(loop.requests) == 1
    assert_safe(loop)


def test_clock_going_backwards_or_nan_is_a_fault(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=1.0))
    loop.once(lambda lp: lp.executor.stage == "executing", lambda lp: setattr(lp, "now", lp.now - 0.05))
    loop.start()
    result = loop.run(max_s=5.0)
    assert result.outcome == "fault" and result.reason.startswith("clock fault: time went back")
    assert_safe(loop)

    loop = make_loop(goal=goal_from(emb, j0=1.0))
    loop.start()
    loop.corrupt = lambda obs: replace(obs, now_s=float("nan"))
    tick = loop.step()
    assert tick.result.outcome == "fault" and "now_s is not a finite time" in tick.result.reason


# -- plans that must never reach the arms ----------------------------------------------------------------


def bad_plan(make_loop, loop, plan_id, kind):
    """A plan toward somewhere else that is unusable in one way: it must never move the arms."""
    Reply = make_loop.Reply
    plan = make_loop.plan_toward(loop.q, loop.q + 0.3)
    if kind == "low_score":
        return Reply(0.1, plan_id, plan, score=2.0)
    if kind == "nan_score":
        return Reply(0.1, plan_id, plan, score=float("nan"))
    if kind == "safety_reject":
        return Reply(0.1, plan_id, plan, accepted=False)
    if kind == "nan":
        plan[5, 3] = np.nan
    elif kind == "inf":
        plan[2, 0] = -np.inf
    elif kind == "outside_limits":
        plan[4:, 1] = 10.0
    elif kind == "far_start":
        plan = plan + np.where(np.arange(14) == 2, -0.7, 0.0)
    elif kind == "too_short":
        plan = plan[:1]
    elif kind == "wrong_shape":
        plan = plan[:, :13]
    elif kind == "ragged":
        plan = [[0.0] * 14, [0.0] * 3]
    elif kind == "text":
        plan = "not a plan"
    return Reply(0.1, plan_id, plan)


REASON_TEXT = {
    "low_score": "score 2.00 is below min_score 5",
    "nan_score": "score nan is not a finite number",
    "safety_reject": "the safety filter rejected it",
    "nan": "positions contain NaN or inf (1 of 238 values)",
    "inf": "positions contain NaN or inf",
    "outside_limits": "outside the position limits",
    "far_start": "step 0 is 0.700 rad from the commanded pose",
    "too_short": "the plan has 1 step(s)",
    "wrong_shape": "expected [T, 14]",
    "ragged": "not a numeric [T, 14] array",
    "text": "not a numeric [T, 14] array",
}
BAD_KINDS = list(REASON_TEXT)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_rejected_plans_are_never_executed_and_too_many_end_in_a_fault(make_loop, emb, kind):
    bad = lambda lp, pid, i: [bad_plan(make_loop, lp, pid, kind)]  # noqa: E731
    loop = make_loop(planner=bad, config=ExecutorConfig(max_consecutive_rejects=3), goal=goal_from(emb, j0=1.0))
    loop.start()
    result = loop.run(max_s=5.0, after_s=0.1)
    assert result.outcome == "fault" and result.plans_rejected == 3 and result.segments == 0
    assert result.reason.startswith("3 plans rejected in a row (last, plan-0003: ")
    assert REASON_TEXT[kind] in result.reason
    assert [pid for _, pid in loop.requests] == ["plan-0001", "plan-0002", "plan-0003"]
    assert sum("rejected (" in e for e in loop.events) == 3
    commands = np.array(loop.commands)
    np.testing.assert_array_equal(commands, np.repeat(loop.start_q[None], len(commands), axis=0))


def test_safety_rejects_may_be_allowed_for_filter_tests(make_loop, emb):
    refused = lambda lp, pid, i: [make_loop.Reply(0.1, pid, make_loop.plan_toward(lp.q, lp.goal), accepted=False)]  # noqa: E731
    loop = make_loop(planner=refused, config=ExecutorConfig(require_safety_accept=False), goal=goal_from(emb, j0=0.3))
    loop.start()
    assert loop.run(max_s=10.0).success


def test_a_good_plan_resets_the_reject_count(make_loop, emb):
    def planner(loop, plan_id, index):
        if index % 3 < 2:
            return [bad_plan(make_loop, loop, plan_id, "low_score")]
        return make_loop.good_planner(loop, plan_id, index)

    loop = make_loop(planner=planner, config=ExecutorConfig(max_consecutive_rejects=3), goal=goal_from(emb, j0=1.0, j9=-0.6))
    loop.start()
    result = loop.run(max_s=30.0)
    assert result.success and result.plans_rejected == 2 * result.segments
    assert_safe(loop)


def test_plans_of_other_ids_are_ignored(make_loop, emb):
    """Stale (earlier request), foreign, duplicated and reordered plans: only the awaited id runs."""

    def planner(loop, plan_id, index):
        Reply = make_loop.Reply
        away = make_loop.plan_toward(loop.q, loop.q - 0.3)  # the wrong direction, if it were executed
        good = make_loop.plan_toward(loop.q, loop.goal)
        previous = f"plan-{index:04d}"  # the id of the previous request (for index 0: never requested)
        return [
            Reply(0.05, previous, away),
            Reply(0.10, "someone-else-0001", away),
            Reply(0.20, plan_id, good),
            Reply(0.25, plan_id, away),  # duplicate of the same id while executing
        ]

    loop = make_loop(planner=planner, goal=goal_from(emb, j0=0.8, j8=0.5))
    loop.start()
    result = loop.run(max_s=20.0)
    assert result.success and result.plans_rejected == 0
    commands = np.array(loop.commands)
    # The wrong plans lead 0.3 rad back: the arms never went below where they started.
    assert (commands[:, [0, 8]] >= loop.start_q[[0, 8]] - 1e-12).all()
    ignored = [e for e in loop.events if e.startswith("ignored action plan")]
    assert len(ignored) >= 3 * result.segments - 1
    assert_safe(loop)


# -- start, restart ----------------------------------------------------------------------------------------


def test_start_needs_a_fresh_finite_joint_state(emb):
    executor = RecedingHorizonExecutor(emb, ExecutorConfig())
    q = emb.ready_pose()
    fresh = Observation(10.0, q, None, 10.0, 10.0, True, None)
    assert executor.tick(fresh).command is None  # nothing to hold from before the first start
    executor.fault("nothing to fault")  # outside a run: ignored
    bad = [
        (replace(fresh, joint_position=None), "no joint state received"),
        (replace(fresh, joint_stamp_s=9.5), "0.500 s old"),
        (replace(fresh, joint_position=np.full(14, np.nan)), "NaN or inf"),
        (replace(fresh, joint_position=q[:6]), "shape [6]"),
        (replace(fresh, joint_velocity=np.full(14, np.inf)), "joint velocity contains NaN"),
        (replace(fresh, now_s=float("inf")), "now_s"),
    ]
    for obs, message in bad:
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            executor.start(ExecutorGoal("reach"), obs)
        assert not executor.running
    tick = executor.start(ExecutorGoal("reach"), fresh)
    np.testing.assert_array_equal(tick.command, q)
    assert tick.request_plan == "plan-0001"  # history ready and a fresh frame: asked at once
    with pytest.raises(RuntimeError, match="already in progress"):
        executor.start(ExecutorGoal("again"), fresh)


def test_a_new_run_continues_the_plan_ids_and_ignores_the_old_runs_plans(make_loop, emb):
    loop = make_loop(goal=goal_from(emb, j0=0.4), config=ExecutorConfig(max_segments=1))
    loop.start()
    first = loop.run(max_s=10.0, after_s=0.2)
    assert first.outcome in ("segment_limit", "success")
    old_ids = [pid for _, pid in loop.requests]
    loop.start_q = loop.q.copy()  # the second run starts from where the first ended
    loop.commands.clear()
    loop.results.clear()
    loop.goal = goal_from(emb, j0=0.4, j10=0.3)
    loop.start(ExecutorGoal("second"))
    loop.executor.on_action_plan(old_ids[-1], make_loop.plan_toward(loop.q, loop.q - 0.5), 9.0, True, loop.now)
    assert loop.executor.stage == "planning"  # the old run's plan was not taken
    second = loop.run(max_s=10.0)
    assert second is not None and int(loop.requests[-1][1][-4:]) > int(old_ids[-1][-4:])
    assert_safe(loop)


def test_feedback_on_changes_and_periodically(make_loop, emb):
    slow = lambda lp, pid, i: [make_loop.Reply(2.5, pid, make_loop.plan_toward(lp.q, lp.goal))]  # noqa: E731
    loop = make_loop(planner=slow, goal=goal_from(emb, j0=0.3), config=ExecutorConfig(feedback_period_s=1.0))
    loop.start()
    loop.run(max_s=10.0)
    waiting = [f for f in loop.feedback if f.stage == "planning" and f.plan_id == "plan-0001" and f.segment == 1]
    assert len(waiting) == 3  # the request, then after 1 s and 2 s of waiting
    executing = [f for f in loop.feedback if f.stage == "executing"]
    assert executing[0].segment == 1 and executing[0].last_score == 8.0
    assert np.isnan(loop.feedback[0].last_score) and loop.feedback[0].plan_id == ""


def test_the_mujoco_twin_as_the_plant(make_loop, emb):
    robot = pytest.importorskip("eva_sim.robot")
    twin = robot.SimRobot(emb)
    try:
        loop = make_loop(twin=twin, goal=goal_from(emb, j0=0.5, j2=-0.3, j7=-0.4, j11=0.3), success_tol=0.02)
        loop.start()
        result = loop.run(max_s=20.0)
    finally:
        twin.close()
    assert result.success, result
    assert np.max(np.abs(twin.state() - loop.goal)) < 0.03
