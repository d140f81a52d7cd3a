"""The denoising loop: per-token timesteps, clean history latents, and equality with diffusers' pipeline."""

import numpy as np
import torch

from eva_core.planning.wan import WanPlannerConfig
from eva_core.planning.wan.loading import load_wan
from eva_core.planning.wan.sampling import CLEAN_TIMESTEP, Conditioning, denoise, frame_timesteps, token_timesteps, tokens_per_frame


class Spy:
    """The real transformer, recording the timestep tensor and batch of every call."""

    def __init__(self, transformer):
        self.transformer, self.calls = transformer, []
        self.config, self.dtype = transformer.config, transformer.dtype

    def __call__(self, **kwargs):
        self.calls.append((kwargs["timestep"].clone(), kwargs["hidden_states"].shape))
        return self.transformer(**kwargs)


def test_token_timesteps_repeat_each_frame_over_its_tokens():
    frame_t = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    tokens = token_timesteps(frame_t, 4)
    assert tokens.shape == (2, 12)
    assert tokens[0].tolist() == [0.0] * 4 + [1.0] * 4 + [2.0] * 4
    ft = frame_timesteps(torch.tensor(700.0), batch=2, frames=5, clean_frames=2)
    assert ft.tolist() == [[CLEAN_TIMESTEP] * 2 + [700.0] * 3] * 2


def conditioning(model, batch, frames, clean=None, cfg=False):
    g = torch.Generator().manual_seed(1)
    text = torch.randn(batch, 512, 32, generator=g)
    return Conditioning(
        prompt_embeds=text, image_embeds=torch.randn(batch, 1025, 4, generator=g),
        condition=torch.zeros(batch, 20, frames, 2, 4), negative_embeds=torch.zeros_like(text) if cfg else None, clean=clean,
    )


def test_diffusion_forcing_keeps_history_clean_with_per_token_timesteps(tiny_wan):
    model = load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", dtype="float32"))
    spy = Spy(model.transformer)
    assert tokens_per_frame(spy, 2, 4) == 2
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(2, 16, 4, 2, 4, generator=g)
    clean = torch.randn(2, 16, 2, 2, 4, generator=g)
    steps = []
    with torch.inference_mode():
        out = denoise(spy, model.scheduler, noise, conditioning(model, 2, 4, clean), steps=3, progress=lambda s, n: steps.append((s, n)))
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert torch.equal(out[:, :, :2], clean)  # exactly the encoded history, not just close
    assert not torch.equal(out[:, :, 2:], noise[:, :, 2:])
    for (timestep, shape), t in zip(spy.calls, model.scheduler.timesteps):
        assert timestep.shape == (2, 4 * 2)  # [batch, latent frames x tokens per frame]
        assert (timestep[:, :4] == CLEAN_TIMESTEP).all() and (timestep[:, 4:] == t).all()


def test_guidance_rows_share_one_batch(tiny_wan):
    model = load_wan(WanPlannerConfig(model_dir=str(tiny_wan), device="cpu", dtype="float32"))
    spy = Spy(model.transformer)
    noise = torch.randn(1, 16, 4, 2, 4, generator=torch.Generator().manual_seed(0))
    clean = torch.zeros(1, 16, 2, 2, 4)
    with torch.inference_mode():
        plain = denoise(spy, model.scheduler, noise, conditioning(model, 1, 4, clean), steps=2)
        guided = denoise(spy, model.scheduler, noise, conditioning(model, 1, 4, clean, cfg=True), steps=2,
                         guidance_scale=3.0, history_guidance=1.0, generator=torch.Generator().manual_seed(0))
    timestep, shape = spy.calls[-1]
    assert shape[0] == 3  # conditional, unconditional (CFG), no history (history guidance)
    assert (timestep[2, :4] == model.scheduler.timesteps[0]).all()  # the dropped history at full noise
    assert not torch.allclose(plain, guided) and torch.equal(guided[:, :, :2], clean)


def test_first_frame_mode_equals_the_diffusers_pipeline(tiny_wan, cpu_config, embodiment):
    from PIL import Image

    from eva_core.planning import PlanRequest, make_planner
    from eva_core.planning.wan.encoding import decode_video

    planner = make_planner("wan", cpu_config(history_mode="first_frame", seed=3), embodiment)
    image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    ours = planner.plan(PlanRequest("p", "press the red button", (image,), num_frames=9)).frames
    m = planner.model
    noise = torch.randn(1, 16, 3, 2, 2, generator=torch.Generator().manual_seed(3))
    latents = m.pipe(
        image=Image.fromarray(image), prompt_embeds=planner.prompts("press the red button"), height=16, width=16,
        num_frames=9, num_inference_steps=2, guidance_scale=1.0, latents=noise, output_type="latent",
    ).frames
    np.testing.assert_array_equal(ours, decode_video(m.vae, latents)[0])
