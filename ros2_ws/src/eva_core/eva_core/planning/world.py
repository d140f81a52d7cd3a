"""`WorldSnapshot`: the full state of the simulated world at one instant (simulation only).

It mirrors the ROS service `eva_interfaces/srv/GetWorldSnapshot` field for field, so a planner that
needs the world (the `sim_oracle` backend) gets the same object whether it runs in-process or behind
the service. `to_dict` / `from_dict` give a JSON-friendly form (Python floats round-trip exactly).

Physics alone does not reproduce a scene: tasks may move fixed bodies in the model at reset. A copy is
rebuilt from `task` and `seed` first, then `physics`, `command` and `setpoint` are restored
(`eva_sim.episode.restore_into`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

_FIELDS = ("task", "seed", "episode", "sim_time_s", "physics", "command", "setpoint", "driven_ticks")
_OPTIONAL = ("driven_ticks",)  # snapshots written before it existed load with its default


def _vector(name: str, value: Any) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)  # a copy: the snapshot owns its arrays
    except (TypeError, ValueError):
        raise ValueError(f"WorldSnapshot.{name} must be a sequence of numbers, got {type(value).__name__}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"WorldSnapshot.{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"WorldSnapshot.{name} has non-finite values at {np.flatnonzero(~np.isfinite(array))[:5].tolist()}")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class WorldSnapshot:
    task: str  # name of the task whose objects are in the scene (`eva sim tasks`)
    seed: int  # seed the episode was reset with: it places the objects, fixed ones included
    episode: int  # the simulator's episode counter; changes on every reset
    sim_time_s: float  # simulated time, s since the twin's physics reset (settling included)
    physics: np.ndarray  # float64 [N]: MuJoCo's integration state (mj_getState, mjSTATE_INTEGRATION)
    command: np.ndarray  # float64 [14]: the last command the twin accepted (EmbodimentConfig.joint_names order)
    setpoint: np.ndarray  # float64 [14]: where the rate-limited servo set-point is
    # Control ticks of this episode in which the twin got a command different from the tick before:
    # the time it was actually driven, without the ticks it stood holding (waiting for a plan).
    driven_ticks: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.task, str) or not self.task:
            raise ValueError(f"WorldSnapshot.task must be a task name, got {self.task!r}")
        for name in ("seed", "episode", "driven_ticks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"WorldSnapshot.{name} must be an integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        if isinstance(self.sim_time_s, bool) or not isinstance(self.sim_time_s, (int, float, np.floating)) or not np.isfinite(self.sim_time_s):
            raise ValueError(f"WorldSnapshot.sim_time_s must be a finite number, got {self.sim_time_s!r}")
        object.__setattr__(self, "sim_time_s", float(self.sim_time_s))
        for name in ("physics", "command", "setpoint"):
            object.__setattr__(self, name, _vector(name, getattr(self, name)))
        if self.command.shape != self.setpoint.shape:
            raise ValueError(f"WorldSnapshot.command and .setpoint must have the same length, got {self.command.size} and {self.setpoint.size}")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (str, int, float, lists of float): `json.dumps`-able, exact."""
        return {
            "task": self.task,
            "seed": self.seed,
            "episode": self.episode,
            "sim_time_s": self.sim_time_s,
            "physics": self.physics.tolist(),
            "command": self.command.tolist(),
            "setpoint": self.setpoint.tolist(),
            "driven_ticks": self.driven_ticks,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorldSnapshot:
        """The inverse of `to_dict`; a missing or unknown key is an error naming it."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a WorldSnapshot needs a mapping, got {type(data).__name__}")
        missing = [k for k in _FIELDS if k not in data and k not in _OPTIONAL]
        unknown = sorted(set(data) - set(_FIELDS))
        if missing or unknown:
            raise ValueError(f"WorldSnapshot keys: missing {missing}, unknown {unknown}; expected {list(_FIELDS)}")
        return cls(**{k: data[k] for k in _FIELDS if k in data})
