"""Benchmark camera reads: `read_latest` latency for RealSense playback and for the replay camera.

    python bench/cameras.py [--frames 90] [--reads 2000] [--height 480] [--width 640]

Prints one JSON object. `realsense_playback`: a 640x480 RGB recording written with a software device
(paced at 30 Hz) played through the real pyrealsense2 pipeline in real time; reads are spread over the
playback, so the reader thread is busy copying frames meanwhile. Reported: `read_latest` latency
(median / p99, µs), frame age at read (host arrival to read, ms), frames delivered, connect time.
`replay`: a lossless dataset episode of the same size served at its recorded timestamps; the latency
includes decoding when a read finds a new frame current (once per frame period).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from eva_core.data import DatasetWriter, VideoConfig
from eva_core.devices.cameras import RealSenseCameraConfig, ReplayCameraConfig, StaleFrameError, make_camera
from eva_core.devices.cameras.realsense.recording import write_recording

FPS = 30


def images(n: int, h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1).astype(np.uint8)
    return np.stack([np.roll(base, 4 * t, axis=1) for t in range(n)])


def stats_us(latencies: list[float]) -> dict:
    a = np.array(latencies) * 1e6
    return {"median_us": round(float(np.median(a)), 2), "p99_us": round(float(np.percentile(a, 99)), 2),
            "max_us": round(float(a.max()), 2), "reads": len(a)}


def read_loop(cam, duration_s: float, reads: int) -> tuple[list[float], list[float], int]:
    latencies, ages, stale = [], [], 0
    interval = duration_s / reads
    for _ in range(reads):
        t0 = time.perf_counter()
        try:
            frame = cam.read_latest(max_age_s=0.5)
        except StaleFrameError:
            stale += 1
            time.sleep(interval)
            continue
        latencies.append(time.perf_counter() - t0)
        ages.append(cam.now() - frame.host_time_s)
        time.sleep(interval)
    return latencies, ages, stale


def bench_realsense(root: Path, frames: np.ndarray, reads: int) -> dict:
    n, h, w = frames.shape[:3]
    t0 = time.perf_counter()
    path = write_recording(root / "cam.db3", "000111222", frames, fps=FPS, pace=True)
    write_s = time.perf_counter() - t0
    cam = make_camera(RealSenseCameraConfig(serial="000111222", width=w, height=h, fps=FPS, recording=path),
                      "cam_high")
    t0 = time.perf_counter()
    cam.connect()
    connect_s = time.perf_counter() - t0
    while cam.frames_received == 0:
        time.sleep(0.001)
    latencies, ages, stale = read_loop(cam, 0.8 * n / FPS, reads)
    received = cam.frames_received
    cam.disconnect()
    return {"resolution": f"{w}x{h}", "recorded_frames": n, "frames_delivered_while_reading": received,
            "record_s": round(write_s, 3), "connect_ms": round(connect_s * 1e3, 2),
            "read_latest": stats_us(latencies), "stale_reads": stale,
            "frame_age_at_read_ms": {"median": round(1e3 * float(np.median(ages)), 2),
                                     "p99": round(1e3 * float(np.percentile(ages, 99)), 2)}}


def bench_replay(root: Path, frames: np.ndarray, reads: int) -> dict:
    n, h, w = frames.shape[:3]
    with DatasetWriter.create(root / "ds", fps=FPS, cameras={"cam_high": (h, w)}, joint_names=["j"],
                              video=VideoConfig.lossless()) as writer:
        writer.begin_episode("bench")
        for f in frames:
            writer.add_frame({"cam_high": f}, [0.0], [0.0])
        writer.end_episode()
    cam = make_camera(ReplayCameraConfig(dataset=root / "ds", camera="cam_high"), "cam_high")
    t0 = time.perf_counter()
    cam.connect()
    connect_s = time.perf_counter() - t0
    latencies, ages, stale = read_loop(cam, 0.8 * n / FPS, reads)
    cam.disconnect()
    lat = np.array(latencies)
    return {"resolution": f"{w}x{h}", "frames": n, "connect_ms": round(connect_s * 1e3, 2),
            "read_latest": stats_us(latencies), "stale_reads": stale,
            "read_latest_without_decode": stats_us(list(lat[lat < np.percentile(lat, 50) * 3])),
            "frame_age_at_read_ms": {"median": round(1e3 * float(np.median(ages)), 2),
                                     "p99": round(1e3 * float(np.percentile(ages, 99)), 2)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    args = parser.parse_args()
    frames = images(args.frames, args.height, args.width)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result = {"realsense_playback": bench_realsense(root, frames, args.reads),
                  "replay": bench_replay(root, frames, args.reads)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
