"""WanPlanner end to end on the tiny model: both history modes, text cache, reward ranking."""

import logging

import numpy as np
import pytest

from eva_core.planning import PlanRequest, VideoPlanner, make_planner
from eva_core.planning.wan.backend import WanPlanner


@pytest.fixture(scope="module")
def df_planner(cpu_config, embodiment, tiny_lora):
    planner = make_planner("wan", cpu_config(loras=[{"path": str(tiny_lora), "weight": 0.7}]), embodiment)
    yield planner
    planner.close()


def test_make_planner_builds_the_wan_backend(df_planner):
    assert isinstance(df_planner, WanPlanner) and isinstance(df_planner, VideoPlanner)
    assert df_planner.backend == "wan" and not df_planner.needs_world_snapshot and df_planner.fps == 16.0


def test_diffusion_forcing_plan_keeps_the_encoded_history(df_planner, history):
    from eva_core.planning.wan.encoding import encode_video
    from eva_core.planning.wan.history import history_clip, video_tensor

    steps = []
    result = df_planner.plan(PlanRequest("p1", "press the red button", history, num_frames=9), lambda s, n: steps.append((s, n)))
    assert result.frames.dtype == np.uint8 and result.frames.shape == (9, 16, 16, 3)
    assert steps == [(1, 2), (2, 2)] and result.backend == "wan" and result.fps == 16.0
    info = result.info
    assert (info["clip_frames"], info["latent_frames"], info["history_frames_used"]) == (13, 4, 4)
    assert info["adapters"] == {"lora0": 0.7}
    clip = history_clip(history, 4)
    encoded = encode_video(df_planner.model.vae, video_tensor(clip, 16, 16), "cpu").numpy()
    np.testing.assert_array_equal(info["history_latents"], encoded)  # the history slots stayed clean


def test_pad_history_gives_the_first_plan_the_trained_layout(cpu_config, embodiment, history):
    planner = make_planner("wan", cpu_config(pad_history=True, num_frames=9), embodiment)
    assert planner.default_num_frames == 9
    result = planner.plan(PlanRequest("p0", "press the red button", history[-1:], num_frames=9))
    assert (result.info["clip_frames"], result.info["latent_frames"]) == (13, 4)  # as with 4 observed frames
    planner.close()


def test_text_embeddings_are_cached_per_instruction(df_planner, history):
    misses = df_planner.prompts.misses
    first = df_planner.plan(PlanRequest("c1", "open the drawer", history[-1:], num_frames=5))
    again = df_planner.plan(PlanRequest("c2", "open   the drawer", history[-1:], num_frames=5))
    assert not first.info["text_cache_hit"] and again.info["text_cache_hit"]
    assert df_planner.prompts.misses == misses + 1
    assert first.frames.shape == (5, 16, 16, 3)
    np.testing.assert_array_equal(first.frames, again.frames)  # same seed, history and instruction


def test_first_frame_mode_and_resizing(cpu_config, embodiment, history):
    planner = make_planner("wan", cpu_config(history_mode="first_frame", height=32, width=16, vae_tiling=True), embodiment)
    assert planner.model.vae.use_tiling
    result = planner.plan(PlanRequest("f1", "press the red button", history, num_frames=5))
    assert result.frames.shape == (5, 32, 16, 3) and result.frames.dtype == np.uint8
    assert result.info["history_frames_used"] == 1 and result.info["latent_frames"] == 2
    odd = tuple(np.zeros((20, 27, 3), np.uint8) for _ in range(2))  # rounded down to 16x16
    # Euler sampler with CFG and history guidance: three rows per transformer call.
    planner = make_planner("wan", cpu_config(scheduler="euler", guidance_scale=2.0, negative_prompt="blurry", history_guidance=0.5), embodiment)
    result = planner.plan(PlanRequest("f2", "x", odd, num_frames=5))
    assert result.frames.shape == (5, 16, 16, 3) and result.info["history_frames_used"] == 2 and result.info["clip_frames"] == 9
    planner.close()
    with pytest.raises(RuntimeError, match="closed"):
        planner.plan(PlanRequest("f3", "x", odd, num_frames=5))


def test_reward_ranking_returns_the_best_of_n_and_logs_all(cpu_config, embodiment, history, tiny_idm, caplog):
    planner = make_planner("wan", cpu_config(candidates=3, idm_checkpoint=str(tiny_idm), seed=10), embodiment)
    with caplog.at_level(logging.INFO, logger="eva_core.planning.wan.backend"):
        result = planner.plan(PlanRequest("r1", "press the red button", history, num_frames=5))
    info = result.info
    scores = info["scores"]
    assert len(scores) == 3 and info["score"] == max(scores) and info["best_candidate"] == int(np.argmax(scores))
    assert info["actions"].shape == (5, 14) and set(info["reward_terms"]) >= {"penalty", "p_jerk"}
    assert "3 candidates" in caplog.text and all(f"{s:.3f}" in caplog.text for s in scores)
    # Candidate i is the plan that seed + i gives alone (batched noise is drawn per candidate).
    single = make_planner("wan", cpu_config(seed=10 + info["best_candidate"]), embodiment)
    alone = single.plan(PlanRequest("r2", "press the red button", history, num_frames=5)).frames
    assert np.abs(alone.astype(int) - result.frames.astype(int)).max() <= 1
