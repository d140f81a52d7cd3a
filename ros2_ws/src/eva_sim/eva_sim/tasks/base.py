"""The `Task` interface: a scene addition, randomised object poses, a success predicate and an expert.

A task never reaches into the twin's internals: it adds its objects to the MjSpec before compiling,
then talks to the twin through `SimRobot` (state, commands) and MuJoCo names (bodies, joints, geoms).

    task = get_task("pick_place_bowl")
    robot = task.build_robot()                       # the twin + this task's objects
    robot.reset(task.start_pose(robot.embodiment), seed=0)
    task.reset(robot, rng)                           # objects placed at random, latches cleared
    for command in task.expert(robot, rng): robot.command(command); robot.step(); task.observe(robot)
    task.success(robot)

`demos.run_episode` does exactly this (plus settling and recording).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import ClassVar

import mujoco
import numpy as np

from eva_core.embodiment import EmbodimentConfig, load_embodiment
from eva_sim.config import SimConfig
from eva_sim.model import build_spec, finger_joint_names
from eva_sim.robot import SimRobot


class Task(ABC):
    """One manipulation task; subclasses set the class attributes and implement the methods."""

    name: ClassVar[str]  # registry key, e.g. "pick_place_bowl"
    instruction: ClassVar[str]  # the language instruction recorded with each episode
    arms: ClassVar[tuple[str, ...]]  # ("left",), ("right",) or ("left", "right")
    max_duration_s: ClassVar[float]  # an episode is cut here, expert or not

    # ----------------------------------------------------------------------------------- scene

    @abstractmethod
    def add_to_scene(self, spec: mujoco.MjSpec) -> None:
        """Add this task's objects and fixtures to the twin's spec (before compiling)."""

    def build_robot(self, embodiment: EmbodimentConfig | None = None, config: SimConfig | None = None) -> SimRobot:
        """The twin with this task's objects."""
        embodiment = embodiment or load_embodiment()
        config = config or SimConfig()
        spec = build_spec(embodiment, config)
        self.add_to_scene(spec)
        return SimRobot(embodiment, config, spec=spec)

    def start_pose(self, embodiment: EmbodimentConfig) -> np.ndarray:
        """Arm pose at the start of an episode (default: the embodiment's ready pose)."""
        return embodiment.ready_pose()

    # --------------------------------------------------------------------------------- episode

    @abstractmethod
    def reset(self, robot: SimRobot, rng: np.random.Generator) -> None:
        """Place the objects at random (after `robot.reset`) and clear any per-episode latch."""

    def observe(self, robot: SimRobot) -> None:
        """Called after every control tick; tasks whose success is an event (a press) latch it here."""

    @abstractmethod
    def success(self, robot: SimRobot) -> bool:
        """Whether the task is achieved, from the simulator state (and latched events)."""

    @abstractmethod
    def expert(self, robot: SimRobot, rng: np.random.Generator) -> Iterable[np.ndarray]:
        """14-D commands at the control rate (an array [T, 14] or a generator that may look at the
        simulator between phases); every command respects the embodiment's limits."""

    def describe(self) -> dict:
        return {"name": self.name, "instruction": self.instruction, "arms": list(self.arms), "max_duration_s": self.max_duration_s}


# ------------------------------------------------------------------------------------ helpers


def set_free_pose(robot: SimRobot, joint: str, position, yaw: float = 0.0) -> None:
    """Put the free joint `joint` at `position` (m) with `yaw` (rad) about world z, at rest."""
    j = robot.model.joint(joint)
    adr, vadr = j.qposadr[0], j.dofadr[0]
    robot.data.qpos[adr : adr + 3] = position
    robot.data.qpos[adr + 3 : adr + 7] = (np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2))
    robot.data.qvel[vadr : vadr + 6] = 0.0
    mujoco.mj_forward(robot.model, robot.data)


def set_static_position(robot: SimRobot, body: str, position) -> None:
    """Move a fixed (joint-less) body, e.g. a bowl, to `position` (m, world)."""
    robot.model.body(body).pos[:] = position
    mujoco.mj_forward(robot.model, robot.data)


def body_position(robot: SimRobot, body: str) -> np.ndarray:
    mujoco.mj_kinematics(robot.model, robot.data)
    return robot.data.body(body).xpos.copy()


def body_rotation(robot: SimRobot, body: str) -> np.ndarray:
    mujoco.mj_kinematics(robot.model, robot.data)
    return robot.data.body(body).xmat.reshape(3, 3).copy()


def body_yaw(robot: SimRobot, body: str) -> float:
    rotation = body_rotation(robot, body)
    return float(np.arctan2(rotation[1, 0], rotation[0, 0]))


def finger_geoms(robot: SimRobot, arm: str) -> tuple[int, int]:
    """Geom ids of `arm`'s two fingers (the pads that touch objects)."""
    return tuple(robot.model.geom(name).id for name in finger_joint_names(arm))  # geoms share the joints' names


def arm_geoms(robot: SimRobot, arm: str) -> set[int]:
    """Geom ids of every body of `arm` (links, palm, fingers)."""
    model = robot.model
    prefix = f"{arm}_"
    bodies = {b for b in range(model.nbody) if model.body(b).name.startswith(prefix)}
    return {g for g in range(model.ngeom) if model.geom_bodyid[g] in bodies}


def touching(robot: SimRobot, geoms_a: Iterable[int], body: str) -> set[int]:
    """Geoms of `geoms_a` that are in contact with any geom of `body`."""
    target = robot.model.body(body).id
    a = set(geoms_a)
    out = set()
    data = robot.data
    for i in range(data.ncon):
        contact = data.contact[i]
        g1, g2 = contact.geom1, contact.geom2
        b1, b2 = robot.model.geom_bodyid[g1], robot.model.geom_bodyid[g2]
        if g1 in a and b2 == target:
            out.add(int(g1))
        elif g2 in a and b1 == target:
            out.add(int(g2))
    return out


def held_by(robot: SimRobot, arm: str, body: str) -> bool:
    """Both of `arm`'s fingers touch `body`."""
    return len(touching(robot, finger_geoms(robot, arm), body)) == 2


def iterate_commands(commands: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Rows of an array or items of a generator alike."""
    for block in commands if not isinstance(commands, np.ndarray) else [commands]:
        block = np.asarray(block, dtype=np.float64)
        if block.ndim == 1:
            yield block
        else:
            yield from block
