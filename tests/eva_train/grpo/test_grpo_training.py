"""`eva-train grpo` end to end on tiny models: P0 estimated, curves and checkpoints written, the best
adapter loads in the planner, resume continues; `eva wm eval` compares models on the same starts."""

import json

import pytest
import yaml

from eva_train.cli import main as train_main
from eva_core.cli.main import main as eva_main

SMALL = dict(resolution=[32, 32], num_frames=5, observed_frames=4, group_size=2, prompts_per_step=2, sample_steps=2,
             train_timesteps=1, inner_epochs=1, steps=2, val_every=1, val_prompts=2, val_steps=2, p0_prompts=2,
             lr=1e-3, clip_range=0.2, threads=1, ckpt_every_min=0.0, lora=dict(rank=4, alpha=4))


@pytest.fixture(scope="module")
def grpo_run(motion_dataset, tiny_wan, tiny_idm, tmp_path_factory):
    out = tmp_path_factory.mktemp("grpo") / "run"
    cfg = out.parent / "grpo.yaml"
    cfg.write_text(yaml.safe_dump({"data": [str(motion_dataset)], "val_data": [str(motion_dataset)], "model_dir": str(tiny_wan),
                                   "idm_checkpoint": str(tiny_idm), "out_dir": str(out), **SMALL}))
    assert train_main(["grpo", "--config", str(cfg), "--no-progress"]) == 0
    return out, cfg


def rows(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_a_run_estimates_p0_logs_curves_and_keeps_the_best(grpo_run):
    run, _ = grpo_run
    log = rows(run)
    start = next(r for r in log if r["kind"] == "start")
    assert start["p0"] > 0 and start["mode"] == "lora"
    train = [r for r in log if r["kind"] == "train"]
    assert [r["step"] for r in train] == [1, 2]
    for key in ("score_mean", "reward_mean", "kl", "clip_fraction", "motion_mean", "static_fraction", "policy_loss"):
        assert key in train[0]
    val = [r for r in log if r["kind"] == "val"]
    assert [r["step"] for r in val] == [0, 1, 2] and "per_task" in val[0]
    for name in ("last", "best", "final"):
        assert (run / "checkpoints" / name / "pytorch_lora_weights.safetensors").is_file()
    assert json.loads((run / "checkpoints" / "last" / "reward.json").read_text())["p0"] == start["p0"]
    assert (run / "curves.png").is_file()


def test_resume_continues_with_the_saved_p0(grpo_run):
    run, cfg = grpo_run
    assert train_main(["grpo", "--config", str(cfg), "--resume", "--steps", "3", "--no-progress"]) == 0
    log = rows(run)
    starts = [r for r in log if r["kind"] == "start"]
    assert [s["step"] for s in starts] == [0, 2] and starts[1]["p0"] == starts[0]["p0"]
    assert max(r["step"] for r in log if r["kind"] == "train") == 3


def test_wm_eval_scores_plans_with_and_without_the_adapter(grpo_run, motion_dataset, tiny_wan, tiny_idm, tmp_path, capsys):
    run, _ = grpo_run
    planner = tmp_path / "planner.yaml"
    planner.write_text(yaml.safe_dump({"model_dir": str(tiny_wan), "device": "cpu", "dtype": "float32", "steps": 2, "num_frames": 5,
                                       "height": 32, "width": 32, "history_frames": 4, "pad_history": True}))
    common = ["wm", "eval", "--planner-config", str(planner), "--dataset", str(motion_dataset), "--starts", "3", "--seed", "1",
              "--idm", str(tiny_idm), "--json"]
    assert eva_main(common) == 0
    base = json.loads(capsys.readouterr().out)
    assert eva_main(common + ["--lora", str(run / "checkpoints" / "best" / "pytorch_lora_weights.safetensors")]) == 0
    tuned = json.loads(capsys.readouterr().out)
    for report in (base, tuned):
        assert report["plans"] == 3 and 0 <= report["mean_score"] <= 10
        assert set(report) >= {"mean_score", "valid_fraction", "static_fraction", "per_task"}
    assert tuned["loras"] and not base["loras"]


def test_wm_eval_refuses_a_missing_dataset_in_one_line(tmp_path, tiny_wan, capsys):
    planner = tmp_path / "planner.yaml"
    planner.write_text(yaml.safe_dump({"model_dir": str(tiny_wan), "device": "cpu", "dtype": "float32"}))
    assert eva_main(["wm", "eval", "--planner-config", str(planner), "--dataset", str(tmp_path / "nope")]) == 2
    assert "--dataset" in capsys.readouterr().err
