"""Property-based tests: whatever the planner sends and whatever the timing, no command breaks a limit.

Hypothesis draws the structure of a run (what each reply to a plan request is: a good plan, garbage,
NaN, jumps, huge values, a low score, a safety reject, a wrong or stale id, a failure or nothing; when
it comes; how the clock ticks; when feedback, camera or success change) and a seed; numpy fills in the
numbers. The loop is the one in conftest. For every run:

- every command sent from the start tick on is finite, within the position limits, and its
  finite-difference velocity and acceleration at control_dt never exceed the limits (checked with
  `limit_violations` from the state the run started from, at rest);
- nothing raises, the result comes exactly once, and afterwards the arms come to rest and stay;
- when no plan was accepted, the arms never moved at all.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eva_core.embodiment import load_embodiment
from eva_core.executor import ExecutorConfig, ExecutorGoal, Observation, RecedingHorizonExecutor
from eva_core.safety import limit_violations

EMB = load_embodiment()
LIMITS = EMB.limits
Q_MIN, Q_MAX = LIMITS.position_min, LIMITS.position_max
CONTROL_DT, PLAN_DT = EMB.control_dt, EMB.plan_dt
CLEAN = {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}
N = 14

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,  # the repository stays clean; a failure prints its reproduction blob
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# A reply is a usable plan (`usable`) about half the time, so that runs go on long enough to execute
# several segments between the garbage; otherwise every part of it is drawn (and may be fine too).
PLAN_KINDS = (
    "good", "good", "fast", "fast", "noise", "huge", "nan", "inf", "jump", "ramp", "short", "empty", "wrong_shape", "text",
    "fail", "none",
)
ID_MODES = ("right", "right", "previous", "next", "foreign")
SCORES = (8.0, 8.0, 2.0, 5.0, 10.0, float("nan"), float("inf"), -1.0, "eight")
ACCEPTED = (True, True, False, np.bool_(True), 1)
USABLE = ("good", "right", 8.0, True)
DISTURBANCES = (
    "feedback_off", "feedback_on", "camera_off", "camera_on", "nan_state", "nan_state", "not_ready", "not_ready", "success",
    "cancel", "fault",
)
DELAYS = (0.0, 0.005, 0.05, 0.3, 0.3, 0.3, 1.2)
TIMINGS = ("regular", "jitter", "repeats", "gaps", "backwards")


def random_plan(rng: np.random.Generator, kind: str, q: np.ndarray):
    """Positions [T, 14] (or not) of the given kind, starting near `q`."""
    steps = int(rng.choice([2, 3, 9, 17, 49]))
    t = np.arange(steps)[:, None] * PLAN_DT
    target = rng.uniform(Q_MIN, Q_MAX)
    if kind == "good":  # smooth toward a random target within the limits
        alpha = np.minimum(t / (steps * PLAN_DT), 1.0)
        return q + (target - q) * (3 * alpha**2 - 2 * alpha**3) * rng.uniform(0, 0.5)
    if kind == "fast":  # within the limits and starting at q, but jumping anywhere at once
        plan = rng.uniform(Q_MIN, Q_MAX, (steps, N))
        plan[0] = q + rng.normal(0, 0.05, N)
        return np.clip(plan, Q_MIN, Q_MAX)
    if kind == "noise":
        return rng.uniform(Q_MIN - 0.5, Q_MAX + 0.5, (steps, N))
    if kind == "huge":
        return np.full((steps, N), rng.choice([1e6, -1e300, 1e308]))
    if kind in ("nan", "inf", "jump"):
        plan = q + rng.normal(0, 0.02, (steps, N)).cumsum(axis=0)
        rows, cols = rng.integers(0, steps, 3), rng.integers(0, N, 3)
        plan[rows, cols] = {"nan": np.nan, "inf": np.inf, "jump": rng.uniform(-3, 3)}[kind]
        return plan
    if kind == "ramp":  # straight through a limit, up to 6 rad/s
        return q + rng.uniform(-6, 6, N) * t
    if kind == "short":
        return q[None].copy()
    if kind == "empty":
        return np.zeros((0, N))
    if kind == "wrong_shape":
        return np.zeros((steps, N + int(rng.choice([-1, 1]))))
    return "garbage"


@st.composite
def scenarios(draw):
    seed = draw(st.integers(0, 2**63 - 1))
    config = ExecutorConfig(
        segment_steps=draw(st.sampled_from([1, 2, 3, 8])),
        max_consecutive_rejects=draw(st.sampled_from([1, 3, 5])),
        plan_timeout_s=draw(st.sampled_from([0.4, 1.0])),
        settle_s=draw(st.sampled_from([0.0, 0.1])),
        max_segments=draw(st.sampled_from([2, 6])),
        max_duration_s=draw(st.sampled_from([2.0, 5.0])),
    )
    replies = draw(
        st.lists(
            st.lists(
                st.tuples(
                    st.one_of(
                        st.just(USABLE),
                        st.tuples(
                            st.sampled_from(PLAN_KINDS), st.sampled_from(ID_MODES), st.sampled_from(SCORES),
                            st.sampled_from(ACCEPTED),
                        ),
                    ),
                    st.sampled_from(DELAYS),
                ).map(lambda reply: (*reply[0], reply[1])),
                min_size=1, max_size=3,
            ),
            min_size=1, max_size=6,
        )
    )
    timing = draw(st.sampled_from(TIMINGS))
    # (tick, what) disturbances: feedback off/on, camera off/on, NaN state, success, cancel, fault
    disturbances = draw(
        st.lists(
            st.tuples(
                st.integers(0, 1200),
                st.sampled_from(DISTURBANCES),
            ),
            max_size=3,
        )
    )
    at_edge = draw(st.sampled_from([0.0, 0.0, 0.3]))
    return seed, config, replies, timing, disturbances, at_edge


def tick_dt(rng: np.random.Generator, timing: str) -> float:
    if timing == "jitter":
        return CONTROL_DT * rng.uniform(0.5, 1.5)
    if timing == "repeats" and rng.random() < 0.1:
        return 0.0
    if timing == "gaps" and rng.random() < 0.01:
        return rng.uniform(0.05, 0.3)
    if timing == "backwards" and rng.random() < 0.003:
        return -0.01
    return CONTROL_DT


@PROPERTY
@given(scenarios())
def test_whatever_the_planner_and_the_timing_every_command_is_within_the_limits(make_loop, scenario):
    seed, config, replies, timing, disturbances, at_edge = scenario
    rng = np.random.default_rng(seed)
    start_q = EMB.ready_pose() + rng.normal(0, 0.2, N)
    edge = rng.random(N) < at_edge
    start_q = np.clip(np.where(edge, np.where(rng.random(N) < 0.5, Q_MIN, Q_MAX), start_q), Q_MIN, Q_MAX)

    def planner(loop, plan_id, index):
        out = []
        number = int(plan_id[-4:])
        for kind, id_mode, score, accepted, delay in replies[index % len(replies)]:
            if kind == "none":
                continue
            ids = {"right": plan_id, "previous": f"plan-{number - 1:04d}", "next": f"plan-{number + 1:04d}", "foreign": "other-0001"}
            target_id = ids[id_mode]
            if kind == "fail":
                out.append(make_loop.Reply(delay, target_id, fail="planner crashed"))
            else:
                out.append(make_loop.Reply(delay, target_id, random_plan(rng, kind, loop.q), score, accepted))
        return out

    loop = make_loop(config=config, planner=planner, start_q=start_q, judge_success=False)
    events = {tick: what for tick, what in disturbances}
    flags = {"nan_state": False, "not_ready": False, "success": False}

    def corrupt(obs: Observation) -> Observation:
        q = obs.joint_position.copy()
        if flags["nan_state"]:
            q[int(rng.integers(0, N))] = np.nan
        return Observation(obs.now_s, q, obs.joint_velocity, obs.joint_stamp_s, obs.frame_stamp_s,
                           obs.history_ready and not flags["not_ready"], True if flags["success"] else None)

    loop.corrupt = corrupt
    loop.start(ExecutorGoal("anything"))
    tick_index, after_end = 0, 0
    while after_end < 160 and tick_index < 2500:
        what = events.get(tick_index)
        if what == "feedback_off":
            loop.feedback_alive = False
        elif what == "feedback_on":
            loop.feedback_alive = True
        elif what == "camera_off":
            loop.camera_alive = False
        elif what == "camera_on":
            loop.camera_alive = True
        elif what == "cancel":
            loop.executor.cancel("test")
        elif what == "fault":
            loop.executor.fault("test")
        elif what in flags:
            flags[what] = not flags[what]
        loop.step(tick_dt(rng, timing) if not loop.results else CONTROL_DT)
        tick_index += 1
        after_end += bool(loop.results)

    commands = np.array(loop.commands)
    assert limit_violations(start_q, None, commands, CONTROL_DT, LIMITS) == CLEAN
    assert len(loop.results) == 1, "the run must end (every wait has a timeout) and report once"
    result = loop.results[0]
    assert result.outcome in ("success", "segment_limit", "time_limit", "canceled", "fault") and result.reason
    assert result.success == (result.outcome == "success")
    np.testing.assert_array_equal(commands[-10:], np.repeat(commands[-1:], 10, axis=0))  # at rest, held
    if not any("accepted" in e for e in loop.events):
        np.testing.assert_array_equal(commands, np.repeat(start_q[None], len(commands), axis=0))


finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)
near = st.floats(-1.5, 1.5, allow_nan=False)


@PROPERTY
@given(
    raw=st.one_of(
        hnp.arrays(np.float64, st.tuples(st.integers(0, 12), st.sampled_from([13, 14, 15])), elements=finite_or_not),
        hnp.arrays(np.float64, st.tuples(st.integers(2, 20), st.just(N)), elements=near),
    ),
    score=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([8.0, 9.5])),
    accepted=st.booleans(),
    segment_steps=st.integers(1, 10),
)
def test_any_plan_values_are_rejected_or_executed_within_the_limits(raw, score, accepted, segment_steps):
    """Values straight from hypothesis (subnormals, -0.0, 1e308, NaN, any shape): offsets around the
    commanded pose, clipped into the limits only for the well-formed kind so that many are executed."""
    executor = RecedingHorizonExecutor(EMB, ExecutorConfig(segment_steps=segment_steps))
    q0 = EMB.ready_pose()
    now = 50.0
    obs = lambda t: Observation(t, executor.last_command, None, t, t, True, None)  # noqa: E731
    tick = executor.start(ExecutorGoal("anything"), Observation(now, q0, None, now, now, True, None))
    plan_id = tick.request_plan
    assert plan_id == "plan-0001"
    plan = raw
    if raw.shape[1:] == (N,) and np.isfinite(raw).all():
        plan = np.clip(q0 + raw, Q_MIN, Q_MAX)
    executor.on_action_plan(plan_id, plan, score, accepted, now)
    commands = [tick.command]
    for k in range(1, 200):
        commands.append(executor.tick(obs(now + k * CONTROL_DT)).command)
    commands = np.array(commands)
    assert limit_violations(q0, None, commands, CONTROL_DT, LIMITS) == CLEAN
    if executor.segments == 0:  # rejected: never executed
        np.testing.assert_array_equal(commands, np.repeat(q0[None], len(commands), axis=0))
    else:
        usable = np.isfinite(score) and score >= 5.0 and accepted
        assert usable and plan.shape[1:] == (N,) and len(plan) >= 2
