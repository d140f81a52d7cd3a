"""GRPO post-training: build -> rollout (SDE sampler) -> reward (IDM + executability, static guard) ->
advantage (per group) -> update (clipped ratio + KL to the reference, over subsampled steps), with
validation rollouts on held-out starts (the deployed sampler), early stopping and the best checkpoint.

    eva-train grpo --config config/train/grpo_sim.yaml [--resume]

lora mode: a fresh adapter (after fusing the SFT adapter, if any, into the base weights), so the
reference is the same transformer with adapters disabled; full mode: every weight, the reference a
frozen copy. accelerate places the model (DDP across GPUs: each process rolls out its own prompts).
"""

from __future__ import annotations

import copy
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from eva_core.embodiment import load_embodiment
from eva_core.idm.inference import IdmDecoder
from eva_core.planning.evaluation import evaluate_planner, pick_starts
from eva_core.planning.wan.backend import WanPlanner
from eva_core.planning.wan.config import LoraSpec, WanPlannerConfig
from eva_core.planning.wan.history import ClipLayout, history_length
from eva_core.planning.wan.loading import load_wan
from eva_train.common.metrics import MetricsLog, plot_series, read_rows
from eva_train.common.run import start_run
from eva_train.common.optimizer_state import has_state, load_optimizer, save_optimizer
from eva_train.grpo.config import GrpoConfig
from eva_train.grpo.loss import group_advantages, kl_to_reference, policy_loss
from eva_train.grpo.prompts import Prompt, build_prompts
from eva_train.grpo.rollout import Rollouts, conditions_for, future_velocity, rollout
from eva_train.grpo.scoring import RolloutScorer, estimate_p0
from eva_train.grpo.sde import sde_step, sigma_schedule
from eva_train.wm.lora import add_lora, save_lora
from eva_train.wm.model import WindowEncoder, export_model

LAST, BEST, FINAL = "checkpoints/last", "checkpoints/best", "checkpoints/final"
ADAPTER = "grpo"


@dataclass
class Setup:
    model: object  # WanModel
    params: list[torch.nn.Parameter]
    reference: object  # callable context: `with setup.reference() as ref_transformer`
    scorer: RolloutScorer
    train_prompts: list[Prompt]
    planner_config: WanPlannerConfig
    layout: ClipLayout
    future_shape: tuple[int, ...]
    sigmas: torch.Tensor


def planner_config(cfg: GrpoConfig, model_dir: str, device, steps: int, loras=()) -> WanPlannerConfig:
    h, w = cfg.resolution
    return WanPlannerConfig(model_dir=model_dir, device=str(device), dtype="float32", num_frames=cfg.num_frames, height=h,
                            width=w, history_frames=cfg.observed_frames, pad_history=True, steps=steps, seed=cfg.seed, loras=tuple(loras))


def load_policy(cfg: GrpoConfig, device, run: Path, resuming: bool):
    """(model, trainable params, reference context). See the module docstring."""
    if cfg.mode == "full":
        model_dir = str(run / LAST / "model") if resuming else cfg.model_dir
        model = load_wan(planner_config(cfg, model_dir, device, cfg.val_steps))
        frozen = copy.deepcopy(model.transformer).eval().requires_grad_(False)
        model.transformer.requires_grad_(True).train()

        @contextmanager
        def reference():
            yield frozen

        return model, list(model.transformer.parameters()), reference
    loras = (LoraSpec(cfg.sft_lora),) if cfg.sft_lora else ()
    model = load_wan(planner_config(cfg, cfg.model_dir, device, cfg.val_steps, loras))
    if loras:  # the SFT model becomes the base: the reference is then "adapters disabled"
        model.pipe.fuse_lora(components=["transformer"], lora_scale=1.0)
        model.pipe.unload_lora_weights()
    params = add_lora(model.transformer, cfg.lora, ADAPTER)
    if resuming:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        state = {k.removeprefix("transformer."): v for k, v in load_file(str(run / LAST / "pytorch_lora_weights.safetensors")).items()}
        set_peft_model_state_dict(model.transformer, state, adapter_name=ADAPTER)
    model.transformer.train()

    @contextmanager
    def reference():
        model.transformer.disable_adapters()
        try:
            yield model.transformer
        finally:
            model.transformer.enable_adapters()

    return model, params, reference


def build(cfg: GrpoConfig, device, run: Path, resuming: bool, progress: bool) -> Setup:
    emb = load_embodiment()
    model, params, reference = load_policy(cfg, device, run, resuming)
    hist = history_length(cfg.observed_frames, cfg.observed_frames)
    layout = ClipLayout(hist, cfg.num_frames)
    encoder = WindowEncoder(model, tuple(cfg.resolution))
    prompts = build_prompts(cfg.data, max(64, cfg.prompts_per_step * 8), cfg.seed, encoder, cfg.camera, cfg.observed_frames, cfg.num_frames)
    decoder = IdmDecoder.load(cfg.idm_checkpoint, device)
    scorer = RolloutScorer(model.vae, decoder, emb, layout, static_ratio=cfg.static_ratio, static_min_motion=cfg.static_min_motion, p0=cfg.reward_p0)
    z = prompts[0].history.shape[0]
    h, w = prompts[0].history.shape[-2:]
    future_shape = (z, layout.latent_frames - layout.history_latents, h, w)
    shift = cfg.flow_shift or float(getattr(model.scheduler.config, "flow_shift", 1.0) or 1.0)
    return Setup(model, params, reference, scorer, prompts, planner_config(cfg, cfg.model_dir, device, cfg.val_steps),
                 layout, future_shape, sigma_schedule(cfg.sample_steps, shift))


