"""Loading a diffusers-format Wan2.1 I2V directory through the real path: missing parts, LoRA adapters."""

import json
import shutil

import pytest
import torch

from eva_core.config import ConfigError
from eva_core.planning.wan import WanPlannerConfig
from eva_core.planning.wan.loading import WanModelError, check_model_dir, load_wan, make_scheduler, missing_parts


def copy_model(tiny_wan, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_wan, target)
    return target


def test_tiny_model_directory_is_complete(tiny_wan):
    assert missing_parts(tiny_wan) == []
    for part in ("transformer", "vae", "text_encoder", "tokenizer", "image_encoder", "image_processor", "scheduler"):
        assert (tiny_wan / part).is_dir()
    index = json.loads((tiny_wan / "model_index.json").read_text())
    assert index["_class_name"] == "WanImageToVideoPipeline"


def test_missing_parts_are_named_with_the_fix(tiny_wan, tmp_path):
    model = copy_model(tiny_wan, tmp_path)
    shutil.rmtree(model / "tokenizer")
    (model / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    (model / "model_index.json").unlink()
    with pytest.raises(WanModelError) as err:
        check_model_dir(model)
    message = str(err.value)
    assert "tokenizer/" in message and "vae/diffusion_pytorch_model.safetensors" in message and "model_index.json" in message
    assert "models/README.md" in message and "Wan2.1-I2V-14B-480P-Diffusers" in message
    assert isinstance(err.value, ConfigError) and err.value.key == "model_dir"


def test_nonexistent_directory_and_incomplete_shards(tiny_wan, tmp_path):
    assert "does not exist" in missing_parts(tmp_path / "nowhere")[0]
    with pytest.raises(WanModelError, match="nowhere does not exist. Place a Wan2.1"):
        check_model_dir(tmp_path / "nowhere")
    model = copy_model(tiny_wan, tmp_path)
    weights = model / "transformer" / "diffusion_pytorch_model.safetensors"
    weights.unlink()
    (weights.parent / "diffusion_pytorch_model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"a": "diffusion_pytorch_model-00001-of-00002.safetensors", "b": "diffusion_pytorch_model-00002-of-00002.safetensors"}}
    ))
    (weights.parent / "diffusion_pytorch_model-00001-of-00002.safetensors").write_bytes(b"")
    assert missing_parts(model) == ["transformer/diffusion_pytorch_model-00002-of-00002.safetensors (listed in "
                                    "diffusion_pytorch_model.safetensors.index.json: incomplete copy?)"]


def test_text_to_video_transformer_is_refused(tiny_wan, tmp_path):
    model = copy_model(tiny_wan, tmp_path)
    config_path = model / "transformer" / "config.json"
    config = json.loads(config_path.read_text())
    config.update(in_channels=16, image_dim=None)
    config_path.write_text(json.dumps(config))
    with pytest.raises(WanModelError, match="text-to-video"):
        check_model_dir(model)


def test_schedulers_take_the_models_shift_unless_overridden(tiny_wan):
    unipc = make_scheduler("unipc", tiny_wan / "scheduler", None)
    assert type(unipc).__name__ == "UniPCMultistepScheduler" and unipc.config.flow_shift == 3.0
    euler = make_scheduler("euler", tiny_wan / "scheduler", 5.0)
    assert type(euler).__name__ == "FlowMatchEulerDiscreteScheduler" and euler.config.shift == 5.0


def transformer_output(model, seed=0):
    """One forward pass of the transformer on fixed random inputs."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 36, 2, 2, 2, generator=g)
    text = torch.randn(1, 512, 32, generator=g)
    image = torch.randn(1, 5, 4, generator=g)
    with torch.inference_mode():
        return model.transformer(x, torch.tensor([500.0]), text, image, return_dict=False)[0]


def test_lora_weights_are_applied_and_scaled(tiny_wan, tiny_lora):
    base = transformer_output(load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", dtype="float32")))
    outputs = {}
    for weight in (0.0, 0.5, 1.0):
        cfg = WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", dtype="float32", loras=({"path": str(tiny_lora), "weight": weight},))
        model = load_wan(cfg)
        assert model.adapters == ("lora0",)
        outputs[weight] = transformer_output(model)
        if weight == 1.0:
            model.pipe.disable_lora()
            torch.testing.assert_close(transformer_output(model), base, rtol=0, atol=0)
    torch.testing.assert_close(outputs[0.0], base, rtol=0, atol=0)
    assert not torch.allclose(outputs[0.5], base) and not torch.allclose(outputs[1.0], outputs[0.5])


def test_two_adapters_and_bare_peft_keys(tiny_wan, tiny_lora, tmp_path):
    from safetensors.torch import load_file, save_file

    # The same adapter saved as a bare peft state dict (no "transformer." prefix, no metadata).
    bare = tmp_path / "bare" / "adapter.safetensors"
    bare.parent.mkdir()
    save_file({k.removeprefix("transformer."): v for k, v in load_file(tiny_lora).items()}, bare)
    one = load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", dtype="float32", loras=({"path": str(tiny_lora)},)))
    bare_model = load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", dtype="float32", loras=({"path": str(bare.parent)},)))
    torch.testing.assert_close(transformer_output(bare_model), transformer_output(one))
    # Two half-weight copies of one adapter = the adapter at full weight.
    two = load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", dtype="float32", loras=(
        {"path": str(tiny_lora), "weight": 0.5, "name": "sft"}, {"path": str(bare), "weight": 0.5, "name": "grpo"})))
    assert two.adapters == ("sft", "grpo")
    torch.testing.assert_close(transformer_output(two), transformer_output(one), rtol=1e-5, atol=1e-6)


def test_bad_lora_paths_and_files(tiny_wan, tmp_path):
    with pytest.raises(WanModelError, match=r"loras\[0\]\.path.*no LoRA adapter"):
        load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", loras=({"path": str(tmp_path / "nope.safetensors")},)))
    from safetensors.torch import save_file

    not_lora = tmp_path / "weights.safetensors"
    save_file({"blocks.0.attn1.to_q.weight": torch.zeros(2, 2)}, not_lora)
    with pytest.raises(WanModelError, match="not a LoRA adapter"):
        load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", loras=({"path": str(not_lora)},)))
    alien = tmp_path / "alien.safetensors"
    save_file({"transformer.nothing_here.lora_A.weight": torch.zeros(4, 24), "transformer.nothing_here.lora_B.weight": torch.zeros(24, 4)}, alien)
    with pytest.raises(WanModelError, match="does not fit this transformer"):
        load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", loras=({"path": str(alien)},)))


def test_cuda_device_without_cuda_is_a_config_error(tiny_wan):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="device"):
        load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cuda"))
