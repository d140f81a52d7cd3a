"""`RunRecorder`: writes the run folder of the closed-loop job (layout in `eva_core.runs.layout`).

    rec = RunRecorder("runs", "press_button", load_embodiment(), config={"planner": "sim_oracle"})
    rec.begin_episode(0, seed=0, instruction="press the button")
    rec.add_camera_frame("cam_high", t, rgb); rec.add_joint_state(t, q); rec.add_command(t, q)
    rec.add_video_plan("p0", t, frames, 16.0, "press the button", "sim_oracle", planning_time_s=0.4)
    rec.add_action_plan("p0", t, decoded, filtered=False, ...); rec.add_action_plan("p0", t, safe, filtered=True, ...)
    rec.end_episode(success=True, outcome="success", reason="", segments=3, plans_rejected=0, duration_s=12.5)
    rec.close()                                            # summary.json with success_rate

What happens when. Camera frames are encoded as they arrive, one mp4 per camera (cameras are not
synchronised and may differ in size, so they are not tiled); the frames of a video plan are encoded at
once, losslessly, into a hidden file of the plan's folder. Joint states and commands stay in memory
(112 bytes each). `end_episode` then closes the camera files, writes commands.npz, and per plan its
actions.npz, joints.png, plan_vs_robot.mp4 (the plan's frames, decoded again, next to the plan camera's
frames of the plan's window, decoded from the camera file) and plan.json, then episode.json.

Crash safety. An episode is recorded into `episode_NNN.partial/` and renamed to `episode_NNN/` once
every file in it is complete and fsynced; summary.json is then rewritten (atomically). A process that
dies at any point leaves every finished episode complete and listed, and at most one `.partial` folder.

Messages never raise. A message outside an episode is counted in summary.json
(`ignored_outside_episode`); a malformed one (bad stamp, wrong shape, wrong dtype) is counted and noted
in episode.json; messages of a plan id never seen before create that plan, whatever the order; a plan
whose video, decoded or filtered message never came, or that never ran, says so in its plan.json.
The stamp of a message is the header stamp of its topic; frames are matched to plans by stamp, not by
arrival time, so late messages land where they belong.

One recorder per run, usable from several threads (a lock serialises the calls). `end_episode` does the
episode's encoding and plotting work: about a second per plan at the
simulator's 160x120, a few seconds at 640x480, on two CPU cores.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from eva_core.data._files import fsync_dir, fsync_file, write_json_atomic
from eva_core.data.features import VideoConfig
from eva_core.data.video import VideoEncoder, decode_frames
from eva_core.runs import frames as fr
from eva_core.runs.layout import (
    ACTIONS_FILE,
    CAMERA_STAMPS_FILE,
    COMMANDS_FILE,
    COMPARISON_FILE,
    EPISODE_FILE,
    JOINTS_PLOT_FILE,
    PARTIAL_SUFFIX,
    PLAN_FILE,
    PLANS_DIR,
    RUN_FORMAT,
    RUN_FORMAT_VERSION,
    SUMMARY_FILE,
    camera_file_name,
    episode_dir_name,
    jsonable,
    safe_name,
)
from eva_core.runs.plans import EXECUTED, REJECTED, ActionPlan, PlanRecord, VideoPlan, status, window_end
from eva_core.runs.plots import plot_joints

GAP_PERIODS = 2.5  # a camera interval longer than this many nominal frame periods is a gap (missing frames)
PLAN_SPILL_FILE = ".plan_frames.mp4"  # the video plan's frames until end_episode (lossless), then deleted
_TITLE_REASON_CHARS = 90


def _stamp(value: Any) -> float | None:
    try:
        stamp = float(value)
    except (TypeError, ValueError):
        return None
    return stamp if math.isfinite(stamp) else None


def _number(value: Any) -> float:
    """A float (NaN when `value` is none or not a number): scores and rewards are stored as given."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _optional_number(value: Any) -> float | None:
    return None if value is None else _number(value)


class _Series:
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


