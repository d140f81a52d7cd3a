"""plan_vs_robot.mp4: a plan's frames next to what the plan camera saw over the same span.

Plan frame k stands next to the plan camera's latest frame at `start + k / fps` (none when that frame
is older than `GAP_PERIODS` camera periods), with a bar saying whether the plan was running; frames
past the plan's window are dimmed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eva_core.data.features import VideoConfig
from eva_core.data.video import VideoEncoder, decode_frames
from eva_core.runs import frames as fr
from eva_core.runs.layout import COMPARISON_FILE
from eva_core.runs.plans import EXECUTED, VideoPlan
from eva_core.runs.video_files import GAP_PERIODS, CameraStream


def _robot_frames(stream: CameraStream | None, times: np.ndarray, height: int, width: int,
                  camera_fps: float) -> tuple[np.ndarray, dict[int, np.ndarray], int]:
    """`(chosen, frames, width)`: per plan frame the index of the camera frame shown (-1: none), those
    frames decoded and sized `height` tall, and their width (the plan's `width` without a camera)."""
    chosen = np.full(len(times), -1)
    robot: dict[int, np.ndarray] = {}
    if stream is None or not stream.usable:
        return chosen, robot, width
    robot_width = fr.width_at(height, stream.height, stream.width)
    stamps = np.asarray(stream.stamps, dtype=np.float64)
    order = np.argsort(stamps, kind="stable")
    pos = np.searchsorted(stamps[order], times, side="right") - 1
    found = pos >= 0
    age = times - stamps[order][np.maximum(pos, 0)]
    fresh = found & (age <= GAP_PERIODS / camera_fps)
    chosen = np.where(fresh, order[np.maximum(pos, 0)], -1)
    needed = set(chosen[chosen >= 0].tolist())
    if needed:
        lo, hi = min(needed), max(needed)
        for i, frame in enumerate(decode_frames(stream.path, stream.rate, lo, hi + 1), start=lo):
            if i in needed:
                robot[i] = fr.resize(frame[: stream.height, : stream.width], height, robot_width)
    return chosen, robot, robot_width


def write_comparison(
    folder: Path, video: VideoPlan, stream: CameraStream | None, start: float, end: float, verdict: str, *,
    camera: str, camera_fps: float, config: VideoConfig,
) -> dict:
    """Write `folder/COMPARISON_FILE` from the plan's spilled frames and the plan camera's `stream`
    (`camera` names it); returns the plan.json "comparison" entry. Raises when the plan's frames
    cannot be read back (an encoder left half-way is aborted)."""
    height = fr.panel_height(video.height)
    plan_width = fr.width_at(height, video.height, video.width)
    times = start + np.arange(video.frames) / video.fps
    chosen, robot, robot_width = _robot_frames(stream, times, height, plan_width, camera_fps)
    during = fr.BAR_EXECUTING if verdict == EXECUTED else fr.BAR_NOT_EXECUTING
    label = "robot" if verdict == EXECUTED else f"robot (plan {verdict.replace('_', ' ')})"
    counts = {"robot_frames_shown": 0, "robot_frames_missing": 0, "frames_after_window": 0}
    encoder = None
    written = 0
    try:
        rate = max(1, round(video.fps))
        for k, plan_frame in enumerate(decode_frames(folder / video.spill, rate, 0, video.frames)):
            left = fr.resize(plan_frame[: video.height, : video.width], height, plan_width).copy()
            fr.label(left, f"plan {k / video.fps:.2f} s")
            in_window = bool(times[k] < end)
            if chosen[k] >= 0:
                right = robot[int(chosen[k])].copy() if in_window else fr.dim(robot[int(chosen[k])])
                counts["robot_frames_shown"] += 1
            else:
                right = fr.missing_panel(height, robot_width, "no camera frame")
                counts["robot_frames_missing"] += 1
            if not in_window:
                counts["frames_after_window"] += 1
            fr.bar(right, during if in_window else fr.BAR_AFTER)
            fr.label(right, label if in_window else "after the plan's window")
            composite = fr.side_by_side(left, right)
            if encoder is None:
                height_px, width_px = composite.shape[:2]
                encoder = VideoEncoder(folder / COMPARISON_FILE, height_px, width_px, rate, config)
            encoder.encode(composite)
            written += 1
        if encoder is not None:
            encoder.close()
    except BaseException:
        if encoder is not None:
            encoder.abort()
        raise
    if encoder is None:
        raise RuntimeError("the plan's frames could not be read back")
    return {
        "file": COMPARISON_FILE,
        "frames": written,
        "fps": rate,
        "height": encoder.height,
        "width": encoder.width,
        "camera": camera,
        **counts,
    }
