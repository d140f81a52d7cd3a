"""The denoising loop over the diffusers Wan transformer and scheduler, for both history modes.

    latents = denoise(transformer, scheduler, noise, cond, steps=40, guidance_scale=1.0)

One loop serves plain image-to-video (the first frame is given through the transformer's condition
channels, as `WanImageToVideoPipeline` does; `cond.clean` is None) and diffusion forcing (`cond.clean`
holds the history latents: they are written into the first latent frames before every step and after
the last, and their tokens get timestep 0 while the others get the step's timestep: a per-token
timestep tensor [B, tokens], which the diffusers transformer accepts).

Classifier-free guidance and history guidance run as extra rows of the same transformer batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CLEAN_TIMESTEP = 0.0  # timestep of the history tokens: noise-free


@dataclass
class Conditioning:
    prompt_embeds: Any  # [B, 512, text_dim] in the transformer's dtype
    image_embeds: Any  # [B, image_tokens, image_dim]: CLIP of the conditioning frame
    condition: Any  # [B, 4 + z, F, h, w]: first-frame mask + latents (I2V), zeros in diffusion forcing
    negative_embeds: Any = None  # [B, 512, text_dim]: the CFG prompt; needed when guidance_scale > 1
    clean: Any = None  # [B, z, Fh, h, w]: history latents kept clean (diffusion forcing), or None


def tokens_per_frame(transformer, latent_h: int, latent_w: int) -> int:
    """Transformer tokens of one latent frame (patch (1, 2, 2): a quarter of its latent pixels)."""
    p_t, p_h, p_w = transformer.config.patch_size
    if p_t != 1:
        raise ValueError(f"per-frame timesteps need a temporal patch of 1, the transformer has {p_t}")
    return (latent_h // p_h) * (latent_w // p_w)


def token_timesteps(frame_timesteps, per_frame: int):
    """[B, F] timestep of each latent frame -> [B, F * per_frame], one per token (frame-major order,
    the order the transformer flattens its patches in)."""
    return frame_timesteps.repeat_interleave(per_frame, dim=1)


def frame_timesteps(t, batch: int, frames: int, clean_frames: int):
    """[batch, frames] timestep of each latent frame: `t` (a scalar, one per row [batch], or one per
    frame [batch, frames]) where noisy, CLEAN_TIMESTEP on the first `clean_frames` (the history)."""
    import torch

    t = torch.as_tensor(t, dtype=torch.float32)
    if t.dim() == 1:
        t = t[:, None]
    out = t.expand(batch, frames).clone()
    out[:, :clean_frames] = CLEAN_TIMESTEP
    return out


def forcing_layout(t, batch: int, frames: int, clean_frames: int, per_frame: int):
    """The diffusion-forcing layout of one transformer call, for sampling and training alike:
    (frame timesteps [batch, frames], token timesteps [batch, frames * per_frame], noisy-frame mask
    [frames] bool: the frames the model denoises and the training loss covers)."""
    import torch

    frame_t = frame_timesteps(t, batch, frames, clean_frames)
    noisy = torch.arange(frames) >= clean_frames
    return frame_t, token_timesteps(frame_t, per_frame), noisy


def denoise(
    transformer,
    scheduler,
    latents,
    cond: Conditioning,
    *,
    steps: int,
    guidance_scale: float = 1.0,
    history_guidance: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    generator=None,
    attention_kwargs: dict | None = None,
):
    """Run `steps` scheduler steps from `latents` (float32 [B, z, F, h, w], pure noise where not clean);
    returns the final latents (history slots equal to `cond.clean`)."""
    import torch

    batch, _, frames, lat_h, lat_w = latents.shape
    dtype = transformer.dtype
    clean_frames = 0 if cond.clean is None else cond.clean.shape[2]
    per_frame = tokens_per_frame(transformer, lat_h, lat_w)
    use_cfg = guidance_scale > 1.0
    use_hg = history_guidance > 0.0 and clean_frames > 0
    if use_cfg and cond.negative_embeds is None:
        raise ValueError("guidance_scale > 1 needs negative_embeds")

    scheduler.set_timesteps(steps, device=latents.device)
    timesteps = scheduler.timesteps
    latents = latents.clone()
    if clean_frames:
        latents[:, :, :clean_frames] = cond.clean
    # Rows of the transformer batch: [conditional | unconditional (CFG) | no history (history guidance)].
    texts = [cond.prompt_embeds] + ([cond.negative_embeds] if use_cfg else []) + ([cond.prompt_embeds] if use_hg else [])
    text = torch.cat(texts)
    images = cond.image_embeds.repeat(len(texts), 1, 1)
    conditions = cond.condition.repeat(len(texts), 1, 1, 1, 1)
    for i, t in enumerate(timesteps):
        inputs = [latents] * (2 if use_cfg else 1)
        if clean_frames:
            frame_t, _, _ = forcing_layout(t.cpu(), batch, frames, clean_frames, per_frame)
            frame_t = frame_t.to(latents.device)
            step_t = [frame_t] * len(inputs)
            if use_hg:  # the history replaced by noise at the highest noise level
                no_history = latents.clone()
                noise = torch.randn(cond.clean.shape, generator=generator, device="cpu").to(latents.device)
                no_history[:, :, :clean_frames] = noise
                inputs.append(no_history)
                hg_t = frame_t.clone()
                hg_t[:, :clean_frames] = timesteps[0]
                step_t.append(hg_t)
            timestep = token_timesteps(torch.cat(step_t), per_frame)
        else:
            timestep = t.expand(batch * len(inputs))
        x = torch.cat([torch.cat(inputs), conditions], dim=1).to(dtype)
        pred = transformer(
            hidden_states=x, timestep=timestep, encoder_hidden_states=text, encoder_hidden_states_image=images,
            attention_kwargs=attention_kwargs, return_dict=False,
        )[0]
        parts = pred.chunk(len(texts))
        velocity = parts[0]
        if use_cfg:  # uncond + s (cond - uncond)
            velocity = parts[1] + guidance_scale * (parts[0] - parts[1])
        if use_hg:  # LVP's history guidance: push away from the history-free prediction
            velocity = velocity + history_guidance * (parts[0] - parts[-1])
        latents = scheduler.step(velocity, t, latents, return_dict=False)[0]
        if clean_frames:
            latents[:, :, :clean_frames] = cond.clean
        if progress is not None:
            progress(i + 1, len(timesteps))
    return latents