class _CameraStream:
    """One camera's mp4, encoded as frames arrive, and the stamps of its frames in file order."""

    def __init__(self, name: str, path: Path, first: np.ndarray, rate: int, config: VideoConfig):
        self.name, self.path, self.rate = name, path, rate
        self.height, self.width = first.shape[:2]  # frames of another size are resized to this one
        self.stamps: list[float] = []
        self.resized = 0
        self.refused = 0  # bad stamp or not an image
        self.error: str | None = None  # the encoder failed: later frames are refused, the file is unusable
        self._encoder = VideoEncoder(path, fr.even(self.height), fr.even(self.width), rate, config)

    def add(self, stamp: float, frame: np.ndarray) -> None:
        if self.error is not None:
            self.refused += 1
            return
        if frame.shape[:2] != (self.height, self.width):
            frame = fr.resize(frame, self.height, self.width)
            self.resized += 1
        try:
            self._encoder.encode(fr.pad_even(frame))
        except Exception as err:  # FFmpeg errors have many types; the stream is marked broken and reported
            self.error = f"encoding failed: {type(err).__name__}: {err}"
            self._encoder.abort()
            self.path.unlink(missing_ok=True)
            self.refused += 1
            return
        self.stamps.append(stamp)

    def close(self) -> None:
        if self.error is not None:
            return
        try:
            self._encoder.close()
        except Exception as err:  # see add()
            self.error = f"closing the file failed: {type(err).__name__}: {err}"

    @property
    def usable(self) -> bool:
        return self.error is None and len(self.stamps) > 0

    def describe(self, camera_fps: float) -> dict:
        stamps = np.sort(np.asarray(self.stamps, dtype=np.float64))
        intervals = np.diff(stamps)
        raw = np.asarray(self.stamps, dtype=np.float64)
        return {
            "file": self.path.name if self.error is None else None,
            "frames": len(self.stamps),
            "height": self.height,
            "width": self.width,
            "first_s": stamps[0] if len(stamps) else None,
            "last_s": stamps[-1] if len(stamps) else None,
            "gaps": int(np.sum(intervals > GAP_PERIODS / camera_fps)),
            "longest_interval_s": float(intervals.max()) if len(intervals) else None,
            "out_of_order": int(np.sum(np.diff(raw) < 0)),
            "resized": self.resized,
            "refused": self.refused,
            "error": self.error,
        }


@dataclass
class _Episode:
    index: int
    seed: int | None
    instruction: str
    name: str  # folder name, episode_NNN
    staging: Path
    states: _Series
    commands: _Series
    cameras: dict[str, _CameraStream] = field(default_factory=dict)
    camera_refused: dict[str, int] = field(default_factory=dict)  # frames refused before a camera's file existed
    plans: dict[str, PlanRecord] = field(default_factory=dict)
    first_s: float = math.inf
    last_s: float = -math.inf
    notes: dict[str, list] = field(default_factory=dict)  # kind -> [first text, count]

    def saw(self, stamp: float) -> None:
        self.first_s = min(self.first_s, stamp)
        self.last_s = max(self.last_s, stamp)

    def note(self, kind: str, text: str) -> None:
        """Record an anomaly: the first text of each kind, and how often it happened."""
        entry = self.notes.setdefault(kind, [text, 0])
        entry[1] += 1

    def note_list(self) -> list[str]:
        return [text if count == 1 else f"{text} (x{count})" for text, count in self.notes.values()]


