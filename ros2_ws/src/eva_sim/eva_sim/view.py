"""Pictures and clips of the twin for people to look at (`eva sim view`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from eva_core.embodiment import EmbodimentConfig
from eva_sim.robot import SimRobot

POSES = ("zero", "ready", "random")
# Upper arm up, fingertips 0.38 m in front of the base and 0.10 m above the table, pointing forward
# and down (37° from vertical), grippers half open: a typical working pose, every link in view.
READY_ARM = (0.0, 1.52, -0.83, 0.0, 0.32, 0.0)
READY_GRIPPER = 0.5


def named_pose(embodiment: EmbodimentConfig, name: str, rng: np.random.Generator) -> np.ndarray:
    """14-D pose: "zero" (SDK zero, grippers closed), "ready" (`READY_ARM`) or "random" (uniform in limits)."""
    limits = embodiment.limits
    if name == "zero":
        return np.zeros(limits.dof)
    if name == "ready":
        return np.array(list(READY_ARM) + [READY_GRIPPER])[np.arange(limits.dof) % embodiment.dims_per_arm]
    if name == "random":
        return rng.uniform(limits.position_min, limits.position_max)
    raise ValueError(f"pose must be one of {POSES}, got {name!r}")


def tile(images: Sequence[np.ndarray]) -> np.ndarray:
    """Images side by side (top-aligned, black below the shorter ones)."""
    height = max(image.shape[0] for image in images)
    padded = [np.pad(image, ((0, height - image.shape[0]), (0, 0), (0, 0))) for image in images]
    return np.concatenate(padded, axis=1)


def frame(twin: SimRobot, cameras: Sequence[str]) -> np.ndarray:
    return tile([twin.render(camera) for camera in cameras])


def motion(twin: SimRobot, cameras: Sequence[str], *, duration_s: float, fps: float, hold_s: float = 1.0) -> Iterator[np.ndarray]:
    """Frames at `fps` of the arms moving (physics, rate-limited servos) to a new random pose every `hold_s`."""
    limits = twin.limits
    n_frames = int(round(duration_s * fps))
    ticks_per_frame = max(1, int(round(1.0 / (fps * twin.control_dt))))
    next_target = 0.0
    for _ in range(n_frames):
        if twin.time >= next_target:
            twin.command(twin.rng.uniform(limits.position_min, limits.position_max))
            next_target += hold_s
        yield frame(twin, cameras)
        twin.step(ticks_per_frame)


def write_png(path: str | Path, image: np.ndarray) -> None:
    import cv2  # opencv-python-headless; imported here so the twin itself does not need it

    if not cv2.imwrite(str(path), np.ascontiguousarray(image[:, :, ::-1])):
        raise OSError(f"could not write {path}")


def write_mp4(path: str | Path, frames: Iterator[np.ndarray], fps: int) -> int:
    """Encode RGB frames to an H.264 mp4 (the project's video settings); returns the number of frames."""
    from eva_core.data.features import VideoConfig
    from eva_core.data.video import VideoEncoder

    encoder = None
    try:
        for image in frames:
            if encoder is None:
                height, width = image.shape[:2]
                if height % 2 or width % 2:
                    raise ValueError(f"H.264 (yuv420p) needs even image sizes, got {width}x{height}")
                encoder = VideoEncoder(path, height, width, fps, VideoConfig())
            encoder.encode(image)
    except BaseException:
        if encoder is not None:
            encoder.abort()
        raise
    if encoder is None:
        return 0
    encoder.close()
    return encoder.frames_written
