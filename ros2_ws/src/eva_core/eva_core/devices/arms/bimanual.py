"""A bimanual arm: two single arms, `left_`/`right_` prefixes, 14-D in and out.

    bi = make_bimanual({"left": PiperArmConfig(channel="can_left"),
                        "right": PiperArmConfig(channel="can_right")}, embodiment)
    with bi:                                   # connect both (disconnect both on exit)
        bi.enable()
        state = bi.read_state()                # BimanualState: position [14], per-arm states
        sent = bi.send(q14)                    # [14] actually sent, per arm through its own guard

Lifecycle calls pass through to both arms; nothing here knows a device. The 14-D layout is the
embodiment's (`EmbodimentConfig.joint_names`: left_joint1..6, left_gripper, right_...).

Faults: if either arm has a latched fault, `send` refuses the whole command (nothing is sent to
either arm, `ArmFaultError` names the arm): a bimanual motion with one arm stopped is not the motion
that was planned. `hold()` then holds every arm that can still be commanded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from eva_core.devices.arms.arm import Arm, ArmFault, ArmFaultError, ArmState
from eva_core.devices.arms.configs import ArmConfig
from eva_core.devices.arms.factory import make_arm
from eva_core.embodiment.config import EmbodimentConfig


@dataclass(frozen=True, eq=False)
class BimanualState:
    position: np.ndarray  # [14] in the embodiment's layout
    timestamp_s: float  # the older of the two arms' feedback times
    arms: dict[str, ArmState]  # per arm, keyed "left"/"right"

    @property
    def faults(self) -> dict[str, ArmFault]:
        return {name: s.fault for name, s in self.arms.items() if s.fault is not None}


class BimanualArm:
    """Two `Arm`s in the embodiment's order; see the module docstring."""

    def __init__(self, arms: Mapping[str, Arm], embodiment: EmbodimentConfig):
        if sorted(arms) != sorted(embodiment.arm_names):
            raise ValueError(f"need exactly the arms {embodiment.arm_names}, got {sorted(arms)}")
        self.embodiment = embodiment
        self.arms: dict[str, Arm] = {name: arms[name] for name in embodiment.arm_names}
        self._slices = {name: embodiment.arm_slice(name) for name in embodiment.arm_names}
        self.names = embodiment.joint_names  # left_joint1 .. right_gripper
        self.dof = len(self.names)

    # -- lifecycle, passed through -------------------------------------------------------------------

    def connect(self) -> None:
        done = []
        try:
            for arm in self.arms.values():
                arm.connect()
                done.append(arm)
        except BaseException:
            for arm in done:
                arm.disconnect()
            raise

    def disconnect(self) -> None:
        errors = []
        for arm in self.arms.values():
            try:
                arm.disconnect()
            except Exception as err:  # disconnect the other arm anyway, then report
                errors.append(err)
        if errors:
            raise errors[0]

    def enable(self, timeout_s: float = 2.0) -> None:
        for arm in self.arms.values():
            arm.enable(timeout_s)

    def disable(self) -> None:
        for arm in self.arms.values():
            arm.disable()

    def emergency_stop(self) -> None:
        for arm in self.arms.values():
            arm.emergency_stop()

    def resume(self, timeout_s: float = 1.0) -> None:
        for arm in self.arms.values():
            arm.resume(timeout_s)

    @property
    def is_connected(self) -> bool:
        return all(a.is_connected for a in self.arms.values())

    @property
    def is_enabled(self) -> bool:
        return all(a.is_enabled for a in self.arms.values())

    def __enter__(self) -> BimanualArm:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    # -- state and commands --------------------------------------------------------------------------

    @property
    def faults(self) -> dict[str, ArmFault]:
        return {name: a.fault for name, a in self.arms.items() if a.fault is not None}

    def read_state(self) -> BimanualState:
        states = {name: arm.read_state() for name, arm in self.arms.items()}
        position = np.empty(self.dof)
        for name, s in states.items():
            position[self._slices[name]] = s.position
        return BimanualState(position, min(s.timestamp_s for s in states.values()), states)

    def send(self, desired, stamp_s: float | None = None) -> np.ndarray:
        """Send a 14-D command; returns the 14-D command actually sent (each arm through its guard).
        Refused as a whole (`ArmFaultError`, nothing sent) while either arm has a fault latched."""
        q = np.asarray(desired, dtype=np.float64)
        if q.shape != (self.dof,):
            raise ValueError(f"expected a [{self.dof}] command ({', '.join(self.names[:2])}, ...), got shape {q.shape}")
        for name, arm in self.arms.items():
            if arm.fault is not None:
                raise ArmFaultError(name, arm.fault)
        sent = np.empty(self.dof)
        for name, arm in self.arms.items():
            s = self._slices[name]
            sent[s] = arm.send(q[s], stamp_s)
        return sent

    def hold(self) -> np.ndarray:
        """Hold every arm that can be commanded; a faulted arm keeps its last measured position."""
        out = np.empty(self.dof)
        for name, arm in self.arms.items():
            s = self._slices[name]
            out[s] = arm.read_state().position if arm.fault is not None else arm.hold()
        return out

    def to_named(self, vector) -> dict[str, float]:
        """A 14-D vector as {"left_joint1": ..., "right_gripper": ...}."""
        v = np.asarray(vector, dtype=np.float64)
        return {n: float(x) for n, x in zip(self.names, v, strict=True)}


def make_bimanual(configs: Mapping[str, ArmConfig], embodiment: EmbodimentConfig) -> BimanualArm:
    """Two unconnected arms from their configs, keyed by the embodiment's arm names."""
    missing = [n for n in embodiment.arm_names if n not in configs]
    if missing:
        raise ValueError(f"no arm config for {', '.join(missing)}")
    return BimanualArm({name: make_arm(configs[name], name, embodiment) for name in embodiment.arm_names}, embodiment)
