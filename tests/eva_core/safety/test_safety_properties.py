"""Property-based tests: whatever comes in, nothing that leaves either safety layer breaks a limit.

Each property runs 2,000 generated cases. Hypothesis draws the structure of a case (kind of plan or
command stream, which faults, how many steps, which edge states) and a seed; numpy fills in the
numbers from the seed, which keeps 2,000 cases of [49, 14] plans fast. The limits are checked here with
plain finite differences written independently of the library (tolerance 1e-9 of each limit; positions
exactly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eva_core.embodiment import load_embodiment
from eva_core.safety import CommandGuard, filter_plan, limit_trajectory
from eva_core.safety.limiter import snap_to_limits

CONFIG = load_embodiment()
LIMITS = CONFIG.limits
Q_MIN, Q_MAX = LIMITS.position_min, LIMITS.position_max
V_MAX, A_MAX = LIMITS.velocity_max, LIMITS.acceleration_max
PLAN_DT, CONTROL_DT = CONFIG.plan_dt, CONFIG.control_dt
TIMEOUT = CONFIG.safety.command_timeout_s
TOL = 1e-9
N = 14

PROPERTY = settings(
    max_examples=2000,
    deadline=None,
    database=None,  # the repository stays clean; a failure prints its reproduction blob
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- independent checks ----------------------------------------------------------------------


def assert_within_limits(q0: np.ndarray, v0: np.ndarray, out: np.ndarray, dt: float) -> None:
    """Positions, and velocities/accelerations by finite differences from (q0, v0), within the limits."""
    assert np.isfinite(out).all(), "non-finite output"
    assert (out >= Q_MIN).all() and (out <= Q_MAX).all(), "position limit"
    q = np.vstack([q0, out])
    v = (q[1:] - q[:-1]) / dt
    assert (np.abs(v) <= V_MAX * (1 + TOL)).all(), f"velocity limit: worst {np.max(np.abs(v) / V_MAX)}"
    vv = np.vstack([v0, v])
    a = (vv[1:] - vv[:-1]) / dt
    assert (np.abs(a) <= A_MAX * (1 + TOL)).all(), f"acceleration limit: worst {np.max(np.abs(a) / A_MAX)}"


def stoppable(q0: np.ndarray, v0: np.ndarray, dt: float, slack: float = 1e-14) -> np.ndarray:
    """Per joint: braking at a_max from (q0, v0), does it stop within its limits? The braking is
    simulated for every step at once: speeds v - dv, v - 2dv, ... (0 once stopped), summed."""
    dv = A_MAX * dt
    k = np.arange(1, int(np.ceil(np.max(np.abs(v0) / dv))) + 2)[:, None]
    ok = np.ones(N, dtype=bool)
    for sign, limit in ((1.0, Q_MAX), (-1.0, Q_MIN)):
        travel = np.maximum(np.maximum(sign * v0, 0.0) - k * dv, 0.0).sum(axis=0) * dt
        ok &= sign * (q0 + sign * travel - limit) <= slack
    return ok


def feasible(q0: np.ndarray, v0: np.ndarray, dt: float) -> bool:
    within = (q0 >= Q_MIN).all() and (q0 <= Q_MAX).all() and (np.abs(v0) <= V_MAX).all()
    return bool(within and stoppable(q0, v0, dt).all())


# -- generators ------------------------------------------------------------------------------


def edge_positions(rng: np.random.Generator, edge_fraction: float) -> np.ndarray:
    """Uniform within the limits, with some joints exactly at a limit."""
    q = rng.uniform(Q_MIN, Q_MAX)
    at_edge = rng.random(N) < edge_fraction
    return np.where(at_edge, np.where(rng.random(N) < 0.5, Q_MIN, Q_MAX), q)


def state_velocity(rng: np.random.Generator, mode: str) -> np.ndarray:
    if mode == "rest":
        return np.zeros(N)
    if mode == "v_max":
        return V_MAX * np.where(rng.random(N) < 0.5, -1.0, 1.0)
    if mode == "small":
        return rng.uniform(-1, 1, N) * A_MAX * PLAN_DT
    return rng.uniform(-V_MAX, V_MAX)


def make_feasible(q0: np.ndarray, v0: np.ndarray, dt: float) -> np.ndarray:
    """Slow down the joints that could not stop within their limits (at rest every joint can)."""
    v0 = v0.copy()
    for _ in range(40):
        bad = ~stoppable(q0, v0, dt, slack=0.0)
        if not bad.any():
            return v0
        v0[bad] *= 0.7
    v0[bad] = 0.0
    return v0


V_MODES = ("none", "rest", "uniform", "v_max", "small")
PLAN_KINDS = ("smooth", "walk", "noise", "beyond_limit", "constant", "far_start", "replan")


def make_plan(rng: np.random.Generator, kind: str, q0: np.ndarray, v0: np.ndarray, steps: int) -> np.ndarray:
    t = np.arange(1, steps + 1)[:, None] * PLAN_DT
    if kind == "smooth":  # what a good video plan decodes to, sometimes a little too fast
        amp = rng.uniform(0, 0.6, N)
        freq = rng.uniform(0, 2.0, N)
        phase = rng.uniform(0, 2 * np.pi, N)
        return q0 + v0 * t + amp * (np.sin(2 * np.pi * freq * t + phase) - np.sin(phase))
    if kind == "walk":
        return q0 + np.cumsum(rng.normal(0, rng.choice([0.005, 0.05, 0.3]), (steps, N)), axis=0)
    if kind == "noise":
        return rng.uniform(Q_MIN - 0.5, Q_MAX + 0.5, (steps, N))
    if kind == "beyond_limit":  # ramps straight through a limit
        speed = rng.uniform(-6, 6, N)
        return q0 + speed * t
    if kind == "constant":
        return np.repeat(q0[None], steps, axis=0)
    if kind == "far_start":
        offset = rng.uniform(0.5, 3.0, N) * np.where(rng.random(N) < 0.5, -1, 1)
        return q0 + offset + rng.normal(0, 0.01, (steps, N)).cumsum(axis=0)
    # "replan": starts where the arm is and moves on smoothly at a random speed
    return q0 + rng.uniform(-1, 1, N) * V_MAX * 0.5 * t


def inject_faults(rng: np.random.Generator, plan: np.ndarray, faults: frozenset) -> np.ndarray:
    plan = plan.copy()
    steps = plan.shape[0]
    for fault in faults:
        count = int(rng.integers(1, 4))
        rows, cols = rng.integers(0, steps, count), rng.integers(0, N, count)
        if fault == "nan":
            plan[rows, cols] = np.nan
        elif fault == "inf":
            plan[rows, cols] = rng.choice([np.inf, -np.inf], count)
        elif fault == "jump":  # huge jumps
            plan[rows, cols] = rng.choice([1e6, -1e6, 1e3, -1e3], count)
        elif fault == "step":  # a jump of a few rad that stays
            plan[rows[0] :, cols[0]] += rng.uniform(-3, 3)
    return plan


@dataclass
class PlanCase:
    q0: np.ndarray
    v0: np.ndarray | None
    plan: np.ndarray
    label: str

    def __repr__(self) -> str:  # what hypothesis prints for a failing case
        return f"PlanCase({self.label}, q0={self.q0.tolist()}, v0={None if self.v0 is None else self.v0.tolist()})"


FAULTS = ("nan", "inf", "jump", "step")


@st.composite
def plan_cases(draw, feasible_state: bool = True):
    """Structure from hypothesis (few draws: they cost more than the numbers), numbers from a seed."""
    rng = np.random.default_rng(draw(st.integers(0, 2**63 - 1)))
    steps = draw(st.sampled_from([49, 49, 49, 1, 2, 3, 4, 16, 33, 64]))
    kind = draw(st.sampled_from(PLAN_KINDS))
    fault_bits = draw(st.integers(0, 2 ** len(FAULTS) - 1))  # any subset of the faults
    faults = frozenset(f for k, f in enumerate(FAULTS) if fault_bits >> k & 1)
    edge_fraction, v_mode = draw(st.tuples(st.sampled_from([0.0, 0.2, 1.0]), st.sampled_from(V_MODES)))
    q0 = edge_positions(rng, edge_fraction)
    v0 = None if v_mode == "none" else state_velocity(rng, v_mode)
    if feasible_state and v0 is not None:
        v0 = make_feasible(q0, v0, PLAN_DT)
    elif not feasible_state:  # any finite state: also slightly outside the limits or too fast
        q0 = q0 + rng.choice([0.0, 0.0, 1e-3, -1e-3, 0.3]) * rng.normal(size=N)
        if v0 is not None:
            v0 = v0 * rng.choice([1.0, 1.5])
    base_v = np.zeros(N) if v0 is None else v0
    plan = inject_faults(rng, make_plan(rng, kind, q0, base_v, steps), faults)
    return PlanCase(q0, v0, plan, f"{kind}, faults={sorted(faults)}, steps={steps}, edges={edge_fraction}, v={v_mode}")


# -- plan level --------------------------------------------------------------------------------


@PROPERTY
@given(plan_cases())
def test_plan_filter_keeps_every_limit_from_a_feasible_state(case):
    v0 = np.zeros(N) if case.v0 is None else case.v0
    safe, report = filter_plan(case.q0, case.plan, CONFIG, velocity=case.v0, check_clearance=False)
    assert safe.shape == case.plan.shape
    assert_within_limits(case.q0, v0, safe, PLAN_DT)
    state_reasons = [r for r in report.reasons if r.startswith("state_")]
    assert not state_reasons, state_reasons
    if not np.isfinite(case.plan).all():
        assert report.verdict == "reject" and "plan_not_finite" in report.reasons
    if report.verdict == "accept":
        assert report.returned == "filtered" and report.reasons == ()
        np.testing.assert_array_equal(safe, limit_trajectory(case.q0, case.v0, case.plan, PLAN_DT, LIMITS))
        assert report.max_deviation <= CONFIG.safety.max_deviation_rad
        assert report.steps_changed <= CONFIG.safety.max_changed_fraction * report.steps
    else:
        assert report.returned == "hold" and report.reasons


@PROPERTY
@given(plan_cases(), st.sampled_from([1e-9, 1e-6, 1e-3, 0.05]))
def test_filtered_plans_keep_the_limits_and_filtering_again_changes_nothing(case, stretch):
    """The filtered plan itself (what an accepted plan returns, checked here whatever the verdict)
    keeps every limit; it is a fixed point of the filter (a plan within the limits comes back bit for
    bit); and stretching it a little past the limits gets it clamped back within them."""
    v0 = np.zeros(N) if case.v0 is None else case.v0
    plan = np.nan_to_num(case.plan, nan=1e6, posinf=1e6, neginf=-1e6)  # finite: non-finite plans never get here
    once = limit_trajectory(case.q0, case.v0, plan, PLAN_DT, LIMITS)
    assert_within_limits(case.q0, v0, once, PLAN_DT)
    np.testing.assert_array_equal(limit_trajectory(case.q0, case.v0, once, PLAN_DT, LIMITS), once)
    stretched = case.q0 + (once - case.q0) * (1 + stretch)
    assert_within_limits(case.q0, v0, limit_trajectory(case.q0, case.v0, stretched, PLAN_DT, LIMITS), PLAN_DT)


@PROPERTY
@given(plan_cases(feasible_state=False))
def test_plan_filter_from_any_finite_state_keeps_positions_and_rejects_bad_states(case):
    safe, report = filter_plan(case.q0, case.plan, CONFIG, velocity=case.v0, check_clearance=False)
    v0 = np.zeros(N) if case.v0 is None else case.v0
    assert safe.shape == case.plan.shape and np.isfinite(safe).all()
    assert (safe >= Q_MIN).all() and (safe <= Q_MAX).all()
    # The filter reads positions within the encoder-noise tolerance of a limit as on the limit.
    q0 = snap_to_limits(case.q0, LIMITS, CONFIG.safety.state_tolerance_rad)
    if feasible(q0, v0, PLAN_DT):
        assert_within_limits(q0, v0, safe, PLAN_DT)
    elif not feasible(q0, v0 * (1 - 1e-6), PLAN_DT) or (np.abs(v0) > V_MAX).any():
        # clearly infeasible (not just at the rounding edge): the state alone rejects the plan
        assert report.verdict == "reject" and any(r.startswith("state_") for r in report.reasons)


@PROPERTY
@given(st.integers(0, 2**63 - 1), st.lists(st.sampled_from(PLAN_KINDS), min_size=2, max_size=3), st.booleans())
def test_receding_horizon_replanning_with_clearance_check(seed, kinds, faulty):
    """Plans filtered one after another, each from where the previous one left the arm, as the
    executor does: the whole executed trajectory keeps the limits, clearance check included."""
    rng = np.random.default_rng(seed)
    q = (Q_MIN + Q_MAX) / 2 + rng.uniform(-0.3, 0.3, N)
    v = np.zeros(N)
    executed, q_start, v_start = [], q, v
    for kind in kinds:
        plan = make_plan(rng, kind, q, v, 49)
        if faulty:
            plan = inject_faults(rng, plan, frozenset(rng.choice(["nan", "jump", "step"], 1)))
        safe, report = filter_plan(q, plan, CONFIG, velocity=v)
        if report.verdict == "accept":
            assert report.min_arm_distance_m >= CONFIG.safety.arm_clearance_m
        executed.append(safe[:16])  # execute a third of the plan, then replan from the state reached
        q, v = safe[15], (safe[15] - (safe[14])) / PLAN_DT
    assert_within_limits(q_start, v_start, np.concatenate(executed), PLAN_DT)


# -- command level -----------------------------------------------------------------------------

EVENTS = ("track", "track", "track", "jump", "nan", "inf", "malformed", "stale", "reordered", "future", "hold")
HOLD_REASON = {
    "nan": "not_finite",
    "inf": "not_finite",
    "malformed": "malformed",
    "stale": "stale",
    "reordered": "reordered",
    "future": "future_stamp",
    "hold": "no_command",
}


@PROPERTY
@given(
    st.integers(0, 2**63 - 1),
    st.lists(st.sampled_from(EVENTS), min_size=1, max_size=6, unique=False),
    st.integers(20, 150),
    st.sampled_from(["rest", "uniform", "v_max", "small"]),
    st.sampled_from([0.0, 0.2, 1.0]),
)
def test_command_guard_keeps_every_limit_and_holds_on_bad_input(seed, event_mix, ticks, v_mode, edge_fraction):
    rng = np.random.default_rng(seed)
    q0 = edge_positions(rng, edge_fraction)
    v0 = make_feasible(q0, state_velocity(rng, v_mode), CONTROL_DT)
    guard = CommandGuard.from_config(CONFIG)
    guard.reset(q0, v0)

    target = q0.copy()
    target_speed = rng.uniform(-1, 1, N) * V_MAX * rng.choice([0.1, 0.5, 1.5])
    now, last_stamp = 0.0, -np.inf
    sent = []
    events = [event_mix[i] for i in rng.integers(0, len(event_mix), ticks)]
    tick = CONTROL_DT * rng.choice([1.0, 1.0, 1.0, 0.3, 2.5], len(events))  # jittery clock
    for k, event in enumerate(events):
        now += tick[k]
        target = target + target_speed * CONTROL_DT
        desired, stamp = target, now
        if event == "jump":
            desired = target + rng.choice([1e6, -1e6, 3.0, -3.0], N)
        elif event == "nan":
            desired = target.copy()
            desired[rng.random(N) < 0.3] = np.nan
            desired[rng.integers(N)] = np.nan
        elif event == "inf":
            desired = target.copy()
            desired[rng.integers(N)] = rng.choice([np.inf, -np.inf])
        elif event == "malformed":
            desired = [target[:13], np.concatenate([target, [0.0]]), target[None], "x"][int(rng.integers(4))]
        elif event == "stale":
            stamp = now - TIMEOUT - rng.uniform(1e-6, 1.0)
        elif event == "reordered" and np.isfinite(last_stamp):
            stamp = last_stamp - rng.choice([0.0, CONTROL_DT, 0.01])
        elif event == "future":
            stamp = now + TIMEOUT + rng.uniform(1e-6, 1.0)

        if event == "hold":
            q, report = guard.hold()
        else:
            q, report = guard.apply(desired, stamp, now)
        expected = HOLD_REASON.get(event)
        if event in ("reordered", "stale") or expected is None:  # judged by the stamps, in this order
            expected = "stale" if now - stamp > TIMEOUT else "reordered" if stamp <= last_stamp else None
        if expected is not None:
            assert report.status == "hold" and report.reason == expected, (event, report)
        else:
            assert report.status in ("sent", "clamped"), (event, report)
            last_stamp = stamp
        assert q.shape == (N,)
        sent.append(q)

    # Then nothing more comes: the arm must come to rest (braking from v_max takes v_max/dv ticks)
    # and stay exactly there.
    for _ in range(int(np.max(V_MAX / (A_MAX * CONTROL_DT))) + 2):
        q, report = guard.hold()
        sent.append(q)
        if report.at_rest:
            break
    assert report.at_rest
    for _ in range(2):
        sent.append(guard.hold()[0])
    sent = np.array(sent)
    assert_within_limits(q0, v0, sent, CONTROL_DT)
    np.testing.assert_array_equal(sent[-1], sent[-3])  # still, not creeping
