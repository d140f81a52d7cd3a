"""LoRA the diffusers way: `LoraConfig` + `add_adapter`, trainable weights in float32, saved with
`get_peft_model_state_dict` as one safetensors file in diffusers' LoRA format, the file the `wan`
planner's `loras:` list loads (`eva_core.planning.wan.loading.load_lora`)."""

from __future__ import annotations

from pathlib import Path

import torch

from eva_train.wm.config import LoraTrainConfig

WEIGHT_NAME = "pytorch_lora_weights.safetensors"
ADAPTER = "sft"


def add_lora(transformer, cfg: LoraTrainConfig, name: str = ADAPTER) -> list[torch.nn.Parameter]:
    """Add a fresh adapter (B = 0: the model is unchanged until trained); returns its parameters, the
    only trainable ones, in float32 whatever the base weights' dtype."""
    from peft import LoraConfig

    transformer.requires_grad_(False)
    transformer.add_adapter(LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, target_modules=list(cfg.targets), init_lora_weights=True), adapter_name=name)
    params = [p for n, p in transformer.named_parameters() if "lora_" in n]
    for p in params:
        p.data = p.data.float()
        p.requires_grad_(True)
    return params


def save_lora(transformer, out_dir: Path, name: str = ADAPTER) -> Path:
    """Write `out_dir/pytorch_lora_weights.safetensors` (keys `transformer.<module>.lora_A.weight`, the
    adapter's rank/alpha in the metadata); returns the file."""
    from diffusers import WanImageToVideoPipeline
    from peft.utils import get_peft_model_state_dict

    layers = get_peft_model_state_dict(transformer, adapter_name=name)
    out_dir.mkdir(parents=True, exist_ok=True)
    WanImageToVideoPipeline.save_lora_weights(
        out_dir, transformer_lora_layers=layers, weight_name=WEIGHT_NAME,
        transformer_lora_adapter_metadata=transformer.peft_config[name].to_dict(),
    )
    return out_dir / WEIGHT_NAME
