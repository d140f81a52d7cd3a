"""Where the emulated arms' motion comes from: the MuJoCo twin, or a first-order tracker for fast tests.

A motion model holds every emulated arm (7-D each: joints rad, gripper normalised opening) and is
advanced one control tick at a time by the emulator's clock thread:

    model.set_target("left", q7)   # the firmware's current target for that arm
    model.step()                   # one tick (1/200 s) for all arms
    model.state("left"), model.velocity("left")
"""

from __future__ import annotations

import abc
import math
import threading

import numpy as np

from eva_core.devices.arms.arm import arm_limits
from eva_core.embodiment import EmbodimentConfig, load_embodiment


class MotionModel(abc.ABC):
    """All emulated arms' motion; thread-safe (the clock thread steps, the firmware threads set targets)."""

    def __init__(self, embodiment: EmbodimentConfig):
        self.embodiment = embodiment
        self.arm_names = embodiment.arm_names
        self.dt = embodiment.control_dt
        self.lock = threading.Lock()

    @abc.abstractmethod
    def set_target(self, arm: str, q7: np.ndarray) -> None: ...

    @abc.abstractmethod
    def step(self) -> None: ...

    @abc.abstractmethod
    def state(self, arm: str) -> np.ndarray: ...

    @abc.abstractmethod
    def velocity(self, arm: str) -> np.ndarray: ...

    @abc.abstractmethod
    def reset(self, arm: str, q7: np.ndarray) -> None:
        """Put `arm` at rest at `q7`, target included."""


class FirstOrderMotion(MotionModel):
    """Each dimension follows its target as a first-order lag (time constant `tau_s`), no faster than
    the embodiment's velocity limit. Cheap and exact enough for protocol tests."""

    def __init__(self, embodiment: EmbodimentConfig | None = None, tau_s: float = 0.02):
        super().__init__(embodiment or load_embodiment())
        self._alpha = 1.0 - math.exp(-self.dt / tau_s)
        self._vmax = {a: arm_limits(self.embodiment, a).velocity_max for a in self.arm_names}
        self._q = {a: np.zeros(7) for a in self.arm_names}
        self._v = {a: np.zeros(7) for a in self.arm_names}
        self._target = {a: np.zeros(7) for a in self.arm_names}

    def set_target(self, arm, q7):
        with self.lock:
            self._target[arm] = np.array(q7, dtype=np.float64)

    def step(self):
        with self.lock:
            for a in self.arm_names:
                cap = self._vmax[a] * self.dt
                dq = np.clip(self._alpha * (self._target[a] - self._q[a]), -cap, cap)
                self._q[a] = self._q[a] + dq
                self._v[a] = dq / self.dt

    def state(self, arm):
        with self.lock:
            return self._q[arm].copy()

    def velocity(self, arm):
        with self.lock:
            return self._v[arm].copy()

    def reset(self, arm, q7):
        with self.lock:
            self._q[arm] = np.array(q7, dtype=np.float64)
            self._target[arm] = self._q[arm].copy()
            self._v[arm] = np.zeros(7)


class TwinMotion(MotionModel):
    """The MuJoCo twin (`eva_sim.robot.SimRobot`, both arms in one model): each emulated arm drives its
    7 dimensions of the twin's 14-D command; `step` advances the twin one control tick."""

    def __init__(self, robot=None):
        if robot is None:
            from eva_sim.robot import SimRobot

            robot = SimRobot()
        super().__init__(robot.embodiment)
        self.robot = robot
        self._slices = {a: self.embodiment.arm_slice(a) for a in self.arm_names}
        self._command = robot.state().copy()
        self._q = self._command.copy()
        self._v = np.zeros_like(self._q)

    def set_target(self, arm, q7):
        with self.lock:
            self._command[self._slices[arm]] = q7

    def step(self):
        with self.lock:
            self.robot.command(self._command)
            self.robot.step(1)
            self._q = self.robot.state()
            self._v = self.robot.velocity()

    def state(self, arm):
        with self.lock:
            return self._q[self._slices[arm]].copy()

    def velocity(self, arm):
        with self.lock:
            return self._v[self._slices[arm]].copy()

    def reset(self, arm, q7):
        with self.lock:
            q = self.robot.state()
            q[self._slices[arm]] = q7
            self._command = self.robot.reset(q)
            self._q = self._command.copy()
            self._v = np.zeros_like(self._q)
