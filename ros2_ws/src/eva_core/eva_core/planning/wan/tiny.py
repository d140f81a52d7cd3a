"""A tiny random Wan2.1 image-to-video model, built in code: the smoke-test model for CI and users.

    build_tiny_wan("/tmp/tiny_wan")                                   # complete diffusers-format directory
    build_tiny_lora("/tmp/tiny_wan", "/tmp/tiny_lora.safetensors")    # a LoRA adapter for its transformer

The directory has every component a real checkpoint has (`WanImageToVideoPipeline.save_pretrained`
writes it): transformer, vae, text_encoder + tokenizer, image_encoder + image_processor, scheduler and
model_index.json, so it goes through the same loading path as Wan2.1-I2V-14B. Sizes follow diffusers'
own test components: 2 transformer layers of 24 channels, a 3-channel VAE, a 2-layer UMT5 encoder of
32 channels and a 2-layer CLIP vision tower of 4 channels at 32x32; planning 9 frames of 16x16 with 2
steps takes seconds on a CPU. The weights are random: the frames it makes are noise-like, which is all
a smoke test needs.

The tokenizer is a real `tokenizers` Unigram model (SentencePiece-style "▁" word boundaries, T5 ids:
<pad>=0, </s>=1, <unk>=2) over single ASCII characters, constructed here rather than downloaded. Real
checkpoints ship the UMT5 tokenizer (google/umt5-xxl) in their `tokenizer/` folder.

Nothing here downloads. Building needs torch, diffusers, transformers, tokenizers and peft.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path

TEXT_DIM = 32  # d_model of the tiny UMT5 encoder = the transformer's text_dim
IMAGE_DIM = 4  # hidden size of the tiny CLIP vision tower = the transformer's image_dim
HEADS, HEAD_DIM = 2, 12  # transformer width 24
CLIP_IMAGE_SIZE = 32  # px, the CLIP tower's input (patch 1: 1024 + 1 image tokens)
# Target modules of the LoRA adapters we train (paper appendix C: q, k, v, o of self- and
# cross-attention and the image cross-attention k, v).
LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0", "add_k_proj", "add_v_proj")


def tiny_tokenizer():
    """A T5-style tokenizer over single ASCII characters (`transformers` fast tokenizer)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    chars = sorted(set(string.ascii_letters + string.digits + string.punctuation))
    # Unigram log-probabilities: a word-initial piece ("▁a") is preferred over "▁" + "a".
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    vocab += [(c, -3.0) for c in chars] + [("\u2581" + c, -2.5) for c in chars]
    tok = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )


@dataclass(frozen=True)
class ComponentSizes:
    """Sizes of a small Wan2.1 I2V model built in code. The defaults are the smoke-test model (diffusers'
    own test components); the twin-scale world model (eva-train sft, `scratch:`) picks larger ones."""

    layers: int = 2  # transformer blocks
    heads: int = HEADS
    head_dim: int = HEAD_DIM
    ffn_dim: int = 32
    text_dim: int = TEXT_DIM  # d_model of the UMT5 encoder = the transformer's text_dim
    image_dim: int = IMAGE_DIM  # hidden size of the CLIP tower = the transformer's image_dim
    clip_image_size: int = CLIP_IMAGE_SIZE  # px
    clip_patch: int = 1  # CLIP patch: (size / patch)^2 + 1 image tokens in every cross-attention
    vae_base_dim: int = 3
    z_dim: int = 16  # latent channels (the transformer takes 2 z + 4: noisy latents, mask, condition)
    vae_dim_mult: tuple[int, ...] = (1, 1, 1, 1)
    rope_max_seq_len: int = 32
    flow_shift: float = 3.0  # the scheduler's timestep shift (Wan2.1-I2V-480P: 3)


def build_text_encoder(sizes: ComponentSizes, vocab_size: int):
    from transformers import UMT5Config, UMT5EncoderModel

    return UMT5EncoderModel(UMT5Config(
        vocab_size=vocab_size, d_model=sizes.text_dim, d_kv=8, d_ff=2 * sizes.text_dim, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, relative_attention_max_distance=32, pad_token_id=0, eos_token_id=1,
        decoder_start_token_id=0,
    )).eval()


def build_image_encoder(sizes: ComponentSizes):
    """The CLIP vision tower and its processor (a torchvision-free image processor)."""
    from transformers import CLIPVisionConfig, CLIPVisionModel

    from eva_core.planning.wan.loading import clip_image_processor_class

    encoder = CLIPVisionModel(CLIPVisionConfig(
        hidden_size=sizes.image_dim, projection_dim=sizes.image_dim, num_hidden_layers=2, num_attention_heads=2,
        image_size=sizes.clip_image_size, intermediate_size=4 * sizes.image_dim, patch_size=sizes.clip_patch,
    )).eval()
    processor = clip_image_processor_class()(
        size={"shortest_edge": sizes.clip_image_size},
        crop_size={"height": sizes.clip_image_size, "width": sizes.clip_image_size},
    )
    return encoder, processor


