"""Forward kinematics of one PiPER arm in the SDK (firmware) joint convention, batched with numpy.

The chain is modified Denavit-Hartenberg (Craig): the transform from frame i-1 to frame i is

    T_i = RotX(alpha_i) · TransX(a_i) · RotZ(q_i + theta_offset_i) · TransZ(d_i)

with the numbers of `KinematicsSpec` (the same table as piper_sdk's `C_PiperForwardKinematics`, in m
and rad instead of mm). Joint angles are the ones the firmware reports and accepts, so a joint vector
means the same pose here, in the simulator and on the robot.

Frames returned by `link_frames`, all expressed in the arm's base frame (x forward, z up):
index 0 the base, 1..6 the DH frames of joints 1..6 (6 is the flange, where the SDK's end pose is
reported), 7 the tool frame: the flange moved `tool_length_m` along its own z axis (the fingertips).
"""

from __future__ import annotations

import numpy as np

from eva_core.embodiment.config import KinematicsSpec

N_JOINTS = 6
FRAME_NAMES = ("base", "link1", "link2", "link3", "link4", "link5", "link6", "tool")
FLANGE_FRAME = 6  # index in `link_frames` of the link-6 flange (the SDK's end pose)
TOOL_FRAME = 7  # index in `link_frames` of the fingertip frame

# Below this cos(pitch) the roll-pitch-yaw split is singular (pitch = ±90°): yaw is set to 0 and the
# rotation about the vertical goes into roll, as piper_sdk does (which snaps much earlier, at 1e-4 on
# sin(pitch), misreporting the rotation within ~0.8° of the singularity). 1e-8 balances the error of
# the snap (~cos(pitch)) against the rounding of atan2 on tiny entries (~1e-16 / cos(pitch)).
_GIMBAL_EPS = 1e-8


def _joint_array(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    if q.ndim == 0 or q.shape[-1] != N_JOINTS:
        raise ValueError(f"q must have shape [..., {N_JOINTS}] (joint angles in rad), got {q.shape}")
    return q


def dh_transforms(kin: KinematicsSpec, q: np.ndarray) -> np.ndarray:
    """The six link transforms T_i (frame i-1 ← frame i), shape [..., 6, 4, 4], for joints `q` [..., 6] in rad."""
    q = _joint_array(q)
    theta = q + np.asarray(kin.theta_offset_rad)
    ct, st = np.cos(theta), np.sin(theta)
    alpha = np.asarray(kin.alpha_rad)
    ca, sa = np.cos(alpha), np.sin(alpha)
    a, d = np.asarray(kin.a_m), np.asarray(kin.d_m)

    # RotX(alpha)·TransX(a)·RotZ(theta)·TransZ(d) multiplied out: rotation RotX(alpha)·RotZ(theta),
    # translation (a, 0, 0) + RotX(alpha)·(0, 0, d).
    out = np.zeros(q.shape + (4, 4))
    out[..., 0, 0] = ct
    out[..., 0, 1] = -st
    out[..., 0, 3] = a
    out[..., 1, 0] = st * ca
    out[..., 1, 1] = ct * ca
    out[..., 1, 2] = -sa
    out[..., 1, 3] = -sa * d
    out[..., 2, 0] = st * sa
    out[..., 2, 1] = ct * sa
    out[..., 2, 2] = ca
    out[..., 2, 3] = ca * d
    out[..., 3, 3] = 1.0
    return out


def link_frames(kin: KinematicsSpec, q: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
    """Poses of all frames, shape [..., 8, 4, 4] (see `FRAME_NAMES`), in the arm's base frame.

    `q` is [..., 6] joint angles in rad (SDK convention); any leading batch shape is kept. Positions
    are in m. With `base` (a 4x4 transform world ← arm base, e.g. `Mount.transform()`, or a stack that
    broadcasts against the batch) the frames are in the world frame instead. Non-finite joints give
    non-finite frames (no check here: callers that must reject such input, like the clearance check,
    test `np.isfinite` themselves).
    """
    links = dh_transforms(kin, q)
    batch = links.shape[:-3]
    if base is not None:
        base = np.asarray(base, dtype=np.float64)
        if base.shape[-2:] != (4, 4):
            raise ValueError(f"base must have shape [..., 4, 4], got {base.shape}")
        batch = np.broadcast_shapes(batch, base.shape[:-2])
    frames = np.empty(batch + (N_JOINTS + 2, 4, 4))
    if base is None:
        frames[..., 0, :, :] = np.eye(4)
        frames[..., 1, :, :] = links[..., 0, :, :]
    else:
        frames[..., 0, :, :] = base
        frames[..., 1, :, :] = base @ links[..., 0, :, :]
    for i in range(1, N_JOINTS):
        frames[..., i + 1, :, :] = frames[..., i, :, :] @ links[..., i, :, :]
    # Tool: same orientation as the flange, origin tool_length_m along the flange's z axis.
    frames[..., TOOL_FRAME, :, :] = frames[..., FLANGE_FRAME, :, :]
    frames[..., TOOL_FRAME, :3, 3] += kin.tool_length_m * frames[..., FLANGE_FRAME, :3, 2]
    return frames


def end_effector_pose(kin: KinematicsSpec, q: np.ndarray, *, tool: bool = True) -> np.ndarray:
    """Pose [..., 4, 4] in the base frame of the fingertip frame (`tool=True`) or of the link-6 flange.

    The flange pose (`tool=False`) is what piper_sdk's forward kinematics and the firmware's end-pose
    feedback report (in mm and degrees there).
    """
    return link_frames(kin, q)[..., TOOL_FRAME if tool else FLANGE_FRAME, :, :]


def matrix_to_xyz_rpy(transform: np.ndarray) -> np.ndarray:
    """[..., 4, 4] homogeneous transforms → [..., 6] = (x, y, z) in m, (roll, pitch, yaw) in rad.

    Same convention as `Mount.rpy_rad` and piper_sdk's end pose: R = RotZ(yaw)·RotY(pitch)·RotX(roll),
    pitch in [-π/2, π/2]. At pitch = ±π/2 yaw is reported as 0 and roll carries the remaining rotation.
    """
    transform = np.asarray(transform, dtype=np.float64)
    if transform.shape[-2:] != (4, 4):
        raise ValueError(f"transform must have shape [..., 4, 4], got {transform.shape}")
    r = transform[..., :3, :3]
    r00, r10, r20 = r[..., 0, 0], r[..., 1, 0], r[..., 2, 0]
    cos_pitch = np.hypot(r00, r10)
    pitch = np.arctan2(-r20, cos_pitch)
    regular = cos_pitch > _GIMBAL_EPS
    yaw = np.where(regular, np.arctan2(r10, r00), 0.0)
    roll_regular = np.arctan2(r[..., 2, 1], r[..., 2, 2])
    # Singular case, yaw := 0: R = RotY(±π/2)·RotX(roll) has r01 = ±sin(roll), r11 = cos(roll).
    roll_singular = np.arctan2(-np.sign(r20) * r[..., 0, 1], r[..., 1, 1])
    roll = np.where(regular, roll_regular, roll_singular)
    return np.concatenate([transform[..., :3, 3], np.stack([roll, pitch, yaw], axis=-1)], axis=-1)
