"""Training samples cut from episodes, decoding each episode's video once, front to back.

Memory stays bounded by the sample, not the episode: an IDM window keeps 2k+1 decoded frames, a clip
keeps `(length - 1) * step + 1`. Samples come out in episode order; shuffle across episodes by passing
a permuted `episodes=` list to `Dataset.idm_windows` / `Dataset.clips`, and within a buffer downstream.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from eva_core.data.reader import Episode


@dataclass(frozen=True)
class IdmSample:
    frames: np.ndarray  # uint8 [2k+1, H, W, 3]: frames t-k .. t+k, indices clamped to the episode
    action: np.ndarray  # float32 [D]: the command at t (the IDM's target)
    state: np.ndarray  # float32 [D]: the measured position at t
    episode_index: int
    frame_index: int  # t


@dataclass(frozen=True)
class Clip:
    frames: np.ndarray  # uint8 [L, H, W, 3]
    states: np.ndarray  # float32 [L, D]
    actions: np.ndarray  # float32 [L, D]
    timestamps: np.ndarray  # float32 [L], seconds since the episode's start
    episode_index: int
    frame_indices: np.ndarray  # int64 [L]: start, start + step, ...
    task: str


def idm_windows(episodes: Iterable[Episode], camera: str, k: int = 1) -> Iterator[IdmSample]:
    """For every frame t of every episode: (frames[t-k .. t+k], action_t), the inverse-dynamics
    model's input and target. Indices before 0 or past the end repeat the first or last frame (the
    public EVA code's edge handling, k = 1 there)."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    for ep in episodes:
        n = ep.length
        decoded = ep.frames(camera)
        buf: deque[np.ndarray] = deque()
        lo, hi = 0, -1  # buf holds frames lo..hi
        for t in range(n):
            while hi < min(n - 1, t + k):
                buf.append(next(decoded))
                hi += 1
            while lo < max(0, t - k):
                buf.popleft()
                lo += 1
            idx = [min(max(t + d, 0), n - 1) - lo for d in range(-k, k + 1)]
            yield IdmSample(np.stack([buf[i] for i in idx]), ep.actions[t], ep.states[t], ep.index, t)


def clips(
    episodes: Iterable[Episode],
    camera: str,
    length: int,
    stride: int | None = None,
    step: int = 1,
) -> Iterator[Clip]:
    """Clips of `length` frames, `step` frames apart (step 2 turns a 32 fps recording into 16 fps
    clips), starting every `stride` frames (default: `length * step`, no overlap). Only whole clips:
    an episode shorter than a clip's span gives none."""
    if length < 1 or step < 1:
        raise ValueError(f"length and step must be >= 1, got length={length}, step={step}")
    span = (length - 1) * step + 1
    stride = span if stride is None else stride
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    for ep in episodes:
        if ep.length < span:
            continue
        starts = range(0, ep.length - span + 1, stride)
        decoded = ep.frames(camera, 0, starts[-1] + span)
        buf: deque[np.ndarray] = deque()
        lo, hi = 0, -1
        for start in starts:
            while hi < start + span - 1:
                buf.append(next(decoded))
                hi += 1
                if hi - lo + 1 > span:
                    buf.popleft()
                    lo += 1
            while lo < start:
                buf.popleft()
                lo += 1
            idx = np.arange(start, start + span, step)
            yield Clip(
                np.stack([buf[i - lo] for i in idx]),
                ep.states[idx],
                ep.actions[idx],
                ep.timestamps[idx],
                ep.index,
                idx,
                ep.task,
            )
