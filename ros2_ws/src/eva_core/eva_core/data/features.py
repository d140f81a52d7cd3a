"""The dataset schema: what a frame holds, how it is laid out on disk, and how `meta/info.json` says so.

Layout (LeRobotDataset v3.0 paths and field names; one episode per file, see below)::

    root/
      meta/info.json                                     schema, fps, totals, path templates
      meta/tasks.parquet                                 task_index; the task text is the (pandas) row label
      meta/stats.json                                    per-feature mean/std/min/max/count/q01..q99
      meta/episodes/chunk-000/file-000.parquet           one row per committed episode (the commit point)
      data/chunk-{c:03d}/file-{f:03d}.parquet            frames of one episode (+ `huggingface` schema metadata)
      videos/observation.images.{cam}/chunk-{c:03d}/file-{f:03d}.mp4   one stream per camera and episode

LeRobot v3 may pack several episodes into one data or video file; our writer puts exactly one episode
in each (file index = episode index mod `chunks_size`, chunk index = episode index div `chunks_size`)
so that committing an episode is a handful of atomic renames and never rewrites earlier data. The
episodes table still carries the v3 pointers (`data/chunk_index`, `dataset_from_index`,
`videos/{key}/from_timestamp`, ...), so a v3 reader finds every episode; our reader also follows those
pointers and therefore reads multi-episode files written by other v3 tools.
"""

from __future__ import annotations

import enum
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from eva_core.config import ConfigError
from eva_core.config.validators import integer, positive_int
from eva_core.data.interop import hf_schema_metadata

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000  # files per chunk directory (the LeRobot v3 default)
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO_PATH = "meta/info.json"
TASKS_PATH = "meta/tasks.parquet"
STATS_PATH = "meta/stats.json"
# LeRobot's file-size targets; informational here, since each file holds one episode.
DATA_FILES_SIZE_IN_MB = 100
VIDEO_FILES_SIZE_IN_MB = 200

STATE = "observation.state"
ACTION = "action"
TIMESTAMP = "timestamp"
IMAGE_PREFIX = "observation.images."
INDEX_COLUMNS = ("frame_index", "episode_index", "index", "task_index")
STAT_NAMES = ("mean", "std", "min", "max")
# LeRobot's quantile statistics (`DEFAULT_QUANTILES` in lerobot 0.4's compute_stats), named q01..q99.
QUANTILE_LEVELS = (0.01, 0.10, 0.50, 0.90, 0.99)
QUANTILE_NAMES = tuple(f"q{round(q * 100):02d}" for q in QUANTILE_LEVELS)
IMAGE_STATS_SHAPE = (3, 1, 1)  # per RGB channel, broadcastable over [C, H, W] (LeRobot's convention)

_CAMERA_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class DatasetError(RuntimeError):
    """A dataset on disk is missing, inconsistent, locked by another writer, or not one we can append to."""


def image_key(camera: str) -> str:
    """The feature (and video directory) name of a camera: ``observation.images.cam_high``."""
    return IMAGE_PREFIX + camera


def chunk_and_file(episode_index: int) -> tuple[int, int]:
    """Where episode `episode_index` lives: one file per episode, `CHUNKS_SIZE` files per chunk."""
    return divmod(episode_index, CHUNKS_SIZE)


class VideoCodec(enum.Enum):
    """How camera streams are encoded."""

    # libx264, yuv420p, constant quality `crf`: small files that any player, browser and LeRobot decode;
    # lossy (chroma subsampled, quantised), so frames read back close to, not equal to, what was written.
    H264 = "h264"
    # libx264rgb at qp 0 on planar RGB (High 4:4:4 Predictive profile): frames read back bit-exact, which
    # the twin's IDM data wants. Files are several times larger and browsers cannot play them;
    # FFmpeg-based tools (PyAV, torchcodec, LeRobot) can.
    H264_LOSSLESS = "h264_lossless"
    # libsvtav1, yuv420p, constant quality `crf`: LeRobot's own default for recordings; about half the
    # size of H.264 at equal quality. Needs an FFmpeg built with SVT-AV1 (PyAV's wheels are) to write,
    # and an AV1 decoder (dav1d) to read.
    AV1 = "av1"


