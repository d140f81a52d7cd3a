"""Manipulation tasks of the twin, by name: `TASKS`, `get_task(name)`, `task_names()`.

Each task (see `base.Task`) adds its objects to the scene, randomises their poses, judges success from
the simulator state and comes with a scripted expert (`eva_sim.experts`).
"""

from __future__ import annotations

from eva_sim.tasks.base import Task
from eva_sim.tasks.handover_block import HandoverBlock
from eva_sim.tasks.lift_box import LiftBox
from eva_sim.tasks.pick_place_bowl import PickPlaceBowl
from eva_sim.tasks.press_button import PressButton

TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (PickPlaceBowl, PressButton, HandoverBlock, LiftBox)}


def task_names() -> tuple[str, ...]:
    return tuple(TASKS)


def get_task(name: str) -> Task:
    """A fresh instance of the task registered as `name`."""
    try:
        return TASKS[name]()
    except KeyError:
        raise KeyError(f"unknown task {name!r}; registered: {', '.join(TASKS)}") from None


__all__ = ["TASKS", "Task", "get_task", "task_names"]
