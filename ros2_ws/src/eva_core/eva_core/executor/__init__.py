"""Receding-horizon execution (ROS-free): plan -> decoded, filtered actions -> control-rate commands.

`RecedingHorizonExecutor` is the whole loop, driven by a node's 200 Hz timer (see receding_horizon.py
for the lifecycle and the design choices); `FrameHistory` keeps the plan camera's latest frames;
`upsample_plan` joins plan-rate knots at the control rate.
"""

from eva_core.executor.config import ExecutorConfig, ExecutorGoal
from eva_core.executor.history import FrameHistory
from eva_core.executor.interpolation import upsample_plan
from eva_core.executor.receding_horizon import END_POSE_TIMEOUT_S, RecedingHorizonExecutor
from eva_core.executor.records import (
    CANCELED,
    EXECUTING,
    FAULT,
    FINISHED,
    IDLE,
    OUTCOMES,
    PLANNING,
    SEGMENT_LIMIT,
    STAGES,
    SUCCESS,
    TIME_LIMIT,
    ExecutionResult,
    Feedback,
    Observation,
    Tick,
)

__all__ = [
    "CANCELED",
    "END_POSE_TIMEOUT_S",
    "EXECUTING",
    "FAULT",
    "FINISHED",
    "IDLE",
    "OUTCOMES",
    "PLANNING",
    "SEGMENT_LIMIT",
    "STAGES",
    "SUCCESS",
    "TIME_LIMIT",
    "ExecutionResult",
    "ExecutorConfig",
    "ExecutorGoal",
    "Feedback",
    "FrameHistory",
    "Observation",
    "RecedingHorizonExecutor",
    "Tick",
    "upsample_plan",
]
