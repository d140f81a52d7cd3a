"""IDM training loop: build -> (sample, augment, forward, SmoothL1) -> update, with periodic
validation, metrics (metrics.jsonl + curves.png) and checkpoints that a later run resumes from.

Device placement and DDP come from `accelerate.Accelerator`, so the same script runs on one CPU,
one GPU, or several GPUs with `accelerate launch -m eva_train.cli idm --config ...`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from eva_core.data import Dataset
from eva_core.embodiment import load_embodiment
from eva_core.config import ConfigError
from eva_core.idm.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from eva_core.idm.metrics import idm_metrics
from eva_core.idm.model import IdmModel, stack_frames
from eva_core.idm.normalization import ActionNormalizer
from eva_train.idm.augment import augment
from eva_train.idm.config import IdmTrainConfig
from eva_train.idm.data import FrameBank, load_bank, split_episodes

LAST, FINAL = "checkpoints/last", "checkpoints/final"


def lr_at(step: int, cfg: IdmTrainConfig) -> float:
    """Linear warm-up, then cosine decay to lr * min_lr_ratio at cfg.steps (pure function)."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@dataclass
class Data:
    train: FrameBank
    val: FrameBank | None
    heldout: FrameBank | None
    normalizer: ActionNormalizer


def build_data(cfg: IdmTrainConfig, progress: bool) -> Data:
    train_items, val_items = [], []
    for i, root in enumerate(cfg.data):
        if not (Path(root) / "meta" / "info.json").exists() and cfg.reload_every:
            continue  # not written yet; a later reload picks it up
        tr, va = split_episodes(Dataset(root).num_episodes, cfg.val_fraction, cfg.seed + i)
        train_items.append((root, tr))
        if va:
            val_items.append((root, va))
    hw = cfg.model.input_hw
    train = load_bank(train_items, cfg.camera, hw, progress)
    val = load_bank(val_items, cfg.camera, hw, progress) if val_items else None
    heldout = None
    if cfg.heldout:
        heldout = load_bank([(r, list(range(Dataset(r).num_episodes))) for r in cfg.heldout], cfg.camera, hw, progress)
    return Data(train, val, heldout, ActionNormalizer.from_actions(train.actions.numpy()))


def save_training_state(run: Path, model: IdmModel, normalizer, optimizer, step: int, cfg: IdmTrainConfig) -> None:
    """checkpoints/last: the IDM checkpoint plus optimizer.safetensors + trainer_state.json (no pickle)."""
    path = save_checkpoint(run / LAST, model, normalizer, {"step": step, "train": cfg.to_dict()})
    state = optimizer.state_dict()
    tensors = {}
    for pid, slots in state["state"].items():
        for name, value in slots.items():
            tensors[f"{pid}.{name}"] = torch.as_tensor(value).detach().cpu().contiguous()
    save_file(tensors, str(path / "optimizer.safetensors"))
    (path / "trainer_state.json").write_text(json.dumps({"step": step, "param_groups": state["param_groups"]}))


def load_training_state(run: Path, model: IdmModel, optimizer) -> int:
    path = run / LAST
    ckpt = load_checkpoint(path)
    model.load_state_dict(ckpt.model.state_dict())
    meta = json.loads((path / "trainer_state.json").read_text())
    tensors = load_file(str(path / "optimizer.safetensors"))
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return int(meta["step"])


def warm_start(model: IdmModel, cfg: IdmTrainConfig):
    """Load `cfg.init_from`'s weights into `model`; returns its action normaliser (the weights'
    outputs are in its units, so the run keeps it)."""
    try:
        ckpt = load_checkpoint(cfg.init_from)
    except CheckpointError as err:
        raise ConfigError("init_from", str(err)) from None
    if ckpt.config.to_dict() != cfg.model.to_dict():
        differ = sorted(k for k, v in cfg.model.to_dict().items() if ckpt.config.to_dict().get(k) != v)
        raise ConfigError("init_from", f"{cfg.init_from} has a different architecture (model.{differ[0]})")
    model.load_state_dict(ckpt.model.state_dict())
    return ckpt.normalizer


@torch.inference_mode()
def evaluate(model, bank: FrameBank, normalizer, cfg: IdmTrainConfig, device, emb, max_samples: int) -> dict:
    model.eval()
    n = len(bank)
    index = torch.arange(n) if n <= max_samples else torch.linspace(0, n - 1, max_samples).long()
    preds, losses = [], []
    for chunk in index.split(256):
        windows, actions = bank.windows(chunk, cfg.model.k)
        z = model(stack_frames(windows.to(device)))
        target = normalizer.normalize(actions.to(device))
        losses.append(F.smooth_l1_loss(z, target, reduction="sum").item())
        preds.append(normalizer.denormalize(z).float().cpu())
    model.train()
    pred = torch.cat(preds).numpy()
    true = bank.actions[index].numpy()
    grip_range = emb.limits.position_max - emb.limits.position_min
    m = idm_metrics(pred, true, tuple(emb.gripper_indices), grip_range)
    out = m.to_json()
    out["loss"] = sum(losses) / (len(index) * true.shape[1])
    return out


