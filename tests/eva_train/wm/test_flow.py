"""The SFT objective: history tokens at t = 0 and out of the loss; one step lowers the loss on a fixed batch."""

import pytest
import torch

from eva_core.planning.wan.sampling import CLEAN_TIMESTEP, forcing_layout
from eva_train.wm.flow import Batch, draw_sigmas, flow_matching_loss, shift_sigma


@pytest.fixture()
def transformer(tiny_wan):
    from diffusers import WanTransformer3DModel

    torch.manual_seed(0)
    return WanTransformer3DModel.from_pretrained(tiny_wan / "transformer", local_files_only=True).train()


def fixed_batch(history=2, frames=4, seed=0) -> Batch:
    g = torch.Generator().manual_seed(seed)
    return Batch(
        latents=torch.randn((2, 16, frames, 4, 4), generator=g),
        image=torch.randn((2, 1025, 4), generator=g),
        text=torch.randn((2, 512, 32), generator=g),
        history=history,
    )


def test_history_tokens_get_timestep_zero(transformer):
    seen = {}

    def grab(module, args, kwargs):
        seen["t"] = kwargs["timestep"].clone()

    handle = transformer.register_forward_pre_hook(grab, with_kwargs=True)
    batch = fixed_batch(history=2, frames=4)
    sigmas = torch.tensor([[0.3, 0.6, 0.9, 0.4], [0.8, 0.8, 0.8, 0.8]])
    flow_matching_loss(transformer, batch, sigmas, clean_history=True, noise=torch.randn(batch.latents.shape))
    handle.remove()
    t = seen["t"].view(2, 4, 4)  # [B, frames, tokens per frame (4x4 latents, patch 2)]
    assert torch.all(t[:, :2] == CLEAN_TIMESTEP)
    assert torch.allclose(t[0, 2:], torch.tensor([900.0, 400.0])[:, None].expand(2, 4))
    assert torch.allclose(t[1, 2:], torch.full((2, 4), 800.0))


def test_history_frames_carry_no_loss_unless_noised(transformer):
    batch = fixed_batch()
    noise = torch.randn(batch.latents.shape, generator=torch.Generator().manual_seed(1))
    sigmas = torch.full((2, 4), 0.5)
    offset = {"frames": slice(0, 0)}

    def perturb(module, args, output):
        out = output[0].clone()
        out[:, :, offset["frames"]] += 100.0
        return (out,)

    base, per_frame = flow_matching_loss(transformer, batch, sigmas, True, noise)
    assert torch.isclose(base, per_frame[2:].mean())
    handle = transformer.register_forward_hook(perturb)
    offset["frames"] = slice(0, 2)  # a wild prediction on the history frames: no effect when clean
    history_wild, _ = flow_matching_loss(transformer, batch, sigmas, True, noise)
    noised_history_wild, _ = flow_matching_loss(transformer, batch, sigmas, False, noise)
    offset["frames"] = slice(2, 3)  # on a future frame: the loss sees it
    future_wild, _ = flow_matching_loss(transformer, batch, sigmas, True, noise)
    handle.remove()
    assert torch.isclose(history_wild, base)
    assert noised_history_wild > base + 1000 and future_wild > base + 1000


def test_one_step_lowers_the_loss_on_a_fixed_batch(transformer):
    batch = fixed_batch()
    noise = torch.randn(batch.latents.shape, generator=torch.Generator().manual_seed(2))
    sigmas = draw_sigmas(2, 4, independent=True, shift=3.0, gen=torch.Generator().manual_seed(3))
    optimizer = torch.optim.AdamW(transformer.parameters(), lr=1e-3)
    before, _ = flow_matching_loss(transformer, batch, sigmas, True, noise)
    before.backward()
    optimizer.step()
    with torch.no_grad():
        after, _ = flow_matching_loss(transformer, batch, sigmas, True, noise)
    assert after < before


def test_sigma_draws_shared_or_per_frame_and_shifted_towards_noise():
    g = torch.Generator().manual_seed(0)
    shared = draw_sigmas(3, 5, independent=False, shift=3.0, gen=g)
    assert torch.all(shared == shared[:, :1]) and shared.shape == (3, 5)
    independent = draw_sigmas(64, 5, independent=True, shift=3.0, gen=g)
    assert (independent.std(dim=1) > 0).all()
    assert torch.all((independent > 0) & (independent < 1))
    u = torch.linspace(0.01, 0.99, 50)
    assert torch.all(shift_sigma(u, 3.0) >= u) and torch.allclose(shift_sigma(u, 1.0), u)


def test_the_sampler_and_the_trainer_share_one_layout():
    frame_t, token_t, noisy = forcing_layout(torch.tensor(700.0), 2, 5, 2, per_frame=3)
    assert frame_t.tolist() == [[0, 0, 700, 700, 700]] * 2
    assert token_t.shape == (2, 15) and token_t[0, :6].eq(0).all() and token_t[0, 6:].eq(700).all()
    assert noisy.tolist() == [False, False, True, True, True]
