"""Inverse kinematics of one PiPER arm over our forward kinematics (SDK joint convention).

Damped least squares on the geometric Jacobian: in modified DH, joint i turns about the z axis of
frame i, so column i of the Jacobian is (z_i × (p_tool − p_i), z_i). Joint limits are respected by
clamping every iterate, which is what the scripted experts need: a reachable target near the current
pose converges in a few iterations and the result is always a commandable joint vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eva_core.embodiment.config import KinematicsSpec
from eva_core.embodiment.kinematics import FLANGE_FRAME, N_JOINTS, TOOL_FRAME, link_frames


@dataclass(frozen=True)
class IkResult:
    q: np.ndarray  # [6] joint angles, rad, within the given limits
    position_error_m: float
    orientation_error_rad: float  # 0 when solving for position only
    converged: bool


def rotation_error(current: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Axis-angle vector (rad) rotating `current` onto `target`, both 3x3, in the common frame."""
    delta = target @ current.T
    angle = np.arccos(np.clip((np.trace(delta) - 1.0) / 2.0, -1.0, 1.0))
    axis = np.array([delta[2, 1] - delta[1, 2], delta[0, 2] - delta[2, 0], delta[1, 0] - delta[0, 1]])
    norm = np.linalg.norm(axis)
    if norm < 1e-9:
        if angle < 1e-6:
            return np.zeros(3)
        # angle ≈ π: the axis is the eigenvector of delta with eigenvalue 1.
        values, vectors = np.linalg.eigh((delta + delta.T) / 2.0)
        return np.real(vectors[:, np.argmax(values)]) * angle
    return axis / norm * angle


def jacobian(frames: np.ndarray, point_frame: int = TOOL_FRAME) -> np.ndarray:
    """Geometric Jacobian [6, 6] (linear rows first) of frame `point_frame` from `link_frames` output."""
    point = frames[point_frame, :3, 3]
    axes = frames[1 : N_JOINTS + 1, :3, 2]  # [6, 3] joint axes (z of each joint frame)
    lever = point - frames[1 : N_JOINTS + 1, :3, 3]  # [6, 3] from each joint to the point
    jac = np.empty((6, N_JOINTS))
    # One vectorised cross product: np.cross per joint dominated the experts' IK time.
    jac[0] = axes[:, 1] * lever[:, 2] - axes[:, 2] * lever[:, 1]
    jac[1] = axes[:, 2] * lever[:, 0] - axes[:, 0] * lever[:, 2]
    jac[2] = axes[:, 0] * lever[:, 1] - axes[:, 1] * lever[:, 0]
    jac[3:] = axes.T
    return jac


def solve_ik(
    kin: KinematicsSpec,
    target: np.ndarray,
    q_init: np.ndarray,
    position_min: np.ndarray,
    position_max: np.ndarray,
    *,
    tool: bool = True,
    orientation_weight: float = 0.3,  # m per rad: trades 1 rad of orientation error against 0.3 m
    position_only: bool = False,
    max_iterations: int = 200,
    position_tolerance_m: float = 1e-4,
    orientation_tolerance_rad: float = 2e-3,
    damping: float = 1e-3,
) -> IkResult:
    """Joint angles [6] putting the tool (or flange) at `target` (4x4, in the arm's base frame)."""
    q = np.clip(np.asarray(q_init, dtype=np.float64), position_min, position_max)
    target = np.asarray(target, dtype=np.float64)
    point = TOOL_FRAME if tool else FLANGE_FRAME
    weights = np.array([1.0, 1.0, 1.0] + [0.0 if position_only else orientation_weight] * 3)
    best = None
    for _ in range(max_iterations):
        frames = link_frames(kin, q)
        pos_err = target[:3, 3] - frames[point, :3, 3]
        rot_err = np.zeros(3) if position_only else rotation_error(frames[point, :3, :3], target[:3, :3])
        p_norm, r_norm = float(np.linalg.norm(pos_err)), float(np.linalg.norm(rot_err))
        score = p_norm + orientation_weight * r_norm
        if best is None or score < best[0]:
            best = (score, q.copy(), p_norm, r_norm)
        if p_norm < position_tolerance_m and r_norm < orientation_tolerance_rad:
            break
        jac = jacobian(frames, point) * weights[:, None]
        error = np.concatenate([pos_err, rot_err]) * weights
        # Damped least squares: dq = Jᵀ (J Jᵀ + λ² I)⁻¹ e, well-behaved near singularities.
        step = jac.T @ np.linalg.solve(jac @ jac.T + damping**2 * np.eye(6), error)
        # Limit the step so a far target does not make the iteration jump around.
        step *= min(1.0, 0.5 / max(float(np.max(np.abs(step))), 1e-12))
        q = np.clip(q + step, position_min, position_max)
    _, q_best, p_best, r_best = best
    converged = p_best < position_tolerance_m * 10 and (position_only or r_best < orientation_tolerance_rad * 10)
    return IkResult(q=q_best, position_error_m=p_best, orientation_error_rad=r_best, converged=converged)