@dataclass(frozen=True)
class VideoConfig:
    codec: VideoCodec = VideoCodec.H264  # lossy H.264 by default: ~10x smaller than lossless on camera images
    crf: int = 18  # lossy codecs only; x264 0..51 (18 is visually lossless, keeps IDM-relevant edges), SVT-AV1 0..63
    preset: str = "veryfast"  # speed/size trade-off; x264 name, or SVT-AV1 "0".."13" (higher is faster)
    gop: int = 32  # frames between keyframes: bounds the decode work of a seek (2 s at 16 fps)

    def __post_init__(self) -> None:
        if not isinstance(self.codec, VideoCodec):
            raise ConfigError("video.codec", f"must be one of {[c.value for c in VideoCodec]}, got {self.codec!r}")
        max_crf = 63 if self.codec is VideoCodec.AV1 else 51
        if not 0 <= self.crf <= max_crf:
            raise ConfigError("video.crf", f"must be in 0..{max_crf} for {self.codec.value}, got {self.crf}")
        presets = _SVTAV1_PRESETS if self.codec is VideoCodec.AV1 else _X264_PRESETS
        if self.preset not in presets:
            raise ConfigError("video.preset", f"must be one of {presets} for {self.codec.value}, got {self.preset!r}")
        integer("video.gop", self.gop, 1)

    @classmethod
    def lossless(cls, preset: str = "ultrafast", gop: int = 32) -> VideoConfig:
        return cls(codec=VideoCodec.H264_LOSSLESS, crf=0, preset=preset, gop=gop)

    @classmethod
    def av1(cls, crf: int = 30, preset: str = "10", gop: int = 32) -> VideoConfig:
        """LeRobot's recording codec. crf 30 is LeRobot's default; preset 10 keeps three 640x480 streams
        near real time on a few cores (LeRobot uses 12, the fastest, at a small cost in size)."""
        return cls(codec=VideoCodec.AV1, crf=crf, preset=preset, gop=gop)

    @property
    def encoder(self) -> str:
        return {VideoCodec.H264: "libx264", VideoCodec.H264_LOSSLESS: "libx264rgb", VideoCodec.AV1: "libsvtav1"}[
            self.codec
        ]

    @property
    def codec_name(self) -> str:
        """The stream's codec as FFmpeg names it (info.json's `video.codec`)."""
        return "av1" if self.codec is VideoCodec.AV1 else "h264"

    @property
    def input_pix_fmt(self) -> str:
        """The pixel format handed to the encoder."""
        return "rgb24" if self.codec is VideoCodec.H264_LOSSLESS else "yuv420p"

    @property
    def stored_pix_fmt(self) -> str:
        """The pixel format in the file (what a decoder reports): libx264rgb stores planar GBR."""
        return "gbrp" if self.codec is VideoCodec.H264_LOSSLESS else "yuv420p"

    @property
    def encoder_options(self) -> dict[str, str]:
        quality = {"qp": "0"} if self.codec is VideoCodec.H264_LOSSLESS else {"crf": str(self.crf)}
        return {**quality, "preset": self.preset}

    def to_json(self) -> dict[str, Any]:
        return {"codec": self.codec.value, "crf": self.crf, "preset": self.preset, "gop": self.gop}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VideoConfig:
        try:
            codec = VideoCodec(data["codec"])
        except (KeyError, ValueError):
            raise ConfigError("eva.video.codec", f"unknown codec {data.get('codec')!r}") from None
        return cls(codec=codec, crf=int(data["crf"]), preset=str(data["preset"]), gop=int(data["gop"]))


_X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
_SVTAV1_PRESETS = tuple(str(p) for p in range(14))


@dataclass(frozen=True)
class CameraSpec:
    name: str  # e.g. "cam_high"; the feature is observation.images.<name>
    height: int  # px
    width: int  # px

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _CAMERA_NAME.match(self.name):
            raise ConfigError("cameras", f"camera name must be letters, digits and '_', got {self.name!r}")
        for dim in ("height", "width"):
            integer(f"cameras.{self.name}.{dim}", getattr(self, dim), 2)

    @property
    def key(self) -> str:
        return image_key(self.name)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, 3)


