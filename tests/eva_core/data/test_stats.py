"""FeatureStats: merging the statistics of parts equals the statistics of the whole."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

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
    back = FeatureStats.from_columns(s.to_columns("x"), "x")
    np.testing.assert_allclose(back.m2, s.m2)
    assert back.count == 4
    img = s.to_json(image=True)
    assert np.shape(img["mean"]) == (3, 1, 1) and img["count"] == [4]
    assert np.shape(s.to_json()["std"]) == (3,)
    assert merge_all([]) is None


def test_image_accumulator_per_channel_in_unit_range():
    frames = np.random.default_rng(0).integers(0, 256, (5, 24, 32, 3), dtype=np.uint8)
    acc = ImageStatsAccumulator(24, 32)
    for f in frames:
        acc.add(f)
    pixels = frames.reshape(-1, 3) / 255.0
    np.testing.assert_allclose(acc.stats.mean, pixels.mean(0), rtol=1e-12)
    np.testing.assert_allclose(acc.stats.std, pixels.std(0), rtol=1e-9)
    assert image_stats_stride(24, 32) == 1 and image_stats_stride(480, 640) == 7
