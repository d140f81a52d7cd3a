"""The video planner interface: observed frames + instruction -> future frames of the plan camera.

    planner = make_planner("sim_oracle", {"task": "press_button"}, embodiment)
    result = planner.plan(PlanRequest("p1", "press the red button", history=(frame,), world=snapshot))
    result.frames          # uint8 [49, H, W, 3]; frames[0] is the current view, then the future at result.fps

A backend is a `VideoPlanner` subclass with a frozen config dataclass (a `PlannerConfig` subclass whose
`type` is the backend name), registered in `eva_core.planning.factory`. Backends that need the state
of the simulated world (`needs_world_snapshot`) get it in `PlanRequest.world`; the others (the video
model, "wan") must plan from `history` and `instruction` alone.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from eva_core.planning.world import WorldSnapshot

Progress = Callable[[int, int], None]  # (frames or steps done, total): for progress feedback of long plans


@dataclass(frozen=True)
class PlannerConfig:
    """Base of every backend's config. `type` names the backend in the planner registry."""

    type: ClassVar[str] = ""


def _check_frame(name: str, frame: Any) -> None:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
        raise ValueError(f"{name} must be a uint8 [H, W, 3] RGB image, got {got}")


@dataclass(frozen=True, eq=False)
class PlanRequest:
    plan_id: str  # unique per plan; every downstream message of this plan carries it
    instruction: str  # the language instruction of the task
    # uint8 [H, W, 3] frames of the plan camera at the plan rate, oldest first; the last is the current view.
    history: tuple[np.ndarray, ...]
    # Frames of the result, the current view included. 4k+1 because the Wan2.1 VAE compresses time 4x
    # after the first frame; 49 = 3 s at 16 fps, the length the video model is tuned on.
    num_frames: int = 49
    world: WorldSnapshot | None = None  # simulation only: the world's state, for backends that need it

    def __post_init__(self) -> None:
        if not isinstance(self.plan_id, str) or not self.plan_id:
            raise ValueError(f"PlanRequest.plan_id must be a non-empty string, got {self.plan_id!r}")
        if not isinstance(self.instruction, str):
            raise ValueError(f"PlanRequest.instruction must be a string, got {type(self.instruction).__name__}")
        history = tuple(self.history)
        if not history:
            raise ValueError("PlanRequest.history needs at least the current frame")
        for i, frame in enumerate(history):
            _check_frame(f"PlanRequest.history[{i}]", frame)
            if frame.shape != history[-1].shape:
                raise ValueError(f"PlanRequest.history frames must share one size, got {frame.shape} and {history[-1].shape}")
        object.__setattr__(self, "history", history)
        n = self.num_frames
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 or n % 4 != 1:
            raise ValueError(f"PlanRequest.num_frames must be 4k+1 (1, 5, 9, ..., 49), got {n!r}")
        object.__setattr__(self, "num_frames", int(n))
        if self.world is not None and not isinstance(self.world, WorldSnapshot):
            raise ValueError(f"PlanRequest.world must be a WorldSnapshot or None, got {type(self.world).__name__}")

    @property
    def current(self) -> np.ndarray:
        """The current view (the last history frame)."""
        return self.history[-1]


@dataclass(frozen=True, eq=False)
class VideoPlanResult:
    plan_id: str  # the request's
    frames: np.ndarray  # uint8 [num_frames, H, W, 3]; frames[0] is the current view
    fps: float  # frame rate of `frames` (the plan rate)
    backend: str  # the backend that produced it ("sim_oracle", "wan", ...)
    planning_time_s: float  # wall time the backend spent on this plan
    info: dict[str, Any] = field(default_factory=dict)  # backend-specific extras (see each backend)

    def __post_init__(self) -> None:
        f = self.frames
        if not isinstance(f, np.ndarray) or f.dtype != np.uint8 or f.ndim != 4 or f.shape[3] != 3 or len(f) == 0:
            got = f"{f.dtype} {f.shape}" if isinstance(f, np.ndarray) else type(f).__name__
            raise ValueError(f"VideoPlanResult.frames must be uint8 [T, H, W, 3] with T >= 1, got {got}")
        if not (isinstance(self.fps, (int, float)) and self.fps > 0):
            raise ValueError(f"VideoPlanResult.fps must be > 0, got {self.fps!r}")

    @property
    def num_frames(self) -> int:
        return len(self.frames)


class VideoPlanner(ABC):
    """A video planner backend; see the module docstring. Not thread-safe: one plan at a time."""

    backend: ClassVar[str]  # registry name, equal to its config's `type`
    needs_world_snapshot: ClassVar[bool] = False  # True: plan() refuses a request without `world`
    # Frames per plan when the caller does not say (the planner node's num_frames 0): 49 = 3 s at 16 fps;
    # a backend whose model is trained on shorter clips says so (wan: its config's num_frames).
    default_num_frames: int = 49

    @abstractmethod
    def plan(self, request: PlanRequest, progress: Progress | None = None) -> VideoPlanResult:
        """`request.num_frames` frames of the plan camera. `progress(done, total)` is called as the work
        advances (per frame or per denoising step, as the backend documents)."""

    def close(self) -> None:
        """Release models, renderers, GPU memory. The planner is unusable afterwards."""

    def __enter__(self) -> VideoPlanner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
