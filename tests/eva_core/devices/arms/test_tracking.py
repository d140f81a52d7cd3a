import numpy as np
import pytest

from eva_core.devices.arms.tracking import TrackingMonitor

ZERO = np.zeros(6)


def off(joint: int, error: float) -> np.ndarray:
    q = np.zeros(6)
    q[joint] = error
    return q


def test_a_joint_off_for_longer_than_the_duration_is_reported_by_number():
    monitor = TrackingMonitor(0.2, 0.25)
    assert monitor.update(ZERO, off(2, 0.3), 10.0) is None
    assert monitor.update(ZERO, off(2, 0.3), 10.2) is None
    message = monitor.update(ZERO, off(2, 0.3), 10.3)
    assert message is not None and "joint 3" in message and "0.300 rad" in message


def test_a_short_excursion_resets_the_timer():
    monitor = TrackingMonitor(0.2, 0.25)
    monitor.update(ZERO, off(0, 0.3), 0.0)
    monitor.update(ZERO, off(0, 0.1), 0.2)  # back within the limit
    assert monitor.update(ZERO, off(0, 0.3), 0.3) is None
    assert monitor.update(ZERO, off(0, 0.3), 0.5) is None
    assert monitor.update(ZERO, off(0, 0.3), 0.56) is not None


def test_errors_within_the_limit_never_fault():
    monitor = TrackingMonitor(0.2, 0.0)
    for t in np.arange(0.0, 2.0, 0.005):
        assert monitor.update(ZERO, np.full(6, 0.19), t) is None


def test_nan_feedback_counts_as_not_following():
    monitor = TrackingMonitor(0.2, 0.1)
    monitor.update(ZERO, off(4, np.nan), 0.0)
    assert "joint 5" in monitor.update(ZERO, off(4, np.nan), 0.2)


def test_reset_forgets_the_history():
    monitor = TrackingMonitor(0.2, 0.25)
    monitor.update(ZERO, off(1, 0.5), 0.0)
    monitor.reset()
    assert monitor.update(ZERO, off(1, 0.5), 0.3) is None


@pytest.mark.parametrize("error,duration", [(0.0, 0.1), (-1.0, 0.1), (float("nan"), 0.1), (0.2, -0.1), (0.2, float("inf"))])
def test_bad_settings_are_refused(error, duration):
    with pytest.raises(ValueError):
        TrackingMonitor(error, duration)
