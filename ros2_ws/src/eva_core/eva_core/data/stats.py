"""Per-feature statistics (mean, std, min, max, count) that merge exactly across frames and episodes.

Each episode's statistics are stored in its row of the episodes table (`stats/<feature>/<stat>`, as
LeRobot v3 does); `meta/stats.json` is their merge, rewritten on every commit and rebuilt from the
episodes table when a writer resumes. Merging uses the parallel form of Welford's update (Chan et al.),
so the result equals the statistics of all samples at once up to float64 rounding.

Conventions (LeRobot's): vectors (state, action) per dimension; images per RGB channel on values
scaled to [0, 1], written to `stats.json` with shape [3, 1, 1]; std is the population std (ddof=0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from eva_core.data.features import STAT_NAMES

# Image statistics look at every `stride`-th pixel in each direction, stride = max(1, min(H, W) // 64):
# ~70x90 pixels of a 480x640 frame, all pixels of images up to 127 px on the short side.
IMAGE_STATS_TARGET = 64


def image_stats_stride(height: int, width: int) -> int:
    return max(1, min(height, width) // IMAGE_STATS_TARGET)


@dataclass(frozen=True)
class FeatureStats:
    count: int  # number of samples (frames; for images, sampled pixels)
    mean: np.ndarray  # float64 [D]
    m2: np.ndarray  # float64 [D], sum of squared deviations from the mean
    min: np.ndarray  # float64 [D]
    max: np.ndarray  # float64 [D]

    @classmethod
    def of(cls, samples: np.ndarray) -> FeatureStats:
        """Statistics of `samples [N, D]` (N >= 1)."""
        x = np.asarray(samples, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"samples must be [N >= 1, D], got shape {x.shape}")
        mean = x.mean(axis=0)
        return cls(x.shape[0], mean, ((x - mean) ** 2).sum(axis=0), x.min(axis=0), x.max(axis=0))

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.m2 / self.count, 0.0))

    def merge(self, other: FeatureStats) -> FeatureStats:
        n = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / n)
        m2 = self.m2 + other.m2 + delta**2 * (self.count * other.count / n)
        return FeatureStats(n, mean, m2, np.minimum(self.min, other.min), np.maximum(self.max, other.max))

    # --- storage ----------------------------------------------------------------------------------

    def to_columns(self, key: str) -> dict[str, list]:
        """The episodes-table columns `stats/<key>/{mean,std,min,max,count}` (flat lists)."""
        cols = {f"stats/{key}/{name}": getattr(self, name).tolist() for name in STAT_NAMES}
        cols[f"stats/{key}/count"] = [int(self.count)]
        return cols

    @classmethod
    def from_columns(cls, row: Mapping[str, Any], key: str) -> FeatureStats:
        count = int(row[f"stats/{key}/count"][0])
        std = np.asarray(row[f"stats/{key}/std"], np.float64)
        return cls(
            count,
            np.asarray(row[f"stats/{key}/mean"], np.float64),
            std**2 * count,
            np.asarray(row[f"stats/{key}/min"], np.float64),
            np.asarray(row[f"stats/{key}/max"], np.float64),
        )

    def to_json(self, image: bool = False) -> dict[str, list]:
        shape = (-1, 1, 1) if image else (-1,)
        out = {name: getattr(self, name).reshape(shape).tolist() for name in STAT_NAMES}
        out["count"] = [int(self.count)]
        return out


def merge_all(stats: Iterable[FeatureStats]) -> FeatureStats | None:
    total = None
    for s in stats:
        total = s if total is None else total.merge(s)
    return total


class ImageStatsAccumulator:
    """Running per-channel statistics of the frames of one camera, fed one frame at a time."""

    def __init__(self, height: int, width: int):
        self.stride = image_stats_stride(height, width)
        self.stats: FeatureStats | None = None

    def add(self, frame: np.ndarray) -> None:
        sample = frame[:: self.stride, :: self.stride].reshape(-1, 3).astype(np.float64) / 255.0
        s = FeatureStats.of(sample)
        self.stats = s if self.stats is None else self.stats.merge(s)
