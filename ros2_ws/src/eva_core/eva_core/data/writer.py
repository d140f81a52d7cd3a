"""Writing a dataset one episode at a time, safe against a crash at any instant.

    with DatasetWriter.create("runs/demos", fps=16, cameras={"cam_high": (480, 640)},
                              joint_names=load_embodiment().joint_names, robot_type="piper_bimanual") as w:
        w.begin_episode("put the cup on the plate")
        for ...:
            w.add_frame({"cam_high": rgb}, state=q_measured, action=q_commanded)
        w.end_episode(success=True, operator="ana")       # committed: survives any later crash

    with DatasetWriter.open("runs/demos") as w: ...        # resume: numbering continues

How a commit works. While an episode is open its frames are encoded as they arrive into
`.staging/episode-NNNNNN/` (one mp4 per camera; states and actions stay in memory, 112 bytes a frame).
`end_episode` then
  1. finishes the mp4 files, checks their frame counts, writes the frame parquet, fsyncs all of them;
  2. `os.replace`s each into its final path (data/..., videos/...) and fsyncs the directories;
  3. rewrites `meta/tasks.parquet` if the task is new (task text as the pandas index, see `interop`);
  4. rewrites the episodes table `meta/episodes/chunk-000/file-000.parquet` (temporary file + fsync +
     `os.replace`): THE COMMIT POINT. The episode exists from here on;
  5. rewrites `meta/stats.json` and `meta/info.json` (derived from the episodes table).
Killed before 4, the episode leaves only unreferenced files, which readers never look at and
`DatasetWriter.open` deletes; killed after 4, it is committed and `open` rewrites anything step 5 left
stale. Every committed episode stays loadable either way, and a new writer continues at the next index.

One writer at a time: an exclusive `flock` on `.writer.lock` (released by the kernel if the process
dies). A writer is not thread-safe; call it from one thread.

Input policy (checked before anything is encoded, so a rejected frame leaves the episode unchanged):
every camera of the schema, no other, as `uint8 [H, W, 3]` RGB; state and action of the schema's
length; all values finite. NaN or inf in a state or action is rejected rather than stored: it would
poison `stats.json` and the training losses. A recorder that loses a reading must decide what to do
(repeat the last one, or discard the episode). `timestamp` is seconds since the episode's first frame,
strictly increasing; by default frame_index / fps.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from eva_core.data._files import (
    TMP_SUFFIX,
    fsync_file,
    replace_durably,
    write_json_atomic,
    write_parquet_atomic,
    write_parquet_durably,
)
from eva_core.data.features import (
    ACTION,
    CHUNKS_SIZE,
    DATA_PATH,
    EPISODES_PATH,
    INFO_PATH,
    QUANTILE_NAMES,
    STATE,
    STATS_PATH,
    TASKS_PATH,
    TIMESTAMP,
    VIDEO_PATH,
    DatasetError,
    DatasetSchema,
    VideoConfig,
    chunk_and_file,
)
from eva_core.data.interop import tasks_table
from eva_core.data.reader import Dataset, read_episode_rows, read_info, read_schema, read_tasks
from eva_core.data.stats import FeatureStats, ImageStatsAccumulator, merge_all
from eva_core.data.video import VideoEncoder, probe

log = logging.getLogger(__name__)

STAGING_DIR = ".staging"
LOCK_FILE = ".writer.lock"
LAYOUT = "one_episode_per_file"


@dataclass
class _OpenEpisode:
    index: int
    task: str
    staging: Path
    encoders: dict[str, VideoEncoder]
    image_stats: dict[str, ImageStatsAccumulator]
    states: list[np.ndarray] = field(default_factory=list)
    actions: list[np.ndarray] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(self.states)


class DatasetWriter:
    """Appends episodes to a LeRobot v3 dataset. Build with `create` (new) or `open` (resume)."""

    def __init__(self, root: Path, schema: DatasetSchema, lock_fd: int, rows: list[dict], tasks: list[str]):
        """Use `DatasetWriter.create` or `DatasetWriter.open`."""
        self.root = root
        self.schema = schema
        self._lock_fd: int | None = lock_fd
        self._rows = rows
        self._tasks = tasks
        self._episode: _OpenEpisode | None = None

    # --- construction -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: str | Path,
        fps: float,
        cameras: Mapping[str, tuple[int, int]],
        joint_names: Sequence[str],
        robot_type: str | None = None,
        video: VideoConfig | None = None,
    ) -> DatasetWriter:
        """Start a new, empty dataset at `root` (created if needed; must not hold a dataset yet).
        `cameras` maps a name to (height, width) in pixels."""
        schema = DatasetSchema.build(fps, cameras, joint_names, robot_type, video)
        root = Path(root)
        if (root / INFO_PATH).exists():
            raise FileExistsError(f"{root} already holds a dataset; use DatasetWriter.open to append to it")
        root.mkdir(parents=True, exist_ok=True)
        lock_fd = _lock(root)
        try:
            writer = cls(root, schema, lock_fd, [], [])
            shutil.rmtree(root / STAGING_DIR, ignore_errors=True)
            writer._write_tasks()
            writer._write_episodes(writer._rows)
            writer._write_derived()  # info.json last: its presence marks a dataset
        except BaseException:
            _unlock(lock_fd)
            raise
        return writer

    @classmethod
    def open(cls, root: str | Path) -> DatasetWriter:
        """Resume a dataset written by this module: deletes what an interrupted episode left behind,
        rebuilds `info.json` and `stats.json` from the committed episodes, and continues numbering.
        Episode rows written before per-column statistics and quantiles existed are brought up to date
        (see `_upgrade_row`); the episodes table is rewritten with them at the next commit."""
        root = Path(root)
        info = read_info(root)
        if info.get("eva", {}).get("layout") != LAYOUT:
            raise DatasetError(f"{root}: not written by eva_core.data (no eva.layout = {LAYOUT!r}); cannot append")
        schema = read_schema(root, info)
        lock_fd = _lock(root)
        try:
            shutil.rmtree(root / STAGING_DIR, ignore_errors=True)
            _remove_temp_files(root)
            rows = read_episode_rows(root)
            tasks = read_tasks(root)
            _check_committed_files(root, schema, rows, tasks)
            _remove_orphans(root, len(rows))
            if any(_needs_upgrade(schema, row) for row in rows):
                dataset = Dataset(root)
                rows = [_upgrade_row(dataset, row) if _needs_upgrade(schema, row) else row for row in rows]
            writer = cls(root, schema, lock_fd, rows, tasks)
            writer._write_derived()
        except BaseException:
            _unlock(lock_fd)
            raise
        log.info("%s: resuming at episode %d (%d frames committed)", root, len(rows), writer.num_frames)
        return writer

    # --- state ------------------------------------------------------------------------------------

    @property
    def num_episodes(self) -> int:
        """Committed episodes; also the index the next episode gets."""
        return len(self._rows)

    @property
    def num_frames(self) -> int:
        return self._rows[-1]["dataset_to_index"] if self._rows else 0

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self._tasks)

    @property
    def episode_open(self) -> bool:
        return self._episode is not None

    @property
    def frames_in_episode(self) -> int:
        return self._episode.length if self._episode else 0

    # --- episodes ---------------------------------------------------------------------------------

    def begin_episode(self, task: str) -> int:
        """Open the next episode; returns its index. `task` is the instruction, e.g. "fold the towel"."""
        self._check_usable()
        if self._episode is not None:
            raise RuntimeError(f"episode {self._episode.index} is still open; end_episode or discard_episode first")
        if not isinstance(task, str) or not task.strip():
            raise ValueError(f"task must be a non-empty string, got {task!r}")
        index = len(self._rows)
        staging = self.root / STAGING_DIR / f"episode-{index:06d}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        encoders: dict[str, VideoEncoder] = {}
        try:
            for cam in self.schema.cameras:
                encoders[cam.name] = VideoEncoder(
                    staging / f"{cam.key}.mp4", cam.height, cam.width, self.schema.fps, self.schema.video
                )
        except BaseException:
            for enc in encoders.values():
                enc.abort()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        stats = {cam.name: ImageStatsAccumulator(cam.height, cam.width) for cam in self.schema.cameras}
        self._episode = _OpenEpisode(index, task, staging, encoders, stats)
        return index

    def add_frame(
        self,
        images: Mapping[str, np.ndarray],
        state: Sequence[float] | np.ndarray,
        action: Sequence[float] | np.ndarray,
        timestamp: float | None = None,
    ) -> int:
        """Append one frame to the open episode; returns its frame index. See the module doc for
        what is accepted."""
        ep = self._require_episode()
        frames = self._check_images(images)
        state32 = self._check_vector(STATE, state)
        action32 = self._check_vector(ACTION, action)
        t = self._check_timestamp(ep, timestamp)
        for name, frame in frames.items():
            ep.encoders[name].encode(frame)
            ep.image_stats[name].add(frame)
        ep.states.append(state32)
        ep.actions.append(action32)
        ep.timestamps.append(t)
        return ep.length - 1

    def end_episode(self, success: bool | None = None, **extra: Any) -> int:
        """Commit the open episode; returns its index. `success`: whether the task was achieved
        (None: not judged). `extra`: JSON-serialisable metadata kept with the episode (operator,
        seed, "source": "sim" / "real", ...), read back as `Episode.extra`."""
        ep = self._require_episode()
        if ep.length == 0:
            raise ValueError(f"episode {ep.index} has no frames; add frames or call discard_episode()")
        if success is not None and not isinstance(success, (bool, np.bool_)):
            raise TypeError(f"success must be True, False or None, got {success!r}")
        try:
            extra_json = json.dumps(extra, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as err:
            raise TypeError(f"extra episode metadata must be JSON-serialisable: {err}") from None
        try:
            self._commit(ep, None if success is None else bool(success), extra_json)
        except BaseException:
            if self._episode is ep:  # failed before the commit point: nothing of it counts
                self._abandon(ep)
            raise
        return ep.index

    def discard_episode(self) -> None:
        """Drop the open episode; nothing of it is kept and its index is reused."""
        self._abandon(self._require_episode())

    def close(self) -> None:
        """Release the dataset. An episode still open is discarded (commit with `end_episode`)."""
        if self._lock_fd is None:
            return
        if self._episode is not None:
            log.warning("%s: closing with episode %d open (%d frames): discarded",
                        self.root, self._episode.index, self._episode.length)
            self._abandon(self._episode)
        shutil.rmtree(self.root / STAGING_DIR, ignore_errors=True)
        _unlock(self._lock_fd)
        self._lock_fd = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- commit -----------------------------------------------------------------------------------

    def _commit(self, ep: _OpenEpisode, success: bool | None, extra_json: str) -> None:
        n = ep.length
        # 1. finish every file in the staging area
        staged_videos = {}
        for cam in self.schema.cameras:
            enc = ep.encoders[cam.name]
            enc.close()
            frames = probe(enc.path).frames
            if frames != n:
                raise DatasetError(f"{enc.path}: encoder wrote {frames} frames, the episode has {n}")
            fsync_file(enc.path)
            staged_videos[cam.key] = enc.path
        columns = self._frame_columns(ep)
        staged_data = ep.staging / "data.parquet"
        write_parquet_durably(staged_data, self._frames_table(columns))
        # 2. move into the final paths (unreferenced until the episodes table names them)
        chunk, file = chunk_and_file(ep.index)
        for key, path in staged_videos.items():
            replace_durably(path, self.root / VIDEO_PATH.format(video_key=key, chunk_index=chunk, file_index=file))
        replace_durably(staged_data, self.root / DATA_PATH.format(chunk_index=chunk, file_index=file))
        # 3. a new task gets its index (harmless if we die before 4: an unused task)
        if ep.task not in self._tasks:
            self._tasks.append(ep.task)
            self._write_tasks()
        # 4. the commit point
        row = self._episode_row(ep, columns, success, extra_json)
        self._write_episodes(self._rows + [row])
        self._rows.append(row)
        self._episode = None
        # 5. derived metadata and clean-up
        self._write_derived()
        shutil.rmtree(ep.staging, ignore_errors=True)

    def _frame_columns(self, ep: _OpenEpisode) -> dict[str, np.ndarray]:
        """The episode's parquet columns by feature name: [T, D] vectors and [T] scalars."""
        n, start = ep.length, self.num_frames
        return {
            STATE: np.stack(ep.states),
            ACTION: np.stack(ep.actions),
            TIMESTAMP: np.asarray(ep.timestamps, np.float32),
            "frame_index": np.arange(n, dtype=np.int64),
            "episode_index": np.full(n, ep.index, np.int64),
            "index": np.arange(start, start + n, dtype=np.int64),
            "task_index": np.full(n, self._task_index(ep.task), np.int64),
        }

    def _frames_table(self, columns: Mapping[str, np.ndarray]) -> pa.Table:
        schema = self.schema.frame_arrow_schema()  # carries the `huggingface` metadata LeRobot's loader reads
        arrays = []
        for f in schema:
            values = columns[f.name]
            if pa.types.is_fixed_size_list(f.type):
                arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), type=f.type))
            else:
                arrays.append(pa.array(values, type=f.type))
        return pa.Table.from_arrays(arrays, schema=schema)

    def _task_index(self, task: str) -> int:
        """The index `task` has, or gets when its episode commits (new tasks are appended)."""
        return self._tasks.index(task) if task in self._tasks else len(self._tasks)

    def _episode_row(
        self, ep: _OpenEpisode, columns: Mapping[str, np.ndarray], success: bool | None, extra_json: str
    ) -> dict[str, Any]:
        n = ep.length
        chunk, file = chunk_and_file(ep.index)
        start = self.num_frames
        row: dict[str, Any] = {
            "episode_index": ep.index,
            "tasks": [ep.task],
            "length": n,
            "data/chunk_index": chunk,
            "data/file_index": file,
            "dataset_from_index": start,
            "dataset_to_index": start + n,
        }
        for cam in self.schema.cameras:
            row |= {
                f"videos/{cam.key}/chunk_index": chunk,
                f"videos/{cam.key}/file_index": file,
                f"videos/{cam.key}/from_timestamp": 0.0,
                f"videos/{cam.key}/to_timestamp": n / self.schema.fps,
            }
        row |= {"meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0, "success": success, "extra": extra_json}
        for cam in self.schema.cameras:
            row |= ep.image_stats[cam.name].stats.to_columns(cam.key, image=True)
        return row | _column_stats(columns)

    def _write_tasks(self) -> None:
        write_parquet_atomic(self.root / TASKS_PATH, tasks_table(self._tasks))

    def _write_episodes(self, rows: list[dict[str, Any]]) -> None:
        table = pa.Table.from_pylist(rows, schema=self.schema.episodes_arrow_schema())
        write_parquet_atomic(self.root / EPISODES_PATH.format(chunk_index=0, file_index=0), table)

    def _write_derived(self) -> None:
        stats: dict[str, Any] = {}
        for key, shape in self.schema.stats_keys().items():
            parts = [FeatureStats.from_columns(row, key) for row in self._rows]
            if parts and None not in parts:  # a key some episode lacks has no dataset-wide statistics
                stats[key] = merge_all(parts).to_json(image=len(shape) == 3)
        write_json_atomic(self.root / STATS_PATH, stats)
        info = self.schema.info(len(self._rows), self.num_frames, len(self._tasks))
        write_json_atomic(self.root / INFO_PATH, info)

    # --- helpers ----------------------------------------------------------------------------------

    def _abandon(self, ep: _OpenEpisode) -> None:
        for enc in ep.encoders.values():
            enc.abort()
        shutil.rmtree(ep.staging, ignore_errors=True)
        self._episode = None

    def _check_usable(self) -> None:
        if self._lock_fd is None:
            raise RuntimeError(f"{self.root}: the writer is closed")

    def _require_episode(self) -> _OpenEpisode:
        self._check_usable()
        if self._episode is None:
            raise RuntimeError("no episode is open; call begin_episode(task) first")
        return self._episode

    def _check_images(self, images: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not isinstance(images, Mapping):
            raise TypeError(f"images must map a camera name to an array, got {type(images).__name__}")
        names = self.schema.camera_names
        unknown = sorted(set(images) - set(names))
        if unknown:
            raise ValueError(f"unknown camera(s) {unknown}; this dataset records {list(names)}")
        missing = [n for n in names if n not in images]
        if missing:
            raise ValueError(f"missing camera(s) {missing}: every frame needs an image from each of {list(names)}")
        out = {}
        for cam in self.schema.cameras:
            img = images[cam.name]
            if not isinstance(img, np.ndarray):
                raise TypeError(f"image {cam.name!r} must be a numpy array, got {type(img).__name__}")
            if img.dtype != np.uint8:
                raise ValueError(f"image {cam.name!r} must be uint8 RGB, got dtype {img.dtype}")
            if img.shape != cam.shape:
                raise ValueError(f"image {cam.name!r} must have shape {cam.shape} (H, W, 3), got {img.shape}")
            out[cam.name] = img
        return out

    def _check_vector(self, name: str, value: Sequence[float] | np.ndarray) -> np.ndarray:
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a vector of {self.schema.dim} numbers: {err}") from None
        if arr.shape != (self.schema.dim,):
            raise ValueError(f"{name} must have shape ({self.schema.dim},), got {arr.shape}")
        with np.errstate(over="ignore"):
            arr32 = arr.astype(np.float32)
        bad = np.flatnonzero(~np.isfinite(arr32))
        if bad.size:
            where = ", ".join(f"{self.schema.joint_names[i]}={arr[i]}" for i in bad)
            raise ValueError(f"{name} has non-finite values (NaN/inf, or beyond float32): {where}")
        return arr32

    def _check_timestamp(self, ep: _OpenEpisode, timestamp: float | None) -> float:
        if timestamp is None:
            return ep.length / self.schema.fps
        t = float(timestamp)
        if not np.isfinite(t) or t < 0:
            raise ValueError(f"timestamp must be finite and >= 0 (seconds since the episode's start), got {timestamp}")
        if ep.timestamps and t <= ep.timestamps[-1]:
            raise ValueError(f"timestamps must increase: {t} after {ep.timestamps[-1]} (frame {ep.length})")
        return t


def _column_stats(columns: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Episodes-table statistics columns of every parquet column ([T] scalars, [T, D] vectors)."""
    out: dict[str, Any] = {}
    for key, values in columns.items():
        out |= FeatureStats.of(values.reshape(len(values), -1)).to_columns(key)
    return out


# --- datasets written before LeRobot-complete statistics (issue 20) -------------------------------


def _needs_upgrade(schema: DatasetSchema, row: Mapping[str, Any]) -> bool:
    return any(row.get(f"stats/{key}/{QUANTILE_NAMES[0]}") is None
               for key, shape in schema.stats_keys().items() if len(shape) == 1)


def _upgrade_row(dataset: Dataset, row: dict[str, Any]) -> dict[str, Any]:
    """An episode row written before issue 20 with what a new one has: statistics and quantiles of every
    parquet column (recomputed from the frames, so exact), image statistics shaped (3, 1, 1). Image
    quantiles stay unknown (None): they would need every frame decoded again, and lossy video would
    not give back the pixels they were meant to describe."""
    row = row | _column_stats(dataset.episode(row["episode_index"]).columns)
    for cam in dataset.schema.cameras:
        stats = FeatureStats.from_columns(row, cam.key)
        if stats is not None:
            row |= stats.to_columns(cam.key, image=True)
    return row


# --- on-disk housekeeping ---------------------------------------------------------------------------


def _lock(root: Path) -> int:
    path = root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatasetError(f"{root}: another DatasetWriter has it open ({path} is locked)") from None
    return fd


def _unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _remove_temp_files(root: Path) -> None:
    for sub in ("meta", "data", "videos"):
        for path in (root / sub).rglob(f".*{TMP_SUFFIX}"):
            log.info("removing interrupted write %s", path)
            path.unlink(missing_ok=True)


_FILE = re.compile(r"chunk-(\d+)/file-(\d+)\.(parquet|mp4)$")


def _remove_orphans(root: Path, committed: int) -> None:
    """Delete data and video files of episodes that never reached the episodes table."""
    for path in [*(root / "data").glob("chunk-*/file-*.parquet"), *(root / "videos").glob("*/chunk-*/file-*.mp4")]:
        match = _FILE.search(path.as_posix())
        if match and int(match[1]) * CHUNKS_SIZE + int(match[2]) >= committed:
            log.info("removing %s: its episode was never committed", path)
            path.unlink()


def _check_committed_files(root: Path, schema: DatasetSchema, rows: list[dict], tasks: list[str]) -> None:
    """Every committed episode's files exist and its task is known: the commit order guarantees both,
    so a failure here means the dataset was damaged from outside."""
    for row in rows:
        i = row["episode_index"]
        chunk, file = row["data/chunk_index"], row["data/file_index"]
        paths = [root / DATA_PATH.format(chunk_index=chunk, file_index=file)]
        for cam in schema.cameras:
            paths.append(root / VIDEO_PATH.format(
                video_key=cam.key,
                chunk_index=row[f"videos/{cam.key}/chunk_index"],
                file_index=row[f"videos/{cam.key}/file_index"],
            ))
        for path in paths:
            if not path.is_file():
                raise DatasetError(f"{root}: committed episode {i} lacks {path.relative_to(root)}")
        for task in row["tasks"]:
            if task not in tasks:
                raise DatasetError(f"{root}: committed episode {i} has task {task!r}, missing from {TASKS_PATH}")