def build_transformer(sizes: ComponentSizes):
    from diffusers import WanTransformer3DModel

    width = sizes.heads * sizes.head_dim
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=sizes.heads, attention_head_dim=sizes.head_dim,
        in_channels=2 * sizes.z_dim + 4, out_channels=sizes.z_dim, text_dim=sizes.text_dim, freq_dim=256,
        ffn_dim=sizes.ffn_dim, num_layers=sizes.layers, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=sizes.rope_max_seq_len, image_dim=sizes.image_dim,
        # The image cross-attention of Wan2.1-I2V (separate k/v projections for the CLIP tokens, what
        # LoRA's add_k_proj / add_v_proj target); 14B: added_kv_proj_dim = width = 5120.
        added_kv_proj_dim=width,
    ).eval()


def build_scheduler(sizes: ComponentSizes):
    from diffusers import UniPCMultistepScheduler

    # Wan2.1-I2V-480P's scheduler settings (flow prediction, shift 3 by default).
    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=sizes.flow_shift)


def tiny_components(seed: int = 0, sizes: ComponentSizes | None = None, vae=None) -> dict:
    """The pipeline components with random weights (fixed `seed`), on the CPU in float32; `vae` replaces
    the random autoencoder (e.g. one trained with `eva-train vae`; its z_dim must be `sizes.z_dim`)."""
    import torch
    from diffusers import AutoencoderKLWan

    sizes = sizes or ComponentSizes()
    tokenizer = tiny_tokenizer()
    torch.manual_seed(seed)
    text_encoder = build_text_encoder(sizes, len(tokenizer))
    torch.manual_seed(seed + 1)
    if vae is None:
        vae = AutoencoderKLWan(
            base_dim=sizes.vae_base_dim, z_dim=sizes.z_dim, dim_mult=list(sizes.vae_dim_mult), num_res_blocks=1,
            temperal_downsample=[False, True, True],
        ).eval()
    elif vae.config.z_dim != sizes.z_dim:
        raise ValueError(f"the autoencoder has z_dim {vae.config.z_dim}, the sizes say {sizes.z_dim}")
    torch.manual_seed(seed + 2)
    image_encoder, image_processor = build_image_encoder(sizes)
    torch.manual_seed(seed + 3)
    transformer = build_transformer(sizes)
    return dict(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, scheduler=build_scheduler(sizes),
        image_processor=image_processor, image_encoder=image_encoder, transformer=transformer,
    )


def save_components(components: dict, directory: str | Path) -> Path:
    """Write pipeline components as a complete diffusers-format Wan2.1 I2V directory; returns it."""
    from diffusers import WanImageToVideoPipeline

    directory = Path(directory)
    pipe = WanImageToVideoPipeline(**components)
    pipe.save_pretrained(directory, safe_serialization=True)
    # Name the processor and tokenizer classes as the Wan-AI repositories do, not this transformers
    # version's backend classes, so the layout is the one a real checkpoint has.
    index_path = directory / "model_index.json"
    index = json.loads(index_path.read_text())
    index["image_processor"] = ["transformers", "CLIPImageProcessor"]
    index["tokenizer"] = ["transformers", "AutoTokenizer"]
    index_path.write_text(json.dumps(index, indent=2) + "\n")
    return directory


def build_tiny_wan(directory: str | Path, seed: int = 0) -> Path:
    """Write a complete diffusers-format Wan2.1 I2V directory with random weights; returns it."""
    return save_components(tiny_components(seed), directory)


def build_tiny_lora(model_dir: str | Path, out_path: str | Path, rank: int = 4, seed: int = 0, scale: float = 0.5) -> Path:
    """A LoRA adapter (rank `rank`, alpha = rank) for the transformer in `model_dir`, written as one
    safetensors file in diffusers' LoRA format (`save_lora_weights`: keys `transformer.<module>.lora_A
    .weight`, rank and alpha in the file's metadata), the format our LoRA training writes.

    peft initialises lora_B to zero (an adapter that changes nothing); here both factors are random
    (normal, std `scale`) so that loading it visibly changes the model's output."""
    import torch
    from diffusers import WanImageToVideoPipeline, WanTransformer3DModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    out_path = Path(out_path)
    transformer = WanTransformer3DModel.from_pretrained(Path(model_dir) / "transformer", local_files_only=True)
    config = LoraConfig(r=rank, lora_alpha=rank, target_modules=list(LORA_TARGETS), init_lora_weights=True)
    transformer.add_adapter(config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in transformer.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * scale)
    layers = get_peft_model_state_dict(transformer)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    WanImageToVideoPipeline.save_lora_weights(
        out_path.parent, transformer_lora_layers=layers, weight_name=out_path.name,
        transformer_lora_adapter_metadata=config.to_dict(),
    )
    return out_path
