"""The model SFT trains: a Wan2.1 I2V pipeline's components, loaded by the planner's own code
(`eva_core.planning.wan.loading`), or a small one built from scratch around a trained autoencoder."""

from __future__ import annotations

import numpy as np
import torch

from eva_core.planning.wan.config import WanPlannerConfig
from eva_core.planning.wan.encoding import clip_image_embeds, encode_video
from eva_core.planning.wan.history import video_tensor
from eva_core.planning.wan.loading import WanModel, assemble_wan, load_wan
from eva_core.planning.wan.text import PromptEncoder
from eva_train.wm.config import ScratchModel, SftConfig


def scratch_sizes(scratch: ScratchModel, z_dim: int):
    from eva_core.planning.wan.tiny import ComponentSizes

    return ComponentSizes(
        layers=scratch.layers, heads=scratch.heads, head_dim=scratch.head_dim, ffn_dim=scratch.ffn_dim,
        text_dim=scratch.text_dim, image_dim=scratch.image_dim, clip_image_size=scratch.clip_image_size,
        clip_patch=scratch.clip_patch, z_dim=z_dim, flow_shift=scratch.flow_shift,
    )


def build_model(cfg: SftConfig, device: torch.device, model_dir: str | None = None) -> WanModel:
    """The components on `device` in float32 (mixed precision is accelerate's job), all frozen; the
    trainer unfreezes what it trains. `model_dir` overrides the config's (a resumed full-mode run)."""
    planner_cfg = WanPlannerConfig(model_dir=model_dir or cfg.model_dir or "<scratch>", device=device.type, dtype="float32")
    if model_dir or cfg.scratch is None:
        return load_wan(planner_cfg)
    from diffusers import AutoencoderKLWan

    from eva_core.planning.wan.tiny import tiny_components

    vae = AutoencoderKLWan.from_pretrained(cfg.scratch.vae_dir, local_files_only=True)
    components = tiny_components(cfg.scratch.seed, scratch_sizes(cfg.scratch, vae.config.z_dim), vae=vae)
    return assemble_wan(components, planner_cfg, device)


class WindowEncoder:
    """Clips -> what the transformer trains on: normalised latents, CLIP tokens of the clip's first
    frame, text embeddings of the instruction (cached), exactly as the planner computes them."""

    def __init__(self, model: WanModel, hw: tuple[int, int]):
        self.model = model
        self.hw = hw
        self.prompts = PromptEncoder(model.tokenizer, model.text_encoder, model.device, torch.float32, cache_size=256)

    @torch.inference_mode()
    def latents(self, clip: np.ndarray) -> torch.Tensor:
        """uint8 [T, H, W, 3] -> float32 [z, F, h, w]."""
        return encode_video(self.model.vae, video_tensor(clip, *self.hw), self.model.device)[0]

    @torch.inference_mode()
    def image(self, clip: np.ndarray) -> torch.Tensor:
        """uint8 [T, H, W, 3] -> [tokens, image_dim]: CLIP of the first frame (as the planner conditions)."""
        m = self.model
        return clip_image_embeds(m.image_encoder, m.image_processor, clip[0], m.device, torch.float32)[0]

    @torch.inference_mode()
    def text(self, instruction: str) -> torch.Tensor:
        return self.prompts(instruction)[0]


def export_model(model: WanModel, transformer, directory) -> None:
    """Write a complete model directory (diffusers format) with `transformer` in place of the model's:
    what a planner config's model_dir loads."""
    from eva_core.planning.wan.tiny import save_components

    save_components(dict(transformer=transformer, vae=model.vae, text_encoder=model.text_encoder, tokenizer=model.tokenizer,
                         image_encoder=model.image_encoder, image_processor=model.image_processor, scheduler=model.scheduler), directory)
