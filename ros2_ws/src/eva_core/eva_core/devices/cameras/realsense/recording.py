"""Write a RealSense recording from numpy frames, with no camera attached.

    write_recording("cam_high.db3", serial="000111", images=rgb, timestamps_s=t, depth=depth_mm)

A `pyrealsense2.software_device` carrying the given serial number gets a colour sensor (RGB8) and,
optionally, a depth sensor (Z16, millimetres, identity extrinsics to colour); `rs.recorder` wraps it
and every frame pushed is written to the file (librealsense 2.58+ writes a SQLite `.db3` file,
whatever the suffix). Playing the file back with `RealSenseCameraConfig(recording=...)` then runs the
real pipeline code path: serial check, stream resolution, timestamps, frame numbers, alignment.

The recorder stores each frame's own timestamp, frame number and timestamp domain (global time here,
as a live D4xx reports it), and separately the time it *arrived*, which is what real-time playback
paces by. `pace=True` pushes the frames at their timestamps' spacing so real-time playback looks like
a live camera; without it the whole file plays back in a few milliseconds in real-time mode (use
`playback_real_time=False` to get every frame then).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyrealsense2 as rs

DEVICE_NAME = "EVA software RealSense"


def _intrinsics(width: int, height: int) -> rs.intrinsics:
    intr = rs.intrinsics()
    intr.width, intr.height = width, height
    intr.fx = intr.fy = 0.5 * width / math.tan(math.radians(69.0) / 2)  # D435 colour: ~69° horizontal
    intr.ppx, intr.ppy = width / 2, height / 2
    intr.model = rs.distortion.none
    intr.coeffs = [0.0] * 5
    return intr


def _video_stream(kind: rs.stream, uid: int, fmt: rs.format, bpp: int, width: int, height: int, fps: int):
    vs = rs.video_stream()
    vs.type, vs.index, vs.uid = kind, 0, uid
    vs.width, vs.height, vs.fps, vs.bpp, vs.fmt = width, height, fps, bpp, fmt
    vs.intrinsics = _intrinsics(width, height)
    return vs


def _push(sensor, profile, pixels: np.ndarray, bpp: int, timestamp_ms: float, number: int, depth: bool) -> None:
    f = rs.software_video_frame()
    f.pixels = pixels
    f.bpp = bpp
    f.stride = pixels.shape[1] * bpp
    f.timestamp = timestamp_ms
    f.domain = rs.timestamp_domain.global_time
    f.frame_number = number
    if depth:
        f.depth_units = 0.001
    f.profile = profile
    sensor.on_video_frame(f)


def write_recording(
    path: str | Path,
    serial: str,
    images: np.ndarray | Sequence[np.ndarray],
    timestamps_s: Sequence[float] | np.ndarray | None = None,
    frame_numbers: Sequence[int] | None = None,
    fps: int = 30,
    depth: np.ndarray | Sequence[np.ndarray] | None = None,
    pace: bool = False,
) -> Path:
    """Record `images` (uint8 [N, H, W, 3] RGB) as a RealSense colour stream of a device with serial
    `serial`. `timestamps_s` (default now + i / fps; keep them > 0) become the frames' timestamps, `frame_numbers` (default
    0..N-1) their counters; `depth` (uint16 [N, H, W], mm) adds a depth stream. The file must not exist."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; a recorder would not overwrite it cleanly")
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8 or len(images) == 0:
        raise ValueError(f"images must be uint8 [N, H, W, 3] with N >= 1, got {images.dtype} {images.shape}")
    n, height, width = images.shape[:3]
    # Default: now + i / fps, like a live camera in the global time domain (0 confuses the syncer).
    ts = time.time() + np.arange(n) / fps if timestamps_s is None else np.asarray(timestamps_s, np.float64)
    numbers = list(range(n)) if frame_numbers is None else [int(x) for x in frame_numbers]
    if ts.shape != (n,) or len(numbers) != n:
        raise ValueError(f"need one timestamp and one frame number per image ({n})")
    if n > 1 and not np.all(np.diff(ts) > 0):
        raise ValueError("timestamps_s must be strictly increasing")
    depth_arr = None
    if depth is not None:
        depth_arr = np.asarray(depth)
        if depth_arr.shape != (n, height, width) or depth_arr.dtype != np.uint16:
            raise ValueError(f"depth must be uint16 {[n, height, width]}, got {depth_arr.dtype} {depth_arr.shape}")

    dev = rs.software_device()
    dev.register_info(rs.camera_info.serial_number, serial)
    dev.register_info(rs.camera_info.name, DEVICE_NAME)
    color_sensor = dev.add_sensor("RGB Camera")
    color = color_sensor.add_video_stream(_video_stream(rs.stream.color, 1, rs.format.rgb8, 3, width, height, fps))
    sensors = [(color_sensor, color)]
    if depth_arr is not None:
        depth_sensor = dev.add_sensor("Stereo Module")
        depth_prof = depth_sensor.add_video_stream(
            _video_stream(rs.stream.depth, 2, rs.format.z16, 2, width, height, fps))
        depth_sensor.add_read_only_option(rs.option.depth_units, 0.001)
        identity = rs.extrinsics()
        identity.rotation = [1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0]
        identity.translation = [0.0, 0.0, 0.0]
        depth_prof.register_extrinsics_to(color, identity)
        color.register_extrinsics_to(depth_prof, identity)
        sensors.append((depth_sensor, depth_prof))

    recorder = rs.recorder(str(path), dev)
    try:
        for sensor, profile in sensors:
            sensor.open(profile)
            sensor.start(lambda frame: None)
        start = time.monotonic()
        for i in range(n):
            if pace:
                delay = start + (ts[i] - ts[0]) - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            ms = float(ts[i]) * 1e3
            # Colour first: the playback pipeline's syncer then emits (colour i, depth i-1) and
            # (colour i, depth i); the camera keeps the pair whose timestamps agree. Depth first
            # loses the first frame in the syncer.
            _push(color_sensor, color.as_video_stream_profile(), np.ascontiguousarray(images[i]), 3, ms,
                  numbers[i], False)
            if depth_arr is not None:
                _push(sensors[1][0], sensors[1][1].as_video_stream_profile(),
                      np.ascontiguousarray(depth_arr[i]), 2, ms, numbers[i], True)
        for sensor, _ in sensors:
            sensor.stop()
            sensor.close()
    finally:
        del recorder  # the file is complete once the recorder is destroyed
        del dev
    return path
