"""Plan-level filter: verdicts, reasons, figures, and what is returned in each case."""

import json
import warnings

import numpy as np
import pytest

from eva_core.embodiment import load_embodiment
from eva_core.safety import PlanReport, UnsafeStateError, filter_plan, limit_violations

CONFIG = load_embodiment()
LIMITS = CONFIG.limits
DT = CONFIG.plan_dt
CLEAN = {"non_finite": 0, "position": 0, "velocity": 0, "acceleration": 0}


def ready_pose() -> np.ndarray:
    """Both arms raised and apart (about 0.5 m between link surfaces), grippers half open."""
    return CONFIG.ready_pose()


def smooth_move(start: np.ndarray, end: np.ndarray, steps: int = 49) -> np.ndarray:
    """Cosine ramp from start (exclusive) to end over `steps` plan steps: zero velocity at both ends."""
    s = (1 - np.cos(np.pi * np.arange(1, steps + 1) / steps)) / 2
    return start + s[:, None] * (end - start)


def test_an_already_safe_plan_comes_back_unchanged():
    q0 = ready_pose()
    end = q0 + np.linspace(-0.3, 0.3, 14)
    plan = smooth_move(q0, end)
    safe, report = filter_plan(q0, plan, CONFIG)
    np.testing.assert_array_equal(safe, plan)
    assert safe is not plan
    assert report.verdict == "accept" and report.accepted and report.reasons == ()
    assert report.returned == "filtered" and report.steps == 49
    assert report.steps_changed == 0 and report.max_deviation == 0.0
    assert report.first_step_deviation == pytest.approx(np.abs(plan[0] - q0)[~LIMITS.is_gripper].max())
    assert report.min_arm_distance_m > CONFIG.safety.arm_clearance_m
    assert 0 <= report.closest_step < 49


def test_small_corrections_are_accepted_and_reported():
    q0 = ready_pose()
    plan = smooth_move(q0, q0 + 0.2)
    plan[20:23, 0] += 0.15  # a small bump: too sharp for a_max, close enough to keep
    safe, report = filter_plan(q0, plan, CONFIG)
    assert report.verdict == "accept"
    assert 0 < report.steps_changed <= 0.5 * 49
    assert 0 < report.max_deviation <= 0.15


def test_corrections_within_the_change_tolerance_do_not_count_as_changes():
    q0 = ready_pose()
    plan = smooth_move(q0, q0 + 0.2)
    plan[:, :6] += 0.015 * np.random.default_rng(0).standard_normal((49, 6))  # decoding noise, ~IDM accuracy
    safe, report = filter_plan(q0, plan, CONFIG)
    tolerance = CONFIG.safety.change_tolerance
    assert report.steps_changed == int((np.abs(safe - plan) > tolerance).any(axis=1).sum())
    assert report.steps_changed < int((np.abs(safe - plan) > 1e-9).any(axis=1).sum())  # small corrections not counted
    assert report.max_deviation == pytest.approx(np.abs(safe - plan).max())
    assert limit_violations(q0, None, safe, DT, LIMITS) == CLEAN


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_plan_with_nan_or_inf_is_rejected_and_the_arm_brakes(bad):
    q0 = ready_pose()
    v0 = np.zeros(14)
    v0[0] = 1.5  # moving: the hold must brake, not stop dead
    plan = smooth_move(q0, q0 + 0.5)
    plan[30, 4] = bad
    safe, report = filter_plan(q0, plan, CONFIG, velocity=v0)
    assert report.verdict == "reject" and "plan_not_finite" in report.reasons
    assert report.returned == "hold"
    assert report.steps_changed is None and report.max_deviation is None and report.min_arm_distance_m is None
    assert safe.shape == plan.shape and np.isfinite(safe).all()
    assert limit_violations(q0, v0, safe, DT, LIMITS) == CLEAN
    v = np.diff(np.concatenate([q0[None], safe])[:, 0]) / DT
    assert v[0] == pytest.approx(1.5 - LIMITS.acceleration_max[0] * DT)  # brakes at a_max from the start
    assert np.all(np.diff(v) <= 0) and v[-1] == 0.0
    np.testing.assert_array_equal(safe[-1], safe[-2])  # then holds still
    np.testing.assert_array_equal(safe[:, 1:], np.repeat(q0[None, 1:], 49, axis=0))  # the rest never moved


