"""The embodiment: one YAML file (`config/embodiment/piper_bimanual.yaml`) is the single source of
truth for the 14-D layout, limits, rates, mounting poses and reward constants. It is loaded once into
`EmbodimentConfig`; everything else (reward, safety filter, simulator, drivers) reads from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from eva_core.config import ConfigError, build, load_yaml, repo_root
from eva_core.config.validators import non_negative, number_in, positive
from eva_core.embodiment.limits import JointLimits

DEFAULT_EMBODIMENT = "config/embodiment/piper_bimanual.yaml"


@dataclass(frozen=True)
class JointSpec:
    name: str  # without the arm prefix, e.g. "joint1"
    position_min: float  # rad, the deployed limit (datasheet ∩ SDK soft limit)
    position_max: float  # rad
    velocity_max: float  # rad/s; datasheet speed × 0.85 as in the public reward code
    acceleration_max: float  # rad/s²; the firmware allows up to 5

    def __post_init__(self) -> None:
        if self.position_min >= self.position_max:
            raise ConfigError("position_min", f"must be below position_max ({self.position_min} >= {self.position_max})")
        positive("velocity_max", self.velocity_max)
        positive("acceleration_max", self.acceleration_max)


@dataclass(frozen=True)
class GripperSpec:
    name: str  # without the arm prefix, e.g. "gripper"
    opening_max_m: float  # m; normalised opening 1.0 means this far apart (PiPER: 0.07)
    velocity_max: float  # normalised opening per s
    acceleration_max: float  # normalised opening per s²

    def __post_init__(self) -> None:
        positive("opening_max_m", self.opening_max_m)
        positive("velocity_max", self.velocity_max)
        positive("acceleration_max", self.acceleration_max)


@dataclass(frozen=True)
class KinematicsSpec:
    """Modified DH parameters in the SDK (firmware) convention; angles in rad, lengths in m."""

    a_m: tuple[float, float, float, float, float, float]
    alpha_rad: tuple[float, float, float, float, float, float]
    d_m: tuple[float, float, float, float, float, float]
    theta_offset_rad: tuple[float, float, float, float, float, float]
    tool_length_m: float  # fingertips beyond the link-6 flange (PiPER: about 0.135)
    link_radius_m: float  # radius of the capsules standing in for link volumes (clearance check)

    def __post_init__(self) -> None:
        positive("tool_length_m", self.tool_length_m)
        positive("link_radius_m", self.link_radius_m)


@dataclass(frozen=True)
class ArmModel:
    """One PiPER arm; both arms of the platform share it."""

    joints: tuple[JointSpec, ...]
    gripper: GripperSpec
    kinematics: KinematicsSpec
    # Joints (rad) then gripper opening: raised and clear of the table, the pose tasks start from.
    ready_pose: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.joints) != 6:
            raise ConfigError("joints", f"a PiPER arm has 6 joints, got {len(self.joints)}")
        if len(self.ready_pose) != len(self.joints) + 1:
            raise ConfigError("ready_pose", f"needs {len(self.joints)} joint angles and a gripper opening")
        for i, (value, joint) in enumerate(zip(self.ready_pose, self.joints)):
            if not joint.position_min <= value <= joint.position_max:
                raise ConfigError(f"ready_pose[{i}]", f"{value} is outside {joint.name}'s limits")
        if not 0.0 <= self.ready_pose[-1] <= 1.0:
            raise ConfigError(f"ready_pose[{len(self.joints)}]", "gripper opening must be in [0, 1]")


@dataclass(frozen=True)
class Mount:
    name: str  # "left" / "right": prefix of this arm's names in the 14-D vector
    xyz_m: tuple[float, float, float]  # base position in the world (table) frame, m
    rpy_rad: tuple[float, float, float]  # base orientation, roll-pitch-yaw (extrinsic XYZ), rad

    def transform(self) -> np.ndarray:
        """4x4 homogeneous transform world ← arm base."""
        roll, pitch, yaw = self.rpy_rad
        cr, sr, cp, sp, cy, sy = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch), math.cos(yaw), math.sin(yaw)
        rotation = np.array(
            [
                [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                [-sp, cp * sr, cp * cr],
            ]
        )
        out = np.eye(4)
        out[:3, :3] = rotation
        out[:3, 3] = self.xyz_m
        return out


@dataclass(frozen=True)
class RewardConfig:
    """Constants of the executability reward (paper eq. 5-9); defaults are the public code's."""

    joint_weight: float = 1.0  # per-dimension weight before normalising to mean 1
    gripper_weight: float = 0.2  # grippers matter less: their opening is noisier to decode
    huber_acc_fraction: float = 0.5  # d_a = fraction × a_max
    huber_jerk_fraction: float = 0.5  # d_j = fraction × a_max / dt
    lambda_jerk: float = 0.5
    lambda_acc: float = 0.25
    lambda_vlim: float = 2.0
    lambda_alim: float = 1.0
    p0: float = 2000.0  # penalty scale; re-estimate as the median penalty of pretrained rollouts
    gamma: float = 0.5
    min_steps: int = 4  # jerk needs 4 positions; shorter sequences score 0

    def __post_init__(self) -> None:
        for name in ("joint_weight", "gripper_weight", "huber_acc_fraction", "huber_jerk_fraction", "p0", "gamma"):
            positive(name, getattr(self, name))
        for name in ("lambda_jerk", "lambda_acc", "lambda_vlim", "lambda_alim"):
            non_negative(name, getattr(self, name))
        if self.min_steps < 4:
            raise ConfigError("min_steps", f"jerk needs at least 4 steps, got {self.min_steps}")


