"""Reading a dataset: episodes, their frames, and training samples.

    ds = Dataset("runs/demos")
    ds.num_episodes, ds.num_frames, ds.tasks, ds.stats
    ep = ds.episode(0)
    ep.states, ep.actions, ep.timestamps          # float32 [T, 14], [T, 14], [T]
    ep.columns                                     # every parquet column by feature name
    ep.video("cam_high")                           # uint8 [T, H, W, 3], decoded on demand
    for frame in ep.frames("cam_high"): ...        # one frame at a time
    for s in ds.idm_windows("cam_high", k=1): s.frames, s.action
    for c in ds.clips("cam_high", length=49, stride=24): c.frames, c.actions

The episodes table (`meta/episodes/*.parquet`) is the source of truth: an episode exists once its row
is there, and every file it points to was in place before the row was written. A `Dataset` reads the
table once when constructed, so it sees a consistent snapshot even while a writer appends.

Datasets written before issue 20 (task text in a `task` column of `meta/tasks.parquet`, flat image
statistics, no quantiles) read the same way as current ones.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from eva_core.config import ConfigError
from eva_core.data import windows
from eva_core.data.features import (
    ACTION,
    INFO_PATH,
    STATE,
    STATS_PATH,
    TASKS_PATH,
    TIMESTAMP,
    DatasetError,
    DatasetSchema,
)
from eva_core.data.interop import tasks_from_table
from eva_core.data.video import decode_frames, read_video

log = logging.getLogger(__name__)


# --- metadata files (shared with the writer) --------------------------------------------------------


def read_info(root: Path) -> dict[str, Any]:
    path = root / INFO_PATH
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"{root}: not a dataset ({INFO_PATH} is missing)") from None
    except (OSError, json.JSONDecodeError) as err:
        raise DatasetError(f"{path}: cannot read: {err}") from None
    if not isinstance(info, dict):
        raise DatasetError(f"{path}: top level must be a JSON object")
    return info


def read_schema(root: Path, info: dict[str, Any]) -> DatasetSchema:
    try:
        return DatasetSchema.from_info(info)
    except (ConfigError, KeyError, TypeError, ValueError) as err:
        raise DatasetError(f"{root / INFO_PATH}: {err}") from None


def read_episode_rows(root: Path) -> list[dict[str, Any]]:
    """All rows of the episodes table, sorted by episode index and checked to be 0..N-1."""
    files = sorted((root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
    rows: list[dict[str, Any]] = []
    for path in files:
        try:
            rows += pq.read_table(path).to_pylist()
        except (OSError, pa.ArrowException) as err:
            raise DatasetError(f"{path}: cannot read episodes table: {err}") from None
    rows.sort(key=lambda r: r["episode_index"])
    indices = [r["episode_index"] for r in rows]
    if indices != list(range(len(rows))):
        raise DatasetError(f"{root}: episode indices are not 0..{len(rows) - 1}: {indices[:20]}")
    return rows


def read_tasks(root: Path) -> list[str]:
    """Task strings by task index."""
    path = root / TASKS_PATH
    if not path.exists():
        return []
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as err:
        raise DatasetError(f"{path}: cannot read: {err}") from None
    try:
        return tasks_from_table(table)
    except ValueError as err:
        raise DatasetError(f"{path}: {err}") from None


def _vectors(table: pa.Table, name: str, dim: int) -> np.ndarray:
    values = np.asarray(table.column(name).combine_chunks().flatten(), dtype=np.float32)
    return values.reshape(-1, dim)


# --- episodes ---------------------------------------------------------------------------------------


class Episode:
    """One committed episode. Numeric columns are read on first use; video frames are decoded only
    when asked for, one camera at a time."""

    def __init__(self, dataset: Dataset, row: dict[str, Any]):
        self._dataset = dataset
        self._row = row
        self.index: int = row["episode_index"]
        self.length: int = row["length"]
        self.tasks: tuple[str, ...] = tuple(row["tasks"])
        self.success: bool | None = row.get("success")
        self.from_index: int = row["dataset_from_index"]  # global index of the first frame
        extra = row.get("extra")
        self.extra: dict[str, Any] = json.loads(extra) if extra else {}

    @property
    def task(self) -> str:
        return self.tasks[0]

    def __repr__(self) -> str:
        return f"Episode(index={self.index}, length={self.length}, task={self.task!r}, success={self.success})"

    @cached_property
    def _table(self) -> pa.Table:
        ds = self._dataset
        path = ds.root / ds.info["data_path"].format(
            chunk_index=self._row["data/chunk_index"], file_index=self._row["data/file_index"]
        )
        try:
            table = pq.read_table(path, filters=[("episode_index", "=", self.index)])
        except (OSError, pa.ArrowException) as err:
            raise DatasetError(f"{path}: cannot read episode {self.index}: {err}") from None
        table = table.sort_by("frame_index")
        if table.num_rows != self.length:
            raise DatasetError(
                f"{path}: episode {self.index} has {table.num_rows} frames, the episodes table says {self.length}"
            )
        return table

    @cached_property
    def states(self) -> np.ndarray:
        """float32 [T, D]: measured joint positions."""
        return _vectors(self._table, STATE, self._dataset.schema.dim)

    @cached_property
    def actions(self) -> np.ndarray:
        """float32 [T, D]: commanded joint positions."""
        return _vectors(self._table, ACTION, self._dataset.schema.dim)

    @cached_property
    def timestamps(self) -> np.ndarray:
        """float32 [T]: seconds since the episode's first frame."""
        return self._table.column(TIMESTAMP).to_numpy().astype(np.float32)

    @cached_property
    def frame_index(self) -> np.ndarray:
        return self._table.column("frame_index").to_numpy()

    @cached_property
    def global_index(self) -> np.ndarray:
        return self._table.column("index").to_numpy()

    @cached_property
    def task_index(self) -> np.ndarray:
        return self._table.column("task_index").to_numpy()

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every parquet column by feature name: [T, D] state and action, [T] timestamp and indices."""
        return {
            STATE: self.states,
            ACTION: self.actions,
            TIMESTAMP: self.timestamps,
            "frame_index": self.frame_index,
            "episode_index": self._table.column("episode_index").to_numpy(),
            "index": self.global_index,
            "task_index": self.task_index,
        }

    def video_path(self, camera: str) -> Path:
        key = self._dataset.schema.camera(camera).key
        ds = self._dataset
        return ds.root / ds.info["video_path"].format(
            video_key=key,
            chunk_index=self._row[f"videos/{key}/chunk_index"],
            file_index=self._row[f"videos/{key}/file_index"],
        )

    def _video_range(self, camera: str, start: int, stop: int | None) -> tuple[Path, int, int]:
        stop = self.length if stop is None else stop
        if not 0 <= start <= stop <= self.length:
            raise IndexError(f"frame range [{start}, {stop}) outside episode {self.index} of length {self.length}")
        key = self._dataset.schema.camera(camera).key
        offset = round(self._row[f"videos/{key}/from_timestamp"] * self._dataset.fps)  # multi-episode files
        return self.video_path(camera), offset + start, offset + stop

    def frames(self, camera: str, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Decode frames `[start, stop)` of one camera, one `uint8 [H, W, 3]` array at a time."""
        path, a, b = self._video_range(camera, start, stop)
        return decode_frames(path, self._dataset.fps, a, b)

    def video(self, camera: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Frames `[start, stop)` of one camera as `uint8 [T, H, W, 3]` (T x H x W x 3 bytes of memory)."""
        path, a, b = self._video_range(camera, start, stop)
        return read_video(path, self._dataset.fps, a, b)


# --- the dataset ------------------------------------------------------------------------------------


class Dataset:
    """A LeRobot v3 dataset on disk, read-only."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.info = read_info(self.root)
        self.schema = read_schema(self.root, self.info)
        self._rows = read_episode_rows(self.root)
        self.tasks: tuple[str, ...] = tuple(read_tasks(self.root))
        total = self.info.get("total_episodes")
        if total != len(self._rows):
            # Only after a crash between the commit and the info.json rewrite; the writer repairs it on open.
            log.warning("%s: info.json says %s episodes, the episodes table has %d; using the table",
                        self.root, total, len(self._rows))

    @property
    def fps(self) -> int:
        return self.schema.fps

    @property
    def cameras(self) -> tuple[str, ...]:
        return self.schema.camera_names

    @property
    def joint_names(self) -> tuple[str, ...]:
        return self.schema.joint_names

    @property
    def num_episodes(self) -> int:
        return len(self._rows)

    @property
    def num_frames(self) -> int:
        return sum(r["length"] for r in self._rows)

    @property
    def episode_lengths(self) -> list[int]:
        return [r["length"] for r in self._rows]

    @cached_property
    def stats(self) -> dict[str, Any]:
        """`meta/stats.json`: {feature: {mean, std, min, max, count, q01, q10, q50, q90, q99}}; image
        statistics are shaped [3][1][1]. Datasets written before issue 20 lack the quantiles and the
        index columns' entries."""
        path = self.root / STATS_PATH
        return json.loads(path.read_text()) if path.exists() else {}

    def episode(self, index: int) -> Episode:
        if not 0 <= index < len(self._rows):
            raise IndexError(f"episode {index} out of range: the dataset has {len(self._rows)} episodes")
        return Episode(self, self._rows[index])

    def episodes(self, indices: Sequence[int] | None = None) -> Iterator[Episode]:
        for i in range(len(self._rows)) if indices is None else indices:
            yield self.episode(i)

    def idm_windows(
        self, camera: str, k: int = 1, episodes: Sequence[int] | None = None
    ) -> Iterator[windows.IdmSample]:
        """Inverse-dynamics samples: frames t-k..t+k (clamped at the episode's ends) and the action at t.
        See `windows.idm_windows`."""
        return windows.idm_windows(self.episodes(episodes), camera, k)

    def clips(
        self,
        camera: str,
        length: int,
        stride: int | None = None,
        step: int = 1,
        episodes: Sequence[int] | None = None,
    ) -> Iterator[windows.Clip]:
        """Fixed-length video clips with their states and actions. See `windows.clips`."""
        return windows.clips(self.episodes(episodes), camera, length, stride, step)