def test_a_plan_starting_far_from_the_state_is_rejected():
    q0 = ready_pose()
    start = q0.copy()
    start[3] += 0.8  # joint4 of the left arm, 0.8 rad away
    plan = smooth_move(start, start + 0.1)
    safe, report = filter_plan(q0, plan, CONFIG)
    assert report.verdict == "reject" and "start_deviation" in report.reasons
    assert report.first_step_deviation == pytest.approx(0.8 + 0.1 * (1 - np.cos(np.pi / 49)) / 2)
    np.testing.assert_array_equal(safe, np.repeat(q0[None], 49, axis=0))  # at rest: hold exactly still


def test_gripper_mismatch_is_not_a_start_deviation():
    q0 = ready_pose()
    plan = smooth_move(q0, q0)
    plan[:, 6] = 0.9  # the plan wants the gripper open; that is not a joint deviation
    safe, report = filter_plan(q0, plan, CONFIG)
    assert "start_deviation" not in report.reasons
    assert report.first_step_deviation == 0.0
    assert limit_violations(q0, None, safe, DT, LIMITS) == CLEAN


def test_gripper_start_plan_keeps_a_squeeze_that_the_measured_opening_would_release():
    q0 = ready_pose()
    q0[[6, 13]] = 0.25  # both grippers blocked open by an object's width ...
    plan = smooth_move(q0, q0)
    plan[:, [6, 13]] = 0.15  # ... while commanded (and planned) closed: the squeeze
    measured, _ = filter_plan(q0, plan, CONFIG, gripper_start="measured")
    assert measured[0, 6] > 0.2  # from the measured opening: the gripper would be commanded open
    safe, report = filter_plan(q0, plan, CONFIG, gripper_start="plan")
    assert report.accepted and np.allclose(safe[:, [6, 13]], 0.15)
    start = q0.copy()
    start[[6, 13]] = 0.15
    assert limit_violations(start, None, safe, DT, LIMITS) == CLEAN  # feasible from where the command is
    with pytest.raises(ValueError, match="gripper_start"):
        filter_plan(q0, plan, CONFIG, gripper_start="commanded")


def test_a_plan_the_filter_must_move_far_is_rejected():
    q0 = ready_pose()
    plan = smooth_move(q0, q0)
    plan[10:, 0] += 1.0  # a 1 rad jump at step 10: the filter lags far behind
    safe, report = filter_plan(q0, plan, CONFIG)
    assert report.verdict == "reject"
    assert "max_deviation" in report.reasons and "start_deviation" not in report.reasons
    assert report.max_deviation > CONFIG.safety.max_deviation_rad
    np.testing.assert_array_equal(safe, np.repeat(q0[None], 49, axis=0))


def test_a_plan_with_too_many_changed_steps_is_rejected():
    q0 = ready_pose()
    plan = smooth_move(q0, q0)
    plan[:, 13] = 0.5 + 0.2 * (-1) ** np.arange(49)  # right gripper chattering: every step changed
    safe, report = filter_plan(q0, plan, CONFIG)
    assert report.reasons == ("too_many_changes",)
    assert report.steps_changed > CONFIG.safety.max_changed_fraction * 49
    assert report.max_deviation == 0.0  # joints untouched; grippers count as changed steps only


def test_a_plan_bringing_the_arms_together_is_rejected():
    q0 = ready_pose()
    end = q0.copy()
    end[0], end[7] = -1.0, 1.0  # both joint1 turned toward the other arm: the forearms cross
    plan = smooth_move(q0, end)
    safe, report = filter_plan(q0, plan, CONFIG)
    assert report.verdict == "reject" and report.reasons == ("arm_clearance",)
    assert report.steps_changed == 0  # within every joint limit: only the clearance rejects it
    assert report.min_arm_distance_m < CONFIG.safety.arm_clearance_m
    np.testing.assert_array_equal(safe, np.repeat(q0[None], 49, axis=0))
    _, unchecked = filter_plan(q0, plan, CONFIG, check_clearance=False)
    assert unchecked.verdict == "accept" and unchecked.min_arm_distance_m is None


def test_a_state_outside_the_limits_is_rejected_and_the_hold_stays_within_them():
    q0 = ready_pose()
    q0[1] = -0.05  # joint2 below its 0 limit, well beyond the encoder-noise tolerance
    plan = smooth_move(q0, q0)
    safe, report = filter_plan(q0, plan, CONFIG)
    assert report.verdict == "reject" and "state_outside_limits" in report.reasons
    assert np.all(safe >= LIMITS.position_min) and np.all(safe <= LIMITS.position_max)


