"""DatasetWriter + Dataset: exact round trip, LeRobot v3 metadata, input checks, resume and locking."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eva_core.data import Dataset, DatasetError, DatasetWriter, FeatureStats

CAMERAS = ("cam_high", "cam_left_wrist", "cam_right_wrist")  # what the `new_writer` fixture records


def _write_three(writer, kit):
    eps = [
        kit.make_episode(0, 6, "pick the cube"),
        kit.make_episode(1, 9, "open the drawer"),
        kit.make_episode(2, 5, "pick the cube"),
    ]
    kit.write_episode(writer, eps[0], success=True, operator="ana", seed=7)
    kit.write_episode(writer, eps[1], success=False)
    kit.write_episode(writer, eps[2])
    return eps


def test_dataset_reads_back_exactly(new_writer, kit):
    writer = new_writer()
    eps = _write_three(writer, kit)
    writer.close()

    ds = Dataset(writer.root)
    assert ds.num_episodes == 3 and ds.num_frames == 20
    assert ds.episode_lengths == [6, 9, 5]
    assert ds.tasks == ("pick the cube", "open the drawer")
    assert ds.cameras == tuple(CAMERAS) and ds.fps == 16
    for i, expected in enumerate(eps):
        ep = ds.episode(i)
        kit.assert_episode_equal(ep, expected)
        np.testing.assert_allclose(ep.timestamps, np.arange(expected.length) / 16)
    first, second, third = ds.episode(0), ds.episode(1), ds.episode(2)
    assert (first.success, second.success, third.success) == (True, False, None)
    assert first.extra == {"operator": "ana", "seed": 7} and third.extra == {}
    np.testing.assert_array_equal(second.global_index, np.arange(6, 15))
    np.testing.assert_array_equal(third.task_index, np.zeros(5))


def test_info_json_carries_lerobot_v3_fields(new_writer, joint_names, kit):
    writer = new_writer()
    _write_three(writer, kit)
    info = json.loads((writer.root / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0"
    assert info["fps"] == 16 and isinstance(info["fps"], int)
    assert info["robot_type"] == "piper_bimanual"
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (3, 20, 2)
    assert info["chunks_size"] == 1000 and info["splits"] == {"train": "0:3"}
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    assert info["video_path"] == "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
    feats = info["features"]
    for cam in CAMERAS:
        f = feats[f"observation.images.{cam}"]
        assert f["dtype"] == "video" and f["shape"] == [24, 32, 3] and f["names"] == ["height", "width", "channels"]
        assert f["info"]["video.codec"] == "h264" and f["info"]["video.fps"] == 16
    for key in ("observation.state", "action"):
        assert feats[key] == {"dtype": "float32", "shape": [14], "names": list(joint_names)}
    assert feats["timestamp"]["dtype"] == "float32"
    for key in ("frame_index", "episode_index", "index", "task_index"):
        assert feats[key]["dtype"] == "int64" and feats[key]["shape"] == [1]
    # every path the templates produce exists
    for ep in range(3):
        assert (writer.root / info["data_path"].format(chunk_index=0, file_index=ep)).is_file()
        for cam in CAMERAS:
            key = f"observation.images.{cam}"
            assert (writer.root / info["video_path"].format(video_key=key, chunk_index=0, file_index=ep)).is_file()


def test_parquet_columns_and_meta_tables(new_writer, kit):
    writer = new_writer()
    _write_three(writer, kit)
    frames = pq.read_table(writer.root / "data/chunk-000/file-001.parquet")
    schema = frames.schema
    for key in ("observation.state", "action"):
        vec = schema.field(key).type
        assert pa.types.is_fixed_size_list(vec) and vec.list_size == 14 and vec.value_type == pa.float32()
    assert schema.field("timestamp").type == pa.float32()
    for key in ("frame_index", "episode_index", "index", "task_index"):
        assert schema.field(key).type == pa.int64()
    assert frames.column("episode_index").to_pylist() == [1] * 9
    assert frames.column("task_index").to_pylist() == [1] * 9

    # LeRobot's layout: the task text is the pandas index (column `__index_level_0__`), see test_lerobot_layout
    tasks = pq.read_table(writer.root / "meta/tasks.parquet").to_pylist()
    assert tasks == [{"task_index": 0, "__index_level_0__": "pick the cube"},
                     {"task_index": 1, "__index_level_0__": "open the drawer"}]

    rows = pq.read_table(writer.root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [r["episode_index"] for r in rows] == [0, 1, 2]
    assert [(r["dataset_from_index"], r["dataset_to_index"]) for r in rows] == [(0, 6), (6, 15), (15, 20)]
    assert rows[1]["tasks"] == ["open the drawer"] and rows[1]["length"] == 9
    assert rows[1]["videos/observation.images.cam_high/to_timestamp"] == pytest.approx(9 / 16)
    assert rows[1]["videos/observation.images.cam_high/file_index"] == 1


def test_stats_json_matches_all_frames(new_writer, kit):
    writer = new_writer()
    eps = _write_three(writer, kit)
    stats = json.loads((writer.root / "meta/stats.json").read_text())
    states = np.concatenate([e.states for e in eps]).astype(np.float64)
    np.testing.assert_allclose(stats["observation.state"]["mean"], states.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats["observation.state"]["std"], states.std(0), rtol=1e-9)
    np.testing.assert_array_equal(stats["observation.state"]["min"], states.min(0))
    np.testing.assert_array_equal(stats["action"]["max"], np.concatenate([e.actions for e in eps]).max(0))
    assert stats["observation.state"]["count"] == [20]
    pixels = np.concatenate([e.images["cam_left_wrist"] for e in eps]).reshape(-1, 3) / 255.0
    img = stats["observation.images.cam_left_wrist"]
    assert np.shape(img["mean"]) == (3, 1, 1)
    np.testing.assert_allclose(np.ravel(img["mean"]), pixels.mean(0), rtol=1e-12)
    np.testing.assert_allclose(np.ravel(img["std"]), pixels.std(0), rtol=1e-9)
    assert img["count"] == [pixels.shape[0]]
    # the Dataset exposes the same file
    assert Dataset(writer.root).stats == stats


def test_timestamps_given_by_the_recorder(new_writer, kit):
    writer = new_writer(cameras={"cam_high": (24, 32)})
    ep = kit.make_episode(3, 4, cameras={"cam_high": (24, 32)})
    writer.begin_episode(ep.task)
    times = [0.0, 0.031, 0.0655, 0.1]
    for t in range(4):
        writer.add_frame(ep.frame(t), ep.states[t], ep.actions[t], timestamp=times[t])
    with pytest.raises(ValueError, match="increase"):
        writer.add_frame(ep.frame(0), ep.states[0], ep.actions[0], timestamp=0.1)
    writer.end_episode()
    np.testing.assert_array_equal(Dataset(writer.root).episode(0).timestamps, np.float32(times))


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda f: f["images"].update(cam_top=f["images"]["cam_high"]), ValueError, "unknown camera.*cam_top"),
        (lambda f: f["images"].pop("cam_right_wrist"), ValueError, "missing camera.*cam_right_wrist"),
        (lambda f: f["images"].update(cam_high=np.zeros((32, 24, 3), np.uint8)), ValueError, r"shape \(24, 32, 3\)"),
        (lambda f: f["images"].update(cam_high=np.zeros((24, 32), np.uint8)), ValueError, "shape"),
        (lambda f: f["images"].update(cam_high=np.zeros((24, 32, 3), np.float32)), ValueError, "uint8"),
        (lambda f: f["images"].update(cam_high=[[0]]), TypeError, "numpy array"),
        (lambda f: f.update(state=f["state"][:13]), ValueError, r"observation.state must have shape \(14,\)"),
        (lambda f: f.update(action=np.zeros((2, 14))), ValueError, r"action must have shape \(14,\)"),
        (lambda f: f["state"].__setitem__(6, np.nan), ValueError, "non-finite.*left_gripper=nan"),
        (lambda f: f["action"].__setitem__(0, np.inf), ValueError, "non-finite.*left_joint1=inf"),
        (lambda f: f["action"].__setitem__(0, 1e39), ValueError, "beyond float32"),
        (lambda f: f.update(timestamp=-1.0), ValueError, "timestamp"),
        (lambda f: f.update(timestamp=float("nan")), ValueError, "timestamp"),
    ],
)
def test_bad_frames_are_rejected_and_leave_the_episode_unchanged(new_writer, change, error, message, kit):
    writer = new_writer()
    ep = kit.make_episode(4, 2)
    writer.begin_episode(ep.task)
    writer.add_frame(ep.frame(0), ep.states[0], ep.actions[0])
    frame = {"images": dict(ep.frame(1)), "state": ep.states[1].astype(float), "action": ep.actions[1].astype(float)}
    change(frame)
    with pytest.raises(error, match=message):
        writer.add_frame(**frame)
    assert writer.frames_in_episode == 1
    writer.add_frame(ep.frame(1), ep.states[1], ep.actions[1])
    writer.end_episode()
    kit.assert_episode_equal(Dataset(writer.root).episode(0), ep)


def test_episode_lifecycle_errors(new_writer, kit):
    writer = new_writer()
    ep = kit.make_episode(5, 2)
    with pytest.raises(RuntimeError, match="no episode is open"):
        writer.add_frame(ep.frame(0), ep.states[0], ep.actions[0])
    with pytest.raises(ValueError, match="task"):
        writer.begin_episode("  ")
    writer.begin_episode(ep.task)
    with pytest.raises(RuntimeError, match="still open"):
        writer.begin_episode(ep.task)
    with pytest.raises(ValueError, match="no frames"):
        writer.end_episode()
    writer.add_frame(ep.frame(0), ep.states[0], ep.actions[0])
    with pytest.raises(TypeError, match="JSON"):
        writer.end_episode(pose=np.zeros(3))
    with pytest.raises(TypeError, match="success"):
        writer.end_episode(success="yes")
    assert writer.episode_open  # a rejected end_episode keeps the episode
    assert writer.end_episode(success=True, pose=[0.0, 1.0]) == 0
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.begin_episode("x")


def test_discard_reuses_the_index_and_keeps_nothing(new_writer, kit):
    writer = new_writer()
    a, b = kit.make_episode(6, 3, "a"), kit.make_episode(7, 4, "b")
    writer.begin_episode("never kept")
    writer.add_frame(a.frame(0), a.states[0], a.actions[0])
    writer.discard_episode()
    assert kit.write_episode(writer, a) == 0
    writer.begin_episode("closed while open")
    writer.add_frame(b.frame(0), b.states[0], b.actions[0])
    writer.close()  # discards the open episode
    assert not (writer.root / ".staging").exists()
    ds = Dataset(writer.root)
    assert ds.num_episodes == 1 and ds.tasks == ("a",)
    with DatasetWriter.open(writer.root) as resumed:
        assert kit.write_episode(resumed, b) == 1
    ds = Dataset(writer.root)
    kit.assert_episode_equal(ds.episode(1), b)
    assert ds.tasks == ("a", "b")


def test_open_resumes_numbering_and_one_writer_at_a_time(new_writer, kit):
    writer = new_writer()
    eps = _write_three(writer, kit)
    with pytest.raises(DatasetError, match="another DatasetWriter"):
        DatasetWriter.open(writer.root)
    writer.close()
    with pytest.raises(FileExistsError, match="DatasetWriter.open"):
        DatasetWriter.create(writer.root, fps=16, cameras={"cam_high": (24, 32)}, joint_names=list("abcdefghijklmn"))
    with DatasetWriter.open(writer.root) as resumed:
        assert resumed.num_episodes == 3 and resumed.num_frames == 20
        assert resumed.schema == writer.schema
        extra = kit.make_episode(8, 7, "open the drawer")
        assert kit.write_episode(resumed, extra) == 3
    ds = Dataset(writer.root)
    assert ds.num_episodes == 4 and ds.num_frames == 27 and ds.tasks == ("pick the cube", "open the drawer")
    np.testing.assert_array_equal(ds.episode(3).global_index, np.arange(20, 27))
    for i, expected in enumerate([*eps, extra]):
        kit.assert_episode_equal(ds.episode(i), expected)


def test_reader_sees_only_committed_episodes_while_writing(new_writer, kit):
    writer = new_writer()
    ep = kit.make_episode(9, 3)
    kit.write_episode(writer, ep)
    writer.begin_episode("in progress")
    writer.add_frame(ep.frame(0), ep.states[0], ep.actions[0])
    ds = Dataset(writer.root)
    assert ds.num_episodes == 1 and ds.tasks == ("pick the cube",)
    kit.assert_episode_equal(ds.episode(0), ep)


def test_reader_errors(tmp_path, new_writer, kit):
    with pytest.raises(DatasetError, match="not a dataset"):
        Dataset(tmp_path)
    writer = new_writer()
    kit.write_episode(writer, kit.make_episode(10, 2))
    ds = Dataset(writer.root)
    with pytest.raises(IndexError, match="1 episodes"):
        ds.episode(1)
    with pytest.raises(KeyError, match="unknown camera 'cam_top'"):
        ds.episode(0).video("cam_top")
    with pytest.raises(IndexError, match="outside episode"):
        ds.episode(0).video("cam_high", 1, 5)
    with pytest.raises(DatasetError, match="cannot append"):
        (writer.root / "meta/info.json").write_text(json.dumps({**ds.info, "eva": {}}))
        writer.close()
        DatasetWriter.open(writer.root)


def test_damaged_dataset_is_reported_on_open(new_writer, kit):
    writer = new_writer()
    kit.write_episode(writer, kit.make_episode(11, 2))
    writer.close()
    (writer.root / "videos/observation.images.cam_high/chunk-000/file-000.mp4").unlink()
    with pytest.raises(DatasetError, match="episode 0 lacks videos/observation.images.cam_high"):
        DatasetWriter.open(writer.root)


def test_episode_stats_merge_to_dataset_stats(new_writer, kit):
    writer = new_writer(cameras={"cam_high": (24, 32)})
    eps = [kit.make_episode(s, 3 + s, cameras={"cam_high": (24, 32)}) for s in range(3)]
    for e in eps:
        kit.write_episode(writer, e)
    rows = pq.read_table(writer.root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    per_episode = [FeatureStats.from_columns(r, "action") for r in rows]
    for s, e in zip(per_episode, eps):
        np.testing.assert_allclose(s.mean, e.actions.astype(np.float64).mean(0), rtol=1e-12)
        assert s.count == e.length
