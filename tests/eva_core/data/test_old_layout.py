"""Datasets written before issue 20 (task text in a `task` column, flat image statistics, no statistics
of the index columns, no quantiles, no `huggingface` metadata) still read, and a writer appends to them."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eva_core.data import Dataset, DatasetWriter

CAMS = {"cam_high": (24, 32)}
EPISODES = "meta/episodes/chunk-000/file-000.parquet"
OLD_STAT_KEYS = ("observation.images.cam_high", "observation.state", "action", "timestamp")


def _rewrite_as_old_layout(root) -> None:
    """Turn a dataset written now into what the writer wrote before issue 20."""
    tasks = Dataset(root).tasks
    pq.write_table(pa.table({"task_index": pa.array(range(len(tasks)), pa.int64()), "task": list(tasks)}),
                   root / "meta/tasks.parquet")
    rows = []
    for row in pq.read_table(root / EPISODES).to_pylist():
        old = {k: v for k, v in row.items() if not k.startswith("stats/")}
        for key in OLD_STAT_KEYS:
            old |= {f"stats/{key}/{s}": np.ravel(row[f"stats/{key}/{s}"]).tolist() 
                    for s in ("mean", "std", "min", "max")}
            old[f"stats/{key}/count"] = row[f"stats/{key}/count"]
        rows.append(old)
    pq.write_table(pa.Table.from_pylist(rows), root / EPISODES)
    stats = json.loads((root / "meta/stats.json").read_text())
    old_stats = {k: {s: v for s, v in stats[k].items() if not s.startswith("q")} for k in OLD_STAT_KEYS}
    (root / "meta/stats.json").write_text(json.dumps(old_stats))
    for path in (root / "data").glob("*/*.parquet"):
        pq.write_table(pq.read_table(path).replace_schema_metadata(None), path)


@pytest.fixture
def old_dataset(new_writer, kit):
    writer = new_writer(cameras=CAMS)
    eps = [kit.make_episode(60, 5, "stack the cups", cameras=CAMS),
           kit.make_episode(61, 8, "fold the towel", cameras=CAMS)]
    for ep in eps:
        kit.write_episode(writer, ep, success=True)
    writer.close()
    _rewrite_as_old_layout(writer.root)
    return writer.root, eps


def test_old_layout_reads(old_dataset, kit):
    root, eps = old_dataset
    assert pq.read_table(root / "meta/tasks.parquet").column_names == ["task_index", "task"]
    ds = Dataset(root)
    assert ds.tasks == ("stack the cups", "fold the towel")
    for i, ep in enumerate(eps):
        kit.assert_episode_equal(ds.episode(i), ep)
    assert "index" not in ds.stats and "q50" not in ds.stats["action"]
    assert np.shape(ds.stats["observation.images.cam_high"]["mean"]) == (3, 1, 1)


def test_writer_appends_to_an_old_dataset_and_upgrades_it(old_dataset, kit):
    root, eps = old_dataset
    new = kit.make_episode(62, 6, "a new task", cameras=CAMS)
    with DatasetWriter.open(root) as writer:
        kit.write_episode(writer, new)
    ds = Dataset(root)
    assert ds.tasks == ("stack the cups", "fold the towel", "a new task")
    assert "__index_level_0__" in pq.read_table(root / "meta/tasks.parquet").column_names  # rewritten, new layout
    for i, ep in enumerate([*eps, new]):
        kit.assert_episode_equal(ds.episode(i), ep)

    # old rows got statistics of every column and quantiles (from their frames), images shaped (3, 1, 1)
    rows = pq.read_table(root / EPISODES).to_pylist()
    assert rows[0]["stats/index/max"] == [4] and rows[1]["stats/index/min"] == [5]
    np.testing.assert_allclose(rows[1]["stats/action/q50"], np.median(eps[1].actions.astype(np.float64), axis=0))
    assert np.shape(rows[0]["stats/observation.images.cam_high/mean"]) == (3, 1, 1)
    assert rows[0]["stats/observation.images.cam_high/q50"] is None  # unknown: the old writer kept no pixels
    assert np.shape(rows[2]["stats/observation.images.cam_high/q50"]) == (3, 1, 1)

    stats = ds.stats
    assert stats["index"]["count"] == [19] and stats["index"]["max"] == [18]
    assert "q99" in stats["observation.state"] and "q99" not in stats["observation.images.cam_high"]
    pixels = np.concatenate([e.images["cam_high"] for e in [*eps, new]]).reshape(-1, 3) / 255.0
    np.testing.assert_allclose(np.ravel(stats["observation.images.cam_high"]["mean"]), pixels.mean(0), rtol=1e-12)
