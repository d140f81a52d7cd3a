"""The Wan2.1-I2V-14B-sized random model of bench/planner.py: built on the meta device (no memory), so
the shapes are checked without allocating 33 GB."""

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def components():
    from eva_core.planning.wan.sized import wan14b_components

    return wan14b_components("meta")


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_transformer_has_the_14b_shape(components):
    transformer = components["transformer"]
    cfg = transformer.config
    assert (cfg.num_layers, cfg.num_attention_heads * cfg.attention_head_dim, cfg.ffn_dim) == (40, 5120, 13824)
    assert (cfg.text_dim, cfg.image_dim, cfg.added_kv_proj_dim) == (4096, 1280, 5120)
    assert transformer.dtype == torch.bfloat16
    # Wan2.1-I2V-14B-480P's transformer weights are 32.8 GB in bf16: 16.4 B parameters.
    assert 16.3e9 < count(transformer) < 16.5e9


def test_encoders_have_the_real_sizes(components):
    assert 120e6 < count(components["vae"]) < 135e6  # Wan2.1 VAE: 127 M parameters (508 MB in fp32)
    assert 600e6 < count(components["image_encoder"]) < 660e6  # CLIP ViT-H/14 vision tower
    assert components["text_encoder"].config.d_model == 4096  # UMT5-XXL's width (1 layer: embeddings are cached)


def test_shrunk_transformer_for_cpu_testing():
    from eva_core.planning.wan.sized import wan14b_components

    small = wan14b_components("meta", layers=1, heads=2)["transformer"]
    assert (small.config.num_layers, small.config.num_attention_heads) == (1, 2)
