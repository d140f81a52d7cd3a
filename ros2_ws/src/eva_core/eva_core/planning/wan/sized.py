"""A Wan2.1-I2V-14B-sized model with random weights, built in memory: for timing and memory benchmarks.

    components = wan14b_components(device="cuda", dtype=torch.bfloat16)
    model = assemble_wan(components, config, device)     # then WanPlanner(config, model=model)

Sizes are those of Wan2.1-I2V-14B (the original repository's config: width 5120, FFN 13824, 40 heads,
40 layers, patch (1, 2, 2); diffusers' I2V transformer adds the image cross-attention: CLIP width 1280,
added k/v of width 5120) and of the real Wan2.1 VAE (diffusers' `AutoencoderKLWan` defaults). Weights are
random (normal, std 0.02): the frames are noise, but every matrix multiply and attention has its real
shape, so seconds per step and peak memory are the real model's.

Two parts are deliberately smaller, because they do not run per plan at full cost: the text encoder is
a 1-layer UMT5 with the real width 4096 (UMT5-XXL has 24 layers; the planner caches each instruction's
embeddings across replans, so the encoder runs once per instruction), and the tokenizer is the tiny
character one. The CLIP tower is ViT-H/14-sized (32 layers, 1280 wide, 224 px) and runs once per plan.

`layers`/`heads` shrink the transformer so that the same code path can be tested on a CPU.
"""

from __future__ import annotations

from typing import Any

# Wan2.1-I2V-14B transformer shape.
WIDTH_PER_HEAD = 128
HEADS = 40
LAYERS = 40
FFN = 13824
TEXT_DIM = 4096  # UMT5-XXL d_model
CLIP_DIM = 1280  # ViT-H/14 width


def _randomise(module, std: float = 0.02) -> None:
    """Fill every parameter with N(0, std): the constructors' own initialisation of 14B parameters in
    fp32 on the CPU would take minutes; this runs on the target device in the target dtype."""
    import torch

    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0.0, std)


def wan14b_components(device: Any = "cuda", dtype: Any = None, *, layers: int = LAYERS, heads: int = HEADS,
                      ffn: int = FFN, seed: int = 0) -> dict[str, Any]:
    """The components of `WanImageToVideoPipeline` at Wan2.1-I2V-14B size (see the module docstring), the
    transformer in `dtype` (default bfloat16) built directly on `device`, the VAE and CLIP in float32."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanTransformer3DModel
    from transformers import CLIPVisionConfig, CLIPVisionModel, UMT5Config, UMT5EncoderModel

    from eva_core.planning.wan.loading import clip_image_processor_class
    from eva_core.planning.wan.tiny import tiny_tokenizer

    dtype = dtype or torch.bfloat16
    device = torch.device(device)
    torch.manual_seed(seed)
    width = heads * WIDTH_PER_HEAD
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # build the 14B transformer in bf16 directly: fp32 would need 56 GB
    try:
        with device:
            transformer = WanTransformer3DModel(
                patch_size=(1, 2, 2), num_attention_heads=heads, attention_head_dim=WIDTH_PER_HEAD, in_channels=36,
                out_channels=16, text_dim=TEXT_DIM, freq_dim=256, ffn_dim=ffn, num_layers=layers, cross_attn_norm=True,
                qk_norm="rms_norm_across_heads", eps=1e-6, image_dim=CLIP_DIM, added_kv_proj_dim=width, rope_max_seq_len=1024,
            )
            tokenizer = tiny_tokenizer()
            text_encoder = UMT5EncoderModel(UMT5Config(
                vocab_size=len(tokenizer), d_model=TEXT_DIM, d_kv=64, d_ff=10240, num_layers=1, num_heads=64,
                pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
            ))
    finally:
        torch.set_default_dtype(previous)
    with device:
        vae = AutoencoderKLWan()  # the real Wan2.1 VAE's architecture (diffusers' defaults)
        image_encoder = CLIPVisionModel(CLIPVisionConfig(
            hidden_size=CLIP_DIM, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=16,
            image_size=224, patch_size=14, projection_dim=1024,
        ))
    for module in (transformer, text_encoder, vae, image_encoder):
        _randomise(module)
    image_processor = clip_image_processor_class()(
        size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}
    )
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    return dict(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=scheduler,
        image_processor=image_processor, image_encoder=image_encoder, transformer=transformer,
    )
