"""How well decoded actions match the recorded ones: the IDM's accuracy figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Arm joints count as right within this many radians (the paper's IDM accuracy criterion).
JOINT_TOL_RAD = 0.05
# Grippers count as right within this fraction of their opening range.
GRIPPER_TOL = 0.1


@dataclass(frozen=True)
class IdmMetrics:
    joint_accuracy: float  # fraction of steps with every arm joint (grippers excluded) within joint_tol
    all_accuracy: float  # fraction of steps with every joint AND both grippers within tolerance
    gripper_accuracy: float  # fraction of steps with every gripper within gripper_tol of its range
    per_dim_accuracy: np.ndarray  # [D]: arm joints by joint_tol (rad), grippers by gripper_tol (normalised)
    per_dim_mae: np.ndarray  # [D], rad (grippers in their own unit)
    steps: int
    gripper_indices: tuple[int, ...] = ()  # which dims are grippers (excluded from joint_accuracy)

    def to_json(self, names: list[str] | None = None) -> dict[str, Any]:
        names = names or [str(i) for i in range(len(self.per_dim_mae))]
        return {
            "joint_accuracy": self.joint_accuracy,
            "all_accuracy": self.all_accuracy,
            "gripper_accuracy": self.gripper_accuracy,
            "per_dim_accuracy": dict(zip(names, map(float, self.per_dim_accuracy))),
            "per_dim_mae": dict(zip(names, map(float, self.per_dim_mae))),
            "mean_mae_joints": float(np.mean(np.delete(self.per_dim_mae, list(self.gripper_indices)))),
            "steps": self.steps,
        }


def idm_metrics(
    pred: np.ndarray,
    true: np.ndarray,
    gripper_indices: tuple[int, ...] = (6, 13),
    gripper_range: np.ndarray | None = None,
    joint_tol: float = JOINT_TOL_RAD,
    gripper_tol: float = GRIPPER_TOL,
) -> IdmMetrics:
    """pred, true: [N, D] (or [..., D]). gripper_range: [D] (max - min) per dim, or None (no scaling)."""
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, np.shape(pred)[-1])
    true = np.asarray(true, dtype=np.float64).reshape(-1, np.shape(true)[-1])
    if pred.shape != true.shape or pred.shape[0] == 0:
        raise ValueError(f"pred and true must be equal non-empty [N, D], got {pred.shape} and {true.shape}")
    d = pred.shape[1]
    err = np.abs(pred - true)
    grip = np.zeros(d, dtype=bool)
    grip[list(gripper_indices)] = True
    scale = np.ones(d) if gripper_range is None else np.asarray(gripper_range, dtype=np.float64)
    ok = np.where(grip, err / np.where(grip, scale, 1.0) <= gripper_tol, err <= joint_tol)
    joints_ok = ok[:, ~grip].all(axis=1)
    grip_ok = ok[:, grip].all(axis=1) if grip.any() else np.ones(len(ok), dtype=bool)
    return IdmMetrics(
        joint_accuracy=float(joints_ok.mean()),
        all_accuracy=float((joints_ok & grip_ok).mean()),
        gripper_accuracy=float(grip_ok.mean()),
        per_dim_accuracy=ok.mean(axis=0),
        per_dim_mae=err.mean(axis=0),
        steps=int(len(ok)),
        gripper_indices=tuple(int(i) for i in np.flatnonzero(grip)),
    )
