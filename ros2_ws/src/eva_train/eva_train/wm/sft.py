"""SFT of the video world model: build -> (batch, noise, flow-matching loss with diffusion forcing) ->
update, with validation loss on fixed windows and noise, sample plans, curves and resumable checkpoints.

Two modes, one loop: `lora` trains adapters on a pretrained Wan2.1 I2V transformer (what the 14B run
does) and saves them in the file format `config/planner/*.yaml` `loras:` loads; `full` trains every
transformer weight (a small model from scratch, `scratch:`) and saves a complete model directory the
planner's `model_dir` loads. Devices, DDP/FSDP and mixed precision come from `accelerate`:

    eva-train sft --config config/train/wm_sim.yaml                                   # this CPU
    accelerate launch --config_file config/accelerate/fsdp_8gpu.yaml -m eva_train.cli sft --config C
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from eva_train.common.metrics import MetricsLog, plot_series, read_rows
from eva_train.common.run import start_run
from eva_train.common.optimizer_state import has_state, load_optimizer, save_optimizer
from eva_train.common.schedule import warmup_constant
from eva_train.wm.config import SftConfig
from eva_train.wm.data import SftData, batch_from, build_data, sample_batch
from eva_train.wm.flow import draw_sigmas, flow_matching_loss
from eva_train.wm.lora import add_lora, save_lora
from eva_train.wm.model import WindowEncoder, build_model, export_model
from eva_train.wm.samples import future_psnr, sample_plans, save_strip

LAST, FINAL = "checkpoints/last", "checkpoints/final"
VAL_SIGMAS = (0.25, 0.5, 0.75)  # fixed noise levels of the validation loss


def flow_shift(model) -> float:
    return float(getattr(model.scheduler.config, "flow_shift", 1.0) or 1.0)


def training_step(transformer, batch, cfg: SftConfig, shift: float, gen: torch.Generator):
    """One micro-batch's loss: history clean or noised, sigmas shared or per frame (drawn here)."""
    clean = bool(torch.rand((), generator=gen) < cfg.clean_history_p)
    independent = bool(torch.rand((), generator=gen) < cfg.independent_noise_p)
    b, _, f = batch.latents.shape[:3]
    sigmas = draw_sigmas(b, f, independent, shift, gen)
    noise = torch.randn(batch.latents.shape, generator=gen).to(batch.latents.device)
    return flow_matching_loss(transformer, batch, sigmas, clean, noise)


@torch.no_grad()
def validation_loss(transformer, data: SftData, device) -> float:
    """Mean velocity MSE over the fixed validation windows at VAL_SIGMAS, clean history, fixed noise."""
    was_training = transformer.training
    transformer.eval()
    losses = []
    gen = torch.Generator().manual_seed(1234)
    for windows in data.val.values():
        for chunk in torch.arange(len(windows)).split(8):
            batch = batch_from(windows, chunk, device)
            b, _, f = batch.latents.shape[:3]
            noise = torch.randn(batch.latents.shape, generator=gen).to(device)
            for s in VAL_SIGMAS:
                loss, _ = flow_matching_loss(transformer, batch, torch.full((b, f), s), True, noise)
                losses.append(loss.item())
    transformer.train(was_training)
    return sum(losses) / len(losses)


def save_checkpoint(path: Path, cfg: SftConfig, model, transformer, optimizer, step: int, extra: dict | None = None) -> None:
    """LoRA: the adapter file; full: a complete model directory (model/). Then optimizer state, config."""
    path.mkdir(parents=True, exist_ok=True)
    if cfg.mode == "lora":
        save_lora(transformer, path)
    else:
        export_model(model, transformer, path / "model")
    if optimizer is not None:
        save_optimizer(path, optimizer, step, extra)
    (path / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))


def prepare_transformer(cfg: SftConfig, model, run: Path, resuming: bool) -> list[torch.nn.Parameter]:
    """Unfreeze what the mode trains (restoring a resumed adapter); returns those parameters."""
    transformer = model.transformer
    if cfg.mode == "lora":
        params = add_lora(transformer, cfg.lora)
        if resuming:
            from peft import set_peft_model_state_dict
            from safetensors.torch import load_file

            state = load_file(str(run / LAST / "pytorch_lora_weights.safetensors"))
            state = {k.removeprefix("transformer."): v for k, v in state.items()}
            set_peft_model_state_dict(transformer, state, adapter_name="sft")
    else:
        transformer.requires_grad_(True)
        params = list(transformer.parameters())
    if cfg.gradient_checkpointing:
        transformer.enable_gradient_checkpointing()
    transformer.train()
    return params


def plot_curves(run: Path) -> None:
    rows = read_rows(run / "metrics.jsonl")
    tr = [r for r in rows if r["kind"] == "train"]
    ev = [r for r in rows if r["kind"] == "eval"]
    sp = [r for r in rows if r["kind"] == "samples"]
    plot_series(run / "curves.png", [
        ("flow-matching loss", "velocity MSE", [
            ("train", [r["step"] for r in tr], [r["loss"] for r in tr]),
            ("val (fixed noise)", [r["step"] for r in ev], [r["val_loss"] for r in ev]),
        ]),
        ("sampled plans vs truth", "future-frame PSNR (dB)", [("val windows", [r["step"] for r in sp], [r["psnr"] for r in sp])]),
    ], log_y=(True, False))


