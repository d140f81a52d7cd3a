"""The `sim` arm: one arm of the MuJoCo twin behind the same `Arm` interface as the PiPER.

    arms:
      left:  {type: sim}
      right: {type: sim}          # both arms of one twin ("default"), stepped at 200 Hz in real time

Both arms of a config with the same `twin` name drive one `SimRobot`: each writes its 7 dimensions of
the twin's 14-D command. With `real_time: true` a background thread steps the twin at the control rate
while any of its arms is connected; with `real_time: false` nothing steps it: the caller does, through
`SimArm.twin` (lock-step tests and batch rollouts).

Registered with the arm factory through the `eva.arms` entry-point group (`register` below), so
importing eva_core never imports MuJoCo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from eva_core.config import ConfigError
from eva_core.config.validators import boolean
from eva_core.devices.arms import Arm, ArmConfig, ArmFault, ArmState, arm_limits, register_arm
from eva_core.embodiment import EmbodimentConfig

_STATUS_NAMES = {0: "NORMAL", 1: "EMERGENCY_STOP"}  # the firmware's names (piper_sdk), for parity


@dataclass(frozen=True)
class SimArmConfig(ArmConfig):
    """One arm of the MuJoCo twin."""

    type: ClassVar[str] = "sim"

    # Arms whose configs name the same twin share one simulated scene (both arms of the platform).
    twin: str = "default"
    # Step the twin at the control rate in a background thread (a live robot); false: the caller steps.
    real_time: bool = True
    # Where the arm starts when its twin is created: "ready" (embodiment ready pose) or "zero" (SDK zero).
    start_pose: str = "ready"

    def __post_init__(self) -> None:
        if not isinstance(self.twin, str) or not self.twin:
            raise ConfigError("twin", f"must be a non-empty name, got {self.twin!r}")
        boolean("real_time", self.real_time)
        if self.start_pose not in ("ready", "zero"):
            raise ConfigError("start_pose", f"must be 'ready' or 'zero', got {self.start_pose!r}")


class SharedTwin:
    """One `SimRobot` shared by the arms that name it: a 14-D command, a lock, an optional clock."""

    def __init__(self, robot, real_time: bool):
        self.robot = robot
        self.lock = threading.RLock()
        self.command = robot.state().copy()
        self.real_time = real_time
        self.users = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def set_command(self, s: slice, q7: np.ndarray) -> None:
        with self.lock:
            self.command[s] = q7
            self.robot.command(self.command)

    def state(self) -> tuple[np.ndarray, np.ndarray, float]:
        with self.lock:
            return self.robot.state(), self.robot.velocity(), self.robot.time

    def step(self, ticks: int = 1) -> None:
        with self.lock:
            self.robot.step(ticks)

    def acquire(self) -> None:
        with self.lock:
            self.users += 1
            if self.real_time and self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._clock, name="sim-arm-clock", daemon=True)
                self._thread.start()

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            thread = self._thread if self.users == 0 else None
            if thread is not None:
                self._stop.set()
                self._thread = None
        if thread is not None:
            thread.join(timeout=1.0)

    def _clock(self) -> None:
        dt = self.robot.control_dt
        next_t = time.perf_counter()
        while not self._stop.is_set():
            self.step()
            next_t += dt
            delay = next_t - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.perf_counter()


_twins: dict[str, SharedTwin] = {}
_twins_lock = threading.Lock()


def shared_twin(config: SimArmConfig, embodiment: EmbodimentConfig) -> SharedTwin:
    """The twin named by `config.twin`, created on first use."""
    with _twins_lock:
        twin = _twins.get(config.twin)
        if twin is None:
            from eva_sim.robot import SimRobot

            robot = SimRobot(embodiment)
            robot.reset(embodiment.ready_pose() if config.start_pose == "ready" else None)
            twin = _twins[config.twin] = SharedTwin(robot, config.real_time)
        return twin


class SimArm(Arm):
    """One arm of a (shared) twin; see the module docstring. E-stop holds the arm where it is and
    reports status 1 until `resume`."""

    def __init__(self, config: SimArmConfig, name: str, embodiment: EmbodimentConfig,
                 twin: SharedTwin | None = None, clock: Callable[[], float] = time.time):
        safety = embodiment.safety
        super().__init__(name, arm_limits(embodiment, name), embodiment.control_dt, safety.command_timeout_s,
                         safety.state_tolerance_rad, clock)
        self.config = config
        self.embodiment = embodiment
        self._slice = embodiment.arm_slice(name)
        self._twin = twin
        self._connected = False
        self._motors_on = False
        self._status = 0

    @property
    def twin(self) -> SharedTwin:
        if self._twin is None:
            self._twin = shared_twin(self.config, self.embodiment)
        return self._twin

    @property
    def is_connected(self) -> bool:
        return self._connected

    def _connect(self) -> None:
        self.twin.acquire()
        self._connected = True

    def _disconnect(self) -> None:
        if self._connected:
            self._connected = False
            self.twin.release()

    def _enable(self, timeout_s: float) -> None:
        self._hold_here()
        self._motors_on = True

    def _disable(self) -> None:
        self._motors_on = False

    def _read(self) -> ArmState:
        q, v, _ = self.twin.state()
        return ArmState(
            position=q[self._slice].copy(),
            timestamp_s=self.now(),
            status_code=self._status,
            status_name=_STATUS_NAMES[self._status],
            enabled=(self._motors_on,) * 6,
            ctrl_mode=1 if self._motors_on else 0,
            velocity=v[self._slice].copy(),
        )

    def _write(self, q7: np.ndarray) -> None:
        self.twin.set_command(self._slice, q7)

    def _hold_here(self) -> None:
        q, _, _ = self.twin.state()
        self.twin.set_command(self._slice, q[self._slice])

    def _estop(self) -> None:
        self._status = 1
        self._hold_here()

    def _resume(self, timeout_s: float) -> None:
        self._status = 0

    def inject_fault(self, kind: str, message: str) -> bool:
        """Latch a fault as a device would report it (for tests of code above the arm)."""
        return self._latch_fault(ArmFault(kind, message, self.now()))


def _build(config: SimArmConfig, name: str, embodiment: EmbodimentConfig) -> SimArm:
    return SimArm(config, name, embodiment)


def register() -> None:
    """Entry point of the `eva.arms` group: make the `sim` type buildable (idempotent)."""
    register_arm("sim", SimArmConfig, _build)
