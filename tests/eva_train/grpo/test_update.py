"""GRPO's update on a tiny transformer: ratio 1 and loss = -advantage before the first update, the
reference is the model with adapters disabled, and a few steps raise a reward on fixed prompts."""

import types
from contextlib import contextmanager

import pytest
import torch

from eva_train.grpo.config import GrpoConfig
from eva_train.wm.config import LoraTrainConfig
from eva_train.grpo.loss import group_advantages, kl_to_reference, policy_loss
from eva_train.grpo.rollout import Conditions, future_velocity, rollout
from eva_train.grpo.sde import sde_step, sigma_schedule
from eva_train.grpo.train import load_policy, update

FUTURE = (16, 2, 4, 4)  # z, future latent frames, h, w (32x32 px)


@pytest.fixture()
def transformer(tiny_wan):
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel.from_pretrained(tiny_wan / "transformer", local_files_only=True).eval()


def conditions(rows: int, seed: int = 0) -> tuple[Conditions, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    prompts = 2
    base = Conditions(torch.randn((prompts, 16, 2, 4, 4), generator=g), torch.randn((prompts, 1025, 4), generator=g),
                      torch.randn((prompts, 512, 32), generator=g))
    group = torch.arange(prompts).repeat_interleave(rows // prompts)
    return base.rows(group), group


def test_ratio_is_one_and_loss_is_minus_advantage_before_the_first_update(transformer):
    cond, group = conditions(4)
    sigmas = sigma_schedule(3, 2.0)
    ro = rollout(transformer, cond, group, FUTURE, sigmas, 0.7, torch.Generator().manual_seed(1))
    assert ro.latents.shape == (4, 4, *FUTURE) and ro.log_probs.shape == (3, 4)
    advantages = group_advantages(torch.tensor([0.1, 0.9, 0.5, 0.2]), group, clip=5.0)
    for j in range(3):
        v = future_velocity(transformer, cond, ro.latents[j], float(sigmas[j]))
        new = sde_step(v, float(sigmas[j]), float(sigmas[j + 1]), ro.latents[j], noise_level=0.7, sigma_max=float(sigmas[1]),
                       prev_sample=ro.latents[j + 1])
        loss, ratio = policy_loss(new.log_prob, ro.log_probs[j], advantages, clip_range=1e-3)
        assert torch.equal(ratio, torch.ones(4))
        assert torch.isclose(loss, -advantages.mean())
        assert torch.allclose(kl_to_reference(new.mean, new.mean, new.std), torch.zeros(4))


def test_advantages_are_normalised_within_each_group_and_clipped():
    rewards = torch.tensor([1.0, 2.0, 3.0, 10.0, 10.0, 10.0])
    adv = group_advantages(rewards, torch.tensor([0, 0, 0, 1, 1, 1]), clip=1.0)
    assert torch.allclose(adv[:3], torch.tensor([-1.0, 0.0, 1.0]), atol=1e-3)  # (r - 2) / 0.816, clipped at 1
    assert torch.all(adv[3:] == 0)  # identical rewards: no signal


def grpo_config(tiny_wan, **kw) -> GrpoConfig:
    doc = dict(data=("d",), val_data=("v",), model_dir=str(tiny_wan), idm_checkpoint="i", out_dir="o", resolution=(32, 32),
               num_frames=5, lora=LoraTrainConfig(rank=4, alpha=4))
    doc.update(kw)
    return GrpoConfig(**doc)


def test_disabling_the_adapter_reproduces_the_starting_model(tiny_wan, tmp_path):
    from eva_core.planning.wan.tiny import build_tiny_lora

    sft = build_tiny_lora(tiny_wan, tmp_path / "sft.safetensors")
    model, params, reference = load_policy(grpo_config(tiny_wan, sft_lora=str(sft)), torch.device("cpu"), tmp_path, False)
    cond, _ = conditions(2)
    x = torch.randn((2, *FUTURE), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        start = future_velocity(model.transformer, cond, x, 0.5)  # the GRPO adapter starts at zero
        for p in params:
            p.add_(0.1)
        moved = future_velocity(model.transformer, cond, x, 0.5)
        with reference() as ref:
            disabled = future_velocity(ref, cond, x, 0.5)
        again = future_velocity(model.transformer, cond, x, 0.5)
    assert not torch.allclose(moved, start)
    torch.testing.assert_close(disabled, start)  # reference = the SFT model (its adapter fused)
    torch.testing.assert_close(again, moved)  # the adapter is back on after the reference pass
    # ... and that reference is the SFT adapter's model, not the bare base.
    base, _, _ = load_policy(grpo_config(tiny_wan), torch.device("cpu"), tmp_path, False)
    with torch.no_grad():
        assert not torch.allclose(future_velocity(base.transformer, cond, x, 0.5), start)


def test_a_few_steps_raise_the_mean_reward_on_fixed_prompts(transformer):
    """The whole update (rollout log-probs, advantages, clipped ratio) on a reward the tiny model can learn:
    the mean of its sample's latents."""
    torch.manual_seed(0)
    transformer.requires_grad_(True)
    params = list(transformer.parameters())
    cfg = types.SimpleNamespace(inner_epochs=2, train_timesteps=3, noise_level=0.7, clip_range=0.2, kl_beta=0.0, max_grad_norm=1.0)

    @contextmanager
    def reference():
        yield transformer

    setup = types.SimpleNamespace(params=params, reference=reference)
    optimizer = torch.optim.Adam(params, lr=3e-3)
    cond, group = conditions(8)
    sigmas = sigma_schedule(3, 2.0)

    def mean_reward() -> float:
        ro = rollout(transformer, cond, group, FUTURE, sigmas, 0.7, torch.Generator().manual_seed(123))
        return float(ro.final.mean())

    before = mean_reward()
    gen = torch.Generator().manual_seed(7)
    for _ in range(4):
        ro = rollout(transformer, cond, group, FUTURE, sigmas, 0.7, gen)
        rewards = ro.final.mean(dim=(1, 2, 3, 4))
        update(setup, transformer, optimizer, ro, group_advantages(rewards, group, 5.0), cfg, gen)
    assert mean_reward() > before + 0.05
