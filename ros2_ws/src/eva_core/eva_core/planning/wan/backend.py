"""The `wan` planner backend: Wan2.1 image-to-video (+ LoRA) conditioned on the observed history and the
instruction, with optional reward-ranked sampling.

    planner = make_planner("wan", load_yaml("config/planner/wan.yaml"), embodiment)
    result = planner.plan(PlanRequest("p1", "press the red button", history=frames, num_frames=49), progress)
    result.frames                    # uint8 [49, H, W, 3]; frames[0] is the current view as the VAE renders it
    result.info["scores"]            # with an IDM: every candidate's executability score

A plan: text embeddings (cached per instruction) -> history clip (last `history_frames` frames, padded
to 1 + 4m, resized to the plan size) -> VAE latents + CLIP tokens -> `candidates` noise samples in one
batch -> `steps` denoising steps (progress(step, steps) after each) -> VAE decode -> with an IDM, each
candidate decoded to actions and scored; the best is returned, all scores are logged and in `info`.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from eva_core.embodiment import EmbodimentConfig, load_embodiment
from eva_core.planning.planner import PlanRequest, Progress, VideoPlanner, VideoPlanResult
from eva_core.planning.wan.config import WanPlannerConfig, resolve_path

if TYPE_CHECKING:
    from eva_core.planning.wan.loading import WanModel

log = logging.getLogger(__name__)


class WanPlanner(VideoPlanner):
    """See the module docstring. Loads the model in the constructor (minutes for 14B weights)."""

    backend: ClassVar[str] = "wan"
    needs_world_snapshot: ClassVar[bool] = False

    def __init__(self, config: WanPlannerConfig, embodiment: EmbodimentConfig | None = None, model: WanModel | None = None) -> None:
        """`model`: already-assembled components (`assemble_wan`) instead of reading `config.model_dir`."""
        from eva_core.planning.wan.loading import load_wan
        from eva_core.planning.wan.text import PromptEncoder

        self.config = config
        self.embodiment = embodiment or load_embodiment()
        self.fps = float(config.fps or self.embodiment.plan_rate_hz)
        self.default_num_frames = config.num_frames
        self.model = model if model is not None else load_wan(config)
        self.prompts = PromptEncoder(
            self.model.tokenizer, self.model.text_encoder, self.model.device, self.model.dtype, config.text_cache_size
        )
        self.decoder = None
        self.reward_params = None
        if config.idm_checkpoint:
            from eva_core.idm.inference import IdmDecoder
            from eva_core.reward import RewardParams

            self.decoder = IdmDecoder.load(resolve_path(config.idm_checkpoint), self.model.device)
            self.reward_params = RewardParams.from_embodiment(self.embodiment)
        self._plans = 0

    # -- one plan -------------------------------------------------------------------------------------
    def plan(self, request: PlanRequest, progress: Progress | None = None) -> VideoPlanResult:
        import torch

        if self.model is None:
            raise RuntimeError("the wan planner is closed")
        start = time.perf_counter()
        with torch.inference_mode():
            frames, info = self._generate(request, progress)
        if self.decoder is not None:
            ranked_start = time.perf_counter()
            frames, ranking_info = self._rank(frames)
            info.update(ranking_info)
            info["timings_s"]["rank"] = time.perf_counter() - ranked_start
        else:
            frames = frames[0]
        self._plans += 1
        elapsed = time.perf_counter() - start
        return VideoPlanResult(request.plan_id, frames, self.fps, self.backend, elapsed, info)

    def _generate(self, request: PlanRequest, progress: Progress | None) -> tuple[np.ndarray, dict[str, Any]]:
        """All candidates: uint8 [N, num_frames, H, W, 3], and the plan's info."""
        import torch
        from diffusers.utils.torch_utils import randn_tensor

        from eva_core.planning.wan.encoding import clip_image_embeds, decode_video, encode_video
        from eva_core.planning.wan.history import ClipLayout, history_clip, plan_size, resized_uint8, video_tensor
        from eva_core.planning.wan.sampling import Conditioning, denoise

        cfg, m = self.config, self.model
        n = cfg.candidates
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        hits = self.prompts.hits
        prompt = self.prompts(request.instruction).repeat(n, 1, 1)
        negative = self.prompts(cfg.negative_prompt).repeat(n, 1, 1) if cfg.use_cfg else None
        text_cached = self.prompts.hits > hits
        timings["text"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        height, width = plan_size(cfg.height, cfg.width, request.current.shape[:2])
        diffusion_forcing = cfg.history_mode == "diffusion_forcing"
        clip = history_clip(request.history, cfg.history_frames, cfg.pad_history) if diffusion_forcing else request.current[None]
        layout = ClipLayout(len(clip), request.num_frames)
        lat_h, lat_w = height // m.pipe.vae_scale_factor_spatial, width // m.pipe.vae_scale_factor_spatial
        z = m.vae.config.z_dim
        # Candidate i draws from seed + i: reproducible, and candidate 0 is the plan N = 1 gives.
        base_seed = cfg.seed if cfg.seed is not None else int(torch.randint(0, 2**31 - 1, ()).item())
        generators = [torch.Generator("cpu").manual_seed(base_seed + i) for i in range(n)]
        noise = randn_tensor((n, z, layout.latent_frames, lat_h, lat_w), generator=generators, device=m.device, dtype=torch.float32)
        # CLIP sees the clip's first frame, as the model was trained (I2V: the current view; LVP: the oldest history frame).
        image_embeds = clip_image_embeds(
            m.image_encoder, m.image_processor, resized_uint8(clip[0], height, width), m.device, m.dtype
        ).repeat(n, 1, 1)
        if diffusion_forcing:
            history = encode_video(m.vae, video_tensor(clip, height, width), m.device)  # [1, z, Fh, h, w]
            clean = history.repeat(n, 1, 1, 1, 1)
            # LVP-style diffusion-forcing checkpoints get no first-frame condition: mask and latents zero.
            condition = torch.zeros((n, 4 + z, layout.latent_frames, lat_h, lat_w), device=m.device, dtype=torch.float32)
        else:
            clean = None
            image = video_tensor(clip, height, width)[:, :, 0]  # [1, 3, H, W] in [-1, 1]
            noise, condition = m.pipe.prepare_latents(
                image, n, z, height, width, layout.total, torch.float32, m.device, None, noise
            )
        timings["encode"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        cond = Conditioning(prompt, image_embeds, condition, negative, clean)
        latents = denoise(
            m.transformer, m.scheduler, noise, cond, steps=cfg.steps, guidance_scale=cfg.guidance_scale,
            history_guidance=cfg.history_guidance, progress=progress, generator=generators[0],
        )
        timings["denoise"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        # One candidate at a time: a 49-frame 480p decode takes several GB of activations.
        videos = np.stack([decode_video(m.vae, latents[i : i + 1])[0] for i in range(n)])
        m.pipe.maybe_free_model_hooks()
        timings["decode"] = time.perf_counter() - t0
        frames = videos[:, layout.plan_start : layout.plan_start + request.num_frames]
        info = {
            "history_mode": cfg.history_mode,
            "history_frames_used": min(len(request.history), cfg.history_frames) if diffusion_forcing else 1,
            "clip_frames": layout.total,
            "latent_frames": layout.latent_frames,
            "size": [height, width],
            "steps": cfg.steps,
            "scheduler": cfg.scheduler,
            "guidance_scale": cfg.guidance_scale,
            "candidates": n,
            "seed": base_seed,
            "adapters": dict(zip(m.adapters, (s.weight for s in cfg.loras))),
            "text_cache_hit": text_cached,
            "timings_s": timings,
        }
        if diffusion_forcing:
            info["history_latents"] = latents[:1, :, : layout.history_latents].float().cpu().numpy()
        return frames, info

    def _rank(self, candidates: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        from eva_core.planning.wan.ranking import rank_candidates

        ranking = rank_candidates(list(candidates), self.decoder, self.reward_params)
        best = ranking.best_plan
        log.info(
            "wan plan: %d candidates, executability scores %s, best #%d (%.3f)",
            len(candidates), ", ".join(f"{s:.3f}" for s in ranking.scores), ranking.best, ranking.scores[ranking.best],
        )
        info = {
            "ranking": ranking.summary(),
            "scores": ranking.scores,
            "best_candidate": ranking.best,
            "score": ranking.scores[ranking.best],
            "reward_terms": best.terms,
            "actions": best.actions,
        }
        return candidates[ranking.best], info

    def close(self) -> None:
        if self.model is None:
            return
        self.model = None
        self.prompts = None
        self.decoder = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