class RunRecorder:
    """Records the episodes of one run into `<root>/<YYYYmmdd-HHMMSS>_<task>/` (see the module doc)."""

    def __init__(
        self,
        root: Path | str,
        task: str,
        embodiment,
        *,
        camera_fps: float = 16.0,
        config: dict | None = None,
        plan_camera: str = "cam_high",
        video: VideoConfig | None = None,
        started: datetime | None = None,
        logger: logging.Logger | None = None,
    ):
        """`embodiment`: an `EmbodimentConfig` (joint_names, limits, plan_dt). `camera_fps`: the rate the
        camera files play at (frames are written in arrival order; their stamps are kept). `plan_camera`:
        the camera the planner sees, compared with the plans. `video`: codec of the camera and comparison
        files (default H.264 crf 18). `started`: names the folder (default: now, local time)."""
        if not isinstance(task, str) or not task.strip():
            raise ValueError(f"task must be a non-empty string, got {task!r}")
        if not (math.isfinite(_number(camera_fps)) and _number(camera_fps) > 0):
            raise ValueError(f"camera_fps must be a positive number, got {camera_fps!r}")
        self._task = task
        self._joint_names = tuple(embodiment.joint_names)
        self._position_min = np.asarray(embodiment.limits.position_min, dtype=np.float64)
        self._position_max = np.asarray(embodiment.limits.position_max, dtype=np.float64)
        self._plan_dt = float(embodiment.plan_dt)
        self._embodiment_name = getattr(embodiment, "name", None)
        self._camera_fps = float(camera_fps)
        self._camera_rate = max(1, round(self._camera_fps))  # mp4 frame rate (whole frames per second)
        self._plan_camera = plan_camera
        self._video = video or VideoConfig()
        self._config = jsonable(config or {})
        self._logger = logger or logging.getLogger(__name__)
        self._lock = threading.RLock()
        self._started = started or datetime.now()
        self._directory = self._make_directory(Path(root), f"{self._started:%Y%m%d-%H%M%S}_{safe_name(task)}")
        self._episode: _Episode | None = None
        self._episodes: list[dict] = []
        self._ignored: dict[str, int] = {}
        self._closed = False
        self._summary = self._write_summary()

    @staticmethod
    def _make_directory(root: Path, name: str) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        for attempt in range(1000):
            path = root / (name if attempt == 0 else f"{name}-{attempt}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return path
        raise FileExistsError(f"{root / name}: too many runs with this name")

    @property
    def directory(self) -> Path:
        return self._directory

    @property
    def episode_open(self) -> bool:
        return self._episode is not None

    # ----------------------------------------------------------------------------------- episodes

    def begin_episode(self, index: int, seed: int | None, instruction: str) -> None:
        """Open episode `index`. An episode still open is first finished as "interrupted"."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the run is closed")
            if self._episode is not None:
                previous, self._episode = self._episode, None
                result = self._interrupted(previous, "begin_episode came before end_episode")
                self._finish(previous, result, complete=False)
            index = int(index)
            name, n = episode_dir_name(index), 1
            taken = {e["directory"] for e in self._episodes}
            while name in taken or (self._directory / name).exists():
                name, n = f"{episode_dir_name(index)}_{n}", n + 1
            staging = self._directory / (name + PARTIAL_SUFFIX)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            dims = len(self._joint_names)
            seed = None if seed is None else int(seed)
            self._episode = _Episode(index, seed, str(instruction), name, staging, _Series(dims), _Series(dims))
            self._summary = self._write_summary()

    def end_episode(
        self, *, success: bool, outcome: str, reason: str, segments: int, plans_rejected: int, duration_s: float
    ) -> dict:
        """Finish the open episode (videos, plots, json; then the folder is renamed into place and
        summary.json rewritten) and return its entry of summary.json."""
        with self._lock:
            if self._episode is None:
                raise RuntimeError("end_episode without an open episode (begin_episode first)")
            episode, self._episode = self._episode, None
            result = {
                "success": bool(success),
                "outcome": str(outcome),
                "reason": str(reason),
                "segments": int(segments),
                "plans_rejected": int(plans_rejected),
                "duration_s": _number(duration_s),
            }
            return self._finish(episode, result, complete=True)

    def close(self) -> dict:
        """Finish an episode still open (as "interrupted"), write the final summary.json and return it.
        Calling it again returns the same summary."""
        with self._lock:
            if self._closed:
                return self._summary
            if self._episode is not None:
                episode, self._episode = self._episode, None
                result = self._interrupted(episode, "the run was closed before end_episode")
                self._finish(episode, result, complete=False)
            self._closed = True
            self._summary = self._write_summary()
            return self._summary

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------------------------- messages

    @contextlib.contextmanager
    def _message(self, kind: str) -> Iterator[_Episode | None]:
        """The open episode for a message of `kind` (None outside an episode: counted). A failure while
        recording it is logged and noted in the episode, never raised (the caller is a topic callback)."""
        with self._lock:
            episode = self._episode
            if episode is None:
                self._ignored[kind] = self._ignored.get(kind, 0) + 1
                yield None
                return
            try:
                yield episode
            except Exception as err:  # the contract of every add_*: record, never raise
                self._logger.warning("run recorder: %s message not recorded: %s: %s", kind, type(err).__name__, err)
                episode.note(f"error:{kind}", f"a {kind} message failed to record: {type(err).__name__}: {err}")

    def add_camera_frame(self, camera: str, stamp_s: float, frame: np.ndarray) -> None:
        """One RGB `uint8 [H, W, 3]` frame of `camera`, appended to its mp4 at once."""
        with self._message("camera_frame") as episode:
            if episode is None:
                return
            camera = str(camera)
            stamp = _stamp(stamp_s)
            rgb, problem = fr.as_rgb(frame)
            if stamp is None or rgb is None:
                why = "a stamp that is not a finite number" if stamp is None else problem
                episode.note(f"camera_refused:{camera}", f"camera {camera}: frame refused, {why}")
                stream = episode.cameras.get(camera)
                if stream is not None:
                    stream.refused += 1
                else:
                    episode.camera_refused[camera] = episode.camera_refused.get(camera, 0) + 1
                return
            stream = episode.cameras.get(camera)
            if stream is None:
                file = camera_file_name(camera)
                if any(s.path.name == file for s in episode.cameras.values()):
                    file = f"{safe_name(camera)}_{len(episode.cameras)}.mp4"
                stream = _CameraStream(camera, episode.staging / file, rgb, self._camera_rate, self._video)
                stream.refused = episode.camera_refused.pop(camera, 0)
                episode.cameras[camera] = stream
            stream.add(stamp, rgb)
            if stream.error is not None:
                episode.note(f"camera_error:{camera}", f"camera {camera}: {stream.error}")
            episode.saw(stamp)

    def add_joint_state(self, stamp_s: float, position: np.ndarray) -> None:
        """A measured 14-D joint position."""
        with self._message("joint_state") as episode:
            if episode is not None:
                self._add_vector(episode, episode.states, "joint state", stamp_s, position)

    def add_command(self, stamp_s: float, position: np.ndarray) -> None:
        """A 14-D joint command as sent at the control rate."""
        with self._message("command") as episode:
            if episode is not None:
                self._add_vector(episode, episode.commands, "command", stamp_s, position)

    def _add_vector(self, episode: _Episode, series: _Series, what: str, stamp_s: float, position: Any) -> None:
        stamp = _stamp(stamp_s)
        try:
            q = np.asarray(position, dtype=np.float64)
        except (TypeError, ValueError):
            q = None
        if stamp is None or q is None or q.shape != (series.dims,):
            series.malformed += 1
            shape = None if q is None else q.shape
            text = f"{what} refused: stamp {stamp_s!r}, shape {shape} (expected ({series.dims},))"
            episode.note(f"malformed:{what}", text)
            return
        series.add(stamp, q)
        episode.saw(stamp)

    def _plan(self, episode: _Episode, plan_id: str) -> PlanRecord:
        record = episode.plans.get(plan_id)
        if record is None:
            folder, n = safe_name(plan_id), 1
            taken = {p.folder for p in episode.plans.values()}
            while folder in taken:
                folder, n = f"{safe_name(plan_id)}_{n}", n + 1
            record = PlanRecord(plan_id, folder, order=len(episode.plans))
            episode.plans[plan_id] = record
        return record

    def add_video_plan(
        self,
        plan_id: str,
        stamp_s: float,
        frames: np.ndarray,
        fps: float,
        instruction: str,
        backend: str,
        planning_time_s: float,
    ) -> None:
        """The planner's video plan `[T, H, W, 3]`; `stamp_s` is when planning started (frame 0 is the
        last observed frame). The frames are encoded (losslessly) into the plan's folder at once."""
        with self._message("video_plan") as episode:
            if episode is None:
                return
            plan_id = str(plan_id)
            stamp = _stamp(stamp_s)
            if stamp is None:
                text = f"video plan {plan_id!r} refused: stamp {stamp_s!r} is not a finite number"
                episode.note("bad_stamp:video_plan", text)
                return
            record = self._plan(episode, plan_id)
            if record.video is not None:
                record.notes.append("a second video plan with this id was ignored")
                return
            episode.saw(stamp)
            rate = _number(fps)
            if not (math.isfinite(rate) and rate > 0):
                record.notes.append(f"video plan fps {fps!r} is not a positive number: the plan rate is used")
                rate = 1.0 / self._plan_dt
            if frames is None or (isinstance(frames, np.ndarray) and frames.ndim != 4):
                shape = None if frames is None else frames.shape
                record.notes.append(f"the video plan frames have shape {shape}, expected [T, H, W, 3]: not stored")
                frames = []
            checked = [fr.as_rgb(f) for f in frames]
            good = [f for f, _ in checked if f is not None]
            height, width = good[0].shape[:2] if good else (0, 0)
            record.video = VideoPlan(
                stamp, len(checked), rate, height, width, str(instruction), str(backend),
                _optional_number(planning_time_s), spill=None,
            )
            bad = len(checked) - len(good)
            if bad:
                problem = next(p for f, p in checked if f is None)
                record.notes.append(f"{bad} of {len(checked)} video plan frames are not RGB images ({problem}): grey")
            if not good:
                record.notes.append("the video plan has no usable frames")
                return
            folder = episode.staging / PLANS_DIR / record.folder
            folder.mkdir(parents=True, exist_ok=True)
            self._spill_plan_frames(record, folder, checked)

    def _spill_plan_frames(self, record: PlanRecord, folder: Path, checked: list) -> None:
        video = record.video
        path = folder / PLAN_SPILL_FILE
        rate = max(1, round(video.fps))
        encoder = VideoEncoder(path, fr.even(video.height), fr.even(video.width), rate, VideoConfig.lossless())
        try:
            for frame, _ in checked:
                if frame is None:
                    frame = np.full((video.height, video.width, 3), 60, np.uint8)
                encoder.encode(fr.pad_even(fr.resize(frame, video.height, video.width)))
            encoder.close()
        except BaseException:
            encoder.abort()
            path.unlink(missing_ok=True)
            raise
        video.spill = path.name

    def add_action_plan(
        self,
        plan_id: str,
        stamp_s: float,
        positions: np.ndarray,
        *,
        filtered: bool,
        score: float,
        reward: float,
        reward_terms: dict[str, float],
        safety: dict | None,
        decode_time_s: float | None,
        filter_time_s: float | None,
    ) -> None:
        """The decoded (`filtered=False`) or the filtered (`filtered=True`) `[T, 14]` actions of a plan.
        `safety` is `PlanReport.to_dict()` (a PlanReport is accepted too)."""
        with self._message("action_plan") as episode:
            if episode is None:
                return
            plan_id = str(plan_id)
            kind = "filtered" if filtered else "decoded"
            stamp = _stamp(stamp_s)
            if stamp is None:
                text = f"{kind} action plan {plan_id!r} refused: stamp {stamp_s!r} is not a finite number"
                episode.note(f"bad_stamp:{kind}", text)
                return
            record = self._plan(episode, plan_id)
            episode.saw(stamp)
            try:
                array = np.array(positions, dtype=np.float64)
            except (TypeError, ValueError):
                array = None
            if array is None or array.ndim != 2 or array.shape[1] != len(self._joint_names):
                shape = None if array is None else array.shape
                dims = len(self._joint_names)
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
                _number(score),
                _number(reward),
                {str(k): _number(v) for k, v in terms},
                None if safety is None else dict(safety),
                _optional_number(filter_time_s if filtered else decode_time_s),
            )
            if getattr(record, kind) is not None:
                record.notes.append(f"a second {kind} action plan replaced the first")
            setattr(record, kind, message)

    # -------------------------------------------------------------------------------- finishing

    def _interrupted(self, episode: _Episode, reason: str) -> dict:
        span = episode.last_s - episode.first_s if episode.last_s >= episode.first_s else 0.0
        verdicts = [p.verdict for p in episode.plans.values()]
        return {
            "success": False,
            "outcome": "interrupted",
            "reason": reason,
            "segments": sum(v == "accept" for v in verdicts),
            "plans_rejected": sum(v == "reject" for v in verdicts),
            "duration_s": span,
        }

    def _finish(self, episode: _Episode, result: dict, *, complete: bool) -> dict:
        staging = episode.staging
        for stream in episode.cameras.values():
            stream.close()
            if stream.error is not None:
                episode.note(f"camera_error:{stream.name}", f"camera {stream.name}: {stream.error}")
        state_t, state_q = episode.states.sorted()
        command_t, command_q = episode.commands.sorted()
        np.savez_compressed(
            staging / COMMANDS_FILE,
            command_t=command_t, command_q=command_q, state_t=state_t, state_q=state_q,
            joint_names=np.array(self._joint_names),
        )
        np.savez_compressed(
            staging / CAMERA_STAMPS_FILE,
            **{s.path.stem: np.asarray(s.stamps, dtype=np.float64) for s in episode.cameras.values()},
        )
        plans = sorted(episode.plans.values(), key=lambda p: (p.planning_started_s, p.order))
        entries = []
        for i, plan in enumerate(plans):
            following = plans[i + 1] if i + 1 < len(plans) else None
            entries.append(self._finish_plan(episode, plan, following, (state_t, state_q), (command_t, command_q)))
        if self._plan_camera not in episode.cameras and plans:
            text = f"no frame of the plan camera {self._plan_camera!r} in this episode: the plans have no robot view"
            episode.note("no_plan_camera", text)
        cameras = {name: s.describe(self._camera_fps) for name, s in episode.cameras.items()}
        for name, refused in episode.camera_refused.items():
            cameras[name] = {"file": None, "frames": 0, "refused": refused}
        info = {
            "index": episode.index,
            "directory": episode.name,
            "seed": episode.seed,
            "instruction": episode.instruction,
            **result,
            "complete": complete,
            "plan_count": len(plans),
            "plans_executed": sum(e["status"] == EXECUTED for e in entries),
            "plans_rejected_by_filter": sum(e["status"] == REJECTED for e in entries),
            "first_stamp_s": episode.first_s if episode.first_s <= episode.last_s else None,
            "last_stamp_s": episode.last_s if episode.first_s <= episode.last_s else None,
            "plan_camera": self._plan_camera,
            "camera_fps": self._camera_fps,
            "cameras": cameras,
            "joint_states": episode.states.counts(),
            "commands": episode.commands.counts(),
            "files": {"commands": COMMANDS_FILE, "camera_stamps": CAMERA_STAMPS_FILE, "plans": PLANS_DIR},
            "plans": entries,
            "notes": episode.note_list(),
        }
        write_json_atomic(staging / EPISODE_FILE, jsonable(info))
        self._commit(staging, self._directory / episode.name)
        keys = ("index", "directory", "seed", "instruction", "success", "outcome", "reason", "segments", "duration_s")
        entry = {key: info[key] for key in keys}
        entry.update(plans=len(plans), plans_rejected=info["plans_rejected"])
        entry.update(plans_executed=info["plans_executed"], complete=complete)
        self._episodes.append(jsonable(entry))
        self._summary = self._write_summary()
        return dict(self._episodes[-1])

    def _commit(self, staging: Path, final: Path) -> None:
        """fsync every file of the finished episode, then rename its folder into place."""
        for path in sorted(staging.rglob("*"), reverse=True):
            if path.is_file():
                fsync_file(path)
            elif path.is_dir():
                fsync_dir(path)
        fsync_dir(staging)
        os.replace(staging, final)
        fsync_dir(self._directory)

    def _finish_plan(self, episode: _Episode, plan: PlanRecord, following: PlanRecord | None, states, commands) -> dict:
        folder = episode.staging / PLANS_DIR / plan.folder
        folder.mkdir(parents=True, exist_ok=True)
        start = plan.start_s
        end = window_end(plan, following, episode.last_s, self._plan_dt)
        verdict, reason = status(plan, end - start)
        if plan.video is None:
            plan.notes.append("no video plan was received for this plan id")
        state_t, state_q = states
        inside = (state_t >= start) & (state_t <= end)
        measured_t, measured_q = state_t[inside] - start, state_q[inside]
        command_t = commands[0]
        commands_in_window = int(np.sum((command_t >= start) & (command_t <= end)))
        scored = plan.scored
        score = scored.score if scored is not None else math.nan
        files: dict[str, str] = {}
        errors: list[str] = []

        self._write_actions(folder / ACTIONS_FILE, plan, start, end, measured_t, measured_q)
        files["actions"] = ACTIONS_FILE
        comparison = None
        if plan.video is not None and plan.video.spill is not None:
            try:
                comparison = self._compare(episode, plan, start, end, verdict, folder)
                files["plan_vs_robot"] = COMPARISON_FILE
            except Exception as err:  # a broken video must not lose the episode: reported in plan.json
                errors.append(f"plan_vs_robot.mp4: {type(err).__name__}: {err}")
                (folder / COMPARISON_FILE).unlink(missing_ok=True)
            (folder / plan.video.spill).unlink(missing_ok=True)
        if any(a is not None and a.positions is not None for a in (plan.decoded, plan.filtered)):
            title = f"{plan.plan_id}   score {f'{score:.2f}' if math.isfinite(score) else 'n/a'}   {verdict}"
            if reason:
                title += f": {reason[:_TITLE_REASON_CHARS]}"
            try:
                plot_joints(
                    folder / JOINTS_PLOT_FILE,
                    joint_names=self._joint_names, position_min=self._position_min, position_max=self._position_max,
                    plan_dt=self._plan_dt,
                    decoded=plan.decoded.positions if plan.decoded is not None else None,
                    filtered=plan.filtered.positions if plan.filtered is not None else None,
                    measured_t=measured_t, measured_q=measured_q, window_s=end - start, title=title,
                )
                files["joints_plot"] = JOINTS_PLOT_FILE
            except Exception as err:  # as above
                errors.append(f"joints.png: {type(err).__name__}: {err}")
        for error in errors:
            self._logger.warning("run recorder: plan %s of episode %d: %s", plan.plan_id, episode.index, error)

        video = plan.video
        timings = {
            "planning_time_s": video.planning_time_s if video is not None else None,
            "decode_time_s": plan.decoded.time_s if plan.decoded is not None else None,
            "filter_time_s": plan.filtered.time_s if plan.filtered is not None else None,
            "planning_started_s": video.stamp_s if video is not None else None,
            "decoded_at_s": plan.decoded.stamp_s if plan.decoded is not None else None,
            "filtered_at_s": plan.filtered.stamp_s if plan.filtered is not None else None,
            "window_start_s": start,
            "window_end_s": end,
            "window_s": end - start,
            "plan_duration_s": plan.duration_s(self._plan_dt),
            "start_latency_s": start - video.stamp_s if video is not None else None,
        }
        record = {
            "plan_id": plan.plan_id,
            "directory": f"{PLANS_DIR}/{plan.folder}",
            "episode": episode.index,
            "instruction": video.instruction if video is not None else episode.instruction,
            "backend": video.backend if video is not None else None,
            "status": verdict,
            "reason": reason,
            "score": score,
            "reward": scored.reward if scored is not None else None,
            "reward_terms": scored.reward_terms if scored is not None else {},
            "safety": plan.filtered.safety if plan.filtered is not None else None,
            "timings": timings,
            "video": None if video is None else {
                "frames": video.frames, "fps": video.fps, "height": video.height, "width": video.width,
                "stamp_s": video.stamp_s,
            },
            "decoded": self._action_json(plan.decoded),
            "filtered": self._action_json(plan.filtered),
            "execution": {
                "measured_joint_states": len(measured_t),
                "commands": commands_in_window,
            },
            "comparison": comparison,
            "files": files,
            "notes": plan.notes,
            "errors": errors,
        }
        write_json_atomic(folder / PLAN_FILE, jsonable(record))
        return jsonable({
            "plan_id": plan.plan_id,
            "directory": record["directory"],
            "status": verdict,
            "reason": reason,
            "score": score,
            "reward": record["reward"],
            **{k: timings[k] for k in ("planning_time_s", "decode_time_s", "filter_time_s")},
            **{k: timings[k] for k in ("window_start_s", "window_end_s")},
        })

    @staticmethod
    def _action_json(action: ActionPlan | None) -> dict | None:
        if action is None:
            return None
        return {
            "stamp_s": action.stamp_s,
            "steps": None if action.positions is None else len(action.positions),
            "score": action.score,
            "reward": action.reward,
            "reward_terms": action.reward_terms,
            "time_s": action.time_s,
        }

    def _write_actions(self, path: Path, plan: PlanRecord, start: float, end: float, measured_t, measured_q) -> None:
        dims = len(self._joint_names)
        empty = np.empty((0, dims))
        names = sorted({n for a in (plan.decoded, plan.filtered) if a is not None for n in a.reward_terms})

        def positions(action: ActionPlan | None) -> np.ndarray:
            return action.positions if action is not None and action.positions is not None else empty

        def terms(action: ActionPlan | None) -> np.ndarray:
            return np.array([np.nan if action is None else action.reward_terms.get(n, np.nan) for n in names])

        decoded, filtered = positions(plan.decoded), positions(plan.filtered)
        np.savez_compressed(
            path,
            decoded=decoded, filtered=filtered,
            t=np.arange(max(len(decoded), len(filtered))) * self._plan_dt,  # s from the window start
            window_start_s=np.float64(start), window_end_s=np.float64(end),
            measured_t=measured_t, measured_q=measured_q,  # joint states in the window, t from the window start
            reward_term_names=np.array(names, dtype=str),
            reward_terms_decoded=terms(plan.decoded), reward_terms_filtered=terms(plan.filtered),
            score=np.float64(plan.scored.score if plan.scored else np.nan),
            reward=np.float64(plan.scored.reward if plan.scored else np.nan),
            joint_names=np.array(self._joint_names),
        )

    def _compare(
        self, episode: _Episode, plan: PlanRecord, start: float, end: float, verdict: str, folder: Path
    ) -> dict:
        """plan_vs_robot.mp4: plan frame k next to the plan camera's latest frame at start + k / fps
        (none when that frame is older than GAP_PERIODS camera periods), dimmed past the window."""
        video = plan.video
        height = fr.panel_height(video.height)
        plan_width = fr.width_at(height, video.height, video.width)
        times = start + np.arange(video.frames) / video.fps
        stream = episode.cameras.get(self._plan_camera)
        chosen = np.full(video.frames, -1)
        robot: dict[int, np.ndarray] = {}
        robot_width = plan_width
        if stream is not None and stream.usable:
            robot_width = fr.width_at(height, stream.height, stream.width)
            stamps = np.asarray(stream.stamps, dtype=np.float64)
            order = np.argsort(stamps, kind="stable")
            pos = np.searchsorted(stamps[order], times, side="right") - 1
            found = pos >= 0
            age = times - stamps[order][np.maximum(pos, 0)]
            fresh = found & (age <= GAP_PERIODS / self._camera_fps)
            chosen = np.where(fresh, order[np.maximum(pos, 0)], -1)
            needed = set(chosen[chosen >= 0].tolist())
            if needed:
                lo, hi = min(needed), max(needed)
                for i, frame in enumerate(decode_frames(stream.path, stream.rate, lo, hi + 1), start=lo):
                    if i in needed:
                        robot[i] = fr.resize(frame[: stream.height, : stream.width], height, robot_width)
        during = fr.BAR_EXECUTING if verdict == EXECUTED else fr.BAR_NOT_EXECUTING
        label = "robot" if verdict == EXECUTED else f"robot (plan {verdict.replace('_', ' ')})"
        counts = {"robot_frames_shown": 0, "robot_frames_missing": 0, "frames_after_window": 0}
        encoder = None
        written = 0
        try:
            rate = max(1, round(video.fps))
            for k, plan_frame in enumerate(decode_frames(folder / video.spill, rate, 0, video.frames)):
                left = fr.resize(plan_frame[: video.height, : video.width], height, plan_width).copy()
                fr.label(left, f"plan {k / video.fps:.2f} s")
                in_window = bool(times[k] < end)
                if chosen[k] >= 0:
                    right = robot[int(chosen[k])].copy() if in_window else fr.dim(robot[int(chosen[k])])
                    counts["robot_frames_shown"] += 1
                else:
                    right = fr.missing_panel(height, robot_width, "no camera frame")
                    counts["robot_frames_missing"] += 1
                if not in_window:
                    counts["frames_after_window"] += 1
                fr.bar(right, during if in_window else fr.BAR_AFTER)
                fr.label(right, label if in_window else "after the plan's window")
                composite = fr.side_by_side(left, right)
                if encoder is None:
                    height_px, width_px = composite.shape[:2]
                    encoder = VideoEncoder(folder / COMPARISON_FILE, height_px, width_px, rate, self._video)
                encoder.encode(composite)
                written += 1
            if encoder is not None:
                encoder.close()
        except BaseException:
            if encoder is not None:
                encoder.abort()
            raise
        if encoder is None:
            raise RuntimeError("the plan's frames could not be read back")
        return {
            "file": COMPARISON_FILE,
            "frames": written,
            "fps": rate,
            "height": encoder.height,
            "width": encoder.width,
            "camera": self._plan_camera,
            **counts,
        }

    # ------------------------------------------------------------------------------------ summary

    def _write_summary(self) -> dict:
        complete = [e for e in self._episodes if e["complete"]]
        successes = sum(bool(e["success"]) for e in complete)
        summary = jsonable({
            "format": RUN_FORMAT,
            "version": RUN_FORMAT_VERSION,
            "task": self._task,
            "directory": self._directory.name,
            "created": self._started.isoformat(timespec="seconds"),
            "closed": self._closed,
            "embodiment": {
                "name": self._embodiment_name, "joint_names": list(self._joint_names), "plan_dt": self._plan_dt,
            },
            "camera_fps": self._camera_fps,
            "plan_camera": self._plan_camera,
            "config": self._config,
            "episodes": self._episodes,
            "episodes_complete": len(complete),
            "episodes_interrupted": len(self._episodes) - len(complete),
            "successes": successes,
            "success_rate": successes / len(complete) if complete else None,
            "open_episode": self._episode.index if self._episode is not None else None,
            "ignored_outside_episode": dict(self._ignored),
        })
        write_json_atomic(self._directory / SUMMARY_FILE, summary)
        return summary
