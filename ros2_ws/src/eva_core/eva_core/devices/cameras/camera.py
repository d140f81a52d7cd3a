"""The camera interface every implementation follows, its frame type and its errors.

    with make_camera(config, name="cam_high") as cam:      # connect() ... disconnect()
        frame = cam.read_latest(max_age_s=0.1)              # never blocks on the device
        frame.image, frame.timestamp_s, frame.frame_number, frame.depth

Two clocks, kept apart on purpose:
  * `Frame.timestamp_s` is the capture time as the source reports it, in seconds: the RealSense frame
    timestamp (hardware clock mapped to host time when the device reports the global time domain, or
    the timestamp written in a recording), the dataset timestamp for a replay, simulation time for the
    twin. It is what gets recorded and what aligns cameras with each other.
  * `Frame.host_time_s` is the same capture instant on the camera's staleness clock `Camera.now()`
    (host `time.time()` for RealSense; the injected clock for a replay). When the source's timestamp is
    not on that clock (a device clock, a recording made last week) it is the time the frame arrived.

A frame is stale when `now() - host_time_s > max_age_s`; `read_latest` then raises `StaleFrameError`
rather than hand an old image to a controller.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


# --- errors -----------------------------------------------------------------------------------------


class CameraError(RuntimeError):
    """Base class of every camera failure."""


class CameraNotFoundError(CameraError):
    """One or more configured cameras are not attached (or not in the recording). The message names
    every missing serial and every serial that was found, so the operator can fix the config."""

    def __init__(self, missing: Sequence[str], found: Sequence[str], where: str = "connected devices"):
        self.missing = tuple(missing)
        self.found = tuple(found)
        self.where = where
        names = ", ".join(repr(s) for s in self.missing)
        have = ", ".join(repr(s) for s in self.found) if self.found else "none"
        plural = "s" if len(self.missing) > 1 else ""
        super().__init__(f"camera serial{plural} {names} not found; {where}: {have}")


class CameraNotConnectedError(CameraError):
    """A read on a camera that is not connected (never connected, disconnected, or its thread died)."""


class StaleFrameError(CameraError):
    """The newest frame is older than the caller accepts, or there is no frame yet."""

    def __init__(self, camera: str, age_s: float | None, max_age_s: float):
        self.camera = camera
        self.age_s = age_s
        self.max_age_s = max_age_s
        if age_s is None:
            msg = f"{camera}: no frame received yet (max age {max_age_s * 1e3:.1f} ms)"
        else:
            msg = f"{camera}: newest frame is {age_s * 1e3:.1f} ms old, limit {max_age_s * 1e3:.1f} ms"
        super().__init__(msg)


class StreamEndedError(CameraError):
    """A finite source (a recording or a replayed episode without looping) has no more frames."""


# --- frames -----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Frame:
    """One image and when it was taken. Arrays are owned by the frame (never a view into a driver
    buffer that may be reused) and must not be written to."""

    image: np.ndarray  # uint8 [H, W, 3], RGB
    timestamp_s: float  # capture time as the source reports it (see the module doc), seconds
    host_time_s: float  # capture (or arrival) time on the camera's staleness clock, seconds
    frame_number: int  # the source's frame counter; gaps mean dropped frames
    depth: np.ndarray | None = None  # uint16 [H, W] in millimetres, aligned to `image`; 0 = no data

    def age_s(self, now_s: float) -> float:
        return now_s - self.host_time_s


# --- the interface ----------------------------------------------------------------------------------


class Camera(abc.ABC):
    """A source of timestamped RGB frames. Implementations keep the newest frame in memory (a
    background thread for a device) so that `read_latest` is cheap and never waits on hardware."""

    def __init__(self, name: str):
        self.name = name

    @property
    @abc.abstractmethod
    def is_connected(self) -> bool: ...

    @abc.abstractmethod
    def connect(self) -> None:
        """Open the source and start streaming. Raises `CameraNotFoundError` when the device (serial,
        file, episode) is not there, `CameraError` for anything else; leaves nothing open on failure."""

    @abc.abstractmethod
    def disconnect(self) -> None:
        """Stop streaming and release the source. Safe to call twice or after a failed connect."""

    @abc.abstractmethod
    def _newest(self) -> Frame | None:
        """The newest frame, or None if none has arrived yet; raise `CameraNotConnectedError` or the
        source's own failure. Must not block on the device."""

    def now(self) -> float:
        """The staleness clock (seconds); `Frame.host_time_s` is on this clock."""
        return time.time()

    def read_latest(self, max_age_s: float) -> Frame:
        """The newest frame, if it is at most `max_age_s` old; else `StaleFrameError` (also when no
        frame has arrived yet). `CameraNotConnectedError` when not connected."""
        if not max_age_s > 0:
            raise ValueError(f"max_age_s must be > 0, got {max_age_s}")
        if not self.is_connected:
            raise CameraNotConnectedError(f"{self.name}: not connected")
        frame = self._newest()
        if frame is None:
            raise StaleFrameError(self.name, None, max_age_s)
        age = frame.age_s(self.now())
        if age > max_age_s:
            raise StaleFrameError(self.name, age, max_age_s)
        return frame

    def __enter__(self) -> Camera:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def __repr__(self) -> str:
        state = "connected" if self.is_connected else "disconnected"
        return f"{type(self).__name__}(name={self.name!r}, {state})"
