"""Dual-arm clearance: segment distances by hand, then whole-platform poses worked out by hand.

Arm geometry used below (see tests/eva_core/embodiment/test_kinematics.py for the derivations), in the
arm's base frame, x ahead of the arm, z up:
- rest, q = 0: every frame origin has y = 0; the one farthest ahead is the fingertip at
  x = 0.1906138 (z = 0.2250323); the others are at x = 0, 0, -0.2824063, -0.0345262, 0.0561275.
- reach, q = (q1, 90°, -85°, 0, 0, 0): upper arm nearly vertical, forearm, flange and fingers on the
  horizontal line z = 0.4273863 from x = 0.2893344 (wrist) to x = 0.5153344 (fingertip), again y = 0.
Capsule radius 0.045 m (config), so the surface distance is the centre-line distance - 0.09 m.
"""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from eva_core.embodiment import load_embodiment
from eva_core.safety.clearance import (
    NON_FINITE_DISTANCE,
    ClearanceResult,
    arm_distance,
    arm_segments,
    capsule_frame_pairs,
    check_plan_clearance,
    segment_distance,
)

DEG = math.pi / 180
REST_REACH = 0.1906138  # fingertip x at q = 0
FULL_REACH = 0.5153344  # fingertip x in the reach pose


@pytest.fixture(scope="module")
def config():
    return load_embodiment()


def with_mounts(config, left, right):
    """The configured platform with other mounting poses: ((xyz), (rpy)) per arm."""
    placed = zip(config.mounts, (left, right))
    mounts = tuple(dataclasses.replace(m, xyz_m=xyz, rpy_rad=rpy) for m, (xyz, rpy) in placed)
    return dataclasses.replace(config, mounts=mounts)


def pose(left_q, right_q, grippers=(0.5, 0.5)):
    return np.concatenate([left_q, [grippers[0]], right_q, [grippers[1]]])


def reach(q1):
    return np.array([q1, 90 * DEG, -85 * DEG, 0.0, 0.0, 0.0])


# --- segment to segment --------------------------------------------------------------------------------

SEGMENT_CASES = {
    # parallel, overlapping in x: the common perpendicular has length 1
    "parallel overlapping": (((0, 0, 0), (1, 0, 0)), ((0.5, 1, 0), (1.5, 1, 0)), 1.0),
    # parallel, disjoint in x: end (1, 0, 0) to end (2, 1, 0) = sqrt(1² + 1²)
    "parallel disjoint": (((0, 0, 0), (1, 0, 0)), ((2, 1, 0), (3, 1, 0)), math.sqrt(2)),
    # on one line, a gap of 2 between (1, 0, 0) and (3, 0, 0)
    "collinear": (((0, 0, 0), (1, 0, 0)), ((3, 0, 0), (4, 0, 0)), 2.0),
    # skew and crossing: x axis against a y-direction segment 0.5 above the origin
    "crossing above": (((-1, 0, 0), (1, 0, 0)), ((0, -1, 0.5), (0, 1, 0.5)), 0.5),
    # the same, intersecting
    "intersecting": (((-1, 0, 0), (1, 0, 0)), ((0, -1, 0), (0, 1, 0)), 0.0),
    # T: the end (1, 0.3, 0) of the second segment against the middle of the first
    "endpoint to interior": (((0, 0, 0), (2, 0, 0)), ((1, 0.3, 0), (1, 2, 0)), 0.3),
    # skew, both closest points are ends: |(2, 1, 1) - (1, 0, 0)| = sqrt(3)
    # ((2 - x)² + y² + 1 over x in [0, 1], y in [1, 3] is smallest at x = 1, y = 1)
    "endpoint to endpoint": (((0, 0, 0), (1, 0, 0)), ((2, 1, 1), (2, 3, 1)), math.sqrt(3)),
    # degenerate: a point 2 away from the middle of a segment, and two points 5 apart (3-4-5)
    "point to segment": (((0, 0, 0), (0, 0, 0)), ((-1, 2, 0), (1, 2, 0)), 2.0),
    "segment to point": (((-1, 2, 0), (1, 2, 0)), ((0, 0, 0), (0, 0, 0)), 2.0),
    "point to point": (((0, 0, 0), (0, 0, 0)), ((3, 4, 0), (3, 4, 0)), 5.0),
}


