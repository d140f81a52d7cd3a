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

This class is the facade: the parts live beside it. `episode` takes the messages in, `video_files`
encodes the camera and plan frames, `arrays` writes the npz files, `plan_folder` a plan's folder (with
`comparison` for plan_vs_robot.mp4 and `plots` for joints.png), `summary` the json of an episode and of
the run, `staging` the crash safety.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from eva_core.data._files import write_json_atomic
from eva_core.data.features import VideoConfig
from eva_core.runs.arrays import write_camera_stamps, write_commands
from eva_core.runs.episode import EpisodeBuffer, RunSettings, number
from eva_core.runs.layout import CAMERA_STAMPS_FILE, COMMANDS_FILE, EPISODE_FILE, jsonable, safe_name
from eva_core.runs.plan_folder import finish_plan
from eva_core.runs.staging import commit, make_run_directory, open_staging
from eva_core.runs.summary import episode_info, summary_entry, write_summary


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
        if not (math.isfinite(number(camera_fps)) and number(camera_fps) > 0):
            raise ValueError(f"camera_fps must be a positive number, got {camera_fps!r}")
        self._task = task
        self._settings = RunSettings.of(embodiment, camera_fps, plan_camera, video or VideoConfig())
        self._config = jsonable(config or {})
        self._logger = logger or logging.getLogger(__name__)
        self._lock = threading.RLock()
        self._started = started or datetime.now()
        self._directory = make_run_directory(Path(root), f"{self._started:%Y%m%d-%H%M%S}_{safe_name(task)}")
        self._episode: EpisodeBuffer | None = None
        self._episodes: list[dict] = []
        self._ignored: dict[str, int] = {}
        self._closed = False
        self._summary = self._write_summary()

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
                self._finish(previous, previous.interrupted("begin_episode came before end_episode"), complete=False)
            index = int(index)
            name, staging = open_staging(self._directory, index, {e["directory"] for e in self._episodes})
            seed = None if seed is None else int(seed)
            self._episode = EpisodeBuffer(index, seed, str(instruction), name, staging, self._settings)
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
                "duration_s": number(duration_s),
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
                self._finish(episode, episode.interrupted("the run was closed before end_episode"), complete=False)
            self._closed = True
            self._summary = self._write_summary()
            return self._summary

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------------------------- messages

    @contextlib.contextmanager
    def _message(self, kind: str) -> Iterator[EpisodeBuffer | None]:
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
            if episode is not None:
                episode.add_camera_frame(camera, stamp_s, frame)

    def add_joint_state(self, stamp_s: float, position: np.ndarray) -> None:
        """A measured 14-D joint position."""
        with self._message("joint_state") as episode:
            if episode is not None:
                episode.add_vector(episode.states, "joint state", stamp_s, position)

    def add_command(self, stamp_s: float, position: np.ndarray) -> None:
        """A 14-D joint command as sent at the control rate."""
        with self._message("command") as episode:
            if episode is not None:
                episode.add_vector(episode.commands, "command", stamp_s, position)

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
            if episode is not None:
                episode.add_video_plan(plan_id, stamp_s, frames, fps, instruction, backend, planning_time_s)

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
            if episode is not None:
                episode.add_action_plan(
                    plan_id, stamp_s, positions, filtered=filtered, score=score, reward=reward,
                    reward_terms=reward_terms, safety=safety, decode_time_s=decode_time_s, filter_time_s=filter_time_s,
                )

    # -------------------------------------------------------------------------------- finishing

    def _finish(self, episode: EpisodeBuffer, result: dict, *, complete: bool) -> dict:
        staging, settings = episode.staging, self._settings
        episode.close_cameras()
        states, commands = episode.states.sorted(), episode.commands.sorted()
        write_commands(staging / COMMANDS_FILE, states, commands, settings.joint_names)
        write_camera_stamps(staging / CAMERA_STAMPS_FILE, episode.cameras.values())
        plans = episode.ordered_plans()
        entries = [
            finish_plan(episode, plan, plans[i + 1] if i + 1 < len(plans) else None, states, commands, self._logger)
            for i, plan in enumerate(plans)
        ]
        if settings.plan_camera not in episode.cameras and plans:
            text = f"no frame of the plan camera {settings.plan_camera!r} in this episode: the plans have no robot view"
            episode.note("no_plan_camera", text)
        info = episode_info(episode, result, complete=complete, plans=plans, entries=entries)
        write_json_atomic(staging / EPISODE_FILE, jsonable(info))
        commit(staging, self._directory / episode.name)
        self._episodes.append(summary_entry(info))
        self._summary = self._write_summary()
        return dict(self._episodes[-1])

    def _write_summary(self) -> dict:
        return write_summary(
            self._directory, task=self._task, started=self._started, closed=self._closed, settings=self._settings,
            config=self._config, episodes=self._episodes, ignored=self._ignored,
            open_episode=self._episode.index if self._episode is not None else None,
        )
