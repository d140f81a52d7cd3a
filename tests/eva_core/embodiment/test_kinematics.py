"""Forward kinematics of one PiPER arm (modified DH, SDK convention).

Expected poses are worked out by hand from the DH table in the comments (config/embodiment/
piper_bimanual.yaml, reference.md), not by calling the implementation; piper_sdk's own forward
kinematics is the second, independent check of the convention.

Hand-working notes used below (modified DH, T_i = RotX(alpha_i)·TransX(a_i)·RotZ(theta_i)·TransZ(d_i)):
- the origin of frame i in frame i-1 is (a_i, -sin(alpha_i)·d_i, cos(alpha_i)·d_i);
- RotX(-90°) maps (x, y, z) to (x, z, -y); RotX(+90°) maps (x, y, z) to (x, -z, y).
For joints 1..3 with q1 = 0 the arm stays in the x-z plane of the base; writing
theta2 = q2 - 172.22° and phi = theta2 + theta3 = q2 + q3 - 275°:
- frame 2 axes: x2 = (cos theta2, 0, -sin theta2), z2 = (0, 1, 0)           [RotX(-90°) of RotZ(theta2)]
- frame 3 axes: x3 = (cos phi, 0, -sin phi), y3 = (-sin phi, 0, -cos phi), z3 = (0, 1, 0)
- frame 4 (alpha4 = +90°, a4 = -0.02198, d4 = 0.25075): O4 = O3 + a4·x3 - d4·y3, and with q4 = 0
  z4 = -y3 = (sin phi, 0, cos phi) (the forearm axis), x4 = x3
- frame 5 (alpha5 = -90°, a5 = d5 = 0): O5 = O4, y5 = -sin(theta5)·x4 - cos(theta5)·z4
- frame 6 (alpha6 = +90°, d6 = 0.091): O6 = O5 - d6·y5 and z6 = -y5 = sin(theta5)·x4 + cos(theta5)·z4
- tool: O6 + 0.135·z6, so with q5 = 0 every point past O4 lies on the forearm axis z4.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from eva_core.embodiment import FRAME_NAMES, KinematicsSpec, Mount, load_embodiment
from eva_core.embodiment.kinematics import (
    FLANGE_FRAME,
    TOOL_FRAME,
    dh_transforms,
    end_effector_pose,
    link_frames,
    matrix_to_xyz_rpy,
)

DEG = math.pi / 180
ATOL = 2e-7  # m; the hand values below are rounded to 0.1 µm


@pytest.fixture(scope="module")
def config():
    return load_embodiment()


@pytest.fixture(scope="module")
def kin(config):
    return config.arm.kinematics


def origins(kin, q):
    return link_frames(kin, np.asarray(q, dtype=float))[..., :3, 3]


def test_frame_layout(kin):
    frames = link_frames(kin, np.zeros(6))
    assert frames.shape == (8, 4, 4) and len(FRAME_NAMES) == 8
    assert FRAME_NAMES[FLANGE_FRAME] == "link6" and FRAME_NAMES[TOOL_FRAME] == "tool"
    np.testing.assert_array_equal(frames[0], np.eye(4))
    np.testing.assert_array_equal(frames[:, 3], np.tile([0.0, 0.0, 0.0, 1.0], (8, 1)))


def test_zero_pose_by_hand(kin):
    # q = 0: theta2 = -172.22°, cos = -cos(7.78°) = -0.9907952, sin = -sin(7.78°) = -0.1353697;
    # phi = -275° ≡ 85°: cos phi = 0.0871557, sin phi = 0.9961947.
    # O1 = O2 = (0, 0, d1) = (0, 0, 0.123)
    # O3 = O2 + a3·x2 = (0.28503 × -0.9907952, 0, 0.123 + 0.28503 × 0.1353697) = (-0.2824063, 0, 0.1615844)
    #   (the upper arm lies folded back, 7.78° above horizontal)
    # O4 = O3 + a4·x3 - d4·y3
    #    = O3 + (-0.02198)·(0.0871557, 0, -0.9961947) + 0.25075·(0.9961947, 0, 0.0871557)
    #    = O3 + (-0.0019157 + 0.2497958, 0, 0.0218964 + 0.0218543) = (-0.0345262, 0, 0.2053351)
    # O5 = O4; O6 = O4 + 0.091·z4 = O4 + 0.091·(0.9961947, 0, 0.0871557) = (0.0561275, 0, 0.2132663)
    #   (piper_sdk's documented init_pos for this firmware: 56.128 mm, 0, 213.266 mm, pitch 85°)
    # tool = O6 + 0.135·z4 = (0.0561275 + 0.1344863, 0, 0.2132663 + 0.0117660) = (0.1906138, 0, 0.2250323)
    expected = np.array(
        [
            [0.0, 0.0, 0.0],
            [0.0, 0.0, 0.123],
            [0.0, 0.0, 0.123],
            [-0.2824063, 0.0, 0.1615844],
            [-0.0345262, 0.0, 0.2053351],
            [-0.0345262, 0.0, 0.2053351],
            [0.0561275, 0.0, 0.2132663],
            [0.1906138, 0.0, 0.2250323],
        ]
    )
    np.testing.assert_allclose(origins(kin, np.zeros(6)), expected, atol=ATOL)
    # Flange orientation: x6 = x3 = (0.0871557, 0, -0.9961947), y6 = z3 = (0, 1, 0), z6 = z4: RotY(85°).
    c, s = math.cos(85 * DEG), math.sin(85 * DEG)
    flange = end_effector_pose(kin, np.zeros(6), tool=False)
    np.testing.assert_allclose(flange[:3, :3], [[c, 0, s], [0, 1, 0], [-s, 0, c]], atol=1e-12)
    np.testing.assert_allclose(matrix_to_xyz_rpy(flange), [0.0561275, 0, 0.2132663, 0, 85 * DEG, 0], atol=ATOL)


# q = (0, 90°, -85°, 0, 0, 0): theta2 = -82.22°, cos = 0.1353697, sin = -0.9907952, so
# x2 = (0.1353697, 0, 0.9907952): the upper arm points almost straight up;
# O3 = (0.28503 × 0.1353697, 0, 0.123 + 0.28503 × 0.9907952) = (0.0385844, 0, 0.4054063).
# phi = 90 - 85 - 275 = -270°: cos phi = 0, sin phi = 1, so x3 = (0, 0, -1), y3 = (-1, 0, 0) and the
# forearm axis z4 = (1, 0, 0) is horizontal;
# O4 = O3 + (-0.02198)·(0, 0, -1) + 0.25075·(1, 0, 0) = (0.2893344, 0, 0.4273863).
REACH = np.array([0.0, 90 * DEG, -85 * DEG, 0.0, 0.0, 0.0])
REACH_O3 = np.array([0.0385844, 0.0, 0.4054063])
REACH_O4 = np.array([0.2893344, 0.0, 0.4273863])


def test_reaching_pose_by_hand(kin):
    # O6 = O4 + 0.091·(1, 0, 0) = (0.3803344, 0, 0.4273863); tool = O4 + 0.226·(1, 0, 0) = (0.5153344, 0, 0.4273863)
    got = origins(kin, REACH)
    np.testing.assert_allclose(got[3], REACH_O3, atol=ATOL)
    np.testing.assert_allclose(got[4], REACH_O4, atol=ATOL)
    np.testing.assert_allclose(got[6], [0.3803344, 0, 0.4273863], atol=ATOL)
    np.testing.assert_allclose(got[7], [0.5153344, 0, 0.4273863], atol=ATOL)
    # The flange looks straight ahead: z6 = z4 = (1, 0, 0).
    np.testing.assert_allclose(end_effector_pose(kin, REACH)[:3, 2], [1, 0, 0], atol=1e-12)


def test_joint1_turns_the_arm_about_the_vertical(kin):
    # q1 = 90°: RotZ(90°) maps (x, y, z) to (-y, x, z): tool (0.5153344, 0, 0.4273863) → (0, 0.5153344, 0.4273863)
    q = REACH + [90 * DEG, 0, 0, 0, 0, 0]
    got = origins(kin, q)
    np.testing.assert_allclose(got[4], [0.0, 0.2893344, 0.4273863], atol=ATOL)
    np.testing.assert_allclose(got[7], [0.0, 0.5153344, 0.4273863], atol=ATOL)


def test_joint5_pitches_the_gripper(kin):
    # q5 = 60°: z6 = sin 60°·x4 + cos 60°·z4 = 0.8660254·(0, 0, -1) + 0.5·(1, 0, 0) = (0.5, 0, -0.8660254):
    # positive J5 tilts the gripper down. tool = O4 + (0.091 + 0.135)·z6
    #   = (0.2893344 + 0.226 × 0.5, 0, 0.4273863 - 0.226 × 0.8660254) = (0.4023344, 0, 0.2316646)
    q = REACH + [0, 0, 0, 0, 60 * DEG, 0]
    got = origins(kin, q)
    np.testing.assert_allclose(got[5], REACH_O4, atol=ATOL)  # the wrist centre does not move
    np.testing.assert_allclose(got[7], [0.4023344, 0, 0.2316646], atol=ATOL)


def test_joint4_rolls_the_wrist_about_the_forearm(kin):
    # q4 = 90° turns x4 from x3 = (0, 0, -1) to z3 = (0, 1, 0) (RotZ(90°) about z4 = (1, 0, 0)), so with
    # q5 = 60°: z6 = 0.8660254·(0, 1, 0) + 0.5·(1, 0, 0); tool = O4 + 0.226·z6
    #   = (0.2893344 + 0.113, 0.226 × 0.8660254, 0.4273863) = (0.4023344, 0.1957217, 0.4273863)
    q = REACH + [0, 0, 0, 90 * DEG, 60 * DEG, 0]
    np.testing.assert_allclose(origins(kin, q)[7], [0.4023344, 0.1957217, 0.4273863], atol=ATOL)


def test_joint6_spins_the_tool_about_its_own_axis(kin):
    base = end_effector_pose(kin, REACH)
    spun = end_effector_pose(kin, REACH + [0, 0, 0, 0, 0, 30 * DEG])
    np.testing.assert_allclose(spun[:3, 3], base[:3, 3], atol=1e-12)
    np.testing.assert_allclose(spun[:3, 2], base[:3, 2], atol=1e-12)
    assert spun[:3, 0] @ base[:3, 0] == pytest.approx(math.cos(30 * DEG))


def test_dh_transform_of_one_link():
    # Joint 4 alone at theta = 30°: RotX(90°)·TransX(-0.02198)·RotZ(30°)·TransZ(0.25075).
    # Rotation RotX(90°)·RotZ(30°): columns RotX(90°)(cos, sin, 0) = (c, 0, s), RotX(90°)(-sin, cos, 0) = (-s, 0, c),
    # RotX(90°)(0, 0, 1) = (0, -1, 0); translation (a, -sin(90°)·d, cos(90°)·d) = (-0.02198, -0.25075, 0).
    kin = KinematicsSpec(
        a_m=(0, 0, 0, -0.02198, 0, 0),
        alpha_rad=(0, 0, 0, math.pi / 2, 0, 0),
        d_m=(0, 0, 0, 0.25075, 0, 0),
        theta_offset_rad=(0, 0, 0, 0, 0, 0),
        tool_length_m=0.1,
        link_radius_m=0.01,
    )
    c, s = math.cos(30 * DEG), math.sin(30 * DEG)
    t4 = dh_transforms(kin, np.array([0, 0, 0, 30 * DEG, 0, 0]))[3]
    expected = [[c, -s, 0, -0.02198], [0, 0, -1, -0.25075], [s, c, 0, 0], [0, 0, 0, 1]]
    np.testing.assert_allclose(t4, expected, atol=1e-15)


def test_batches_keep_their_shape_and_match_single_evaluations(kin):
    q = np.random.default_rng(0).uniform(-1.5, 1.5, (3, 4, 6))
    frames = link_frames(kin, q)
    assert frames.shape == (3, 4, 8, 4, 4)
    assert end_effector_pose(kin, q).shape == (3, 4, 4, 4)
    for i in range(3):
        for j in range(4):
            np.testing.assert_allclose(frames[i, j], link_frames(kin, q[i, j]), atol=1e-15)


def test_base_transform_places_the_frames_in_the_world(config, kin):
    q = np.random.default_rng(1).uniform(-1, 1, (5, 6))
    mount = Mount(name="left", xyz_m=(0.1, 0.3, 0.05), rpy_rad=(0.1, -0.2, 1.0))
    world = link_frames(kin, q, base=mount.transform())
    np.testing.assert_allclose(world, mount.transform() @ link_frames(kin, q), atol=1e-15)
    with pytest.raises(ValueError, match="base"):
        link_frames(kin, q, base=np.eye(3))


@pytest.mark.parametrize("shape", [(), (5,), (2, 7)])
def test_rejects_joint_vectors_of_the_wrong_length(kin, shape):
    with pytest.raises(ValueError, match=r"\[\.\.\., 6\]"):
        link_frames(kin, np.zeros(shape))


joint_vectors = arrays(np.float64, 6, elements=st.floats(-math.pi, math.pi, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(q=joint_vectors)
def test_rigid_chain_invariants(kin, q):
    frames = link_frames(kin, q)
    rotations = frames[:, :3, :3]
    identity = np.broadcast_to(np.eye(3), (8, 3, 3))
    np.testing.assert_allclose(rotations @ rotations.transpose(0, 2, 1), identity, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rotations), 1.0, atol=1e-12)
    # Consecutive origins are hypot(a_i, d_i) apart whatever the joints do; the tool is tool_length_m out.
    gaps = np.linalg.norm(np.diff(frames[:, :3, 3], axis=0), axis=1)
    np.testing.assert_allclose(gaps[:6], np.hypot(kin.a_m, kin.d_m), atol=1e-12)
    assert gaps[6] == pytest.approx(kin.tool_length_m, abs=1e-12)


def rpy_matrix(roll, pitch, yaw):
    """RotZ(yaw)·RotY(pitch)·RotX(roll), written out here independently of the code under test."""
    cr, sr, cp, sp, cy, sy = (f(v) for v in (roll, pitch, yaw) for f in (math.cos, math.sin))
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    return rz @ ry @ rx


@settings(max_examples=200, deadline=None)
@given(
    roll=st.floats(-math.pi, math.pi),
    pitch=st.floats(-math.pi / 2, math.pi / 2),
    yaw=st.floats(-math.pi, math.pi),
)
def test_xyz_rpy_reproduces_the_rotation(roll, pitch, yaw):
    transform = np.eye(4)
    transform[:3, :3] = rpy_matrix(roll, pitch, yaw)
    transform[:3, 3] = [0.1, -0.2, 0.3]
    xyz_rpy = matrix_to_xyz_rpy(transform)
    np.testing.assert_allclose(xyz_rpy[:3], [0.1, -0.2, 0.3])
    assert -math.pi / 2 <= xyz_rpy[4] <= math.pi / 2
    np.testing.assert_allclose(rpy_matrix(*xyz_rpy[3:]), transform[:3, :3], atol=1e-7)


def test_xyz_rpy_at_gimbal_lock():
    for pitch in (math.pi / 2, -math.pi / 2):
        transform = np.eye(4)
        transform[:3, :3] = rpy_matrix(0.4, pitch, 0.0)
        roll, got_pitch, yaw = matrix_to_xyz_rpy(transform)[3:]
        assert (roll, got_pitch, yaw) == pytest.approx((0.4, pitch, 0.0), abs=1e-12)


# --- piper_sdk: the firmware's own forward kinematics -------------------------------------------------

@pytest.fixture(scope="module")
def piper_fk():
    return pytest.importorskip("piper_sdk.kinematics", reason="piper_sdk not installed")


def _sdk_frames(sdk, q):
    """piper_sdk's [x, y, z (mm), roll, pitch, yaw (deg)] for links 1..6 → positions (m) and rotations."""
    poses = np.array(sdk.CalFK(list(map(float, q))))
    rotations = np.stack([rpy_matrix(*np.radians(p[3:])) for p in poses])
    return poses[:, :3] / 1000.0, rotations


