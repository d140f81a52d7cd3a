"""The plan camera's frame history: bounded, in time order, newest stamp at hand."""

import math

import pytest

from eva_core.executor import FrameHistory


def test_keeps_the_latest_frames_oldest_first():
    history = FrameHistory(4)
    assert history.newest_stamp is None and len(history) == 0 and history.latest(4) == []
    for k in range(6):
        history.push(10.0 + k / 30, f"frame{k}")
    assert len(history) == 4
    assert [f for _, f in history.latest(4)] == ["frame2", "frame3", "frame4", "frame5"]
    assert [f for _, f in history.latest(2)] == ["frame4", "frame5"]
    assert history.latest(10) == history.latest(4)
    assert history.latest(0) == [] and history.latest(-1) == []
    assert history.newest_stamp == pytest.approx(10.0 + 5 / 30)


def test_a_late_frame_takes_its_place_by_stamp():
    history = FrameHistory(3)
    history.push(1.0, "a")
    history.push(3.0, "c")
    history.push(2.0, "b")  # arrived late
    assert history.latest(3) == [(1.0, "a"), (2.0, "b"), (3.0, "c")]
    history.push(0.5, "too old")  # older than everything kept in a full history: dropped at once
    assert history.latest(3) == [(1.0, "a"), (2.0, "b"), (3.0, "c")]
    history.push(3.0, "c2")  # same stamp: after the one already there
    assert history.latest(2) == [(3.0, "c"), (3.0, "c2")]
    assert history.newest_stamp == 3.0


def test_clear_and_bad_input():
    history = FrameHistory(2)
    history.push(1, "a")
    history.clear()
    assert len(history) == 0 and history.newest_stamp is None
    for bad in (math.nan, math.inf, "soon", None):
        with pytest.raises(ValueError, match="stamp"):
            history.push(bad, "x")
    for capacity in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="capacity"):
            FrameHistory(capacity)
