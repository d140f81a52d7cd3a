"""The receiving end of a command stream: jitter does not brake the arms, silence does, and whatever
arrives (NaN, jumps, stale, reordered, bursts, gaps) nothing written breaks a limit."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eva_core.embodiment import load_embodiment
from eva_core.safety import CommandGuard, CommandStream, limit_violations

CONFIG = load_embodiment()
LIMITS = CONFIG.limits
DT = CONFIG.control_dt
TIMEOUT = CONFIG.safety.command_timeout_s
READY = CONFIG.ready_pose()


def make_stream() -> CommandStream:
    stream = CommandStream(CommandGuard.from_config(CONFIG))
    stream.reset(READY)
    return stream


def test_a_fresh_command_is_written_and_a_missed_tick_keeps_tracking_it():
    stream = make_stream()
    target = READY + 1e-4  # within one acceleration-limited step from rest (a_max dt^2 = 1.25e-4 rad)
    stream.offer(target, stamp_s=1.0, arrival_s=1.0)
    sent = stream.tick(1.0 + DT)
    np.testing.assert_array_equal(sent, target)  # passed bit for bit
    coasted = stream.tick(1.0 + 2 * DT)  # no new message, not yet stale: no braking hold
    assert stream.last_report.status != "hold" and stream.streaming
    assert np.all(np.abs(coasted - target) < 0.001)


def test_silence_longer_than_the_timeout_holds():
    stream = make_stream()
    stream.offer(READY + 0.0005, 1.0, 1.0)
    stream.tick(1.0 + DT)
    held = stream.tick(1.0 + TIMEOUT + 2 * DT)
    assert held is not None and stream.last_report.status == "hold"
    assert not stream.streaming and stream.holds == 1


def test_only_the_newest_message_of_a_tick_counts():
    stream = make_stream()
    stream.offer(READY + 0.0002, 1.0, 1.0)
    stream.offer(READY + 0.0004, 1.001, 1.001)
    sent = stream.tick(1.002)
    assert np.all(sent - READY > 0)  # toward the newest target, not the superseded one
    assert stream.guard._last_desired is not None and np.allclose(stream.guard._last_desired, READY + 0.0004)
    assert stream.received == 2


def test_a_reordered_or_malformed_message_brakes():
    stream = make_stream()
    stream.offer(READY + 0.0005, 2.0, 2.0)
    stream.tick(2.0 + DT)
    stream.offer(READY + 0.001, 1.999, 2.0 + DT)  # older stamp than the accepted one
    stream.tick(2.0 + 2 * DT)
    assert stream.last_report.reason == "reordered"
    stream.offer(None, 2.1, 2.1)
    stream.tick(2.1)
    assert stream.last_report.status == "hold"


def test_reset_forgets_pending_commands():
    stream = make_stream()
    stream.offer(READY + 0.3, 1.0, 1.0)
    stream.reset(READY)
    stream.tick(1.0 + DT)
    assert stream.last_report.status == "hold"  # nothing pending, never streamed


@st.composite
def message_streams(draw):
    """Ticks 5 ms apart; before each tick 0-3 messages with random content and stamp faults."""
    n_ticks = draw(st.integers(5, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    kinds = draw(st.lists(st.sampled_from(["smooth", "jump", "nan", "inf", "huge", "stale", "future", "reorder", "none", "gap"]), min_size=n_ticks, max_size=n_ticks))
    bursts = draw(st.lists(st.integers(0, 3), min_size=n_ticks, max_size=n_ticks))
    return seed, kinds, bursts


@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(message_streams())
def test_nothing_written_breaks_a_limit(case):
    seed, kinds, bursts = case
    rng = np.random.default_rng(seed)
    stream = make_stream()
    now, last_stamp = 10.0, 10.0
    previous = READY.copy()
    written = []
    for kind, burst in zip(kinds, bursts):
        now += DT
        for _ in range(burst if kind != "gap" else 0):
            stamp = now - rng.uniform(0, 0.004)
            q = previous + rng.normal(0, 0.002, 14)
            if kind == "jump":
                q = q + rng.normal(0, 2.0, 14)
            elif kind == "nan":
                q[rng.integers(14)] = np.nan
            elif kind == "inf":
                q[rng.integers(14)] = np.inf
            elif kind == "huge":
                q = q * 1e6
            elif kind == "stale":
                stamp = now - 10 * TIMEOUT
            elif kind == "future":
                stamp = now + 10 * TIMEOUT
            elif kind == "reorder":
                stamp = last_stamp - 0.01
            last_stamp = max(last_stamp, stamp)
            stream.offer(None if kind == "none" else q, stamp, now)
        sent = stream.tick(now)
        written.append(sent)
        previous = sent
    violations = limit_violations(READY, None, np.array(written), DT, LIMITS)
    assert violations == {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}, violations
