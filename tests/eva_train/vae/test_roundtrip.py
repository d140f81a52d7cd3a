"""`eva-train vae-roundtrip`: datasets whose plan camera went through an autoencoder, the rest unchanged."""

import numpy as np
import pytest

from eva_core.data import Dataset
from eva_train.cli import main
from eva_train.vae.roundtrip import roundtrip_frames


@pytest.fixture(scope="module")
def vae_dir(tmp_path_factory):
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=4, z_dim=4, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True],
                           latents_mean=[0.0] * 4, latents_std=[1.0] * 4)
    path = tmp_path_factory.mktemp("rt") / "vae"
    vae.save_pretrained(path)
    return path


def test_frames_keep_their_count_whatever_the_chunking(vae_dir):
    from diffusers import AutoencoderKLWan

    vae = AutoencoderKLWan.from_pretrained(vae_dir, local_files_only=True)
    frames = np.random.default_rng(0).integers(0, 256, (31, 32, 32, 3), dtype=np.uint8)  # 29 + 2: a padded tail
    out = roundtrip_frames(vae, frames, (16, 16))
    assert out.shape == (31, 16, 16, 3) and out.dtype == np.uint8


def test_the_copy_has_the_same_episodes_actions_and_tasks(vae_dir, block_dataset, tmp_path):
    assert main(["vae-roundtrip", str(block_dataset), "--vae", str(vae_dir), "--resolution", "16x16",
                 "--out-dir", str(tmp_path), "--no-progress"]) == 0
    src, out = Dataset(block_dataset), Dataset(tmp_path / block_dataset.name)
    assert out.num_episodes == src.num_episodes and out.cameras == ("cam_high",)
    for a, b in zip(src.episodes(), out.episodes()):
        assert a.task == b.task and a.success == b.success
        np.testing.assert_array_equal(a.actions, b.actions)
        assert b.video("cam_high").shape == (a.length, 16, 16, 3)
        assert b.extra["autoencoder_roundtrip"] is True


def test_a_bad_resolution_is_one_readable_error(vae_dir, block_dataset, tmp_path, capsys):
    assert main(["vae-roundtrip", str(block_dataset), "--vae", str(vae_dir), "--resolution", "big", "--out-dir", str(tmp_path)]) == 2
    assert "--resolution" in capsys.readouterr().err
