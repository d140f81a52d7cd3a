"""One episode while it is recorded: the messages taken in, checked and kept until the episode ends.

`EpisodeBuffer.add_*` take a message apart the way the recorder's contract says (see
`eva_core.runs.recorder`): a malformed message is refused and noted, never raised; camera frames go
into their mp4 at once, joint vectors stay in memory, plan messages gather in one `PlanRecord` per plan
id whatever their order. `RunSettings` holds what every part of the run folder needs to know.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eva_core.data.features import VideoConfig
from eva_core.runs import frames as fr
from eva_core.runs.layout import PLANS_DIR, camera_file_name, safe_name
from eva_core.runs.plans import ActionPlan, PlanRecord, VideoPlan
from eva_core.runs.video_files import CameraStream, spill_plan_frames


def stamp_or_none(value: Any) -> float | None:
    """A message stamp as a float; None when it is not a finite number."""
    try:
        stamp = float(value)
    except (TypeError, ValueError):
        return None
    return stamp if math.isfinite(stamp) else None


def number(value: Any) -> float:
    """A float (NaN when `value` is none or not a number): scores and rewards are stored as given."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def optional_number(value: Any) -> float | None:
    return None if value is None else number(value)


@dataclass(frozen=True, eq=False)
class RunSettings:
    """The run's constants: the embodiment's layout, the camera rate, the plan camera, the codec."""

    joint_names: tuple[str, ...]
    position_min: np.ndarray  # [D] rad (normalised opening for the grippers)
    position_max: np.ndarray
    plan_dt: float  # s per plan step
    embodiment_name: str | None
    camera_fps: float  # the rate the camera files play at
    plan_camera: str  # the camera the planner sees, compared with the plans
    video: VideoConfig  # codec of the camera and comparison files

    @classmethod
    def of(cls, embodiment, camera_fps: float, plan_camera: str, video: VideoConfig) -> RunSettings:
        return cls(
            joint_names=tuple(embodiment.joint_names),
            position_min=np.asarray(embodiment.limits.position_min, dtype=np.float64),
            position_max=np.asarray(embodiment.limits.position_max, dtype=np.float64),
            plan_dt=float(embodiment.plan_dt),
            embodiment_name=getattr(embodiment, "name", None),
            camera_fps=float(camera_fps),
            plan_camera=plan_camera,
            video=video,
        )

    @property
    def dims(self) -> int:
        return len(self.joint_names)

    @property
    def camera_rate(self) -> int:
        """The mp4 frame rate of the camera files (whole frames per second)."""
        return max(1, round(self.camera_fps))


class Series:
    """A growing `(t [N], q [N, D])` record of a joint-vector topic."""

    def __init__(self, dims: int):
        self.dims = dims
        self._t = np.empty(1024)
        self._q = np.empty((1024, dims))
        self.n = 0
        self.out_of_order = 0  # samples with a stamp older than the one before them
        self.malformed = 0  # samples refused: bad stamp or not a [D] numeric vector

    def add(self, stamp: float, q: np.ndarray) -> None:
        if self.n == len(self._t):
            self._t = np.concatenate([self._t, np.empty_like(self._t)])
            self._q = np.concatenate([self._q, np.empty_like(self._q)])
        if self.n and stamp < self._t[self.n - 1]:
            self.out_of_order += 1
        self._t[self.n] = stamp
        self._q[self.n] = q
        self.n += 1

    def sorted(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self._t[: self.n], kind="stable")
        return self._t[: self.n][order], self._q[: self.n][order]

    def counts(self) -> dict[str, int]:
        return {"count": self.n, "out_of_order": self.out_of_order, "malformed": self.malformed}


