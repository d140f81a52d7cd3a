"""Command-level guard: passes safe commands bit for bit, clamps the rest, holds on bad input."""

import warnings

import numpy as np
import pytest

from eva_core.embodiment import load_embodiment
from eva_core.safety import CommandGuard, UnsafeStateError, limit_violations

CONFIG = load_embodiment()
LIMITS = CONFIG.limits
DT = CONFIG.control_dt
TIMEOUT = CONFIG.safety.command_timeout_s
CLEAN = {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}


@pytest.fixture
def guard():
    g = CommandGuard.from_config(CONFIG)
    g.reset(CONFIG.ready_pose())
    return g


def run(guard, commands, start=0.0):
    """Apply commands at consecutive control ticks, each stamped with its own tick."""
    sent, reports = [], []
    for k, desired in enumerate(commands):
        now = start + (k + 1) * DT
        q, report = guard.apply(desired, now, now)
        sent.append(q)
        reports.append(report)
    return np.array(sent), reports


def test_from_config_reads_the_embodiment():
    g = CommandGuard.from_config(CONFIG)
    assert g.control_dt == DT and g.timeout_s == TIMEOUT
    assert g.last_sent is None


def test_apply_before_reset_is_a_programming_error():
    g = CommandGuard.from_config(CONFIG)
    with pytest.raises(RuntimeError, match="reset"):
        g.apply(CONFIG.ready_pose(), 0.0, 0.0)
    with pytest.raises(RuntimeError, match="reset"):
        g.hold()


def test_reset_refuses_non_finite_and_misshapen_states():
    g = CommandGuard.from_config(CONFIG)
    bad = CONFIG.ready_pose()
    bad[3] = np.nan
    with pytest.raises(UnsafeStateError):
        g.reset(bad)
    with pytest.raises(UnsafeStateError):
        g.reset(CONFIG.ready_pose(), np.full(14, np.inf))
    with pytest.raises(ValueError, match="shape"):
        g.reset(np.zeros(13))


def test_a_safe_command_is_sent_bit_for_bit_and_returned_as_a_copy(guard):
    target = CONFIG.ready_pose() + 1e-4  # from rest, 0.02 rad/s after one tick: within a_max
    sent, report = guard.apply(target, 0.0, 0.0)
    assert report.status == "sent" and report.reason is None and report.correction == 0.0
    np.testing.assert_array_equal(sent, target)
    sent[:] = 99.0  # the caller's copy; the guard keeps its own
    np.testing.assert_array_equal(guard.last_sent, target)
    np.testing.assert_allclose(guard.velocity, np.full(14, 1e-4 / DT))


def test_a_jump_is_clamped_to_the_limits(guard):
    target = CONFIG.ready_pose()
    target[0] += 1.0
    sent, reports = run(guard, [target] * 300)
    assert reports[0].status == "clamped" and reports[0].correction == pytest.approx(1.0 - LIMITS.acceleration_max[0] * DT**2)
    assert limit_violations(CONFIG.ready_pose(), None, sent, DT, LIMITS) == CLEAN
    np.testing.assert_array_equal(sent[-1], target)  # gets there, within the limits
    assert sent[:, 0].max() == target[0]  # without overshooting
    assert reports[-1].status == "sent" and reports[-1].at_rest


def moving_guard():
    """A guard that has been tracking a ramp on left joint1 at 1 rad/s."""
    g = CommandGuard.from_config(CONFIG)
    q = CONFIG.ready_pose()
    g.reset(q, np.eye(14)[0] * 1.0)
    for k in range(1, 11):
        q = q + np.eye(14)[0] * 1.0 * DT
        g.apply(q, k * DT, k * DT)
    return g, 10 * DT


