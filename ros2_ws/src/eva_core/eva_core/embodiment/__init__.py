"""The robot's body: the 14-D layout, limits, mounting poses and kinematics."""

from eva_core.embodiment.config import (
    DEFAULT_EMBODIMENT,
    ArmModel,
    EmbodimentConfig,
    GripperSpec,
    JointSpec,
    KinematicsSpec,
    Mount,
    RewardConfig,
    SafetyConfig,
    load_embodiment,
)
from eva_core.embodiment.kinematics import FRAME_NAMES, end_effector_pose, link_frames, matrix_to_xyz_rpy
from eva_core.embodiment.limits import JointLimits

__all__ = [
    "DEFAULT_EMBODIMENT",
    "FRAME_NAMES",
    "ArmModel",
    "EmbodimentConfig",
    "GripperSpec",
    "JointLimits",
    "JointSpec",
    "KinematicsSpec",
    "Mount",
    "RewardConfig",
    "SafetyConfig",
    "end_effector_pose",
    "link_frames",
    "load_embodiment",
    "matrix_to_xyz_rpy",
]