@dataclass(frozen=True)
class DatasetSchema:
    """Everything fixed for the life of a dataset. Built once by `DatasetWriter.create`, then read
    back from `meta/info.json`."""

    fps: int  # frames per second of every stream; LeRobot stores an integer (our plan rate is 16)
    cameras: tuple[CameraSpec, ...]  # one mp4 stream per camera per episode
    joint_names: tuple[str, ...]  # names of the state/action dimensions, in vector order (14 for EVA)
    robot_type: str | None = None  # free text, e.g. "piper_bimanual"; LeRobot's robot_type field
    video: VideoConfig = field(default_factory=VideoConfig)

    def __post_init__(self) -> None:
        positive_int("fps", self.fps)
        if not self.cameras:
            raise ConfigError("cameras", "a dataset needs at least one camera")
        names = [c.name for c in self.cameras]
        if len(set(names)) != len(names):
            raise ConfigError("cameras", f"camera names must be unique, got {names}")
        if self.video.stored_pix_fmt == "yuv420p":
            for cam in self.cameras:
                if cam.height % 2 or cam.width % 2:
                    raise ConfigError(
                        f"cameras.{cam.name}",
                        f"yuv420p video needs even height and width, got {cam.height}x{cam.width} "
                        "(use VideoConfig.lossless() or crop)",
                    )
        if not self.joint_names or not all(isinstance(n, str) and n for n in self.joint_names):
            raise ConfigError("joint_names", f"must be a non-empty list of non-empty names, got {self.joint_names!r}")
        if len(set(self.joint_names)) != len(self.joint_names):
            raise ConfigError("joint_names", f"names must be unique, got {list(self.joint_names)}")
        if self.robot_type is not None and not isinstance(self.robot_type, str):
            raise ConfigError("robot_type", f"must be a string or None, got {self.robot_type!r}")

    @classmethod
    def build(
        cls,
        fps: float,
        cameras: Mapping[str, tuple[int, int]],
        joint_names: Sequence[str],
        robot_type: str | None = None,
        video: VideoConfig | None = None,
    ) -> DatasetSchema:
        """From plain values: `cameras` maps a name to (height, width); `fps` may be a whole float
        (e.g. the embodiment's `plan_rate_hz` of 16.0)."""
        if isinstance(fps, float):
            if not math.isfinite(fps) or fps != int(fps):
                raise ConfigError("fps", f"must be a whole number of frames per second, got {fps}")
            fps = int(fps)
        if not isinstance(cameras, Mapping):
            raise ConfigError("cameras", f"must map a camera name to (height, width), got {type(cameras).__name__}")
        specs = []
        for name, size in cameras.items():
            if not isinstance(size, Sequence) or len(size) != 2:
                raise ConfigError(f"cameras.{name}", f"must be (height, width), got {size!r}")
            specs.append(CameraSpec(name, *(int(s) if isinstance(s, numbers.Integral) else s for s in size)))
        return cls(fps, tuple(specs), tuple(joint_names), robot_type, video or VideoConfig())

    @property
    def dim(self) -> int:
        """Length of the state and action vectors."""
        return len(self.joint_names)

    @property
    def camera_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cameras)

    def camera(self, name: str) -> CameraSpec:
        for cam in self.cameras:
            if cam.name == name:
                return cam
        raise KeyError(f"unknown camera {name!r}; this dataset has {list(self.camera_names)}")

    # --- meta/info.json ---------------------------------------------------------------------------

    def features(self) -> dict[str, Any]:
        """The v3 `features` block: dtype, shape and names of every column and video stream."""
        feats: dict[str, Any] = {}
        for cam in self.cameras:
            feats[cam.key] = {
                "dtype": "video",
                "shape": list(cam.shape),
                "names": ["height", "width", "channels"],
                "info": {
                    "video.height": cam.height,
                    "video.width": cam.width,
                    "video.codec": self.video.codec_name,
                    "video.pix_fmt": self.video.stored_pix_fmt,
                    "video.is_depth_map": False,
                    "video.fps": self.fps,
                    "video.channels": 3,
                    "has_audio": False,
                },
            }
        for key in (STATE, ACTION):
            feats[key] = {"dtype": "float32", "shape": [self.dim], "names": list(self.joint_names)}
        feats[TIMESTAMP] = {"dtype": "float32", "shape": [1], "names": None}
        for key in INDEX_COLUMNS:
            feats[key] = {"dtype": "int64", "shape": [1], "names": None}
        return feats

    def info(self, total_episodes: int, total_frames: int, total_tasks: int) -> dict[str, Any]:
        return {
            "codebase_version": CODEBASE_VERSION,
            "robot_type": self.robot_type,
            "total_episodes": total_episodes,
            "total_frames": total_frames,
            "total_tasks": total_tasks,
            "chunks_size": CHUNKS_SIZE,
            "data_files_size_in_mb": DATA_FILES_SIZE_IN_MB,
            "video_files_size_in_mb": VIDEO_FILES_SIZE_IN_MB,
            "fps": self.fps,
            "splits": {"train": f"0:{total_episodes}"},
            "data_path": DATA_PATH,
            "video_path": VIDEO_PATH,
            "features": self.features(),
            # Our own block (LeRobot ignores unknown keys): what a resumed writer needs to encode alike.
            "eva": {"layout": "one_episode_per_file", "video": self.video.to_json()},
        }

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> DatasetSchema:
        """Read the schema back from `meta/info.json`. Datasets written by other v3 tools have no
        `eva` block; they get the default `VideoConfig` (only a writer would use it)."""
        version = info.get("codebase_version")
        if version != CODEBASE_VERSION:
            raise ConfigError("codebase_version", f"expected {CODEBASE_VERSION!r}, got {version!r}")
        feats = info.get("features")
        if not isinstance(feats, Mapping):
            raise ConfigError("features", "missing or not a mapping")
        cameras = []
        for key, feat in feats.items():
            if feat.get("dtype") == "video" and key.startswith(IMAGE_PREFIX):
                height, width, channels = _hwc(key, feat)
                if channels != 3:
                    raise ConfigError(f"features.{key}.shape", f"only 3-channel images are supported, got {channels}")
                cameras.append(CameraSpec(key[len(IMAGE_PREFIX) :], height, width))
        state = feats.get(STATE)
        if not isinstance(state, Mapping) or not state.get("names"):
            raise ConfigError(f"features.{STATE}.names", "missing: the state dimensions must be named")
        names = state["names"]
        if isinstance(names, Mapping):  # some v3 writers nest names, e.g. {"motors": [...]}
            names = next(iter(names.values()))
        video = info.get("eva", {}).get("video")
        return cls(
            fps=int(info["fps"]),
            cameras=tuple(cameras),
            joint_names=tuple(names),
            robot_type=info.get("robot_type"),
            video=VideoConfig.from_json(video) if video else VideoConfig(),
        )

    # --- parquet schemas --------------------------------------------------------------------------

    def frame_arrow_schema(self) -> pa.Schema:
        vec = pa.list_(pa.float32(), self.dim)
        return pa.schema(
            [
                (STATE, vec),
                (ACTION, vec),
                (TIMESTAMP, pa.float32()),
                *[(key, pa.int64()) for key in INDEX_COLUMNS],
            ],
            metadata=hf_schema_metadata(self.features()),
        )

    def stats_keys(self) -> dict[str, tuple[int, ...]]:
        """Features that get statistics, with the shape of each statistic (as LeRobot computes them:
        every non-video column, and each camera per RGB channel)."""
        keys: dict[str, tuple[int, ...]] = {cam.key: IMAGE_STATS_SHAPE for cam in self.cameras}
        keys.update({STATE: (self.dim,), ACTION: (self.dim,), TIMESTAMP: (1,)})
        keys.update({key: (1,) for key in INDEX_COLUMNS})
        return keys

    def episodes_arrow_schema(self) -> pa.Schema:
        fields: list[tuple[str, pa.DataType]] = [
            ("episode_index", pa.int64()),
            ("tasks", pa.list_(pa.string())),
            ("length", pa.int64()),
            ("data/chunk_index", pa.int64()),
            ("data/file_index", pa.int64()),
            ("dataset_from_index", pa.int64()),
            ("dataset_to_index", pa.int64()),
        ]
        for cam in self.cameras:
            fields += [
                (f"videos/{cam.key}/chunk_index", pa.int64()),
                (f"videos/{cam.key}/file_index", pa.int64()),
                (f"videos/{cam.key}/from_timestamp", pa.float64()),
                (f"videos/{cam.key}/to_timestamp", pa.float64()),
            ]
        fields += [
            ("meta/episodes/chunk_index", pa.int64()),
            ("meta/episodes/file_index", pa.int64()),
            ("success", pa.bool_()),  # None when the recorder did not judge the episode
            ("extra", pa.string()),  # JSON object of caller metadata (operator, seed, sim/real, ...)
        ]
        for key, shape in self.stats_keys().items():
            # nested lists of the statistic's shape, as LeRobot stores `ndarray.tolist()`: (3, 1, 1) for images
            value: pa.DataType = pa.float64()
            for _ in shape:
                value = pa.list_(value)
            fields += [(f"stats/{key}/{stat}", value) for stat in (*STAT_NAMES, *QUANTILE_NAMES)]
            fields.append((f"stats/{key}/count", pa.list_(pa.int64())))
        return pa.schema(fields)


def _hwc(key: str, feat: Mapping[str, Any]) -> tuple[int, int, int]:
    shape = list(feat.get("shape", []))
    names = list(feat.get("names") or [])
    if len(shape) != 3:
        raise ConfigError(f"features.{key}.shape", f"expected 3 dimensions, got {shape}")
    if names and names[0] in ("c", "channel", "channels"):  # some v3 datasets store [C, H, W]
        return int(shape[1]), int(shape[2]), int(shape[0])
    return int(shape[0]), int(shape[1]), int(shape[2])
