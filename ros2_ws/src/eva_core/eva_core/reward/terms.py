"""What both reward backends share: the constants (`RewardParams`) and the result (`RewardResult`).

The constants are resolved once from the embodiment so the numpy and torch backends cannot drift
apart; the result carries one value per plan for the reward and for every penalty term.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from eva_core.embodiment import EmbodimentConfig


def _frozen(values, name: str, dof: int) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    if array.shape != (dof,):
        raise ValueError(f"{name} must have {dof} values, got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must be finite and > 0")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RewardParams:
    """Resolved constants of the executability reward (reference.md, paper eq. 5-9).

    Per-dimension vectors are in action-vector order (14 for the bimanual PiPER); joint values in
    rad-based units, gripper values in normalised opening. Build with `from_embodiment`.
    """

    names: tuple[str, ...]  # action-vector layout, for error messages
    dt: float  # s between plan steps (1/16: the video frame rate); finite differences divide by it
    weights: np.ndarray  # per-dimension weight, normalised to mean 1 (joints 1.0, grippers 0.2 before)
    huber_acc: np.ndarray  # d_a, rad/s²: Huber turns linear beyond it (0.5·a_max)
    huber_jerk: np.ndarray  # d_j, rad/s³: 0.5·a_max/dt, a jerk that builds a_max/2 in one step
    velocity_max: np.ndarray  # rad/s (grippers: opening/s); the safety filter enforces the same
    acceleration_max: np.ndarray  # rad/s² (grippers: opening/s²)
    lambda_jerk: float
    lambda_acc: float
    lambda_vlim: float
    lambda_alim: float
    p0: float  # penalty scale: P = P0 gives R = 2^-gamma
    gamma: float  # decay exponent of R = (1 + P/P0)^-gamma
    min_steps: int  # shorter plans score 0 (jerk needs 4 positions)

    def __post_init__(self) -> None:
        dof = len(self.names)
        for name in ("weights", "huber_acc", "huber_jerk", "velocity_max", "acceleration_max"):
            object.__setattr__(self, name, _frozen(getattr(self, name), name, dof))
        if not self.dt > 0 or not self.p0 > 0 or not self.gamma > 0:
            raise ValueError(f"dt, p0 and gamma must be > 0, got {self.dt}, {self.p0}, {self.gamma}")
        if min(self.lambda_jerk, self.lambda_acc, self.lambda_vlim, self.lambda_alim) < 0:
            raise ValueError("the lambda weights must be >= 0")
        if self.min_steps < 4:
            raise ValueError(f"min_steps must be >= 4 (jerk needs 4 positions), got {self.min_steps}")

    @property
    def dof(self) -> int:
        return len(self.names)

    @classmethod
    def from_embodiment(cls, config: EmbodimentConfig) -> "RewardParams":
        limits, reward, dt = config.limits, config.reward, config.plan_dt
        raw = np.where(limits.is_gripper, reward.gripper_weight, reward.joint_weight)
        return cls(
            names=tuple(limits.names),
            dt=dt,
            weights=raw / raw.mean(),
            huber_acc=reward.huber_acc_fraction * limits.acceleration_max,
            huber_jerk=reward.huber_jerk_fraction * limits.acceleration_max / dt,
            velocity_max=limits.velocity_max,
            acceleration_max=limits.acceleration_max,
            lambda_jerk=reward.lambda_jerk,
            lambda_acc=reward.lambda_acc,
            lambda_vlim=reward.lambda_vlim,
            lambda_alim=reward.lambda_alim,
            p0=reward.p0,
            gamma=reward.gamma,
            min_steps=reward.min_steps,
        )

    def check_shape(self, shape: tuple[int, ...]) -> None:
        """Raise a ValueError naming the expected layout unless `shape` is [T, dof] or [B, T, dof]."""
        if len(shape) not in (2, 3) or shape[-1] != self.dof:
            raise ValueError(
                f"actions must be [T, {self.dof}] or [B, T, {self.dof}] at the plan rate "
                f"({self.names[0]} .. {self.names[-1]}: rad for joints, normalised opening for grippers), "
                f"got shape {tuple(shape)}"
            )


@dataclass(frozen=True)
class RewardResult:
    """Per-plan reward and its breakdown: shape [B] for [B, T, D] input, 0-d for [T, D] input.

    Arrays are numpy from `executability_reward`, tensors from `executability_reward_torch`.
    The p_* terms are before their lambda weights: penalty = sum(lambda_k · p_k).
    An unscorable plan (fewer than min_steps, NaN/inf in it, or a penalty overflowing) has
    valid False, reward 0, score 0 and penalty +inf; its terms are +inf, never NaN.
    """

    reward: Any  # R = (1 + P/P0)^-gamma in (0, 1]; 0 for an unscorable plan
    score: Any  # 10·R, the display score of the paper's Figure 2
    penalty: Any  # P, the weighted sum of the terms below
    p_jerk: Any  # mean_{t,d} w_d·Huber(j_td; d_j,d)
    p_acc: Any  # mean_{t,d} w_d·Huber(a_td; d_a,d)
    p_vlim: Any  # mean_{t,d} w_d·relu(|v_td| − v_max,d)²
    p_alim: Any  # mean_{t,d} w_d·relu(|a_td| − a_max,d)²
    valid: Any  # bool: the plan could be scored

    def to_numpy(self) -> "RewardResult":
        """The same result with every field as a numpy array (tensors are moved to the CPU)."""
        convert = lambda v: np.asarray(v.detach().cpu()) if hasattr(v, "detach") else np.asarray(v)  # noqa: E731
        return RewardResult(**{f.name: convert(getattr(self, f.name)) for f in fields(self)})