def test_a_state_too_fast_to_stop_is_rejected():
    q0 = ready_pose()
    q0[0] = LIMITS.position_max[0] - 0.05
    v0 = np.zeros(14)
    v0[0] = 2.0  # 2 rad/s toward a limit 0.05 rad away
    safe, report = filter_plan(q0, smooth_move(q0, q0), CONFIG, velocity=v0)
    assert report.verdict == "reject" and "state_cannot_stop" in report.reasons
    assert np.all(safe <= LIMITS.position_max) and np.all(safe >= LIMITS.position_min)

    v0[0] = 2.9  # and faster than v_max
    _, report = filter_plan(ready_pose(), smooth_move(ready_pose(), ready_pose()), CONFIG, velocity=v0)
    assert "state_velocity_over_limit" in report.reasons


def test_a_non_finite_state_raises_with_a_reject_report():
    q0 = ready_pose()
    q0[5] = np.nan
    with pytest.raises(UnsafeStateError) as caught:
        filter_plan(q0, smooth_move(ready_pose(), ready_pose()), CONFIG)
    report = caught.value.report
    assert report.verdict == "reject" and report.reasons == ("state_not_finite",) and report.returned == "none"
    with pytest.raises(UnsafeStateError):
        filter_plan(ready_pose(), smooth_move(ready_pose(), ready_pose()), CONFIG, velocity=np.full(14, np.inf))


@pytest.mark.parametrize(
    "current, desired, match",
    [
        (np.zeros(13), np.zeros((5, 14)), "current"),
        (np.zeros(14), np.zeros(14), "desired"),
        (np.zeros(14), np.zeros((5, 13)), "desired"),
        (np.zeros(14), np.zeros((0, 14)), "at least one step"),
        (np.zeros(14), [["a"] * 14], "desired"),
    ],
)
def test_wrong_shapes_are_value_errors(current, desired, match):
    with pytest.raises(ValueError, match=match):
        filter_plan(current, desired, CONFIG)


def test_huge_values_are_handled_without_warnings():
    q0 = ready_pose()
    plan = smooth_move(q0, q0)
    plan[5, 2] = 1e300
    plan[6, 3] = -1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        safe, report = filter_plan(q0, plan, CONFIG)
    assert report.verdict == "reject" and "max_deviation" in report.reasons
    assert limit_violations(q0, None, safe, DT, LIMITS) == CLEAN


def test_report_to_dict_is_strict_json():
    q0 = ready_pose()
    plan = smooth_move(q0, q0)
    plan[3, 3] = np.nan
    _, report = filter_plan(q0, plan, CONFIG)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["verdict"] == "reject" and data["reasons"] == ["plan_not_finite"]
    assert data["max_deviation"] is None and data["steps"] == 49
    assert set(data) >= {"verdict", "reasons", "steps_changed", "max_deviation", "first_step_deviation", "min_arm_distance_m"}
    assert report.describe() == ["the plan contains NaN or inf"]
    with pytest.raises(AttributeError):
        report.verdict = "accept"  # frozen


def test_report_changed_fraction():
    report = PlanReport("accept", (), "filtered", 49, 7, 0.0, 0.0, None, None)
    assert report.changed_fraction == pytest.approx(7 / 49)
    assert report.to_dict()["min_arm_distance_m"] is None


def test_encoder_noise_just_outside_a_limit_at_the_rest_pose_is_tolerated():
    config = load_embodiment()
    tolerance = config.safety.state_tolerance_rad
    rest = np.zeros(14)
    noisy = rest.copy()
    noisy[1] = -0.5 * tolerance  # J2 rests on its lower limit 0; the encoder reads a hair below
    noisy[2] = 0.5 * tolerance  # J3 rests on its upper limit 0
    plan = np.repeat(rest[None], 8, axis=0)
    safe, report = filter_plan(noisy, plan, config)
    assert report.verdict == "accept", report.reasons
    np.testing.assert_array_equal(safe, plan)
    far = rest.copy()
    far[1] = -2 * tolerance
    _, report = filter_plan(far, plan, config)
    assert report.verdict == "reject" and "state_outside_limits" in report.reasons
