"""The frozen encoders around the transformer: VAE (frames <-> normalised latents) and CLIP (image tokens).

Latents are normalised as Wan2.1 trains on them: (z - latents_mean) / latents_std per channel, z the
mode of the VAE posterior (what diffusers' pipeline calls sample_mode="argmax").
"""

from __future__ import annotations

import numpy as np


def _stats(vae, device, dtype):
    import torch

    c = vae.config.z_dim
    mean = torch.tensor(vae.config.latents_mean, device=device, dtype=dtype).view(1, c, 1, 1, 1)
    std = torch.tensor(vae.config.latents_std, device=device, dtype=dtype).view(1, c, 1, 1, 1)
    return mean, std


def encode_video(vae, video, device):
    """float [B, 3, T, H, W] in [-1, 1] -> float32 normalised latents [B, z, 1 + (T-1)/4, H/8, W/8] on `device`."""
    import torch
    from diffusers.utils.torch_utils import get_module_execution_device

    vae_device = get_module_execution_device(vae)
    posterior = vae.encode(video.to(vae_device, vae.dtype)).latent_dist
    z = posterior.mode().to(device, torch.float32)
    mean, std = _stats(vae, device, torch.float32)
    return (z - mean) / std


def decode_video(vae, latents) -> np.ndarray:
    """Normalised latents [B, z, F, h, w] -> uint8 [B, 1 + 4(F-1), 8h, 8w, 3] frames."""
    import torch
    from diffusers.utils.torch_utils import get_module_execution_device

    vae_device = get_module_execution_device(vae)
    mean, std = _stats(vae, vae_device, vae.dtype)
    z = latents.to(vae_device, vae.dtype) * std + mean
    video = vae.decode(z, return_dict=False)[0]  # [B, 3, T, H, W] in about [-1, 1]
    video = ((video.float() * 0.5 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    return video.permute(0, 2, 3, 4, 1).cpu().numpy()


def clip_image_embeds(image_encoder, image_processor, image: np.ndarray, device, dtype):
    """uint8 [H, W, 3] -> [1, tokens, dim]: the CLIP vision tower's penultimate hidden states, the image
    context of Wan2.1 I2V (as the pipeline's `encode_image`)."""
    from diffusers.utils.torch_utils import get_module_execution_device

    pixels = image_processor(images=[image], return_tensors="pt").pixel_values
    pixels = pixels.to(get_module_execution_device(image_encoder), image_encoder.dtype)
    states = image_encoder(pixel_values=pixels, output_hidden_states=True).hidden_states[-2]
    return states.to(device, dtype)
