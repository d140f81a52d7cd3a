"""LeRobot reads what we write: the task text as the tasks table's pandas index, the `huggingface`
schema metadata of the frame files, and statistics in LeRobot's shapes with its quantiles.

`test_lerobot_loads_a_fresh_dataset` runs LeRobot itself where it is installed (it is not one of our
dependencies); the other tests check the same layout points with pyarrow (and pandas, if present)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eva_core.data import Dataset
from eva_core.data.interop import tasks_from_table, tasks_table

CAMS = {"cam_high": (24, 32), "cam_left_wrist": (24, 32)}
TASKS = ["pick the cube", "open the drawer"]
QUANTILES = ("q01", "q10", "q50", "q90", "q99")
SCALARS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


@pytest.fixture
def written(new_writer, kit):
    """A lossless dataset of three episodes (tasks 0, 1, 0), with what was written."""
    writer = new_writer(cameras=CAMS)
    eps = [kit.make_episode(40 + i, n, TASKS[i % 2], cameras=CAMS) for i, n in enumerate((6, 9, 1))]
    for ep in eps:
        kit.write_episode(writer, ep)
    writer.close()
    return writer.root, eps


def test_tasks_table_holds_the_text_as_the_pandas_index(written):
    root, _ = written
    table = pq.read_table(root / "meta/tasks.parquet")
    pandas_meta = json.loads(table.schema.metadata[b"pandas"])
    assert pandas_meta["index_columns"] == ["__index_level_0__"]
    assert [c["field_name"] for c in pandas_meta["columns"]] == ["task_index", "__index_level_0__"]
    # rows in task-index order: LeRobot takes a frame's task as `tasks.iloc[task_index].name`
    assert table.column("__index_level_0__").to_pylist() == TASKS
    assert table.column("task_index").to_pylist() == [0, 1]


def test_tasks_parquet_reads_as_pandas_index(written):
    pd = pytest.importorskip("pandas")
    root, _ = written
    tasks = pd.read_parquet(root / "meta/tasks.parquet")
    assert list(tasks.index) == TASKS and list(tasks.columns) == ["task_index"]
    assert [tasks.iloc[i].name for i in range(2)] == TASKS
    assert int(tasks.loc["open the drawer"].task_index) == 1


def test_tasks_tables_of_every_layout_read_back():
    current = tasks_table(TASKS)
    old = pa.table({"task_index": [1, 0], "task": TASKS[::-1]})  # before issue 20; any row order
    named_index = current.rename_columns(["task_index", "task"])  # pandas with `tasks.index.name = "task"`
    for table in (current, old, named_index):
        assert tasks_from_table(table) == TASKS
    with pytest.raises(ValueError, match="task_index"):
        tasks_from_table(current.drop_columns(["task_index"]))


def test_frame_files_carry_huggingface_features(written, joint_names):
    root, _ = written
    schema = pq.read_schema(root / "data/chunk-000/file-001.parquet")
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    vector = {"feature": {"dtype": "float32", "_type": "Value"}, "length": len(joint_names), "_type": "Sequence"}
    assert features["observation.state"] == vector and features["action"] == vector
    assert features["timestamp"] == {"dtype": "float32", "_type": "Value"}
    for key in SCALARS[1:]:
        assert features[key] == {"dtype": "int64", "_type": "Value"}
    assert list(features) == schema.names  # one entry per column; videos have none


def test_stats_json_has_lerobot_shapes_keys_and_quantiles(written):
    root, eps = written
    stats = json.loads((root / "meta/stats.json").read_text())
    assert set(stats) == {*(f"observation.images.{c}" for c in CAMS), "observation.state", "action", *SCALARS}
    for cam in CAMS:
        img = stats[f"observation.images.{cam}"]
        assert set(img) == {"mean", "std", "min", "max", "count", *QUANTILES}
        for name in ("mean", "std", "min", "max", *QUANTILES):
            assert np.shape(img[name]) == (3, 1, 1), name
            assert 0.0 <= np.min(img[name]) and np.max(img[name]) <= 1.0
    n = sum(e.length for e in eps)
    assert stats["index"]["min"] == [0] and stats["index"]["max"] == [n - 1] and stats["index"]["count"] == [n]
    assert stats["episode_index"]["max"] == [2] and stats["task_index"]["mean"] == pytest.approx([9 / 16])
    assert stats["frame_index"]["max"] == [8]
    assert np.shape(stats["observation.state"]["q50"]) == (14,)
    # q01 <= q10 <= ... <= q99 within [min, max], per dimension
    for key in ("observation.state", "action", "timestamp"):
        ladder = np.array([stats[key][k] for k in ("min", *QUANTILES, "max")])
        assert np.all(np.diff(ladder, axis=0) >= -1e-12), key


def test_episode_stats_are_exact_per_episode(written):
    root, eps = written
    rows = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    for row, ep in zip(rows, eps):
        np.testing.assert_allclose(row["stats/action/q90"], np.quantile(ep.actions.astype(np.float64), 0.9, axis=0))
        pixels = ep.images["cam_left_wrist"].reshape(-1, 3) / 255.0
        q10 = row["stats/observation.images.cam_left_wrist/q10"]
        assert np.shape(q10) == (3, 1, 1)
        np.testing.assert_allclose(np.ravel(q10), np.quantile(pixels, 0.1, axis=0), rtol=1e-12)
        assert row["stats/frame_index/max"] == [ep.length - 1] and row["stats/frame_index/count"] == [ep.length]


def test_lerobot_loads_a_fresh_dataset(written):
    lerobot_dataset = pytest.importorskip("lerobot.datasets.lerobot_dataset")
    root, eps = written
    ds = lerobot_dataset.LeRobotDataset("eva/interop-test", root=root)
    assert ds.num_episodes == 3 and ds.num_frames == sum(e.length for e in eps)
    ours = Dataset(root)
    for i, ep in enumerate(eps):
        start = ours.episode(i).from_index
        for t in (0, ep.length - 1):
            item = ds[start + t]
            assert item["task"] == ep.task
            np.testing.assert_array_equal(item["action"].numpy(), ep.actions[t])
            np.testing.assert_array_equal(item["observation.state"].numpy(), ep.states[t])
            for cam in CAMS:  # float [3, H, W] in [0, 1]; lossless video, so exact up to the scaling
                got = item[f"observation.images.{cam}"].numpy().transpose(1, 2, 0) * 255
                np.testing.assert_allclose(got, ep.images[cam][t], atol=1e-3)
    stats = ds.meta.stats
    assert stats["observation.images.cam_high"]["q50"].shape == (3, 1, 1)
    np.testing.assert_allclose(stats["index"]["max"], [ds.num_frames - 1])
    actions = np.concatenate([e.actions for e in eps]).astype(np.float64)
    np.testing.assert_allclose(stats["action"]["mean"], actions.mean(0), rtol=1e-9)



def test_lerobot_aggregate_keeps_the_task_text(new_writer, kit, tmp_path):
    pytest.importorskip("lerobot.datasets.lerobot_dataset")
    from lerobot.datasets.aggregate import aggregate_datasets
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    roots = []
    for name, tasks in (("a", TASKS), ("b", ["fold the towel", TASKS[0]])):
        writer = new_writer(name, cameras=CAMS)
        for i, task in enumerate(tasks):
            kit.write_episode(writer, kit.make_episode(50 + i, 4, task, cameras=CAMS))
        writer.close()
        roots.append(writer.root)
    aggregate_datasets(["eva/a", "eva/b"], "eva/ab", roots=roots, aggr_root=tmp_path / "ab")
    ds = LeRobotDataset("eva/ab", root=tmp_path / "ab")
    expected = [*TASKS, "fold the towel", TASKS[0]]
    assert [ds[4 * i]["task"] for i in range(4)] == expected
    ours = Dataset(tmp_path / "ab")  # and we read LeRobot's multi-episode files back
    assert ours.tasks == (*TASKS, "fold the towel") and [e.task for e in ours.episodes()] == expected
