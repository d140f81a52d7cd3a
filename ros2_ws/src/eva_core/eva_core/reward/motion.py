"""How much a plan moves the arms, and the reward-hacking guard built on it.

A plan in which the robot does not move is perfectly smooth, so the executability reward alone scores
it near 10/10: the paper names "a robot that does not move" among the reward hacks it saw. The guard
compares a plan's decoded arm motion with a reference motion from the same start (what the expert
recorded there): far less motion than the reference counts as a static plan, a failure.

    energy = motion_energy(actions, arm_mask)                         # rad per plan step
    static = is_static(energy, reference_energy, ratio=0.25, min_motion=0.01)
"""

from __future__ import annotations

import numpy as np


def motion_energy(actions, arm_mask) -> np.ndarray:
    """Mean over steps of the Euclidean norm of the arm joints' change per step (rad / step), per plan:
    actions [T, D] -> 0-d, or [B, T, D] -> [B]. Grippers (arm_mask False) are left out: opening a gripper
    is not what makes a plan move the robot. NaN/inf plans give inf (never static)."""
    a = np.asarray(actions, dtype=np.float64)
    single = a.ndim == 2
    a = a[None] if single else a
    steps = np.diff(a[:, :, np.asarray(arm_mask, dtype=bool)], axis=1)
    energy = np.linalg.norm(steps, axis=2).mean(axis=1) if steps.shape[1] else np.zeros(len(a))
    energy = np.where(np.isfinite(energy), energy, np.inf)
    return energy[0] if single else energy


def is_static(energy, reference, ratio: float, min_motion: float):
    """True where the plan moves less than `ratio` x the reference's motion; starts whose reference
    itself moves less than `min_motion` rad/step (the expert holds still there) are never judged static."""
    energy, reference = np.asarray(energy, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    return (reference >= min_motion) & (energy < ratio * reference)