@pytest.mark.parametrize("case", SEGMENT_CASES)
def test_segment_distance_by_hand(case):
    (p0, p1), (q0, q1), expected = SEGMENT_CASES[case]
    assert segment_distance(p0, p1, q0, q1) == pytest.approx(expected, abs=1e-12)
    # Neither the order of the segments nor their direction matters.
    assert segment_distance(q0, q1, p0, p1) == pytest.approx(expected, abs=1e-12)
    assert segment_distance(p1, p0, q1, q0) == pytest.approx(expected, abs=1e-12)


def test_segment_distance_batches():
    cases = list(SEGMENT_CASES.values())
    p0, p1, q0, q1 = (np.array([c[k // 2][k % 2] for c in cases], dtype=float) for k in range(4))
    got = segment_distance(p0, p1, q0, q1)
    np.testing.assert_allclose(got, [c[2] for c in cases], atol=1e-12)
    # Broadcasting: one segment against a [2, 3] grid of others.
    grid = segment_distance([0, 0, 0], [1, 0, 0], np.zeros((2, 3, 3)) + [0, 2, 0], np.zeros((2, 3, 3)) + [1, 2, 0])
    np.testing.assert_allclose(grid, np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="3"):
        segment_distance([0, 0], [1, 0], [0, 1], [1, 1])


coords = st.floats(-1, 1, allow_nan=False)
points = arrays(np.float64, 3, elements=coords)


@settings(max_examples=150, deadline=None)
@given(p0=points, p1=points, q0=points, q1=points)
def test_segment_distance_against_dense_sampling(p0, p1, q0, q1):
    # Sampling both segments on a grid of n + 1 points finds the true minimum up to half a grid step on each.
    n = 200
    u = np.linspace(0, 1, n + 1)[:, None]
    a, b = p0 + u * (p1 - p0), q0 + u * (q1 - q0)
    sampled = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min()
    slack = (np.linalg.norm(p1 - p0) + np.linalg.norm(q1 - q0)) / (2 * n)
    got = segment_distance(p0, p1, q0, q1)
    # 1e-6 (1 µm, nothing next to a 4 cm clearance): a segment shorter than 1 nm counts as the point at
    # its start, and segments within sin² 1e-12 of parallel are solved as parallel, which is off by up
    # to length x sin (1.5e-7 found by hypothesis for two touching, almost antiparallel segments).
    assert got <= sampled + 1e-6
    assert got >= sampled - slack - 1e-12


# --- the platform ------------------------------------------------------------------------------------


def test_capsules_of_the_piper(config):
    # Frames 1/2 and 4/5 coincide (a = d = 0 for joints 2 and 5): base→1, 2→3, 3→4, 5→6, flange→tool.
    assert capsule_frame_pairs(config.arm.kinematics) == ((0, 1), (2, 3), (3, 4), (5, 6), (6, 7))
    starts, ends = arm_segments(config, np.zeros(14))
    assert starts.shape == ends.shape == (2, 5, 3)
    # Left base at y = +0.3, right at y = -0.3 (config mounts); the fingertips 0.1906138 ahead.
    np.testing.assert_allclose(starts[:, 0], [[0, 0.3, 0], [0, -0.3, 0]], atol=1e-12)
    np.testing.assert_allclose(ends[:, -1], [[REST_REACH, 0.3, 0.2250323], [REST_REACH, -0.3, 0.2250323]], atol=2e-7)


def test_rest_pose_is_clear(config):
    # Both arms at rest lie in the vertical planes y = +0.3 and y = -0.3, the same shape in each, so the
    # closest centre lines are 0.6 apart (any point and its twin): 0.6 - 2 × 0.045 = 0.51.
    assert arm_distance(config, np.zeros(14)) == pytest.approx(0.51, abs=1e-12)
    result = check_plan_clearance(config, np.zeros((49, 14)))
    assert result == ClearanceResult(min_distance_m=pytest.approx(0.51, abs=1e-12), step=0, ok=True)


def test_folded_arms_turned_toward_each_other_are_clear(config):
    # J1 = -90° turns the left arm's x axis to -y (toward the centre line), +90° the right arm's to +y.
    # Both arms then lie in the plane x = 0; the left arm's points have y >= 0.3 - 0.1906138 (its fingertip)
    # and the right arm's y <= -(0.3 - 0.1906138), fingertips at the same height:
    # 2 × 0.1093862 - 0.09 = 0.1287724.
    q = pose([-90 * DEG, 0, 0, 0, 0, 0], [90 * DEG, 0, 0, 0, 0, 0])
    assert arm_distance(config, q) == pytest.approx(2 * (0.3 - REST_REACH) - 0.09, abs=1e-6)
    assert check_plan_clearance(config, q[None]).ok


def test_arms_reaching_into_each_other_are_flagged(config):
    # Reaching toward the centre line, each forearm runs along y at x = 0, z = 0.4273863, from
    # 0.3 - 0.2893344 = 0.0106656 past the middle to 0.3 - 0.5153344 = -0.2153344 (left; right mirrored):
    # the centre lines overlap, distance 0, surface distance -0.09.
    q = pose(reach(-90 * DEG), reach(90 * DEG))
    assert arm_distance(config, q) == pytest.approx(-0.09, abs=1e-9)
    result = check_plan_clearance(config, q[None])
    assert not result.ok and result.min_distance_m == pytest.approx(-0.09, abs=1e-9)


@pytest.mark.parametrize(
    ("half_spacing", "expected", "ok"),
    [
        # fingertips at ±(0.60 - 0.5153344) = ±0.0846656: 0.1693312 - 0.09 = 0.0793312 >= 0.04
        (0.60, 0.0793312, True),
        # fingertips at ±(0.55 - 0.5153344) = ±0.0346656: 0.0693312 - 0.09 = -0.0206688
        (0.55, -0.0206688, False),
        # fingertips at ±(0.58 - 0.5153344) = ±0.0646656: 0.1293312 - 0.09 = 0.0393312, just under 0.04
        (0.58, 0.0393312, False),
    ],
)
def test_fingertips_meeting_on_the_centre_line(config, half_spacing, expected, ok):
    # Same reaching pose, arms mounted farther apart. All left points have y >= the left fingertip's y and
    # all right points y <= the right one's, with the fingertips facing each other at one height: the
    # fingertip gap is the closest approach.
    platform = with_mounts(config, ((0, half_spacing, 0), (0, 0, 0)), ((0, -half_spacing, 0), (0, 0, 0)))
    q = pose(reach(-90 * DEG), reach(90 * DEG))
    assert arm_distance(platform, q) == pytest.approx(expected, abs=1e-6)
    assert check_plan_clearance(platform, q[None]).ok is ok


def test_mount_orientation_is_applied(config):
    # Right arm at (0.5, 0.3, 0) turned by yaw 180° to face the left arm at (0, 0.3, 0), both at rest:
    # left points have x <= 0.1906138, right points x >= 0.5 - 0.1906138, fingertips at one height:
    # 0.5 - 2 × 0.1906138 - 0.09 = 0.0287724.
    platform = with_mounts(config, ((0, 0.3, 0), (0, 0, 0)), ((0.5, 0.3, 0), (0, 0, math.pi)))
    assert arm_distance(platform, np.zeros(14)) == pytest.approx(0.5 - 2 * REST_REACH - 0.09, abs=1e-6)
    assert not check_plan_clearance(platform, np.zeros((3, 14))).ok


def test_plan_reports_its_closest_step(config):
    # From rest to reaching into each other over 49 steps. Once the centre lines cross, the distance stays
    # at -0.09 (depth of penetration is not measured), so the reported step is the first that gets there.
    ramp = np.linspace(0, 1, 49)[:, None]
    plan = ramp * pose(reach(-90 * DEG), reach(90 * DEG))
    distances = arm_distance(config, plan)
    assert distances.shape == (49,)
    assert distances[0] == pytest.approx(0.51, abs=1e-12)
    assert distances[-1] == pytest.approx(-0.09, abs=1e-9)
    result = check_plan_clearance(config, plan)
    assert not result.ok
    assert result.min_distance_m == pytest.approx(-0.09, abs=1e-9)
    assert result.step == int(np.argmin(distances))
    assert (distances[: result.step] > result.min_distance_m).all()
    np.testing.assert_allclose(distances[result.step :], -0.09, atol=1e-9)
    # Each step of the batch is what the single step gives.
    for k in (0, 10, 30, 48):
        assert distances[k] == pytest.approx(float(arm_distance(config, plan[k])), abs=1e-12)


def test_batched_distance_matches_a_pairwise_loop(config):
    # The fast all-pairs path against the plain definition: min over pairs of segment_distance - 2 r.
    rng = np.random.default_rng(3)
    limits = config.limits
    positions = rng.uniform(limits.position_min, limits.position_max, (2, 25, 14))
    # Turn the arms toward each other often enough that some poses come close.
    positions[..., 0] = rng.uniform(-2.0, 0.0, (2, 25))
    positions[..., 7] = rng.uniform(0.0, 2.0, (2, 25))
    got = arm_distance(config, positions)
    assert got.shape == (2, 25)
    starts, ends = arm_segments(config, positions)
    radius = config.arm.kinematics.link_radius_m
    expected = np.full((2, 25), np.inf)
    for i in range(starts.shape[-2]):
        for j in range(starts.shape[-2]):
            d = segment_distance(starts[..., 0, i, :], ends[..., 0, i, :], starts[..., 1, j, :], ends[..., 1, j, :])
            expected = np.minimum(expected, d - 2 * radius)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert (got < config.safety.arm_clearance_m).any() and (got > 0.3).any()


def test_grippers_do_not_change_the_geometry(config):
    q = pose(reach(-60 * DEG), reach(60 * DEG), grippers=(0.0, 0.0))
    opened = pose(reach(-60 * DEG), reach(60 * DEG), grippers=(1.0, 1.0))
    assert arm_distance(config, q) == arm_distance(config, opened)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("index", [2, 6, 11])  # a left joint, the left gripper, a right joint
def test_non_finite_steps_are_never_clear(config, bad, index):
    plan = np.zeros((10, 14))
    plan[4, index] = bad
    plan[7, index] = bad
    distances = arm_distance(config, plan)
    assert not np.isnan(distances).any()
    assert distances[4] == distances[7] == NON_FINITE_DISTANCE == -np.inf
    assert distances[0] == pytest.approx(0.51)
    result = check_plan_clearance(config, plan)
    assert result == ClearanceResult(min_distance_m=-np.inf, step=4, ok=False)


def test_rejects_malformed_input(config):
    with pytest.raises(ValueError, match="14"):
        arm_distance(config, np.zeros((5, 12)))
    with pytest.raises(ValueError, match="T >= 1"):
        check_plan_clearance(config, np.zeros((0, 14)))
    with pytest.raises(ValueError, match=r"\[T, 14\]"):
        check_plan_clearance(config, np.zeros(14))


def test_result_is_frozen(config):
    result = check_plan_clearance(config, np.zeros((2, 14)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False
    assert isinstance(result.min_distance_m, float) and isinstance(result.step, int) and isinstance(result.ok, bool)
