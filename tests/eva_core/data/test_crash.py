"""Crash safety: a writer process killed with SIGKILL, mid-episode or at any step of a commit, leaves
every committed episode loadable, and a new writer resumes the dataset."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from eva_core.data import Dataset, DatasetWriter

CAMERAS = {"cam_high": (24, 32), "cam_left_wrist": (24, 32)}
# os.replace calls of the third episode's commit with two cameras: 2 videos, the frame parquet,
# tasks.parquet (a new task), the episodes table (the commit point), stats.json, info.json.
COMMIT_REPLACES = 7
COMMIT_POINT = 5

# The child writes episodes 0 and 1, then episode 2 (tasks[2] is new), and dies:
#   kill_at == 0: keeps adding frames to episode 2 until the parent SIGKILLs it;
#   kill_at > 0:  SIGKILLs itself just before the kill_at-th os.replace of episode 2's commit.
CHILD = r"""
import os, signal, sys, time
import numpy as np
from eva_core.data import DatasetWriter, VideoConfig

root, data_path, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = np.load(data_path)
cams = [str(c) for c in d["cameras"]]

def frame(e, t):
    return {c: d[f"img_{e}_{c}"][t] for c in cams}

def length(e):
    return len(d[f"state_{e}"])

w = DatasetWriter.create(root, fps=16, cameras={c: d[f"img_0_{c}"].shape[1:3] for c in cams},
                         joint_names=[str(n) for n in d["joint_names"]], video=VideoConfig.lossless())
for e in range(2):
    w.begin_episode(str(d["tasks"][e]))
    for t in range(length(e)):
        w.add_frame(frame(e, t), d[f"state_{e}"][t], d[f"action_{e}"][t])
    w.end_episode(success=True)
w.begin_episode(str(d["tasks"][2]))
if kill_at == 0:
    deadline = time.monotonic() + 30
    t = 0
    while time.monotonic() < deadline:
        w.add_frame(frame(2, t % length(2)), d["state_2"][t % length(2)], d["action_2"][t % length(2)])
        t += 1
        if t == 3:
            print("MID-EPISODE", flush=True)
        time.sleep(0.002)
    sys.exit("never killed")
for t in range(length(2)):
    w.add_frame(frame(2, t), d["state_2"][t], d["action_2"][t])
real_replace, calls = os.replace, [0]
def replace(src, dst):
    calls[0] += 1
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)
os.replace = replace
w.end_episode()
print("COMMITTED", calls[0], flush=True)
"""


@pytest.fixture
def episodes(kit):
    tasks = ["stack the cups", "fold the towel", "a task first seen in episode 2", "after the crash"]
    return [kit.make_episode(20 + i, 4 + i, tasks[i], cameras=CAMERAS) for i in range(4)]


def _run_child(tmp_path, episodes, joint_names, kill_at: int) -> subprocess.CompletedProcess:
    arrays = {"cameras": np.array(list(CAMERAS)), "joint_names": np.array(joint_names),
              "tasks": np.array([e.task for e in episodes])}
    for i, ep in enumerate(episodes[:3]):
        arrays[f"state_{i}"], arrays[f"action_{i}"] = ep.states, ep.actions
        arrays |= {f"img_{i}_{cam}": frames for cam, frames in ep.images.items()}
    np.savez(tmp_path / "episodes.npz", **arrays)
    root = tmp_path / "ds"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(tmp_path / "episodes.npz"), str(kill_at)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if kill_at == 0:
        line = proc.stdout.readline()
        if line.strip() == "MID-EPISODE":
            os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _check_resumes(root, episodes, committed: int, kit) -> None:
    """Committed episodes load exactly; a resumed writer cleans up, repairs meta and continues."""
    ds = Dataset(root)
    assert ds.num_episodes == committed
    for i in range(committed):
        kit.assert_episode_equal(ds.episode(i), episodes[i])

    with DatasetWriter.open(root) as writer:
        assert writer.num_episodes == committed
        assert not (root / ".staging").exists()
        assert not list(root.rglob("*.tmp")), "interrupted temporary files were swept up"
        info = json.loads((root / "meta/info.json").read_text())
        frames = sum(e.length for e in episodes[:committed])
        assert (info["total_episodes"], info["total_frames"]) == (committed, frames)
        for sub in ("data/chunk-000", *(f"videos/observation.images.{c}/chunk-000" for c in CAMERAS)):
            assert len(list((root / sub).iterdir())) == committed, f"orphans left in {sub}"
        assert kit.write_episode(writer, episodes[3]) == committed

    ds = Dataset(root)
    assert ds.num_episodes == committed + 1
    for i, expected in enumerate([*episodes[:committed], episodes[3]]):
        kit.assert_episode_equal(ds.episode(i), expected)
    assert ds.tasks[-1] == "after the crash"
    assert ds.stats["observation.state"]["count"] == [ds.num_frames]


def test_sigkill_mid_episode_keeps_committed_episodes(tmp_path, episodes, joint_names, kit):
    result = _run_child(tmp_path, episodes, joint_names, kill_at=0)
    assert result.returncode == -signal.SIGKILL, result.stderr
    staged = list((tmp_path / "ds/.staging").rglob("*.mp4"))
    assert len(staged) == 2, "the kill landed while episode 2 was being encoded"
    _check_resumes(tmp_path / "ds", episodes, committed=2, kit=kit)


@pytest.mark.parametrize("kill_at", range(1, COMMIT_REPLACES + 1))
def test_sigkill_at_every_step_of_a_commit(tmp_path, episodes, joint_names, kit, kill_at):
    result = _run_child(tmp_path, episodes, joint_names, kill_at)
    assert result.returncode == -signal.SIGKILL, result.stderr
    _check_resumes(tmp_path / "ds", episodes, committed=3 if kill_at >= COMMIT_POINT + 1 else 2, kit=kit)


def test_commit_step_count_matches_the_kill_points(tmp_path, episodes, joint_names, kit):
    result = _run_child(tmp_path, episodes, joint_names, kill_at=10**6)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["COMMITTED", str(COMMIT_REPLACES)]
    _check_resumes(tmp_path / "ds", episodes, committed=3, kit=kit)
