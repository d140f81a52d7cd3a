"""FeatureStats: merging the statistics of parts equals the statistics of the whole; quantiles are
exact per part and merge as LeRobot merges them."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eva_core.data.features import QUANTILE_LEVELS
from eva_core.data.stats import FeatureStats, ImageStatsAccumulator, image_stats_stride, merge_all


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=6),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
    offset=st.sampled_from([0.0, 5.0, -1e4]),
)
def test_merge_of_parts_equals_stats_of_whole(seed, sizes, scale, offset):
    rng = np.random.default_rng(seed)
    parts = [offset + scale * rng.normal(size=(n, 4)) for n in sizes]
    whole = np.concatenate(parts)
    merged = merge_all(FeatureStats.of(p) for p in parts)
    assert merged.count == len(whole)
    np.testing.assert_allclose(merged.mean, whole.mean(0), rtol=1e-10, atol=1e-12 * scale)
    np.testing.assert_allclose(merged.std, whole.std(0), rtol=1e-7, atol=1e-9 * scale)
    np.testing.assert_array_equal(merged.min, whole.min(0))
    np.testing.assert_array_equal(merged.max, whole.max(0))


def test_columns_round_trip_and_json_shapes():
    s = FeatureStats.of(np.arange(12.0).reshape(4, 3))
    np.testing.assert_allclose(s.quantiles, np.quantile(np.arange(12.0).reshape(4, 3), QUANTILE_LEVELS, axis=0))
    for image in (False, True):
        cols = s.to_columns("x", image=image)
        assert np.shape(cols["stats/x/q10"]) == ((3, 1, 1) if image else (3,))
        back = FeatureStats.from_columns(cols, "x")
        np.testing.assert_allclose(back.m2, s.m2)
        np.testing.assert_allclose(back.quantiles, s.quantiles)
        assert back.count == 4
    img = s.to_json(image=True)
    assert np.shape(img["mean"]) == (3, 1, 1) and np.shape(img["q99"]) == (3, 1, 1) and img["count"] == [4]
    assert np.shape(s.to_json()["std"]) == (3,) and np.shape(s.to_json()["q01"]) == (3,)
    assert merge_all([]) is None


def test_rows_without_quantiles_or_stats_read_back():
    """Episode rows written before issue 20: flat lists, no quantile columns; or no stats of a key."""
    s = FeatureStats.of(np.arange(12.0).reshape(4, 3))
    old = {k: v for k, v in s.to_columns("x").items() if "/q" not in k}
    back = FeatureStats.from_columns(old, "x")
    assert back.quantiles is None and "q50" not in back.to_json()
    assert back.merge(s).quantiles is None  # unknown in one part: unknown in the whole
    assert FeatureStats.from_columns(old, "y") is None


def test_merged_quantiles_are_the_count_weighted_mean():
    """LeRobot's `aggregate_feature_stats` rule: exact for alike parts, an approximation otherwise."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (30, 2)), rng.normal(0, 1, (10, 2))
    merged = FeatureStats.of(a).merge(FeatureStats.of(b))
    expected = (30 * np.quantile(a, QUANTILE_LEVELS, axis=0) + 10 * np.quantile(b, QUANTILE_LEVELS, axis=0)) / 40
    np.testing.assert_allclose(merged.quantiles, expected)
    same = FeatureStats.of(a).merge(FeatureStats.of(a))
    np.testing.assert_allclose(same.quantiles, np.quantile(a, QUANTILE_LEVELS, axis=0))


def test_image_accumulator_per_channel_in_unit_range():
    frames = np.random.default_rng(0).integers(0, 256, (5, 24, 32, 3), dtype=np.uint8)
    acc = ImageStatsAccumulator(24, 32)
    for f in frames:
        acc.add(f)
    pixels = frames.reshape(-1, 3) / 255.0
    np.testing.assert_allclose(acc.stats.mean, pixels.mean(0), rtol=1e-12)
    np.testing.assert_allclose(acc.stats.std, pixels.std(0), rtol=1e-9)
    np.testing.assert_array_equal(acc.stats.min, pixels.min(0))
    np.testing.assert_array_equal(acc.stats.max, pixels.max(0))
    assert image_stats_stride(24, 32) == 1 and image_stats_stride(480, 640) == 7
    assert ImageStatsAccumulator(24, 32).stats is None


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), frames=st.integers(1, 4), low=st.integers(0, 255), span=st.integers(0, 255))
def test_image_quantiles_equal_numpy_on_all_pixels(seed, frames, low, span):
    """The per-channel histogram gives `np.quantile` exactly, narrow value ranges and ties included."""
    high = min(255, low + span)
    video = np.random.default_rng(seed).integers(low, high + 1, (frames, 6, 8, 3), dtype=np.uint8)
    acc = ImageStatsAccumulator(6, 8)
    for f in video:
        acc.add(f)
    pixels = video.reshape(-1, 3) / 255.0
    np.testing.assert_allclose(acc.stats.quantiles, np.quantile(pixels, QUANTILE_LEVELS, axis=0), rtol=1e-12)
