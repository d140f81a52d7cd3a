"""The recorder's video encoding: one camera's mp4, encoded as its frames arrive (`CameraStream`), and the
frames of a video plan, kept losslessly in the plan's folder until the comparison is made
(`spill_plan_frames`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eva_core.data.features import VideoConfig
from eva_core.data.video import VideoEncoder
from eva_core.runs import frames as fr
from eva_core.runs.plans import VideoPlan

GAP_PERIODS = 2.5  # a camera interval longer than this many nominal frame periods is a gap (missing frames)
PLAN_SPILL_FILE = ".plan_frames.mp4"  # the video plan's frames until end_episode (lossless), then deleted
GREY = 60  # level of a plan frame that was not an RGB image


class CameraStream:
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


def spill_plan_frames(video: VideoPlan, folder: Path, checked: list[tuple[np.ndarray | None, str | None]]) -> None:
    """Encode the plan's frames (`fr.as_rgb` results; failures become grey) losslessly into
    `folder/PLAN_SPILL_FILE` and name that file in `video.spill`. No file is left behind on failure."""
    path = folder / PLAN_SPILL_FILE
    rate = max(1, round(video.fps))
    encoder = VideoEncoder(path, fr.even(video.height), fr.even(video.width), rate, VideoConfig.lossless())
    try:
        for frame, _ in checked:
            if frame is None:
                frame = np.full((video.height, video.width, 3), GREY, np.uint8)
            encoder.encode(fr.pad_even(fr.resize(frame, video.height, video.width)))
        encoder.close()
    except BaseException:
        encoder.abort()
        path.unlink(missing_ok=True)
        raise
    video.spill = path.name
