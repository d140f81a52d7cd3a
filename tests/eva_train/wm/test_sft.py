"""`eva-train sft` end to end on tiny models: full training from scratch and LoRA, both loaded by the
`wan` planner afterwards; resume; the latent cache is reused only for the same autoencoder."""

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from eva_core.config import ConfigError
from eva_core.planning.planner import PlanRequest
from eva_core.planning.wan.backend import WanPlanner
from eva_core.planning.wan.config import LoraSpec, WanPlannerConfig
from eva_train.wm.config import SftConfig
from eva_train.wm.sft import train

BASE = dict(
    resolution=[32, 32], num_frames=9, observed_frames=[4, 4], val_fraction=0.25, window_stride=2,
    steps=4, batch_size=2, grad_accum=2, lr=1e-3, warmup_steps=1, mixed_precision="no", gradient_checkpointing=False,
    log_every=2, eval_every=2, sample_every=4, sample_steps=2, val_windows=3, threads=1, ckpt_every_min=0.0,
)


def sft_config(data, out, **kw) -> SftConfig:
    return SftConfig.from_yaml(write_yaml(out.parent / f"{out.name}.yaml", {"data": [str(data)], "out_dir": str(out), **BASE, **kw}))


def write_yaml(path, doc):
    path.write_text(yaml.safe_dump(doc))
    return path


def plan(model_dir, loras=(), seed=0):
    cfg = WanPlannerConfig(model_dir=str(model_dir), device="cpu", dtype="float32", steps=2, num_frames=9,
                           history_frames=5, height=32, width=32, loras=tuple(loras), seed=seed)
    planner = WanPlanner(cfg)
    rng = np.random.default_rng(0)
    history = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(5)]
    try:
        return planner.plan(PlanRequest("p", "press the red button", history=history, num_frames=9)).frames
    finally:
        planner.close()


@pytest.fixture(scope="module")
def full_run(motion_dataset, tiny_wan, tmp_path_factory):
    out = tmp_path_factory.mktemp("sft") / "full"
    scratch = dict(vae_dir=str(tiny_wan / "vae"), layers=1, heads=2, head_dim=8, ffn_dim=16, text_dim=8, image_dim=8, clip_patch=16)
    cfg = sft_config(motion_dataset, out, mode="full", scratch=scratch, cache_dir=str(out / "cache"))
    return train(cfg, progress=False), cfg


def test_full_training_from_scratch_writes_a_model_the_planner_loads(full_run):
    run, _ = full_run
    model = run / "checkpoints" / "final" / "model"
    assert (model / "model_index.json").is_file() and (model / "transformer" / "config.json").is_file()
    assert json.loads((model / "transformer" / "config.json").read_text())["num_layers"] == 1
    frames = plan(model)
    assert frames.shape == (9, 32, 32, 3) and frames.dtype == np.uint8
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    kinds = {r["kind"] for r in rows}
    assert {"start", "train", "eval", "samples"} <= kinds
    assert all(np.isfinite(r["loss"]) for r in rows if r["kind"] == "train")
    assert (run / "curves.png").is_file() and list((run / "samples").glob("step_*.png"))
    saved = json.loads((run / "checkpoints" / "final" / "train_config.json").read_text())
    assert saved["mode"] == "full" and saved["scratch"]["layers"] == 1


def test_resume_continues_the_step_count_and_reuses_the_cache(full_run, motion_dataset):
    run, cfg = full_run
    cache = run / "cache" / "train" / "windows_h4.safetensors"
    stamp = cache.stat().st_mtime_ns
    more = SftConfig(**{**cfg.__dict__, "steps": 6})
    train(more, resume=True, progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    starts = [r for r in rows if r["kind"] == "start"]
    assert [s["step"] for s in starts] == [0, 4]
    assert max(r["step"] for r in rows if r["kind"] == "train") == 6
    assert cache.stat().st_mtime_ns == stamp  # same autoencoder, same windows: not re-encoded


def test_lora_training_saves_an_adapter_that_loads_in_the_planner_and_changes_its_output(motion_dataset, tiny_wan, tmp_path):
    cfg = sft_config(motion_dataset, tmp_path / "lora", mode="lora", model_dir=str(tiny_wan), lr=5e-2,
                     lora=dict(rank=4, alpha=4), cache_dir=str(tmp_path / "cache"))
    run = train(cfg, progress=False)
    adapter = run / "checkpoints" / "final" / "pytorch_lora_weights.safetensors"
    assert adapter.is_file()
    from safetensors.torch import load_file

    keys = load_file(str(adapter))
    assert keys and all(k.startswith("transformer.") and ".lora_" in k for k in keys)
    assert any("add_k_proj" in k for k in keys)  # the image cross-attention is adapted too
    base = plan(tiny_wan)
    adapted = plan(tiny_wan, [LoraSpec(str(adapter))])
    off = plan(tiny_wan, [LoraSpec(str(adapter), weight=0.0)])
    assert np.abs(adapted.astype(int) - base.astype(int)).max() > 0
    np.testing.assert_array_equal(off, base)


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match="model_dir"):
        SftConfig(data=("d",), out_dir="o", mode="lora")
    with pytest.raises(ConfigError, match="num_frames"):
        SftConfig(data=("d",), out_dir="o", model_dir="m", num_frames=10)
    path = write_yaml(tmp_path / "c.yaml", {"data": ["d"], "out_dir": "o", "mode": "lora", "scratch": {"vae_dir": "v"}, "model_dir": "m"})
    with pytest.raises(ConfigError, match="scratch"):
        SftConfig.from_yaml(path)
    path = write_yaml(tmp_path / "d.yaml", {"data": ["d"], "out_dir": "o", "model_dir": "m", "observed_frames": [3, 1]})
    with pytest.raises(ConfigError, match="observed_frames"):
        SftConfig.from_yaml(path)


def test_cli_help_explains_both_modes():
    out = subprocess.run([sys.executable, "-m", "eva_train.cli", "sft", "--help"], capture_output=True, text=True, check=True).stdout
    assert "lora" in out and "full" in out and "--resume" in out


def test_prepare_only_builds_the_cache_and_trains_nothing(motion_dataset, tiny_wan, tmp_path):
    from eva_train.cli import main

    cfg = write_yaml(tmp_path / "c.yaml", {"data": [str(motion_dataset)], "out_dir": str(tmp_path / "run"), **BASE, "mode": "lora",
                                           "model_dir": str(tiny_wan), "cache_dir": str(tmp_path / "cache")})
    assert main(["sft", "--config", str(cfg), "--prepare-only", "--threads", "1", "--no-progress"]) == 0
    assert (tmp_path / "cache" / "train" / "cache.json").is_file()
    assert not (tmp_path / "run" / "checkpoints").exists()
