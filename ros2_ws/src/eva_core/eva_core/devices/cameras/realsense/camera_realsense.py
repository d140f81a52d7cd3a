"""RealSense camera: colour (and optionally depth aligned to colour) from one device chosen by serial,
or from a recording of it, through the real `pyrealsense2.pipeline`.

    cam = RealSenseCamera(RealSenseCameraConfig(serial="233522071234"), name="cam_high")
    cam.connect()
    frame = cam.read_latest(max_age_s=0.1)

Connecting a live camera first lists the attached devices (`rs.context().query_devices()`, instant)
and raises `CameraNotFoundError` naming the missing serial and the ones present: `pipeline.start()`
would otherwise take ~15 s to fail with no camera. A recording is checked the same way: the pipeline
is resolved (the file opened, nothing streamed) and the recorded device's serial compared with the
configured one before streaming starts.

A reader thread per camera waits on the pipeline and keeps the newest frame in a slot, so
`read_latest` only takes a lock. Timestamps (see `camera.py` for the two clocks):
  * `timestamp_s` = the frame's timestamp / 1000, in its own domain. D4xx cameras report the global
    time domain (the hardware clock mapped onto host time, `time.time()` seconds), the system-time
    domain is the host's arrival time, the hardware-clock domain is the device's own counter.
  * `host_time_s` = `timestamp_s` for a live frame in the global or system-time domain; otherwise (a
    device clock, or any recording, whose timestamps are from when it was made) the host time the
    reader thread received the frame. Staleness is judged on `host_time_s` against `time.time()`.

Depth, when enabled, is Z16 aligned to the colour image by `rs.align` and delivered in millimetres.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pyrealsense2 as rs

from eva_core.devices.cameras.camera import (
    Camera,
    CameraError,
    CameraNotConnectedError,
    CameraNotFoundError,
    Frame,
    StreamEndedError,
)
from eva_core.devices.cameras.configs import RealSenseCameraConfig

log = logging.getLogger(__name__)

_HOST_DOMAINS = (rs.timestamp_domain.global_time, rs.timestamp_domain.system_time)


def connected_serials(context: rs.context | None = None) -> list[str]:
    """Serial numbers of the RealSense devices attached now (instant; empty with none)."""
    ctx = context or rs.context()
    return [dev.get_info(rs.camera_info.serial_number) for dev in ctx.query_devices()
            if dev.supports(rs.camera_info.serial_number)]


def recorded_serial(path) -> str:
    """The device serial number stored in a RealSense recording (opens the file, streams nothing)."""
    ctx = rs.context()
    try:
        dev = ctx.load_device(str(path))
    except RuntimeError as err:
        raise CameraError(f"{path}: not a readable RealSense recording: {err}") from None
    try:
        return dev.get_info(rs.camera_info.serial_number)
    finally:
        ctx.unload_device(str(path))


class RealSenseCamera(Camera):
    def __init__(self, config: RealSenseCameraConfig, name: str = "realsense"):
        super().__init__(name)
        self.config = config
        self._pipeline: rs.pipeline | None = None
        self._playback: rs.playback | None = None
        self._align: rs.align | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._count = 0  # frames published since connect
        self._taken = 0  # frames handed out by read_next
        self._error: BaseException | None = None
        self._ended = False

    # --- lifecycle --------------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        # Stays True after a recording ended (its last frame then goes stale) or the reader failed
        # (reads raise the device's error) until disconnect().
        return self._pipeline is not None

    @property
    def is_playback(self) -> bool:
        return self.config.recording is not None

    def connect(self) -> None:
        if self._pipeline is not None:
            raise CameraError(f"{self.name}: already connected")
        cfg = self.config
        rs_config = rs.config()
        if self.is_playback:
            if not cfg.recording.is_file():
                raise CameraNotFoundError([cfg.serial], [], f"recording {cfg.recording} does not exist")
            serial = recorded_serial(cfg.recording)  # before resolving: a wrong file fails on its serial
            if serial != cfg.serial:
                raise CameraNotFoundError([cfg.serial], [serial], f"recording {cfg.recording} holds")
            rs_config.enable_device_from_file(str(cfg.recording), repeat_playback=False)
        else:
            found = connected_serials()
            if cfg.serial not in found:
                raise CameraNotFoundError([cfg.serial], found)
            rs_config.enable_device(cfg.serial)
        rs_config.enable_stream(rs.stream.color, cfg.width, cfg.height, rs.format.rgb8, cfg.fps)
        if cfg.depth:
            rs_config.enable_stream(rs.stream.depth, cfg.width, cfg.height, rs.format.z16, cfg.fps)

        pipeline = rs.pipeline()
        try:
            resolved = rs_config.resolve(rs.pipeline_wrapper(pipeline))
        except RuntimeError as err:
            raise CameraError(f"{self.name}: cannot open {self._source()} with colour {cfg.width}x{cfg.height} "
                              f"@ {cfg.fps} Hz{' and depth' if cfg.depth else ''}: {err}"
                              f"{self._recorded_streams()}") from None
        device = resolved.get_device()
        if self.is_playback:
            self._playback = device.as_playback()
            # Set before start, on the resolved device that start() will use: otherwise the first frames
            # may already be played (and dropped) in real time.
            self._playback.set_real_time(cfg.playback_real_time)
        try:
            pipeline.start(rs_config)
        except RuntimeError as err:
            self._playback = None
            raise CameraError(f"{self.name}: {self._source()} failed to start: {err}") from None
        self._pipeline = pipeline
        self._align = rs.align(rs.stream.color) if cfg.depth else None
        self._stop.clear()
        self._latest, self._count, self._taken, self._error, self._ended = None, 0, 0, None, False
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.name}", daemon=True)
        self._thread.start()
        log.info("%s: streaming %s", self.name, self._source())

    def disconnect(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            if self._thread.is_alive():
                raise CameraError(f"{self.name}: reader thread did not stop within 5 s")
            self._thread = None
        if self._pipeline is not None:
            pipeline, self._pipeline, self._playback = self._pipeline, None, None
            try:
                pipeline.stop()
            except RuntimeError as err:
                raise CameraError(f"{self.name}: stopping {self._source()} failed: {err}") from None

    # --- reading ----------------------------------------------------------------------------------

    def _newest(self) -> Frame | None:
        with self._cond:
            if self._error is not None:
                raise CameraError(f"{self.name}: reader failed: {self._error}") from self._error
            frame = self._latest
            if self._taken < self._count:  # read_latest also releases a held non-real-time frame
                self._taken = self._count
                self._cond.notify_all()
            return frame

    def read_next(self, timeout_s: float = 1.0) -> Frame:
        """Wait for a frame newer than the last one `read_next` returned, without a staleness check.
        With `playback_real_time=False` every recorded frame comes out exactly once, in order.
        `StreamEndedError` after a recording's last frame; `TimeoutError` after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                if self._error is not None:
                    raise CameraError(f"{self.name}: reader failed: {self._error}") from self._error
                if self._taken < self._count:
                    self._taken = self._count
                    self._cond.notify_all()
                    return self._latest
                if self._ended:
                    raise StreamEndedError(f"{self.name}: {self._source()} ended after {self._count} frames")
                if not self.is_connected:
                    raise CameraNotConnectedError(f"{self.name}: not connected")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.name}: no new frame within {timeout_s:.3f} s")
                self._cond.wait(left)

    @property
    def frames_received(self) -> int:
        return self._count

    # --- reader thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        timeout_ms = int(self.config.poll_timeout_s * 1e3)
        hold = self.is_playback and not self.config.playback_real_time
        last_number = None
        try:
            while not self._stop.is_set():
                ok, frames = self._pipeline.try_wait_for_frames(timeout_ms)
                if not ok:
                    if self._playback is not None and \
                            self._playback.current_status() == rs.playback_status.stopped:
                        with self._cond:
                            self._ended = True
                            self._cond.notify_all()
                        return
                    continue
                frame = self._convert(frames)
                if frame is None or frame.frame_number == last_number:
                    continue  # no colour, colour without its depth, or a colour frame already sent
                last_number = frame.frame_number
                with self._cond:
                    self._latest = frame
                    self._count += 1
                    self._cond.notify_all()
                    while hold and self._taken < self._count and not self._stop.is_set():
                        self._cond.wait(0.1)
        except BaseException as err:  # the device's own words reach the caller on the next read
            log.error("%s: reader thread failed: %s", self.name, err)
            with self._cond:
                self._error = err
                self._cond.notify_all()

    def _convert(self, frames: rs.composite_frame) -> Frame | None:
        arrived = time.time()
        if self._align is not None:
            frames = self._align.process(frames)
        color = frames.get_color_frame()
        if not color:
            return None
        depth_mm = None
        if self._align is not None:
            depth = frames.get_depth_frame()
            # The syncer also emits colour with the previous depth frame; wait for the pair whose
            # timestamps agree within half a frame period.
            if not depth or abs(depth.get_timestamp() - color.get_timestamp()) > 500.0 / self.config.fps:
                return None
            raw = np.asanyarray(depth.get_data())
            scale_mm = depth.get_units() * 1e3
            depth_mm = raw.copy() if abs(scale_mm - 1.0) < 1e-6 else \
                np.clip(np.rint(raw * scale_mm), 0, 65535).astype(np.uint16)
        image = np.array(np.asanyarray(color.get_data()), copy=True)  # the SDK reuses its buffers
        image.flags.writeable = False
        if depth_mm is not None:
            depth_mm.flags.writeable = False
        timestamp_s = color.get_timestamp() * 1e-3
        live_host_clock = not self.is_playback and color.get_frame_timestamp_domain() in _HOST_DOMAINS
        return Frame(
            image=image,
            timestamp_s=timestamp_s,
            host_time_s=timestamp_s if live_host_clock else arrived,
            frame_number=int(color.get_frame_number()),
            depth=depth_mm,
        )

    # --- messages ---------------------------------------------------------------------------------

    def _source(self) -> str:
        if self.is_playback:
            return f"recording {self.config.recording} (serial {self.config.serial})"
        return f"RealSense {self.config.serial}"

    def _recorded_streams(self) -> str:
        if not self.is_playback:
            return ""
        try:
            dev = rs.context().load_device(str(self.config.recording))
            profiles = [str(p) for s in dev.query_sensors() for p in s.get_stream_profiles()]
            return "; the recording has " + ", ".join(profiles)
        except RuntimeError:
            return ""
