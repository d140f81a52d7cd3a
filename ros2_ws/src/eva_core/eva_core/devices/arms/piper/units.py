"""SDK units at the PiPER boundary, and nowhere else.

The firmware (and piper_sdk) speak integers: joint angles in 0.001 degree, the gripper opening in
0.001 mm (the distance between the fingers, 0 .. 70 000 for the PiPER's 70 mm). The rest of EVA speaks
radians and the normalised opening 0..1 (1 = `GripperSpec.opening_max_m`). These functions are the only
place that converts.

Round trip: `rad_to_mdeg(mdeg_to_rad(n)) == n` for every integer the firmware can send (|n| < 2**31):
a value read from the arm and sent back is the same command, bit for bit. The other way round a command
is quantised to 0.001° (1.7e-5 rad), well under the arm's ±0.1 mm repeatability.
"""

from __future__ import annotations

import math

import numpy as np

MDEG_PER_RAD = 180_000.0 / math.pi  # 0.001° per radian
UM_PER_M = 1_000_000.0  # 0.001 mm per metre


def rad_to_mdeg(rad: float) -> int:
    """Radians → the SDK's int 0.001°, rounded to nearest."""
    return int(round(float(rad) * MDEG_PER_RAD))


def mdeg_to_rad(mdeg: int) -> float:
    """The SDK's int 0.001° → radians."""
    return float(mdeg) / MDEG_PER_RAD


def opening_to_um(opening: float, opening_max_m: float) -> int:
    """Normalised gripper opening (0 closed, 1 = `opening_max_m`) → the SDK's int 0.001 mm."""
    return int(round(float(opening) * opening_max_m * UM_PER_M))


def um_to_opening(um: int, opening_max_m: float) -> float:
    """The SDK's int 0.001 mm → normalised gripper opening."""
    return float(um) / (opening_max_m * UM_PER_M)


def q7_to_sdk(q7, opening_max_m: float) -> tuple[list[int], int]:
    """A 7-D arm vector [j1..j6 rad, gripper 0..1] → ([6 joint ints 0.001°], gripper int 0.001 mm)."""
    q = np.asarray(q7, dtype=np.float64)
    if q.shape != (7,):
        raise ValueError(f"expected a 7-D arm vector, got shape {q.shape}")
    return [rad_to_mdeg(v) for v in q[:6]], opening_to_um(q[6], opening_max_m)


def sdk_to_q7(joints_mdeg, gripper_um: int, opening_max_m: float) -> np.ndarray:
    """([6 joint ints 0.001°], gripper int 0.001 mm) → a 7-D arm vector."""
    out = np.empty(7)
    out[:6] = [mdeg_to_rad(v) for v in joints_mdeg]
    out[6] = um_to_opening(gripper_um, opening_max_m)
    return out
