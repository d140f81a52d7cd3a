"""The run folder: a synthetic run of two episodes (32x24 frames, a few plans) is written, reads back
with the right content and frame counts, survives a crash between episodes, and takes malformed or
out-of-order messages without raising."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest

from eva_core.data.video import probe, read_video
from eva_core.embodiment import load_embodiment
from eva_core.runs import RunRecorder, find_runs, load_plan, load_run

H, W = 24, 32  # camera and plan frame size
FPS = 16.0
T0 = 1000.0  # stamp of the first message of episode 0
PLAN_FRAMES = 17
ACCEPT = {"verdict": "accept", "reasons": [], "returned": "filtered", "steps": PLAN_FRAMES}
REJECT = {"verdict": "reject", "reasons": ["max_deviation", "too_many_changes"], "returned": "hold", "steps": 17}
TERMS = {"penalty": 0.25, "p_jerk": 0.1, "p_acc": 0.05, "p_vlim": 0.0, "p_alim": float("inf")}


@pytest.fixture(scope="module")
def embodiment():
    return load_embodiment()


def camera_frame(i: int) -> np.ndarray:
    """Flat grey whose level encodes the frame number: survives lossy H.264 within a few levels."""
    return np.full((H, W, 3), 20 + 4 * i, np.uint8)


def plan_frames(level: int) -> np.ndarray:
    return np.stack([np.full((H, W, 3), level - 5 * k, np.uint8) for k in range(PLAN_FRAMES)])


def plan_actions(embodiment, offset: float) -> np.ndarray:
    t = np.arange(PLAN_FRAMES)[:, None] * embodiment.plan_dt
    return embodiment.ready_pose() + offset + 0.1 * np.sin(t + np.arange(14))


def feed_streams(rec, embodiment, t0: float, seconds: float) -> None:
    """Both cameras at 16 Hz, joint states and commands at 50 Hz."""
    for i in range(int(seconds * FPS)):
        rec.add_camera_frame("cam_high", t0 + i / FPS, camera_frame(i))
        rec.add_camera_frame("cam_left_wrist", t0 + i / FPS, np.zeros((H, W, 3), np.uint8))
    for i in range(int(seconds * 50)):
        q = embodiment.ready_pose() + 0.001 * i
        rec.add_joint_state(t0 + i / 50, q)
        rec.add_command(t0 + i / 50, q)


def add_plan(rec, embodiment, plan_id, t_video, t_filtered, safety, level=200, offset=0.0):
    decoded = plan_actions(embodiment, offset)
    rec.add_video_plan(plan_id, t_video, plan_frames(level), FPS, "press the button", "sim_oracle", 0.15)
    rec.add_action_plan(
        plan_id, t_filtered - 0.05, decoded, filtered=False, score=7.5, reward=0.75, reward_terms=TERMS,
        safety=None, decode_time_s=0.04, filter_time_s=None,
    )
    rec.add_action_plan(
        plan_id, t_filtered, decoded * 0.99, filtered=True, score=7.5, reward=0.75, reward_terms=TERMS,
        safety=safety, decode_time_s=None, filter_time_s=0.01,
    )
    return decoded


@pytest.fixture(scope="module")
def run(tmp_path_factory, embodiment):
    """Episode 0 succeeds with two plans (executed, rejected); episode 1 fails and has
    everything that can go wrong with its messages."""
    rec = RunRecorder(
        tmp_path_factory.mktemp("runs"), "press button", embodiment, camera_fps=FPS,
        config={"planner": "sim_oracle", "threshold": np.float32(0.5)}, started=datetime(2025, 3, 4, 5, 6, 7),
    )
    rec.add_camera_frame("cam_high", T0 - 1, camera_frame(0))  # before any episode: counted, not recorded
    rec.begin_episode(0, seed=7, instruction="press the button")
    feed_streams(rec, embodiment, T0, 3.0)
    decoded = add_plan(rec, embodiment, "ep0-p0", T0, T0 + 0.25, ACCEPT)
    add_plan(rec, embodiment, "ep0-p1", T0 + 0.75, T0 + 1.0, REJECT, level=150)
    ep0 = rec.end_episode(
        success=True, outcome="success", reason="button pressed", segments=2, plans_rejected=1, duration_s=3.0
    )

    t1 = T0 + 10
    rec.begin_episode(1, seed=8, instruction="press the button")
    # Action plans before their video plan, and one for a plan id that never gets a video.
    rec.add_action_plan(
        "ep1-late", t1 + 0.3, plan_actions(embodiment, 0.0), filtered=True, score=6.0, reward=0.6,
        reward_terms={"penalty": 0.5}, safety=ACCEPT, decode_time_s=None, filter_time_s=0.02,
    )
    rec.add_action_plan(
        "ep1-ghost", t1 + 0.5, plan_actions(embodiment, 0.0), filtered=False, score=1.0, reward=0.1,
        reward_terms={}, safety=None, decode_time_s=0.03, filter_time_s=None,
    )
    rec.add_video_plan("ep1-late", t1, plan_frames(220), FPS, "press the button", "sim_oracle", 0.2)
    # Only the first second of the plan camera arrives, one frame twice as large and one out of order.
    for i in range(16):
        frame = camera_frame(i) if i != 3 else np.full((2 * H, 2 * W, 3), 20 + 4 * i, np.uint8)
        rec.add_camera_frame("cam_high", t1 + i / FPS, frame)
    rec.add_camera_frame("cam_high", t1 + 0.01, camera_frame(0))
    rec.add_camera_frame("cam_high", t1 + 0.5, np.zeros((H, W), np.float32))  # wrong dtype
    rec.add_camera_frame("cam_high", float("nan"), camera_frame(0))  # no stamp
    rec.add_joint_state(t1 + 0.1, np.zeros(13))  # wrong length
    rec.add_joint_state(t1 + 0.2, np.zeros(14))
    rec.add_joint_state(t1 + 0.15, np.ones(14))  # out of order
    rec.add_command(t1 + 0.2, "not a vector")
    rec.add_video_plan("ep1-bad", t1 + 2, np.zeros((3, 4)), FPS, "x", "sim_oracle", 0.1)  # not frames
    rec.add_action_plan(
        "ep1-bad", t1 + 2.1, np.zeros((5, 3)), filtered=True, score=None, reward="?", reward_terms=None,
        safety=["not", "a", "dict"], decode_time_s=None, filter_time_s=None,
    )
    ep1 = rec.end_episode(
        success=False, outcome="time_limit", reason="out of time", segments=1, plans_rejected=0, duration_s=2.5
    )
    rec.add_command(t1 + 5, np.zeros(14))  # after the episode: counted, not recorded
    summary = rec.close()
    return {"rec": rec, "dir": rec.directory, "ep0": ep0, "ep1": ep1, "summary": summary, "decoded": decoded}


def test_folder_layout(run):
    d = run["dir"]
    assert d.name == "20250304-050607_press_button"
    assert find_runs(d.parent) == [d]
    for episode in ("episode_000", "episode_001"):
        for name in ("episode.json", "cam_high.mp4", "commands.npz", "camera_stamps.npz"):
            assert (d / episode / name).is_file(), f"{episode}/{name}"
    for plan in ("ep0-p0", "ep0-p1"):
        files = sorted(p.name for p in (d / "episode_000/plans" / plan).iterdir())
        assert files == ["actions.npz", "joints.png", "plan.json", "plan_vs_robot.mp4"], plan  # the spill is gone
        assert (d / "episode_000/plans" / plan / "joints.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(d.glob("*.partial"))


def test_summary_and_success_rate(run):
    summary = json.loads((run["dir"] / "summary.json").read_text())
    assert summary == run["summary"]
    assert summary["task"] == "press button" and summary["closed"] is True
    assert summary["success_rate"] == 0.5 and summary["successes"] == 1 and summary["episodes_complete"] == 2
    assert summary["config"] == {"planner": "sim_oracle", "threshold": 0.5}
    assert summary["ignored_outside_episode"] == {"camera_frame": 1, "command": 1}
    assert summary["embodiment"]["joint_names"][0] == "left_joint1"
    first, second = summary["episodes"]
    assert first == run["ep0"] and second == run["ep1"]
    assert first | {"directory": None, "instruction": None} == {
        "index": 0, "directory": None, "seed": 7, "instruction": None, "success": True, "outcome": "success",
        "reason": "button pressed", "segments": 2, "duration_s": 3.0, "plans": 2, "plans_rejected": 1,
        "plans_executed": 1, "complete": True,
    }
    assert (second["success"], second["outcome"], second["plans"]) == (False, "time_limit", 3)


def test_camera_videos_decode_with_all_frames(run):
    ep = run["dir"] / "episode_000"
    video = read_video(ep / "cam_high.mp4", 16)
    assert video.shape == (48, H, W, 3)
    levels = video.reshape(48, -1).mean(axis=1)
    np.testing.assert_allclose(levels, [20 + 4 * i for i in range(48)], atol=3)
    assert probe(ep / "cam_left_wrist.mp4").frames == 48
    stamps = np.load(ep / "camera_stamps.npz")
    np.testing.assert_allclose(stamps["cam_high"], T0 + np.arange(48) / FPS)
    # Episode 1: 16 frames + the late one; the refused ones are not in the file.
    ep1 = run["dir"] / "episode_001"
    assert read_video(ep1 / "cam_high.mp4", 16).shape == (17, H, W, 3)
    cam = json.loads((ep1 / "episode.json").read_text())["cameras"]["cam_high"]
    assert (cam["frames"], cam["resized"], cam["refused"], cam["out_of_order"]) == (17, 1, 2, 1)


def test_commands_and_joint_states(run, embodiment):
    data = np.load(run["dir"] / "episode_000/commands.npz")
    assert data["command_q"].shape == (150, 14) and data["state_q"].shape == (150, 14)
    np.testing.assert_allclose(data["state_t"], T0 + np.arange(150) / 50)
    np.testing.assert_allclose(data["command_q"][10], embodiment.ready_pose() + 0.01)
    assert list(data["joint_names"]) == list(embodiment.joint_names)
    ep1 = np.load(run["dir"] / "episode_001/commands.npz")
    np.testing.assert_allclose(ep1["state_t"], [T0 + 10.15, T0 + 10.2])  # sorted by time
    assert ep1["command_q"].shape == (0, 14)


def test_plan_json_and_actions(run):
    d = run["dir"] / "episode_000/plans"
    executed = load_plan(d / "ep0-p0")
    assert (executed["status"], executed["reason"]) == ("executed", "")
    assert (executed["score"], executed["reward"]) == (7.5, 0.75)
    assert executed["reward_terms"] == {**TERMS, "p_alim": None}  # JSON has no inf
    assert executed["safety"] == ACCEPT
    timings = executed["timings"]
    assert (timings["planning_time_s"], timings["decode_time_s"], timings["filter_time_s"]) == (0.15, 0.04, 0.01)
    # The window runs from the filtered plan (T0 + 0.25) to the start of the next planning (T0 + 0.75).
    assert timings["window_start_s"] == pytest.approx(T0 + 0.25) and timings["window_end_s"] == pytest.approx(T0 + 0.75)
    arrays = executed["arrays"]
    np.testing.assert_array_equal(arrays["decoded"], run["decoded"])
    np.testing.assert_array_equal(arrays["filtered"], run["decoded"] * 0.99)
    assert arrays["measured_q"].shape[0] in (25, 26)  # 50 Hz samples in [0.25, 0.75] s (float stamps)
    assert arrays["measured_q"].shape[1] == 14
    assert list(arrays["reward_term_names"]) == sorted(TERMS)

    rejected = json.loads((d / "ep0-p1/plan.json").read_text())
    assert (rejected["status"], rejected["reason"]) == ("rejected", "max_deviation, too_many_changes")
    assert rejected["safety"]["verdict"] == "reject"

    episode = json.loads((run["dir"] / "episode_000/episode.json").read_text())
    assert [p["plan_id"] for p in episode["plans"]] == ["ep0-p0", "ep0-p1"]
    assert [p["status"] for p in episode["plans"]] == ["executed", "rejected"]
    assert (episode["seed"], episode["instruction"], episode["notes"]) == (7, "press the button", [])


def test_plan_vs_robot_shows_the_plan_next_to_the_matching_camera_frames(run):
    d = run["dir"] / "episode_000/plans/ep0-p0"
    info = json.loads((d / "plan.json").read_text())["comparison"]
    video = read_video(d / "plan_vs_robot.mp4", 16)
    assert video.shape == (PLAN_FRAMES, H, 2 * W + 2, 3)
    counts = ("frames", "robot_frames_shown", "robot_frames_missing", "frames_after_window")
    assert [info[k] for k in counts] == [17, 17, 0, 9]
    left = video[:, : H - 2, :W].reshape(PLAN_FRAMES, -1).mean(axis=1)
    np.testing.assert_allclose(left, [200 - 5 * k for k in range(PLAN_FRAMES)], atol=3)
    # Plan frame k is at T0 + 0.25 + k/16: camera frame 4 + k; dimmed (x 0.4) after the window (k >= 8).
    right = video[:, : H - 2, W + 2 :].reshape(PLAN_FRAMES, -1).mean(axis=1)
    expected = [(20 + 4 * (4 + k)) * (1.0 if k < 8 else 0.4) for k in range(PLAN_FRAMES)]
    np.testing.assert_allclose(right, expected, atol=3)


def test_messages_in_any_order_and_malformed_ones_are_recorded(run):
    ep = run["dir"] / "episode_001"
    episode = json.loads((ep / "episode.json").read_text())
    plans = {p["plan_id"]: p for p in episode["plans"]}
    assert set(plans) == {"ep1-late", "ep1-ghost", "ep1-bad"}
    late = load_plan(ep / "plans/ep1-late")
    assert late["status"] == "executed" and late["decoded"] is None and late["filtered"]["steps"] == PLAN_FRAMES
    # Its camera frames stop after 1 s: later plan frames have no robot frame.
    assert late["comparison"]["robot_frames_missing"] > 0 and late["comparison"]["frames"] == PLAN_FRAMES
    assert read_video(ep / "plans/ep1-late/plan_vs_robot.mp4", 16).shape[0] == PLAN_FRAMES
    ghost = load_plan(ep / "plans/ep1-ghost")
    assert ghost["status"] == "not_executed" and "no filtered plan" in ghost["reason"]
    assert ghost["video"] is None and ghost["comparison"] is None
    assert "no video plan was received for this plan id" in ghost["notes"]
    assert (ep / "plans/ep1-ghost/joints.png").is_file() and not (ep / "plans/ep1-ghost/plan_vs_robot.mp4").exists()
    bad = load_plan(ep / "plans/ep1-bad")
    assert bad["status"] == "not_executed" and bad["score"] is None and bad["safety"] is None
    assert any("shape (5, 3)" in n for n in bad["notes"]) and any("shape (3, 4)" in n for n in bad["notes"])
    assert bad["files"] == {"actions": "actions.npz"}  # nothing to plot or show
    assert episode["joint_states"] == {"count": 2, "out_of_order": 1, "malformed": 1}
    assert episode["commands"] == {"count": 0, "out_of_order": 0, "malformed": 1}
    assert len(episode["notes"]) >= 3


def test_a_crash_before_end_episode_keeps_the_finished_episodes(tmp_path, embodiment):
    rec = RunRecorder(tmp_path, "press_button", embodiment, camera_fps=FPS)

    def job():
        rec.begin_episode(0, seed=0, instruction="press")
        feed_streams(rec, embodiment, T0, 1.0)
        add_plan(rec, embodiment, "a", T0, T0 + 0.2, ACCEPT)
        rec.end_episode(success=True, outcome="success", reason="", segments=1, plans_rejected=0, duration_s=1.0)
        rec.begin_episode(1, seed=1, instruction="press")
        feed_streams(rec, embodiment, T0 + 5, 0.5)
        add_plan(rec, embodiment, "b", T0 + 5, T0 + 5.2, ACCEPT)
        raise RuntimeError("the job died")

    with pytest.raises(RuntimeError, match="the job died"):
        job()
    del rec  # never closed: as if the process had been killed
    (run_dir,) = find_runs(tmp_path)
    run = load_run(run_dir)
    assert run["partial"] == ["episode_001.partial"]
    assert [e["index"] for e in run["episodes"]] == [0]
    assert run["summary"]["success_rate"] == 1.0 and run["summary"]["open_episode"] == 1
    assert [e["directory"] for e in run["summary"]["episodes"]] == ["episode_000"]
    assert read_video(run_dir / "episode_000/cam_high.mp4", 16).shape[0] == 16
    assert read_video(run_dir / "episode_000/plans/a/plan_vs_robot.mp4", 16).shape[0] == PLAN_FRAMES


def test_close_finishes_an_open_episode_as_interrupted(tmp_path, embodiment):
    with RunRecorder(tmp_path, "t", embodiment) as rec:
        rec.begin_episode(0, seed=None, instruction="press")
        rec.add_joint_state(1.0, np.zeros(14))
        frames = [*plan_frames(200)[:2], np.zeros((H, W, 3), np.float32), np.zeros((2 * H, W, 4), np.uint8)]
        rec.add_video_plan("only-video", 1.0, frames, FPS, "press", "sim_oracle", 0.1)
    summary = load_run(rec.directory)["summary"]
    (episode,) = summary["episodes"]
    assert (episode["outcome"], episode["complete"], episode["plans"]) == ("interrupted", False, 1)
    assert summary["success_rate"] is None and summary["episodes_interrupted"] == 1
    plan = load_plan(rec.directory / "episode_000/plans/only-video")
    assert plan["status"] == "not_executed" and plan["comparison"]["robot_frames_missing"] == 4
    assert plan["notes"][0].startswith("1 of 4 video plan frames are not RGB images (dtype float32")
    video = read_video(rec.directory / "episode_000/plans/only-video/plan_vs_robot.mp4", 16)
    assert video.shape == (4, H, 2 * W + 2, 3)
    assert rec.close() == summary  # idempotent
    with pytest.raises(RuntimeError):
        rec.begin_episode(1, seed=None, instruction="press")


def test_a_new_episode_interrupts_an_open_one_and_indices_never_clash(tmp_path, embodiment):
    rec = RunRecorder(tmp_path, "t", embodiment)
    rec.begin_episode(0, seed=1, instruction="press")
    rec.add_joint_state(1.0, np.zeros(14))
    rec.begin_episode(1, seed=2, instruction="press")  # episode 0 never ended
    rec.end_episode(success=True, outcome="success", reason="", segments=0, plans_rejected=0, duration_s=1.0)
    rec.begin_episode(1, seed=3, instruction="press")  # the same index again
    rec.end_episode(success=False, outcome="fault", reason="x", segments=0, plans_rejected=0, duration_s=1.0)
    summary = rec.close()
    assert [(e["directory"], e["outcome"], e["complete"]) for e in summary["episodes"]] == [
        ("episode_000", "interrupted", False), ("episode_001", "success", True), ("episode_001_1", "fault", True),
    ]
    assert summary["success_rate"] == 0.5
    folders = [e["directory"] for e in load_run(rec.directory)["episodes"]]
    assert folders == ["episode_000", "episode_001", "episode_001_1"]