def _sdk_is_exact(rotation):
    # The SDK snaps pitch to ±90° (yaw 0) when |r20| > 1 - 1e-4, i.e. within ~0.8° of gimbal lock, which
    # misreports the rotation there; its positions stay exact.
    return abs(rotation[2, 0]) < 1 - 1e-3


@pytest.mark.parametrize(
    ("dh_is_offset", "j2_offset_deg", "j3_offset_deg"), [(0x01, -172.22, -102.78), (0x00, -174.22, -100.78)]
)
def test_matches_piper_sdk_forward_kinematics(config, piper_fk, dh_is_offset, j2_offset_deg, j3_offset_deg):
    """Frames 1..6 agree with `C_PiperForwardKinematics.CalFK` (mm, deg) for random joint vectors.

    `dh_is_offset=0x01` is the SDK default and the firmware S-V1.6-3+ table our config holds; 0x00 is
    the older firmware's J2/J3 offsets, checked with a spec built from reference.md's numbers.
    """
    kin = config.arm.kinematics
    offsets = (0.0, j2_offset_deg * DEG, j3_offset_deg * DEG, 0.0, 0.0, 0.0)
    if dh_is_offset == 0x01:
        np.testing.assert_allclose(kin.theta_offset_rad, offsets, atol=1e-12)
    else:
        kin = KinematicsSpec(kin.a_m, kin.alpha_rad, kin.d_m, offsets, kin.tool_length_m, kin.link_radius_m)
    sdk = piper_fk.C_PiperForwardKinematics(dh_is_offset=dh_is_offset)
    limits = config.limits
    rng = np.random.default_rng(7)
    q = rng.uniform(limits.position_min[:6], limits.position_max[:6], (300, 6))
    frames = link_frames(kin, q)  # one batched call
    compared = 0
    for qi, ours in zip(q, frames):
        positions, rotations = _sdk_frames(sdk, qi)
        np.testing.assert_allclose(ours[1:7, :3, 3], positions, atol=1e-9)
        for rotation_ours, rotation_sdk in zip(ours[1:7, :3, :3], rotations):
            if _sdk_is_exact(rotation_ours):
                np.testing.assert_allclose(rotation_ours, rotation_sdk, atol=1e-9)
                compared += 1
    assert compared > 0.9 * 300 * 6


def test_xyz_rpy_matches_piper_sdk_end_pose(kin, piper_fk):
    sdk = piper_fk.C_PiperForwardKinematics()
    rng = np.random.default_rng(8)
    for q in rng.uniform(-1.2, 1.2, (100, 6)):
        flange = end_effector_pose(kin, q, tool=False)
        if not _sdk_is_exact(flange[:3, :3]):
            continue
        expected = np.array(sdk.CalFK(list(q))[5])
        got = matrix_to_xyz_rpy(flange)
        np.testing.assert_allclose(got[:3] * 1000, expected[:3], atol=1e-6)
        angle_gap = (np.degrees(got[3:]) - expected[3:] + 180) % 360 - 180
        np.testing.assert_allclose(angle_gap, 0, atol=1e-6)