def plot_curves(run: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    tr = [r for r in rows if r["kind"] == "train"]
    ev = [r for r in rows if r["kind"] == "eval"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot([r["step"] for r in tr], [r["loss"] for r in tr], label="train (augmented)")
    for split in ("val", "heldout"):
        pts = [r for r in ev if split in r]
        if pts:
            ax1.plot([r["step"] for r in pts], [r[split]["loss"] for r in pts], "o-", label=split)
            steps = [r["step"] for r in pts]
            ax2.plot(steps, [r[split]["joint_accuracy"] for r in pts], "o-", label=f"{split} joint acc (all joints)")
            ax2.plot(steps, [np.mean(list(r[split]["per_dim_accuracy"].values())) for r in pts], "x--", label=f"{split} mean per-dim acc")
    ax1.set(xlabel="step", ylabel="SmoothL1 (normalised)", yscale="log", title="loss")
    ax2.set(xlabel="step", ylabel="accuracy", ylim=(0, 1), title="±0.05 rad joints, ±10% grippers")
    ax1.legend(), ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(run / "curves.png", dpi=100)
    plt.close(fig)


def train(cfg: IdmTrainConfig, resume: bool = False, progress: bool = True) -> Path:
    """Run (or resume) training; returns the run directory. The final model is in checkpoints/final."""
    from accelerate import Accelerator
    from tqdm import tqdm

    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    accelerator = Accelerator()
    device = accelerator.device
    run = Path(cfg.out_dir)
    main = accelerator.is_main_process
    if main:
        run.mkdir(parents=True, exist_ok=True)
        (run / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    torch.manual_seed(cfg.seed)
    limits = load_embodiment()  # the embodiment: gripper indices and ranges for the metrics

    data = build_data(cfg, progress and main)
    model = IdmModel(cfg.model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step = 0
    if resume and (run / LAST / "trainer_state.json").exists():
        step = load_training_state(run, model, optimizer)
        data.normalizer = load_checkpoint(run / LAST).normalizer
    elif cfg.init_from:
        data.normalizer = warm_start(model, cfg)
    model, optimizer = accelerator.prepare(model, optimizer)
    raw = accelerator.unwrap_model(model)
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + accelerator.process_index + step)
    metrics_file = (run / "metrics.jsonl").open("a") if main else None

    def log(row: dict) -> None:
        if metrics_file:
            metrics_file.write(json.dumps(row) + "\n")
            metrics_file.flush()

    if main:
        log({"kind": "start", "step": step, "params": raw.num_parameters(), "train_frames": len(data.train),
             "val_frames": len(data.val) if data.val else 0, "device": str(device), "processes": accelerator.num_processes})
    start = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=step, desc="idm", disable=not (progress and main), dynamic_ncols=True)
    running, seen, t_log = 0.0, 0, time.perf_counter()
    model.train()
    while step < cfg.steps:
        if cfg.time_limit_min > 0 and time.perf_counter() - start > cfg.time_limit_min * 60:
            break
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        index = torch.randint(0, len(data.train), (cfg.batch_size,), generator=gen)
        windows, actions = data.train.windows(index, cfg.model.k)
        x = augment(stack_frames(windows.to(device)), cfg.augment, gen)
        loss = F.smooth_l1_loss(model(x), data.normalizer.normalize(actions.to(device)))
        optimizer.zero_grad(set_to_none=True)
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        running += loss.item()
        seen += 1
        bar.update(1)
        if step % cfg.log_every == 0 and main:
            rate = seen * cfg.batch_size * accelerator.num_processes / (time.perf_counter() - t_log)
            log({"kind": "train", "step": step, "loss": running / seen, "lr": lr_at(step - 1, cfg),
                 "samples_per_s": rate, "elapsed_s": time.perf_counter() - start})
            bar.set_postfix(loss=f"{running / seen:.4f}", sps=f"{rate:.0f}")
            running, seen, t_log = 0.0, 0, time.perf_counter()
        if main and (step % cfg.eval_every == 0 or step == cfg.steps):
            run_eval(raw, data, cfg, device, limits, step, log, bar)
        if cfg.reload_every and step % cfg.reload_every == 0:
            fresh = build_data(cfg, progress=False)
            if len(fresh.train) != len(data.train):
                data.train, data.val = fresh.train, fresh.val
                log({"kind": "reload", "step": step, "train_frames": len(data.train), "val_frames": len(data.val) if data.val else 0})
        if main and step % cfg.ckpt_every == 0:
            save_training_state(run, raw, data.normalizer, optimizer, step, cfg)
    bar.close()
    if main:
        if step % cfg.eval_every:
            run_eval(raw, data, cfg, device, limits, step, log, bar)
        save_training_state(run, raw, data.normalizer, optimizer, step, cfg)
        meta = {"step": step, "train_minutes": (time.perf_counter() - start) / 60, "train": cfg.to_dict()}
        save_checkpoint(run / FINAL, raw, data.normalizer, meta)
        metrics_file.close()
        plot_curves(run)
    accelerator.wait_for_everyone()
    return run


def run_eval(model, data: Data, cfg, device, limits, step, log, bar) -> None:
    row: dict = {"kind": "eval", "step": step}
    for name, bank in (("val", data.val), ("heldout", data.heldout)):
        if bank is not None:
            row[name] = evaluate(model, bank, data.normalizer, cfg, device, limits, cfg.val_max_samples)
    log(row)
    if "val" in row:
        bar.write(f"step {step}: val loss {row['val']['loss']:.4f} joint acc {row['val']['joint_accuracy']:.3f} "
                  f"mean MAE {row['val']['mean_mae_joints']:.4f} rad")
