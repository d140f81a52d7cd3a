"""`eva-train vae` on a tiny dataset: the loss falls, the final autoencoder carries latent statistics
and loads as the planner loads it, resume continues, the foreground weighting and config checks."""

import json

import pytest
import torch
import yaml

from eva_core.config import ConfigError
from eva_train.idm.data import load_bank
from eva_train.vae.config import VaeTrainConfig
from eva_train.vae.train import background, clip_batch, loss_weights, train


def vae_config(tmp_path, data, **kw) -> VaeTrainConfig:
    doc = dict(data=[str(data)], out_dir=str(tmp_path / "run"), resolution=[32, 32], crop=[16, 16], clip_frames=5,
               architecture=dict(base_dim=4, z_dim=4, dim_mult=[1, 1, 1, 1]), batch_size=4, steps=40, lr=3e-3,
               warmup_steps=2, log_every=10, eval_every=20, ckpt_every=20, val_clips=4, stats_clips=8, val_fraction=0.34,
               threads=1, foreground_weight=5.0)
    doc.update(kw)
    path = tmp_path / "vae.yaml"
    path.write_text(yaml.safe_dump(doc))
    return VaeTrainConfig.from_yaml(path)


def test_training_lowers_the_loss_and_writes_a_normalised_autoencoder(tmp_path, block_dataset):
    from diffusers import AutoencoderKLWan

    run = train(vae_config(tmp_path, block_dataset), progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r["kind"] == "train"]
    assert losses[-1] < losses[0]
    vae = AutoencoderKLWan.from_pretrained(run / "checkpoints" / "final" / "vae", local_files_only=True)
    assert len(vae.config.latents_mean) == 4 and len(vae.config.latents_std) == 4
    assert all(s > 0 for s in vae.config.latents_std)
    assert (run / "curves.png").is_file() and (run / "samples.png").is_file()
    # Normalised with those statistics, latents of the data are about zero-mean, unit-std.
    from eva_core.planning.wan.encoding import encode_video

    bank = load_bank([(block_dataset, [0])], "cam_high", (32, 32), progress=False)
    with torch.no_grad():
        z = encode_video(vae, clip_batch(bank, torch.tensor([0, 4, 8]), 5), "cpu")
    assert abs(float(z.mean())) < 0.5 and 0.5 < float(z.std()) < 2.0


def test_resume_continues_from_the_last_checkpoint(tmp_path, block_dataset):
    train(vae_config(tmp_path, block_dataset, steps=20), progress=False)
    train(vae_config(tmp_path, block_dataset, steps=30), resume=True, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "start"] == [0, 20]
    assert max(r["step"] for r in rows if r["kind"] == "train") == 30


def test_foreground_pixels_weigh_more_and_clips_stay_in_their_episode(block_dataset):
    bank = load_bank([(block_dataset, [0, 1])], "cam_high", (32, 32), progress=False)
    bg = background(bank)
    assert torch.allclose(bg[:, 28, 28], torch.full((3,), 90 / 127.5 - 1), atol=1e-6)  # the static grey
    clips = clip_batch(bank, torch.tensor([0, 17]), 5)
    w = loss_weights(clips, bg, 5.0)
    assert w.shape == (2, 1, 5, 32, 32)
    assert torch.allclose(w.mean(dim=(1, 2, 3, 4)), torch.ones(2))
    assert float(w[0, 0, 0, 10, 1:7].min()) > float(w[0, 0, 0, 28, 28])  # block > background
    torch.testing.assert_close(clips[1, :, 3], clips[1, :, 4])  # frames past episode 0's end repeat its last


def test_config_errors_name_the_key(tmp_path, block_dataset):
    with pytest.raises(ConfigError, match="clip_frames"):
        vae_config(tmp_path, block_dataset, clip_frames=6)
    with pytest.raises(ConfigError, match="temperal_downsample"):
        vae_config(tmp_path, block_dataset, architecture=dict(temperal_downsample=[False, False, True]))
    with pytest.raises(ConfigError, match="crop"):
        vae_config(tmp_path, block_dataset, crop=[48, 16])