@dataclass(frozen=True)
class SafetyConfig:
    """Thresholds of the safety filter beyond the joint limits themselves."""

    arm_clearance_m: float = 0.04  # minimum distance between the two arms' link surfaces
    max_start_deviation_rad: float = 0.5  # a plan starting farther than this from the state is rejected
    max_deviation_rad: float = 0.35  # a plan the filter had to move farther than this is rejected
    max_changed_fraction: float = 0.5  # ... or one where more than this fraction of steps changed
    # ... where a step counts as changed when the filter moved it by more than this (rad, or normalised
    # gripper opening). The IDM's own accuracy tolerance (paper: ±0.05 rad): smoothing decoding noise
    # below it is not rewriting the plan, and every correction, small or not, still respects the limits.
    change_tolerance: float = 0.05
    command_timeout_s: float = 0.1  # command guard: no fresh command for this long → hold
    # Measured positions this far outside a position limit count as on the limit: the PiPER rests
    # with J2 = J3 = 0, exactly on their limits, and encoder noise must not reject every plan there.
    state_tolerance_rad: float = 0.01

    def __post_init__(self) -> None:
        for name in ("arm_clearance_m", "max_start_deviation_rad", "max_deviation_rad", "command_timeout_s", "change_tolerance"):
            positive(name, getattr(self, name))
        number_in("state_tolerance_rad", self.state_tolerance_rad, 0, 0.1, unit="rad")
        number_in("max_changed_fraction", self.max_changed_fraction, 0, 1, low_open=True)