def collect(setup: Setup, transformer, prompts: list[Prompt], cfg: GrpoConfig, gen: torch.Generator, device) -> tuple[Rollouts, object]:
    cond, group = conditions_for(prompts, cfg.group_size, device)
    was_training = transformer.training
    transformer.eval()  # dropout-free rollouts; the update recomputes in the same mode
    ro = rollout(transformer, cond, group, setup.future_shape, setup.sigmas, cfg.noise_level, gen)
    transformer.train(was_training)
    expert = [prompts[int(g)].expert_actions for g in group]
    return ro, setup.scorer(cond.history, ro.final, expert)


def update(setup: Setup, transformer, optimizer, ro: Rollouts, advantages: torch.Tensor, cfg: GrpoConfig, gen: torch.Generator) -> dict:
    """inner_epochs passes; each over `train_timesteps` random steps of the rollouts, one optimiser step
    per pass (gradients accumulated over the steps). Returns the pass-averaged statistics."""
    stats = {"policy_loss": [], "kl": [], "clip_fraction": [], "ratio_dev": []}
    steps = len(ro.sigmas) - 1
    sigma_max = float(ro.sigmas[1])
    transformer.eval()  # same mode as the rollouts: the ratio is exactly 1 before the first update
    for _ in range(cfg.inner_epochs):
        chosen = torch.randperm(steps, generator=gen)[: cfg.train_timesteps].tolist()
        optimizer.zero_grad(set_to_none=True)
        for j in chosen:
            x, x_next, s, s_next = ro.latents[j], ro.latents[j + 1], float(ro.sigmas[j]), float(ro.sigmas[j + 1])
            v = future_velocity(transformer, ro.conditions, x, s)
            new = sde_step(v, s, s_next, x, noise_level=cfg.noise_level, sigma_max=sigma_max, prev_sample=x_next)
            loss, ratio = policy_loss(new.log_prob, ro.log_probs[j], advantages, cfg.clip_range)
            kl = torch.zeros(())
            if cfg.kl_beta > 0:
                with torch.no_grad(), setup.reference() as ref:
                    ref_mean = sde_step(future_velocity(ref, ro.conditions, x, s), s, s_next, x, noise_level=cfg.noise_level,
                                        sigma_max=sigma_max, prev_sample=x_next).mean
                kl = kl_to_reference(new.mean, ref_mean, new.std).mean()
                loss = loss + cfg.kl_beta * kl
            (loss / len(chosen)).backward()
            stats["policy_loss"].append(float(loss))
            stats["kl"].append(float(kl))
            stats["clip_fraction"].append(float(((ratio - 1).abs() > cfg.clip_range).float().mean()))
            stats["ratio_dev"].append(float((ratio - 1).abs().mean()))
        torch.nn.utils.clip_grad_norm_(setup.params, cfg.max_grad_norm)
        optimizer.step()
    transformer.train()
    return {k: float(np.mean(v)) for k, v in stats.items()}


def validate(setup: Setup, cfg: GrpoConfig) -> dict:
    """The deployed planner (ODE sampler, fixed seeds) over the held-out starts."""
    emb = load_embodiment()
    planner = WanPlanner(setup.planner_config, emb, model=setup.model)
    starts = pick_starts(cfg.val_data, cfg.val_prompts, cfg.seed + 1)
    was_training = setup.model.transformer.training
    setup.model.transformer.eval()
    report = evaluate_planner(planner, setup.scorer.decoder, emb, starts, camera=cfg.camera, observed=cfg.observed_frames,
                              num_frames=cfg.num_frames, static_ratio=cfg.static_ratio, static_min_motion=cfg.static_min_motion,
                              params=setup.scorer.params)
    setup.model.transformer.train(was_training)
    return report.to_json()


