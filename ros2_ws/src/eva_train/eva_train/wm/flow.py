"""The flow-matching SFT objective with diffusion forcing, on the planner's own per-token layout.

Wan2.1 is a rectified-flow model: x_sigma = (1 - sigma) x0 + sigma eps, the transformer predicts the
velocity eps - x0 at timestep 1000 sigma, and the scheduler integrates it from sigma = 1 to 0. Training
draws sigma per clip (or per latent frame: diffusion forcing), puts the clean history at timestep 0 with
`forcing_layout` (the function the sampler uses, so training and sampling share one layout), and
takes the MSE of the velocity over the noisy frames only: clean history tokens carry no loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from eva_core.planning.wan.sampling import forcing_layout, tokens_per_frame

NUM_TRAIN_TIMESTEPS = 1000  # Wan's timestep scale: t = 1000 sigma


@dataclass
class Batch:
    latents: torch.Tensor  # float32 [B, z, F, h, w], normalised, clean
    image: torch.Tensor  # [B, tokens, image_dim]
    text: torch.Tensor  # [B, 512, text_dim]
    history: int  # latent frames of history at the front of every clip


def shift_sigma(u: torch.Tensor, shift: float) -> torch.Tensor:
    """Wan's timestep shift (the scheduler's flow_shift), applied to uniform draws: more noise when > 1."""
    return shift * u / (1 + (shift - 1) * u)


def draw_sigmas(batch: int, frames: int, independent: bool, shift: float, gen: torch.Generator) -> torch.Tensor:
    """float [B, F]: one shifted-uniform sigma per clip (repeated over frames) or one per frame."""
    u = torch.rand((batch, frames) if independent else (batch, 1), generator=gen)
    return shift_sigma(u, shift).expand(batch, frames).clone()


def flow_matching_loss(transformer, batch: Batch, sigmas: torch.Tensor, clean_history: bool, noise: torch.Tensor):
    """Velocity MSE over the noisy latent frames. sigmas [B, F] (history entries are ignored when
    `clean_history`); noise like batch.latents. Returns (loss, per-frame MSE [F] for the log)."""
    x0 = batch.latents
    b, z, f, h, w = x0.shape
    clean = batch.history if clean_history else 0
    frame_t, token_t, noisy = forcing_layout(sigmas * NUM_TRAIN_TIMESTEPS, b, f, clean, tokens_per_frame(transformer, h, w))
    sigma = (frame_t / NUM_TRAIN_TIMESTEPS).to(x0.device).view(b, 1, f, 1, 1)
    x_t = (1 - sigma) * x0 + sigma * noise
    # Diffusion forcing conditions through the clean latents themselves: the I2V mask and image-latent
    # channels are zero, as the planner passes them (`WanPlanner._generate`).
    condition = torch.zeros((b, z + 4, f, h, w), device=x0.device, dtype=x0.dtype)
    pred = transformer(
        hidden_states=torch.cat([x_t, condition], dim=1), timestep=token_t.to(x0.device),
        encoder_hidden_states=batch.text, encoder_hidden_states_image=batch.image, return_dict=False,
    )[0]
    per_frame = (pred.float() - (noise - x0)).pow(2).mean(dim=(0, 1, 3, 4))  # [F]
    loss = per_frame[noisy.to(per_frame.device)].mean()
    return loss, per_frame.detach()
