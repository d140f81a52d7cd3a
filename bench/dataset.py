"""Benchmark the episode dataset: write and read throughput with three 640x480 cameras.

    python bench/dataset.py [--frames 90] [--episodes 2] [--height 480] [--width 640] [--root DIR]

Prints one JSON object with, for each case (default H.264 and lossless, on noise-free "simulated"
images and on "camera" images with sensor noise σ = 2 levels): add_frame rate and latency (all three
cameras encoded), commit time, bytes per camera frame, full-episode decode rate, IDM-window rate,
and the pixel error of the decoded frames. The teleop target is 30 frames/s (reference: recording at
30-50 Hz; episodes below ~30 Hz are re-collected).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from eva_core.data import Dataset, DatasetWriter, VideoConfig
from eva_core.embodiment import load_embodiment

CAMERAS = ("cam_high", "cam_left_wrist", "cam_right_wrist")
TELEOP_TARGET_FPS = 30.0


def scene(n: int, h: int, w: int, seed: int, noise: float) -> np.ndarray:
    """A shaded table with a block and a disc moving across it; optional Gaussian sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    background = np.stack([80 + 60 * x / w, 90 + 50 * y / h, 100 + 40 * (x + y) / (w + h)], -1)
    frames = np.empty((n, h, w, 3), np.uint8)
    for t in range(n):
        f = background.copy()
        cx, cy = int(w * (0.2 + 0.6 * t / n)), h // 2
        f[cy - h // 6 : cy + h // 6, max(0, cx - w // 8) : cx + w // 8] = [200, 60, 40]
        f[(x - 0.7 * w) ** 2 + (y - h * (0.3 + 0.4 * t / n)) ** 2 < (h / 8) ** 2] = [30, 160, 70]
        if noise:
            f = f + rng.normal(0, noise, f.shape)
        frames[t] = np.clip(f, 0, 255)
    return frames


def run_case(root: Path, video: VideoConfig, frames: dict[str, np.ndarray], episodes: int, joint_names) -> dict:
    n, h, w = next(iter(frames.values())).shape[:3]
    rng = np.random.default_rng(0)
    states = rng.normal(0, 1, (n, 14)).astype(np.float32)
    shutil.rmtree(root, ignore_errors=True)
    latencies, commits = [], []
    start = time.perf_counter()
    with DatasetWriter.create(root, fps=30, cameras={c: (h, w) for c in CAMERAS}, joint_names=joint_names,
                              video=video) as writer:
        for _ in range(episodes):
            writer.begin_episode("bench")
            for t in range(n):
                t0 = time.perf_counter()
                writer.add_frame({c: frames[c][t] for c in CAMERAS}, states[t], states[t])
                latencies.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            writer.end_episode(success=True)
            commits.append(time.perf_counter() - t0)
    write_s = time.perf_counter() - start

    video_bytes = sum(p.stat().st_size for p in (root / "videos").rglob("*.mp4"))
    ds = Dataset(root)
    t0 = time.perf_counter()
    decoded = ds.episode(0).video("cam_high")
    decode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    windows = sum(1 for _ in ds.idm_windows("cam_high", k=1, episodes=[0]))
    idm_s = time.perf_counter() - t0
    err = np.abs(decoded.astype(np.int16) - frames["cam_high"].astype(np.int16))
    lat_ms = sorted(1e3 * x for x in latencies)
    add_fps = len(latencies) / sum(latencies)
    return {
        "codec": video.codec.value,
        "add_frame_fps": round(add_fps, 1),
        "add_frame_ms": {
            "median": round(statistics.median(lat_ms), 2),
            "p99": round(lat_ms[int(0.99 * len(lat_ms))], 2),
        },
        "commit_ms": round(1e3 * statistics.median(commits), 1),
        "write_s": round(write_s, 2),
        "kb_per_camera_frame": round(video_bytes / (len(CAMERAS) * episodes * n) / 1024, 1),
        "decode_fps_one_camera": round(n / decode_s, 1),
        "idm_windows_per_s": round(windows / idm_s, 1),
        "pixel_error": {
            "mean": round(float(err.mean()), 3),
            "max": int(err.max()),
            "within_10": round(float(np.mean(err <= 10)), 4),
        },
        "meets_teleop_target": add_fps >= TELEOP_TARGET_FPS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=90, help="frames per episode (3 s at 30 fps)")
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--root", default=None, help="where to write (default: a temporary directory)")
    args = parser.parse_args()

    joint_names = load_embodiment().joint_names
    tmp = Path(args.root or tempfile.mkdtemp(prefix="eva-bench-dataset-"))
    report: dict = {"cameras": len(CAMERAS), "height": args.height, "width": args.width,
                    "frames_per_episode": args.frames, "episodes": args.episodes,
                    "teleop_target_fps": TELEOP_TARGET_FPS, "cases": {}}
    try:
        for images, noise in (("sim", 0.0), ("camera", 2.0)):
            frames = {c: scene(args.frames, args.height, args.width, i, noise) for i, c in enumerate(CAMERAS)}
            for name, video in (("h264", VideoConfig()), ("lossless", VideoConfig.lossless())):
                report["cases"][f"{images}_{name}"] = run_case(tmp / f"{images}_{name}", video, frames,
                                                               args.episodes, joint_names)
    finally:
        if args.root is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
