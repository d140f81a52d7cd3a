"""The 14-D joint limits as vectors: what the reward, the safety filter and the drivers share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _frozen(values) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class JointLimits:
    """Per-dimension limits of the action/state vector, in vector order.

    Joints in rad, rad/s, rad/s²; grippers in normalised opening (0 closed, 1 fully open), per s and
    per s². Arrays are read-only so a limit can never be changed behind the config's back.
    """

    names: tuple[str, ...]
    position_min: np.ndarray
    position_max: np.ndarray
    velocity_max: np.ndarray
    acceleration_max: np.ndarray
    is_gripper: np.ndarray  # bool mask: grippers get other reward weights and tolerances

    def __post_init__(self) -> None:
        n = len(self.names)
        for field in ("position_min", "position_max", "velocity_max", "acceleration_max"):
            object.__setattr__(self, field, _frozen(getattr(self, field)))
            if getattr(self, field).shape != (n,):
                raise ValueError(f"{field} must have {n} values")
        mask = np.array(self.is_gripper, dtype=bool)
        mask.setflags(write=False)
        object.__setattr__(self, "is_gripper", mask)
        if np.any(self.position_min > self.position_max):
            raise ValueError("position_min must not exceed position_max")
        if np.any(self.velocity_max <= 0) or np.any(self.acceleration_max <= 0):
            raise ValueError("velocity and acceleration limits must be positive")

    @property
    def dof(self) -> int:
        return len(self.names)

    def clip_position(self, q: np.ndarray) -> np.ndarray:
        return np.clip(q, self.position_min, self.position_max)
