"""Per-feature statistics: mean, std, min, max and count, which merge exactly across frames and episodes,
and LeRobot's quantiles q01, q10, q50, q90, q99, which are exact per episode and approximate merged.

Each episode's statistics are stored in its row of the episodes table (`stats/<feature>/<stat>`, as
LeRobot v3 does); `meta/stats.json` is their merge, rewritten on every commit and rebuilt from the
episodes table when a writer resumes. Mean and std merge by the parallel form of Welford's update
(Chan et al.), so they equal the statistics of all samples at once up to float64 rounding.

Quantiles do not merge exactly without the samples. A merged quantile is the count-weighted mean of
the parts' quantiles: LeRobot's own `aggregate_feature_stats` rule, so `stats.json` says what LeRobot
would compute from the same episode rows. It is exact when the parts are alike and lies between the
parts' quantiles otherwise; for normalisation (what q01/q99 are used for) that is close enough.

Conventions (LeRobot's): vectors (state, action) per dimension, scalar columns (timestamp, indices) as
vectors of one; images per RGB channel on values scaled to [0, 1], shaped (3, 1, 1) in `stats.json`
and in the episodes table; std is the population std (ddof=0). Per-episode quantiles are exact
(`np.quantile`, linear interpolation); LeRobot estimates them from a 5000-bin histogram, which agrees
closely on long episodes and differs on a handful of frames (q01 of 7 samples is a convention).

Our image `count` is the number of sampled pixels, where LeRobot counts sampled frames. Counts only
weight a merge, and every frame of one dataset gives the same number of pixels, so merged values are
the same; only `aggregate_datasets` over datasets of different resolutions would weight ours by pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from eva_core.data.features import IMAGE_STATS_SHAPE, QUANTILE_LEVELS, QUANTILE_NAMES, STAT_NAMES

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
    # float64 [len(QUANTILE_LEVELS), D]; None when unknown (image stats of datasets written before them)
    quantiles: np.ndarray | None = None

    @classmethod
    def of(cls, samples: np.ndarray) -> FeatureStats:
        """Statistics of `samples [N, D]` (N >= 1); quantiles as `np.quantile` (linear interpolation)."""
        x = np.asarray(samples, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"samples must be [N >= 1, D], got shape {x.shape}")
        mean = x.mean(axis=0)
        quantiles = np.quantile(x, QUANTILE_LEVELS, axis=0)
        return cls(x.shape[0], mean, ((x - mean) ** 2).sum(axis=0), x.min(axis=0), x.max(axis=0), quantiles)

    @classmethod
    def of_histogram(cls, counts: np.ndarray, values: np.ndarray) -> FeatureStats:
        """Exact statistics of samples given as counts: `counts [D, B]` samples of dimension d took value
        `values [B]` (sorted). Every dimension must hold the same number (>= 1) of samples."""
        counts = np.asarray(counts, np.int64)
        values = np.asarray(values, np.float64)
        n = int(counts[0].sum())
        if n == 0 or np.any(counts.sum(axis=1) != n):
            raise ValueError("every dimension needs the same, non-zero number of samples")
        mean = counts @ values / n
        m2 = (counts * (values[None, :] - mean[:, None]) ** 2).sum(axis=1)
        seen = counts > 0
        low = values[np.argmax(seen, axis=1)]
        high = values[len(values) - 1 - np.argmax(seen[:, ::-1], axis=1)]
        return cls(n, mean, m2, low, high, _histogram_quantiles(counts, values, n))

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.m2 / self.count, 0.0))

    def merge(self, other: FeatureStats) -> FeatureStats:
        n = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / n)
        m2 = self.m2 + other.m2 + delta**2 * (self.count * other.count / n)
        quantiles = None
        if self.quantiles is not None and other.quantiles is not None:  # approximate: see the module doc
            quantiles = (self.quantiles * self.count + other.quantiles * other.count) / n
        return FeatureStats(n, mean, m2, np.minimum(self.min, other.min), np.maximum(self.max, other.max), quantiles)

    def _named(self) -> dict[str, np.ndarray]:
        named = {name: getattr(self, name) for name in STAT_NAMES}
        if self.quantiles is not None:
            named |= dict(zip(QUANTILE_NAMES, self.quantiles))
        return named

    # --- storage ----------------------------------------------------------------------------------

    def to_columns(self, key: str, image: bool = False) -> dict[str, Any]:
        """The episodes-table columns `stats/<key>/{mean,std,min,max,q01,...,q99,count}`: nested lists
        of shape (3, 1, 1) for an image, flat lists otherwise; quantile columns are None when unknown."""
        shape = IMAGE_STATS_SHAPE if image else (-1,)
        cols: dict[str, Any] = {f"stats/{key}/{name}": None for name in QUANTILE_NAMES}
        cols |= {f"stats/{key}/{name}": value.reshape(shape).tolist() for name, value in self._named().items()}
        cols[f"stats/{key}/count"] = [int(self.count)]
        return cols

    @classmethod
    def from_columns(cls, row: Mapping[str, Any], key: str) -> FeatureStats | None:
        """Read back `to_columns`, and also rows written before quantiles and nested image shapes (flat
        image lists; no quantiles). None when the row has no statistics of `key`."""
        if row.get(f"stats/{key}/count") is None:
            return None

        def column(name: str) -> np.ndarray:
            return np.asarray(row[f"stats/{key}/{name}"], np.float64).reshape(-1)

        count = int(row[f"stats/{key}/count"][0])
        quantiles = None
        if all(row.get(f"stats/{key}/{q}") is not None for q in QUANTILE_NAMES):
            quantiles = np.stack([column(q) for q in QUANTILE_NAMES])
        std = column("std")
        return cls(count, column("mean"), std**2 * count, column("min"), column("max"), quantiles)

    def to_json(self, image: bool = False) -> dict[str, list]:
        shape = IMAGE_STATS_SHAPE if image else (-1,)
        out = {name: value.reshape(shape).tolist() for name, value in self._named().items()}
        out["count"] = [int(self.count)]
        return out


def _histogram_quantiles(counts: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """`np.quantile(samples, QUANTILE_LEVELS, axis=0)` (linear interpolation between order statistics)
    of the samples a histogram describes."""
    cum = np.cumsum(counts, axis=1)
    out = np.empty((len(QUANTILE_LEVELS), counts.shape[0]))
    for d in range(counts.shape[0]):

        def order_stat(k: np.ndarray) -> np.ndarray:  # the k-th smallest sample (0-based)
            return values[np.searchsorted(cum[d], k, side="right")]

        pos = np.asarray(QUANTILE_LEVELS) * (n - 1)
        lo = np.floor(pos)
        below, above = order_stat(lo), order_stat(np.minimum(lo + 1, n - 1))
        out[:, d] = below + (pos - lo) * (above - below)
    return out


def merge_all(stats: Iterable[FeatureStats]) -> FeatureStats | None:
    total = None
    for s in stats:
        total = s if total is None else total.merge(s)
    return total


_CHANNEL_OFFSETS = np.array([0, 256, 512], np.intp)
_PIXEL_VALUES = np.arange(256) / 255.0


class ImageStatsAccumulator:
    """Per-channel statistics of the frames of one camera, fed one frame at a time. Keeps a 256-bin
    histogram per channel (uint8 pixels have no other values), so statistics and quantiles are exact
    over the sampled pixels whatever the episode's length."""

    def __init__(self, height: int, width: int):
        self.stride = image_stats_stride(height, width)
        self._counts = np.zeros((3, 256), np.int64)

    def add(self, frame: np.ndarray) -> None:
        sample = frame[:: self.stride, :: self.stride].reshape(-1, 3).astype(np.intp)
        self._counts += np.bincount((sample + _CHANNEL_OFFSETS).ravel(), minlength=768).reshape(3, 256)

    @property
    def stats(self) -> FeatureStats | None:
        """Statistics on pixel values scaled to [0, 1]; None before the first frame."""
        if not self._counts[0].any():
            return None
        return FeatureStats.of_histogram(self._counts, _PIXEL_VALUES)