@pytest.mark.parametrize(
    "make_input, reason",
    [
        (lambda q, now, last: (q, now - TIMEOUT - DT, now), "stale"),
        # older than the last accepted stamp, or the same stamp again (judged before it is stale)
        (lambda q, now, last: (q, last - DT, last + DT), "reordered"),
        (lambda q, now, last: (q, last, last + DT), "reordered"),
        (lambda q, now, last: (q, now + 2 * TIMEOUT, now), "future_stamp"),
        (lambda q, now, last: (np.where(np.arange(14) == 3, np.nan, q), now, now), "not_finite"),
        (lambda q, now, last: (np.full(14, -np.inf), now, now), "not_finite"),
        (lambda q, now, last: (q[:13], now, now), "malformed"),
        (lambda q, now, last: (q[None], now, now), "malformed"),
        (lambda q, now, last: (["a"] * 14, now, now), "malformed"),
        (lambda q, now, last: (None, now, now), "malformed"),
        (lambda q, now, last: (q, float("nan"), now), "bad_stamp"),
        (lambda q, now, last: (q, now, None), "bad_stamp"),
    ],
)
def test_bad_input_makes_the_arm_brake_and_hold(make_input, reason):
    guard, now = moving_guard()
    last_accepted = now
    q_before, v_before = guard.last_sent, guard.velocity
    sent = []
    for k in range(60):
        now += DT
        desired, stamp, clock = make_input(q_before + 0.5, now, last_accepted)
        q, report = guard.apply(desired, stamp, clock)
        assert report.status == "hold" and report.reason == reason
        sent.append(q)
    sent = np.array(sent)
    assert limit_violations(q_before, v_before, sent, DT, LIMITS) == CLEAN
    v = np.diff(np.concatenate([q_before[None], sent])[:, 0]) / DT
    assert v[0] == pytest.approx(1.0 - LIMITS.acceleration_max[0] * DT)  # brakes as hard as allowed
    assert report.at_rest
    np.testing.assert_array_equal(sent[-1], sent[-10])  # and then holds exactly still


def test_hold_without_a_command_brakes_then_tracking_resumes():
    guard, now = moving_guard()
    for _ in range(100):
        q, report = guard.hold()
        assert report.status == "hold" and report.reason == "no_command"
    assert report.at_rest
    resumed, report = guard.apply(q + 1e-4, now + 101 * DT, now + 101 * DT)
    assert report.status == "sent"
    np.testing.assert_array_equal(resumed, q + 1e-4)


def test_a_stale_command_after_a_timeout_then_a_fresh_one(guard):
    q = CONFIG.ready_pose()
    guard.apply(q, 0.0, 0.0)
    _, report = guard.apply(q, 0.0, TIMEOUT + DT)  # the same message, judged later: stale
    assert report.reason == "stale"
    _, report = guard.apply(q, TIMEOUT + DT, TIMEOUT + DT)
    assert report.status == "sent"


def test_absurd_values_are_clamped_without_warnings(guard):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sent, report = guard.apply(np.full(14, 1.7e308), 0.0, 0.0)
    assert report.status == "clamped" and np.isfinite(sent).all()
    assert limit_violations(CONFIG.ready_pose(), None, sent[None], DT, LIMITS) == CLEAN


def test_reset_forgets_the_last_stamp(guard):
    guard.apply(CONFIG.ready_pose(), 5.0, 5.0)
    guard.reset(CONFIG.ready_pose())
    _, report = guard.apply(CONFIG.ready_pose(), 1.0, 1.0)
    assert report.status == "sent"


def test_constructor_validates_its_arguments():
    with pytest.raises(ValueError, match="timeout_s"):
        CommandGuard(LIMITS, DT, 0.0)
    with pytest.raises(ValueError, match="dt"):
        CommandGuard(LIMITS, -1.0, 0.1)


def test_reset_reads_encoder_noise_at_a_limit_as_the_limit():
    guard = CommandGuard.from_config(CONFIG)
    rest = np.zeros(14)
    rest[1] = -0.5 * CONFIG.safety.state_tolerance_rad  # J2 rests on its 0 limit, read a hair below
    guard.reset(rest)
    assert guard.last_sent[1] == 0.0
    sent, report = guard.apply(np.zeros(14), stamp_s=0.0, now_s=0.0)
    np.testing.assert_array_equal(sent, np.zeros(14))
    assert report.status == "sent"