@dataclass(frozen=True)
class EmbodimentConfig:
    name: str
    control_rate_hz: float  # arm command/feedback rate (PiPER: 200 Hz)
    plan_rate_hz: float  # video plan frame rate = action step rate (16 fps: one step is 1/16 s)
    arm: ArmModel
    mounts: tuple[Mount, ...]
    reward: RewardConfig
    safety: SafetyConfig

    def __post_init__(self) -> None:
        positive("control_rate_hz", self.control_rate_hz)
        positive("plan_rate_hz", self.plan_rate_hz)
        if [m.name for m in self.mounts] != ["left", "right"]:
            raise ConfigError("mounts", "must list the left arm, then the right arm")

    @property
    def plan_dt(self) -> float:
        return 1.0 / self.plan_rate_hz

    @property
    def control_dt(self) -> float:
        return 1.0 / self.control_rate_hz

    @property
    def arm_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.mounts)

    @property
    def dims_per_arm(self) -> int:
        return len(self.arm.joints) + 1

    @property
    def joint_names(self) -> tuple[str, ...]:
        """[left_joint1..left_joint6, left_gripper, right_joint1..right_joint6, right_gripper]."""
        per_arm = [j.name for j in self.arm.joints] + [self.arm.gripper.name]
        return tuple(f"{mount.name}_{n}" for mount in self.mounts for n in per_arm)

    @property
    def gripper_indices(self) -> tuple[int, ...]:
        per = self.dims_per_arm
        return tuple(i * per + per - 1 for i in range(len(self.mounts)))

    @cached_property
    def limits(self) -> JointLimits:
        joints, g = self.arm.joints, self.arm.gripper
        per_arm = lambda attr, gripper_value: [getattr(j, attr) for j in joints] + [gripper_value]  # noqa: E731
        n_arms = len(self.mounts)
        return JointLimits(
            names=self.joint_names,
            position_min=per_arm("position_min", 0.0) * n_arms,
            position_max=per_arm("position_max", 1.0) * n_arms,
            velocity_max=per_arm("velocity_max", g.velocity_max) * n_arms,
            acceleration_max=per_arm("acceleration_max", g.acceleration_max) * n_arms,
            is_gripper=([False] * len(joints) + [True]) * n_arms,
        )

    def ready_pose(self) -> np.ndarray:
        """The 14-D ready pose (both arms in `arm.ready_pose`); a fresh array each call."""
        return np.tile(np.array(self.arm.ready_pose, dtype=np.float64), len(self.mounts))

    def arm_slice(self, arm: str) -> slice:
        """The slice of the 14-D vector that belongs to `arm` ("left" or "right")."""
        index = self.arm_names.index(arm)
        return slice(index * self.dims_per_arm, (index + 1) * self.dims_per_arm)

    def to_dict(self) -> dict:
        """Resolved values for `eva config show --json` and for tools that need the limits."""
        limits = self.limits
        return {
            "name": self.name,
            "joint_names": list(self.joint_names),
            "gripper_indices": list(self.gripper_indices),
            "position_min": limits.position_min.tolist(),
            "position_max": limits.position_max.tolist(),
            "velocity_max": limits.velocity_max.tolist(),
            "acceleration_max": limits.acceleration_max.tolist(),
            "plan_rate_hz": self.plan_rate_hz,
            "control_rate_hz": self.control_rate_hz,
            "gripper_opening_max_m": self.arm.gripper.opening_max_m,
            "ready_pose": self.ready_pose().tolist(),
            "kinematics": {
                "a_m": list(self.arm.kinematics.a_m),
                "alpha_rad": list(self.arm.kinematics.alpha_rad),
                "d_m": list(self.arm.kinematics.d_m),
                "theta_offset_rad": list(self.arm.kinematics.theta_offset_rad),
                "tool_length_m": self.arm.kinematics.tool_length_m,
                "link_radius_m": self.arm.kinematics.link_radius_m,
            },
            "mounts": {m.name: {"xyz_m": list(m.xyz_m), "rpy_rad": list(m.rpy_rad)} for m in self.mounts},
            "reward": dict(self.reward.__dict__),
            "safety": dict(self.safety.__dict__),
        }


def load_embodiment(path: str | Path | None = None) -> EmbodimentConfig:
    """Load and validate an embodiment file (default: the bimanual PiPER of this repository).

    Raises `ConfigError` naming the file and the bad key; never a bare KeyError or traceback-only error.
    """
    path = Path(path) if path is not None else repo_root() / DEFAULT_EMBODIMENT
    return build(EmbodimentConfig, load_yaml(path), source=str(path))
