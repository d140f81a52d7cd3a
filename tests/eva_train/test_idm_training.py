"""IDM training on a tiny generated dataset: the loss falls, checkpoints round-trip, resume works,
and the `eva-train idm` / `eva idm eval` commands run end to end."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from eva_core.config import ConfigError
from eva_core.data import Dataset
from eva_core.idm.checkpoint import load_checkpoint
from eva_train.idm.config import IdmTrainConfig
from eva_train.idm.data import load_bank, split_episodes
from eva_train.idm.train import lr_at, train

MODEL = dict(input_hw=[16, 24], widths=[8, 16], strides=[2, 2], groups=4, mlp_dims=[32], first_kernel=3, dropout=0.0)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from eva_sim.demos import generate_demos

    root = tmp_path_factory.mktemp("idm") / "ds"
    generate_demos("press_button", 2, root, seed=3, resolution=(48, 32), progress=False)
    return root


def config(dataset, out, **kw):
    doc = dict(data=[str(dataset)], out_dir=str(out), model=MODEL, val_fraction=0.5, steps=60, batch_size=16,
               lr=3e-3, warmup_steps=5, log_every=5, eval_every=30, ckpt_every=30, val_max_samples=64, threads=1,
               augment=dict(color=0.05, shift_px=1, crop=0.02, blur_p=0.2, noise=0.01))
    doc.update(kw)
    return IdmTrainConfig.from_dict(doc)


def test_split_is_by_episode_and_seeded():
    tr, va = split_episodes(10, 0.2, seed=1)
    assert sorted(tr + va) == list(range(10)) and len(va) == 2
    assert split_episodes(10, 0.2, seed=1) == (tr, va)


def test_bank_windows_clamp_to_their_episode(dataset):
    bank = load_bank([(dataset, [0, 1])], "cam_high", (16, 24), progress=False)
    n0 = Dataset(dataset).episode(0).length
    frames, actions = bank.windows(torch.tensor([0, n0 - 1, n0]), k=1)
    assert frames.shape == (3, 3, 16, 24, 3) and actions.shape == (3, 14)
    assert torch.equal(frames[0, 0], frames[0, 1])  # first frame of episode 0 repeats
    assert torch.equal(frames[1, 2], frames[1, 1])  # last frame of episode 0 repeats, never episode 1's
    assert torch.equal(frames[2, 0], frames[2, 1])  # first frame of episode 1


def test_lr_schedule():
    cfg = IdmTrainConfig(data=("x",), out_dir="y", steps=100, warmup_steps=10, lr=1.0, min_lr_ratio=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1) and lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(100, cfg) == pytest.approx(0.1) and lr_at(55, cfg) == pytest.approx(0.55)


def test_training_loss_falls_checkpoint_round_trips_and_resumes(dataset, tmp_path):
    torch.manual_seed(0)
    run = train(config(dataset, tmp_path / "run"), progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r["kind"] == "train"]
    assert len(losses) == 12
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:2]), losses
    assert any(r["kind"] == "eval" and "joint_accuracy" in r["val"] for r in rows)
    assert (run / "curves.png").stat().st_size > 0
    final = load_checkpoint(run / "checkpoints" / "final")
    last = load_checkpoint(run / "checkpoints" / "last")
    for key, value in final.model.state_dict().items():
        assert torch.equal(value, last.model.state_dict()[key])
    assert final.metadata["step"] == 60

    # Resume: continues from step 60 to 80 with the saved optimiser state.
    train(config(dataset, tmp_path / "run", steps=80), resume=True, progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "start"] == [0, 60]
    assert load_checkpoint(run / "checkpoints" / "final").metadata["step"] == 80


def test_warm_start_begins_from_the_checkpoint_and_refuses_another_architecture(dataset, tmp_path):
    source = train(config(dataset, tmp_path / "source", steps=10, eval_every=10, ckpt_every=10), progress=False)
    source_ckpt = load_checkpoint(source / "checkpoints" / "final")
    # lr ~0: one step leaves the weights where the checkpoint put them (a random init would not be).
    run = train(config(dataset, tmp_path / "warm", steps=1, lr=1e-12, warmup_steps=0, init_from=str(source / "checkpoints" / "final")), progress=False)
    warm = load_checkpoint(run / "checkpoints" / "final")
    for key, value in source_ckpt.model.state_dict().items():
        assert torch.allclose(value, warm.model.state_dict()[key], atol=1e-6), key
    assert warm.normalizer.to_dict() == source_ckpt.normalizer.to_dict()

    other = dict(MODEL, widths=[8, 8])
    with pytest.raises(ConfigError, match="init_from.*model.widths"):
        train(config(dataset, tmp_path / "bad", model=other, init_from=str(source / "checkpoints" / "final")), progress=False)
    with pytest.raises(ConfigError, match="init_from.*not an IDM checkpoint"):
        train(config(dataset, tmp_path / "bad2", init_from=str(tmp_path)), progress=False)


def test_cli_train_and_eval(dataset, tmp_path):
    cfg = config(dataset, tmp_path / "run", steps=10, eval_every=10, ckpt_every=10).to_dict()
    (tmp_path / "idm.yaml").write_text(yaml.safe_dump(cfg))
    subprocess.run([sys.executable, "-m", "eva_train.cli", "idm", "--config", str(tmp_path / "idm.yaml"), "--no-progress"],
                   check=True, capture_output=True, text=True)
    ck = tmp_path / "run" / "checkpoints" / "final"
    out = subprocess.run([sys.executable, "-m", "eva_core.cli.main", "idm", "eval", "--checkpoint", str(ck),
                          "--dataset", str(dataset), "--json", "--plots", str(tmp_path / "plots")],
                         check=True, capture_output=True, text=True)
    doc = json.loads(out.stdout)
    assert 0 <= doc["joint_accuracy"] <= 1 and len(doc["per_dim_accuracy"]) == 14 and len(doc["per_dim_mae"]) == 14
    assert {"gripper_accuracy", "score_decoded", "score_true"} <= set(doc)
    assert len(list((tmp_path / "plots").glob("*.png"))) == 2
