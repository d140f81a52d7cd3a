"""Video autoencoder training: build -> (clip, crop, encode, sample, decode, L1 + MSE + KL) -> update,
with whole-frame validation (PSNR), a reconstruction sheet, and latent statistics at the end.

The model is diffusers' `AutoencoderKLWan`, the class the `wan` planner loads from `vae/`, so the
trained directory drops into a planner model directory unchanged. After training, `latents_mean` and
`latents_std` in its config are measured on the data (the planner normalises latents with them).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from eva_train.common.metrics import MetricsLog, plot_series, read_rows
from eva_train.common.run import start_run
from eva_train.common.optimizer_state import has_state, load_optimizer, save_optimizer
from eva_train.common.schedule import warmup_cosine
from eva_train.idm.data import FrameBank, load_bank, split_items
from eva_train.vae.config import VaeTrainConfig

LAST, FINAL = "checkpoints/last", "checkpoints/final"


def build_vae(cfg: VaeTrainConfig, resume_dir: Path | None = None):
    from diffusers import AutoencoderKLWan

    from eva_core.planning.wan.cpu_conv import use_onednn_conv3d

    if resume_dir is not None or cfg.init_from:
        vae = AutoencoderKLWan.from_pretrained(resume_dir or cfg.init_from, local_files_only=True)
    else:
        z = cfg.architecture.z_dim
        # Identity latent statistics until the end of training measures them (Wan's defaults are 16 long).
        vae = AutoencoderKLWan(**cfg.architecture.to_kwargs(), latents_mean=[0.0] * z, latents_std=[1.0] * z)
    use_onednn_conv3d(vae)  # batch-1 evaluation and statistics passes: PyTorch's slow conv3d path otherwise
    return vae


def build_banks(cfg: VaeTrainConfig, progress: bool) -> tuple[FrameBank, FrameBank]:
    train_items, val_items = split_items(cfg.data, cfg.val_fraction, cfg.seed, cfg.heldout)
    train = load_bank(train_items, cfg.camera, tuple(cfg.resolution), progress)
    val = load_bank(val_items or train_items[:1], cfg.camera, tuple(cfg.resolution), progress)
    return train, val


def clip_batch(bank: FrameBank, starts: torch.Tensor, frames: int) -> torch.Tensor:
    """float [B, 3, T, H, W] in [-1, 1]: T consecutive frames from each start (clamped to its episode)."""
    idx = torch.minimum(starts[:, None] + torch.arange(frames), bank.end[starts, None] - 1)
    x = bank.frames[idx].float().div(127.5).sub(1.0)  # [B, T, H, W, 3]
    return x.permute(0, 4, 1, 2, 3).contiguous()


def background(bank: FrameBank, samples: int = 512) -> torch.Tensor:
    """float [3, H, W] in [-1, 1]: the per-pixel median of frames spread over the bank (the static scene)."""
    idx = torch.linspace(0, len(bank) - 1, min(samples, len(bank))).long()
    return bank.frames[idx].float().median(dim=0).values.div(127.5).sub(1.0).permute(2, 0, 1)


def loss_weights(x: torch.Tensor, bg: torch.Tensor, foreground_weight: float) -> torch.Tensor:
    """float [B, 1, T, H, W]: foreground_weight where a pixel differs from the background by > 0.1
    (in [-1, 1] units, any channel), else 1; normalised to mean 1 per clip."""
    fg = (x - bg[None, :, None]).abs().amax(dim=1, keepdim=True) > 0.1
    w = 1.0 + (foreground_weight - 1.0) * fg.float()
    return w / w.mean(dim=(1, 2, 3, 4), keepdim=True)


def random_crop(x: torch.Tensor, hw: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
    h, w = hw
    H, W = x.shape[-2:]
    out = []
    for clip in x:
        top = int(torch.randint(0, H - h + 1, (1,), generator=gen))
        left = int(torch.randint(0, W - w + 1, (1,), generator=gen))
        out.append(clip[..., top : top + h, left : left + w])
    return torch.stack(out)


def vae_loss(vae, x: torch.Tensor, weights: torch.Tensor, cfg: VaeTrainConfig, gen: torch.Generator) -> tuple[torch.Tensor, dict]:
    """x float [B, 3, T, H, W] in [-1, 1], weights [B, 1, T, H, W] (`loss_weights`)."""
    posterior = vae.encode(x).latent_dist
    noise = torch.randn(posterior.mean.shape, generator=gen).to(x.device)
    z = posterior.mean + posterior.std * noise
    recon = vae.decode(z).sample
    err = recon - x
    l1 = (err.abs() * weights).mean()
    mse = (err.pow(2) * weights).mean()
    kl = 0.5 * (posterior.mean.pow(2) + posterior.var - 1.0 - posterior.logvar).mean()
    loss = l1 + cfg.mse_weight * mse + cfg.kl_weight * kl
    return loss, {"l1": l1.item(), "mse": mse.item(), "kl": kl.item()}


def fixed_starts(bank: FrameBank, n: int, frames: int) -> torch.Tensor:
    """n clip starts spread evenly over the bank, each with `frames` frames left in its episode where possible."""
    starts = torch.linspace(0, len(bank) - 1, n).long()
    return torch.maximum(torch.minimum(starts, bank.end[starts] - frames), bank.start[starts])


@torch.inference_mode()
def evaluate(vae, bank: FrameBank, cfg: VaeTrainConfig, device) -> dict:
    vae.eval()
    mses = []
    for chunk in fixed_starts(bank, cfg.val_clips, cfg.eval_frames).split(4):
        x = clip_batch(bank, chunk, cfg.eval_frames).to(device)
        recon = vae.decode(vae.encode(x).latent_dist.mode()).sample
        mses.append(((recon.clamp(-1, 1) - x) / 2).pow(2).mean(dim=(1, 3, 4)).cpu())  # [B, T]
    vae.train()
    mse = torch.cat(mses)  # [clips, frames]
    psnr = -10 * torch.log10(mse.clamp_min(1e-10))
    # The last frames are where a causal VAE trained on short clips breaks down: report them apart.
    return {"psnr": float(psnr.mean()), "psnr_last_latent": float(psnr[:, -4:].mean()), "mse01": float(mse.mean())}


@torch.inference_mode()
def save_samples(vae, bank: FrameBank, cfg: VaeTrainConfig, device, out: Path) -> None:
    """A sheet: rows of (original, reconstruction) for 3 val clips of eval_frames, every 4th frame."""
    from PIL import Image

    vae.eval()
    starts = fixed_starts(bank, 3, cfg.eval_frames)
    x = clip_batch(bank, starts, cfg.eval_frames).to(device)
    recon = vae.decode(vae.encode(x).latent_dist.mode()).sample.clamp(-1, 1)
    vae.train()
    rows = []
    for a, b in zip(x, recon):
        for video in (a, b):
            frames = ((video[:, ::4] + 1) * 127.5).round().byte().permute(1, 2, 3, 0).cpu().numpy()
            rows.append(np.concatenate(list(frames), axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(out)


@torch.inference_mode()
def latent_stats(vae, bank: FrameBank, cfg: VaeTrainConfig, device) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of the posterior modes over `stats_clips` whole-frame clips."""
    vae.eval()
    zs = []
    for chunk in fixed_starts(bank, cfg.stats_clips, cfg.clip_frames).split(8):
        z = vae.encode(clip_batch(bank, chunk, cfg.clip_frames).to(device)).latent_dist.mode()
        zs.append(z.transpose(0, 1).reshape(z.shape[1], -1).cpu())
    z = torch.cat(zs, dim=1)
    return z.mean(dim=1).tolist(), z.std(dim=1).clamp_min(1e-3).tolist()


