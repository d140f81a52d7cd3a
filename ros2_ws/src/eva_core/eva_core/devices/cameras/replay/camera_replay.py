"""Replay camera: serves one camera of a recorded episode (eva_core.data) as if it were live.

    cam = ReplayCamera(ReplayCameraConfig(dataset="runs/demos", episode=3, camera="cam_high"))
    with cam: frame = cam.read_latest(max_age_s=0.1)

Time starts at `connect()`. Frame k becomes current when the clock has advanced by its offset: the
recorded `timestamp[k] - timestamp[0]`, or `k / rate_hz` when a rate is configured. The clock is
injectable (`clock=`, seconds, default `time.monotonic`) so tests step time by hand.

  * `timestamp_s` = the recorded timestamp (seconds since the episode's first frame), plus one
    episode duration per completed loop, so it keeps increasing when looping.
  * `host_time_s` = the clock time at which the frame became current (connect time + offset).
  * `frame_number` = frames served since connect, counting loops (k + loop * length).
After the last frame without `loop` the last frame is held and goes stale like a frozen camera.

Frames are decoded sequentially on demand (one frame kept in memory, not the whole episode); a read
that jumps ahead decodes the skipped frames, so keep up with the replay or expect that cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from eva_core.data import Dataset, DatasetError, VideoError
from eva_core.devices.cameras.camera import Camera, CameraError, CameraNotConnectedError, CameraNotFoundError, Frame
from eva_core.devices.cameras.configs import ReplayCameraConfig


class ReplayCamera(Camera):
    def __init__(self, config: ReplayCameraConfig, name: str = "replay",
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(name)
        self.config = config
        self._clock = clock
        self._t0: float | None = None
        self._offsets: np.ndarray | None = None  # seconds after connect at which each frame is current
        self._timestamps: np.ndarray | None = None
        self._period = 0.0  # one loop's duration
        self._episode = None
        self._frames: Iterator[np.ndarray] | None = None
        self._decoded = -1  # index in the episode of the frame in `_image`
        self._image: np.ndarray | None = None
        self._served: Frame | None = None

    def now(self) -> float:
        return self._clock()

    @property
    def is_connected(self) -> bool:
        return self._t0 is not None

    @property
    def num_frames(self) -> int:
        return 0 if self._offsets is None else len(self._offsets)

    def connect(self) -> None:
        if self.is_connected:
            raise CameraError(f"{self.name}: already connected")
        cfg = self.config
        try:
            ds = Dataset(cfg.dataset)
        except DatasetError as err:
            raise CameraNotFoundError([str(cfg.dataset)], [], f"{err}; datasets found") from None
        if cfg.camera not in ds.cameras:
            raise CameraNotFoundError([cfg.camera], ds.cameras, f"dataset {cfg.dataset} has cameras")
        if cfg.episode >= ds.num_episodes:
            raise CameraNotFoundError([f"episode {cfg.episode}"], [f"episodes 0..{ds.num_episodes - 1}"],
                                      f"dataset {cfg.dataset} has")
        episode = ds.episode(cfg.episode)
        stamps = np.asarray(episode.timestamps, dtype=np.float64)
        if len(stamps) == 0:
            raise CameraError(f"{self.name}: episode {cfg.episode} of {cfg.dataset} has no frames")
        if cfg.rate_hz is not None:
            offsets = np.arange(len(stamps)) / cfg.rate_hz
            period = len(stamps) / cfg.rate_hz
        else:
            offsets = stamps - stamps[0]
            step = float(np.median(np.diff(stamps))) if len(stamps) > 1 else 1.0 / ds.fps
            period = float(offsets[-1]) + step
        self._episode, self._timestamps, self._offsets, self._period = episode, stamps, offsets, period
        self._frames, self._decoded, self._image, self._served = None, -1, None, None
        self._t0 = self._clock()

    def disconnect(self) -> None:
        self._t0 = None
        self._frames = None
        self._image = None
        self._served = None

    def _image_at(self, index: int) -> np.ndarray:
        if self._frames is None or index < self._decoded:
            self._frames = self._episode.frames(self.config.camera)
            self._decoded = -1
        try:
            while self._decoded < index:
                self._image = next(self._frames)
                self._decoded += 1
        except (StopIteration, VideoError, DatasetError) as err:
            raise CameraError(f"{self.name}: cannot decode frame {index} of episode {self.config.episode} "
                              f"({self.config.camera}) in {self.config.dataset}: {err or 'video too short'}") from None
        self._image.flags.writeable = False
        return self._image

    def _newest(self) -> Frame | None:
        if self._t0 is None:
            raise CameraNotConnectedError(f"{self.name}: not connected")
        elapsed = self._clock() - self._t0
        n = len(self._offsets)
        loop = 0
        if self.config.loop:
            loop = int(elapsed // self._period)
            elapsed -= loop * self._period
        index = int(np.searchsorted(self._offsets, elapsed, side="right")) - 1
        if index < 0:  # cannot happen at elapsed >= 0; a clock that went backwards
            return self._served
        number = loop * n + index
        if self._served is not None and self._served.frame_number == number:
            return self._served
        self._served = Frame(
            image=self._image_at(index),
            timestamp_s=float(self._timestamps[index] + loop * self._period),
            host_time_s=self._t0 + loop * self._period + float(self._offsets[index]),
            frame_number=number,
        )
        return self._served
