"""PiPER CAN emulator: the real piper_sdk talks to it over python-can (in-process `virtual` bus).

    emulator.py   PiperCanEmulator (several arms, one 200 Hz clock), EmulatedPiper (one arm's firmware,
                  fault injection, command log)
    motion.py     where the motion comes from: TwinMotion (the MuJoCo twin), FirstOrderMotion (tests)
"""

from eva_sim.can_emulator.emulator import (
    COLLISION,
    EMERGENCY_STOP,
    FIRMWARE_VERSION,
    JOINT_COMMS,
    JOINT_CTRL,
    GRIPPER_CTRL,
    NORMAL,
    OVER_LIMIT,
    EmulatedPiper,
    PiperCanEmulator,
    ReceivedFrame,
)
from eva_sim.can_emulator.motion import FirstOrderMotion, MotionModel, TwinMotion

__all__ = [
    "COLLISION",
    "EMERGENCY_STOP",
    "FIRMWARE_VERSION",
    "GRIPPER_CTRL",
    "JOINT_COMMS",
    "JOINT_CTRL",
    "NORMAL",
    "OVER_LIMIT",
    "EmulatedPiper",
    "FirstOrderMotion",
    "MotionModel",
    "PiperCanEmulator",
    "ReceivedFrame",
    "TwinMotion",
]