@dataclass
class EpisodeBuffer:
    index: int
    seed: int | None
    instruction: str
    name: str  # folder name, episode_NNN
    staging: Path  # the folder it is recorded into (renamed to `name` when complete)
    settings: RunSettings
    states: Series = field(init=False)
    commands: Series = field(init=False)
    cameras: dict[str, CameraStream] = field(default_factory=dict)
    camera_refused: dict[str, int] = field(default_factory=dict)  # frames refused before a camera's file existed
    plans: dict[str, PlanRecord] = field(default_factory=dict)
    first_s: float = math.inf
    last_s: float = -math.inf
    notes: dict[str, list] = field(default_factory=dict)  # kind -> [first text, count]

    def __post_init__(self) -> None:
        self.states = Series(self.settings.dims)
        self.commands = Series(self.settings.dims)

    def saw(self, stamp: float) -> None:
        self.first_s = min(self.first_s, stamp)
        self.last_s = max(self.last_s, stamp)

    def note(self, kind: str, text: str) -> None:
        """Record an anomaly: the first text of each kind, and how often it happened."""
        entry = self.notes.setdefault(kind, [text, 0])
        entry[1] += 1

    def note_list(self) -> list[str]:
        return [text if count == 1 else f"{text} (x{count})" for text, count in self.notes.values()]

    # --------------------------------------------------------------------------------- messages

    def add_camera_frame(self, camera: str, stamp_s: float, frame: np.ndarray) -> None:
        camera = str(camera)
        stamp = stamp_or_none(stamp_s)
        rgb, problem = fr.as_rgb(frame)
        if stamp is None or rgb is None:
            why = "a stamp that is not a finite number" if stamp is None else problem
            self.note(f"camera_refused:{camera}", f"camera {camera}: frame refused, {why}")
            stream = self.cameras.get(camera)
            if stream is not None:
                stream.refused += 1
            else:
                self.camera_refused[camera] = self.camera_refused.get(camera, 0) + 1
            return
        stream = self.cameras.get(camera)
        if stream is None:
            file = camera_file_name(camera)
            if any(s.path.name == file for s in self.cameras.values()):
                file = f"{safe_name(camera)}_{len(self.cameras)}.mp4"
            stream = CameraStream(camera, self.staging / file, rgb, self.settings.camera_rate, self.settings.video)
            stream.refused = self.camera_refused.pop(camera, 0)
            self.cameras[camera] = stream
        stream.add(stamp, rgb)
        if stream.error is not None:
            self.note(f"camera_error:{camera}", f"camera {camera}: {stream.error}")
        self.saw(stamp)

    def add_vector(self, series: Series, what: str, stamp_s: float, position: Any) -> None:
        stamp = stamp_or_none(stamp_s)
        try:
            q = np.asarray(position, dtype=np.float64)
        except (TypeError, ValueError):
            q = None
        if stamp is None or q is None or q.shape != (series.dims,):
            series.malformed += 1
            shape = None if q is None else q.shape
            text = f"{what} refused: stamp {stamp_s!r}, shape {shape} (expected ({series.dims},))"
            self.note(f"malformed:{what}", text)
            return
        series.add(stamp, q)
        self.saw(stamp)

    def plan(self, plan_id: str) -> PlanRecord:
        """The record of `plan_id`, created (with a folder name of its own) on its first message."""
        record = self.plans.get(plan_id)
        if record is None:
            folder, n = safe_name(plan_id), 1
            taken = {p.folder for p in self.plans.values()}
            while folder in taken:
                folder, n = f"{safe_name(plan_id)}_{n}", n + 1
            record = PlanRecord(plan_id, folder, order=len(self.plans))
            self.plans[plan_id] = record
        return record

    def add_video_plan(
        self, plan_id: str, stamp_s: float, frames: np.ndarray, fps: float, instruction: str, backend: str,
        planning_time_s: float,
    ) -> None:
        plan_id = str(plan_id)
        stamp = stamp_or_none(stamp_s)
        if stamp is None:
            self.note("bad_stamp:video_plan", f"video plan {plan_id!r} refused: stamp {stamp_s!r} is not a finite number")
            return
        record = self.plan(plan_id)
        if record.video is not None:
            record.notes.append("a second video plan with this id was ignored")
            return
        self.saw(stamp)
        rate = number(fps)
        if not (math.isfinite(rate) and rate > 0):
            record.notes.append(f"video plan fps {fps!r} is not a positive number: the plan rate is used")
            rate = 1.0 / self.settings.plan_dt
        if frames is None or (isinstance(frames, np.ndarray) and frames.ndim != 4):
            shape = None if frames is None else frames.shape
            record.notes.append(f"the video plan frames have shape {shape}, expected [T, H, W, 3]: not stored")
            frames = []
        checked = [fr.as_rgb(f) for f in frames]
        good = [f for f, _ in checked if f is not None]
        height, width = good[0].shape[:2] if good else (0, 0)
        record.video = VideoPlan(
            stamp, len(checked), rate, height, width, str(instruction), str(backend),
            optional_number(planning_time_s), spill=None,
        )
        bad = len(checked) - len(good)
        if bad:
            problem = next(p for f, p in checked if f is None)
            record.notes.append(f"{bad} of {len(checked)} video plan frames are not RGB images ({problem}): grey")
        if not good:
            record.notes.append("the video plan has no usable frames")
            return
        folder = self.staging / PLANS_DIR / record.folder
        folder.mkdir(parents=True, exist_ok=True)
        spill_plan_frames(record.video, folder, checked)

    def add_action_plan(
        self, plan_id: str, stamp_s: float, positions: np.ndarray, *, filtered: bool, score: float, reward: float,
        reward_terms: dict[str, float], safety: dict | None, decode_time_s: float | None, filter_time_s: float | None,
    ) -> None:
        plan_id = str(plan_id)
        kind = "filtered" if filtered else "decoded"
        stamp = stamp_or_none(stamp_s)
        if stamp is None:
            text = f"{kind} action plan {plan_id!r} refused: stamp {stamp_s!r} is not a finite number"
            self.note(f"bad_stamp:{kind}", text)
            return
        record = self.plan(plan_id)
        self.saw(stamp)
        try:
            array = np.array(positions, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        dims = self.settings.dims
        if array is None or array.ndim != 2 or array.shape[1] != dims:
            shape = None if array is None else array.shape
            record.notes.append(f"the {kind} positions have shape {shape}, expected [T, {dims}]: not stored")
            array = None
        if safety is not None and hasattr(safety, "to_dict"):
            safety = safety.to_dict()
        if safety is not None and not isinstance(safety, Mapping):
            record.notes.append(f"the {kind} safety report is a {type(safety).__name__}, not a dict: not stored")
            safety = None
        terms = reward_terms.items() if isinstance(reward_terms, Mapping) else ()
        message = ActionPlan(
            stamp,
            array,
            number(score),
            number(reward),
            {str(k): number(v) for k, v in terms},
            None if safety is None else dict(safety),
            optional_number(filter_time_s if filtered else decode_time_s),
        )
        if getattr(record, kind) is not None:
            record.notes.append(f"a second {kind} action plan replaced the first")
        setattr(record, kind, message)

    # ------------------------------------------------------------------------------------ ending

    def close_cameras(self) -> None:
        """Close every camera file; a file that failed is noted."""
        for stream in self.cameras.values():
            stream.close()
            if stream.error is not None:
                self.note(f"camera_error:{stream.name}", f"camera {stream.name}: {stream.error}")

    def ordered_plans(self) -> list[PlanRecord]:
        """The plans in the order planning began (then arrival order)."""
        return sorted(self.plans.values(), key=lambda p: (p.planning_started_s, p.order))

    def interrupted(self, reason: str) -> dict:
        """The result of an episode that ended without `end_episode`."""
        span = self.last_s - self.first_s if self.last_s >= self.first_s else 0.0
        verdicts = [p.verdict for p in self.plans.values()]
        return {
            "success": False,
            "outcome": "interrupted",
            "reason": reason,
            "segments": sum(v == "accept" for v in verdicts),
            "plans_rejected": sum(v == "reject" for v in verdicts),
            "duration_s": span,
        }