def save(path: Path, cfg: GrpoConfig, setup: Setup, optimizer, step: int, state: dict) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if cfg.mode == "lora":
        save_lora(setup.model.transformer, path, ADAPTER)
    else:
        export_model(setup.model, setup.model.transformer, path / "model")
    if optimizer is not None:
        save_optimizer(path, optimizer, step, state)
    (path / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    (path / "reward.json").write_text(json.dumps({"p0": setup.scorer.params.p0, **state}, indent=2))


def plot_curves(run: Path) -> None:
    rows = read_rows(run / "metrics.jsonl")
    tr = [r for r in rows if r["kind"] == "train"]
    va = [r for r in rows if r["kind"] == "val"]
    s = lambda key, rs: ([r["step"] for r in rs], [r[key] for r in rs])  # noqa: E731
    plot_series(run / "curves.png", [
        ("reward (rollouts)", "executability score 0-10", [("train mean", *s("score_mean", tr)), ("val mean (ODE)", *s("mean_score", va))]),
        ("KL and clipping", "value", [("KL to reference", *s("kl", tr)), ("clip fraction", *s("clip_fraction", tr))]),
        ("motion (reward-hacking guard)", "rad / step or fraction", [("decoded motion", *s("motion_mean", tr)),
                                                                     ("static fraction", *s("static_fraction", tr)),
                                                                     ("val static fraction", *s("static_fraction", va))]),
    ])


def train(cfg: GrpoConfig, resume: bool = False, progress: bool = True) -> Path:
    from tqdm import tqdm

    ctx = start_run(cfg)
    accelerator, device, main, run = ctx.accelerator, ctx.device, ctx.main, ctx.run
    resuming = resume and has_state(run / LAST)
    setup = build(cfg, device, run, resuming, progress and main)
    transformer = setup.model.transformer
    optimizer = torch.optim.AdamW(setup.params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)
    state = {"step": 0, "best_score": None, "bad_validations": 0}
    if resuming:
        state.update(load_optimizer(run / LAST, optimizer))
        state.pop("param_groups", None)
        setup.scorer.params = _with_p0(setup.scorer.params, json.loads((run / LAST / "reward.json").read_text())["p0"])
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + accelerator.process_index + state["step"])
    log = MetricsLog(run / "metrics.jsonl", main)
    if not resuming and cfg.reward_p0 is None:
        setup.scorer.params = _with_p0(setup.scorer.params, estimate_start_p0(setup, transformer, cfg, gen, device))
    log({"kind": "start", "step": state["step"], "mode": cfg.mode, "p0": setup.scorer.params.p0,
         "trainable_params": sum(p.numel() for p in setup.params), "device": str(device)})
    if not resuming:
        val = validate(setup, cfg)
        log({"kind": "val", "step": 0, **val})
        state["best_score"] = val["mean_score"]
        save(run / BEST, cfg, setup, None, 0, state)
    start = t_ckpt = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=state["step"], desc=f"grpo ({cfg.mode})", disable=not (progress and main), dynamic_ncols=True)
    stop = False
    while state["step"] < cfg.steps and not stop:
        if cfg.time_limit_min > 0 and time.perf_counter() - start > cfg.time_limit_min * 60:
            break
        t0 = time.perf_counter()
        pick = torch.randperm(len(setup.train_prompts), generator=gen)[: cfg.prompts_per_step].tolist()
        ro, scores = collect(setup, transformer, [setup.train_prompts[i] for i in pick], cfg, gen, device)
        advantages = group_advantages(scores.rewards, ro.group, cfg.adv_clip)
        t1 = time.perf_counter()
        stats = update(setup, transformer, optimizer, ro, advantages, cfg, gen)
        state["step"] += 1
        bar.update(1)
        log({"kind": "train", "step": state["step"], **scores.summary(), **stats, "rollout_s": t1 - t0,
             "update_s": time.perf_counter() - t1, "elapsed_s": time.perf_counter() - start})
        bar.set_postfix(score=f"{scores.summary()['score_mean']:.2f}", kl=f"{stats['kl']:.2e}")
        if state["step"] % cfg.val_every == 0:
            val = validate(setup, cfg)
            log({"kind": "val", "step": state["step"], **val})
            if state["best_score"] is None or val["mean_score"] > state["best_score"]:
                state["best_score"], state["bad_validations"] = val["mean_score"], 0
                save(run / BEST, cfg, setup, None, state["step"], state)
            else:
                state["bad_validations"] += 1
                stop = cfg.patience > 0 and state["bad_validations"] >= cfg.patience
            plot_curves(run)
        if time.perf_counter() - t_ckpt > cfg.ckpt_every_min * 60:
            save(run / LAST, cfg, setup, optimizer, state["step"], state)
            t_ckpt = time.perf_counter()
    bar.close()
    save(run / LAST, cfg, setup, optimizer, state["step"], state)
    if state["step"] >= cfg.steps or stop:
        save(run / FINAL, cfg, setup, None, state["step"], {**state, "early_stopped": stop})
    plot_curves(run)
    log.close()
    return run


def _with_p0(params, p0: float):
    import dataclasses

    return dataclasses.replace(params, p0=float(p0))


def estimate_start_p0(setup: Setup, transformer, cfg: GrpoConfig, gen: torch.Generator, device) -> float:
    """P0 = median penalty of the starting model's rollouts on `p0_prompts` training prompts."""
    penalties = []
    prompts = setup.train_prompts[: cfg.p0_prompts]
    for i in range(0, len(prompts), cfg.prompts_per_step):
        _, scores = collect(setup, transformer, prompts[i : i + cfg.prompts_per_step], cfg, gen, device)
        penalties.extend(scores.penalties.tolist())
    return estimate_p0(np.array(penalties))
