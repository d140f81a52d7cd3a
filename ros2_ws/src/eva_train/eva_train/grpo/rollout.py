"""Rollouts with the SDE sampler: G samples per prompt, every step's latents and log-probability kept
for the update. Only the future latents are sampled and scored; the clean history sits in front of
them at timestep 0 through the planner's `forcing_layout`, and is left out of log-prob and KL."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from eva_core.planning.wan.sampling import forcing_layout, tokens_per_frame
from eva_train.grpo.prompts import Prompt
from eva_train.grpo.sde import sde_step
from eva_train.wm.flow import NUM_TRAIN_TIMESTEPS


@dataclass
class Conditions:
    history: torch.Tensor  # [N, z, Fh, h, w] clean
    image: torch.Tensor  # [N, tokens, dim]
    text: torch.Tensor  # [N, 512, dim]

    def rows(self, index: torch.Tensor) -> "Conditions":
        return Conditions(self.history[index], self.image[index], self.text[index])


@dataclass
class Rollouts:
    conditions: Conditions  # one row per rollout
    latents: torch.Tensor  # [S + 1, N, z, Ff, h, w]: x_0 (noise) ... x_S (the sample), future frames only
    log_probs: torch.Tensor  # [S, N]: log p(x_{i+1} | x_i) under the sampling model
    sigmas: torch.Tensor  # [S + 1]
    group: torch.Tensor  # [N] int: which prompt each rollout belongs to

    @property
    def final(self) -> torch.Tensor:
        return self.latents[-1]


def conditions_for(prompts: list[Prompt], group_size: int, device) -> tuple[Conditions, torch.Tensor]:
    """Every prompt's conditioning repeated group_size times (rows of a group are adjacent)."""
    rep = lambda xs: torch.stack(xs).repeat_interleave(group_size, dim=0).to(device)  # noqa: E731
    cond = Conditions(rep([p.history for p in prompts]), rep([p.image for p in prompts]), rep([p.text for p in prompts]))
    return cond, torch.arange(len(prompts)).repeat_interleave(group_size)


def future_velocity(transformer, cond: Conditions, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """The transformer's velocity for the future latents x [N, z, Ff, h, w] at noise level sigma,
    with the clean history in front (timestep 0) exactly as the planner's sampler lays it out."""
    full = torch.cat([cond.history, x], dim=2)
    n, z, f, h, w = full.shape
    clean = cond.history.shape[2]
    _, token_t, _ = forcing_layout(torch.tensor(sigma * NUM_TRAIN_TIMESTEPS), n, f, clean, tokens_per_frame(transformer, h, w))
    condition = torch.zeros((n, z + 4, f, h, w), device=x.device, dtype=x.dtype)
    out = transformer(hidden_states=torch.cat([full, condition], dim=1), timestep=token_t.to(x.device),
                      encoder_hidden_states=cond.text, encoder_hidden_states_image=cond.image, return_dict=False)[0]
    return out[:, :, clean:].float()


@torch.no_grad()
def rollout(transformer, cond: Conditions, group: torch.Tensor, future_shape: tuple[int, ...], sigmas: torch.Tensor,
            noise_level: float, generator: torch.Generator) -> Rollouts:
    """Sample every row of `cond` with the SDE sampler from fresh noise (drawn from `generator`)."""
    n = cond.history.shape[0]
    device = cond.history.device
    x = torch.randn((n, *future_shape), generator=generator).to(device)
    latents, log_probs = [x], []
    sigma_max = float(sigmas[1])
    for i in range(len(sigmas) - 1):
        v = future_velocity(transformer, cond, x, float(sigmas[i]))
        noise = torch.randn(x.shape, generator=generator).to(device)
        step = sde_step(v, float(sigmas[i]), float(sigmas[i + 1]), x, noise_level=noise_level, sigma_max=sigma_max, noise=noise)
        x = step.prev_sample
        latents.append(x)
        log_probs.append(step.log_prob)
    return Rollouts(cond, torch.stack(latents), torch.stack(log_probs), sigmas, group)