def train(cfg: SftConfig, resume: bool = False, progress: bool = True, prepare_only: bool = False) -> Path:
    """Run (or resume) SFT; returns the run directory (final weights in checkpoints/final). With
    `prepare_only`, stop once the data (and the latent cache) are built."""
    from tqdm import tqdm

    ctx = start_run(cfg, mixed_precision=cfg.mixed_precision if torch.cuda.is_available() else "no",
                    gradient_accumulation_steps=cfg.grad_accum)
    accelerator, device, main, run = ctx.accelerator, ctx.device, ctx.main, ctx.run
    resuming = resume and has_state(run / LAST)
    model = build_model(cfg, device, model_dir=str(run / LAST / "model") if resuming and cfg.mode == "full" else None)
    data = build_data(cfg, WindowEncoder(model, tuple(cfg.resolution)), progress and main)
    if prepare_only:
        return run
    params = prepare_transformer(cfg, model, run, resuming)
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, betas=tuple(cfg.betas), weight_decay=cfg.weight_decay)
    step = load_optimizer(run / LAST, optimizer)["step"] if resuming else 0
    transformer, optimizer = accelerator.prepare(model.transformer, optimizer)
    raw = accelerator.unwrap_model(transformer)
    shift = flow_shift(model)
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + accelerator.process_index + step)
    log = MetricsLog(run / "metrics.jsonl", main)
    log({"kind": "start", "step": step, "mode": cfg.mode, "trainable_params": sum(p.numel() for p in params),
         "train_windows": {h: len(w) for h, w in (data.train or {}).items()}, "device": str(device),
         "processes": accelerator.num_processes})
    start = t_ckpt = t_log = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=step, desc=f"sft ({cfg.mode})", disable=not (progress and main), dynamic_ncols=True)
    running, seen, evaluated, sampled, val = 0.0, 0, -1, -1, None
    while step < cfg.steps:
        if cfg.time_limit_min > 0 and time.perf_counter() - start > cfg.time_limit_min * 60:
            break
        for group in optimizer.param_groups:
            group["lr"] = warmup_constant(step, cfg.lr, cfg.warmup_steps)
        for _ in range(cfg.grad_accum):
            with accelerator.accumulate(transformer):
                loss, _ = training_step(transformer, sample_batch(data, cfg, gen, device), cfg, shift, gen)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            running += loss.item() / cfg.grad_accum
        step += 1
        seen += 1
        bar.update(1)
        if main and step % cfg.log_every == 0:
            rate = seen * cfg.batch_size * cfg.grad_accum * accelerator.num_processes / (time.perf_counter() - t_log)
            log({"kind": "train", "step": step, "loss": running / seen, "lr": optimizer.param_groups[0]["lr"],
                 "clips_per_s": rate, "elapsed_s": time.perf_counter() - start})
            bar.set_postfix(loss=f"{running / seen:.4f}", cps=f"{rate:.1f}")
            running, seen, t_log = 0.0, 0, time.perf_counter()
        if main and step % cfg.eval_every == 0:
            val = validation_loss(raw, data, device)
            log({"kind": "eval", "step": step, "val_loss": val})
            bar.write(f"step {step}: val loss {val:.4f}")
            plot_curves(run)
            evaluated = step
        if main and step % cfg.sample_every == 0:
            log_samples(model, raw, data, cfg, step, run, log)
            sampled = step
        if main and time.perf_counter() - t_ckpt > cfg.ckpt_every_min * 60:
            save_checkpoint(run / LAST, cfg, model, raw, optimizer, step)
            t_ckpt = time.perf_counter()
    bar.close()
    if main:
        save_checkpoint(run / LAST, cfg, model, raw, optimizer, step)
        if step >= cfg.steps:
            if evaluated != step:  # else `val` is this step's already
                val = validation_loss(raw, data, device)
                log({"kind": "eval", "step": step, "val_loss": val})
            if sampled != step:
                log_samples(model, raw, data, cfg, step, run, log)
            minutes = (time.perf_counter() - start) / 60
            save_checkpoint(run / FINAL, cfg, model, raw, None, step)
            (run / FINAL / "train_state.json").write_text(json.dumps({"step": step, "val_loss": val, "minutes_last_invocation": minutes}, indent=2))
        plot_curves(run)
        log.close()
    accelerator.wait_for_everyone()
    return run


def log_samples(model, transformer, data: SftData, cfg: SftConfig, step: int, run: Path, log) -> None:
    from eva_core.planning.wan.history import history_length

    windows = data.val[max(data.val)]
    h = history_length(windows.observed, windows.observed)  # history frames of the decoded clip
    index = torch.linspace(0, len(windows) - 1, min(3, len(windows))).long()
    generated, truth = sample_plans(model, transformer, windows, index, cfg.sample_steps, cfg.seed)
    psnr = future_psnr(generated, truth, h)
    save_strip(generated, truth, h, run / "samples" / f"step_{step:06d}.png")
    log({"kind": "samples", "step": step, "psnr": psnr, "observed_frames": windows.observed})