def save_vae(vae, path: Path) -> Path:
    vae.save_pretrained(path / "vae", safe_serialization=True)
    return path / "vae"


def plot_curves(run: Path) -> None:
    rows = read_rows(run / "metrics.jsonl")
    tr = [r for r in rows if r["kind"] == "train"]
    ev = [r for r in rows if r["kind"] == "eval"]
    plot_series(run / "curves.png", [
        ("training loss", "L1 + MSE + KL", [("train (crops)", [r["step"] for r in tr], [r["loss"] for r in tr])]),
        ("validation", "PSNR (dB), whole frames", [("val, all frames", [r["step"] for r in ev], [r["psnr"] for r in ev]),
                                                   ("val, last 4 frames", [r["step"] for r in ev], [r.get("psnr_last_latent") for r in ev])]),
    ], log_y=(True, False))


def train(cfg: VaeTrainConfig, resume: bool = False, progress: bool = True) -> Path:
    """Train (or resume); returns the run directory. The final autoencoder is checkpoints/final/vae."""
    from tqdm import tqdm

    ctx = start_run(cfg)
    accelerator, device, main, run = ctx.accelerator, ctx.device, ctx.main, ctx.run
    train_bank, val_bank = build_banks(cfg, progress and main)
    bg = background(train_bank)
    vae = build_vae(cfg, run / LAST / "vae" if resume and has_state(run / LAST) else None)
    vae.train()
    optimizer = torch.optim.AdamW(vae.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step = load_optimizer(run / LAST, optimizer)["step"] if resume and has_state(run / LAST) else 0
    vae, optimizer = accelerator.prepare(vae, optimizer)
    raw = accelerator.unwrap_model(vae)
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + accelerator.process_index + step)
    log = MetricsLog(run / "metrics.jsonl", main)
    log({"kind": "start", "step": step, "params": sum(p.numel() for p in raw.parameters()),
         "train_frames": len(train_bank), "val_frames": len(val_bank), "device": str(device)})
    start = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=step, desc="vae", disable=not (progress and main), dynamic_ncols=True)
    acc: dict[str, float] = {}
    seen, t_log = 0, time.perf_counter()
    while step < cfg.steps:
        if cfg.time_limit_min > 0 and time.perf_counter() - start > cfg.time_limit_min * 60:
            break
        for group in optimizer.param_groups:
            group["lr"] = warmup_cosine(step, cfg.lr, cfg.warmup_steps, cfg.steps, cfg.min_lr_ratio)
        starts = torch.randint(0, len(train_bank), (cfg.batch_size,), generator=gen)
        clips = clip_batch(train_bank, starts, cfg.clip_frames)
        clips = torch.cat([clips, loss_weights(clips, bg, cfg.foreground_weight)], dim=1)  # crop both alike
        clips = random_crop(clips, tuple(cfg.crop), gen).to(device)
        loss, parts = vae_loss(vae, clips[:, :3], clips[:, 3:], cfg, gen)
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(vae.parameters(), 1.0)
        optimizer.step()
        step += 1
        seen += 1
        for k, v in {"loss": loss.item(), **parts}.items():
            acc[k] = acc.get(k, 0.0) + v
        bar.update(1)
        if main and step % cfg.log_every == 0:
            rate = seen * cfg.batch_size * cfg.clip_frames / (time.perf_counter() - t_log)
            log({"kind": "train", "step": step, **{k: v / seen for k, v in acc.items()}, "frames_per_s": rate,
                 "lr": optimizer.param_groups[0]["lr"], "elapsed_s": time.perf_counter() - start})
            bar.set_postfix(loss=f"{acc['loss'] / seen:.4f}", fps=f"{rate:.0f}")
            acc, seen, t_log = {}, 0, time.perf_counter()
        if main and step % cfg.eval_every == 0:
            row = evaluate(raw, val_bank, cfg, device)
            log({"kind": "eval", "step": step, **row})
            bar.write(f"step {step}: val PSNR {row['psnr']:.2f} dB")
            save_samples(raw, val_bank, cfg, device, run / "samples.png")
            plot_curves(run)
        if main and step % cfg.ckpt_every == 0:
            save_optimizer(save_vae(raw, run / LAST).parent, optimizer, step)
    bar.close()
    if main:
        save_optimizer(save_vae(raw, run / LAST).parent, optimizer, step)
        row = evaluate(raw, val_bank, cfg, device)
        log({"kind": "eval", "step": step, **row})
        mean, std = latent_stats(raw, train_bank, cfg, device)
        raw.register_to_config(latents_mean=mean, latents_std=std)
        save_vae(raw, run / FINAL)
        (run / FINAL / "train_state.json").write_text(json.dumps(
            {"step": step, "psnr": row["psnr"], "train_minutes": (time.perf_counter() - start) / 60, "train": cfg.to_dict()}, indent=2))
        save_samples(raw, val_bank, cfg, device, run / "samples.png")
        plot_curves(run)
        log.close()
    accelerator.wait_for_everyone()
    return run
