"""Training configuration for the IDM: YAML -> frozen dataclasses, once, at the boundary."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from eva_core.config import ConfigError
from eva_core.idm.config import IdmConfig


@dataclass(frozen=True)
class AugmentConfig:
    # Brightness/contrast/per-channel gain jitter amplitude (fraction); generated video drifts in colour.
    color: float = 0.15
    # Largest random translation in pixels (at the model's resolution), same for all frames of a window.
    shift_px: int = 4
    # Largest random zoom-in (fraction of the image) for small random crops.
    crop: float = 0.05
    # Probability of a 3x3 Gaussian blur.
    blur_p: float = 0.2
    # Std of additive Gaussian pixel noise (in [0, 1] units).
    noise: float = 0.02

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ConfigError(f"augment.{f.name}", f"must be >= 0, got {getattr(self, f.name)}")


@dataclass(frozen=True)
class IdmTrainConfig:
    data: tuple[str, ...]  # training dataset directories (LeRobot v3); split into train/val by episode
    out_dir: str  # run directory: metrics.jsonl, curves.png, checkpoints/{last,final}
    camera: str = "cam_high"  # the fixed overview camera: both arms in view
    val_fraction: float = 0.1  # fraction of each dataset's episodes held out for validation
    heldout: tuple[str, ...] = ()  # optional extra datasets evaluated at every eval (never trained on)
    model: IdmConfig = field(default_factory=IdmConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    steps: int = 20000  # optimiser steps (the run also stops at time_limit_min)
    time_limit_min: float = 0.0  # wall-clock budget in minutes; 0 = none
    batch_size: int = 64
    lr: float = 1e-3  # AdamW peak learning rate
    weight_decay: float = 1e-4
    warmup_steps: int = 200  # linear warm-up, then cosine decay to lr * min_lr_ratio
    min_lr_ratio: float = 0.05
    log_every: int = 25  # steps between train-loss lines
    eval_every: int = 250  # steps between validation passes
    ckpt_every: int = 500  # steps between checkpoints/last
    val_max_samples: int = 2048  # validation frames (fixed subset) per eval
    seed: int = 0
    # Re-read the datasets every this many steps (0 = never): lets a run start while demos are still
    # being generated; the action normalisation stays the one computed at the start.
    reload_every: int = 0
    threads: int = 0  # torch intra-op threads on CPU; 0 = torch's default
    # Warm start: an IDM checkpoint directory (e.g. models/idm_sim) whose weights and action
    # normalisation start the run instead of a random init; its architecture must be `model`'s.
    # Cheaper than training from scratch when the data changed only in part. "" = random init.
    init_from: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", tuple(str(p) for p in self.data))
        object.__setattr__(self, "heldout", tuple(str(p) for p in self.heldout))
        if not self.data:
            raise ConfigError("data", "needs at least one dataset directory")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError("val_fraction", f"must be in [0, 1), got {self.val_fraction}")
        for name in ("steps", "batch_size", "log_every", "eval_every", "ckpt_every", "val_max_samples"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ConfigError("lr", f"must be > 0, got {self.lr}")

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["data"], d["heldout"] = list(self.data), list(self.heldout)
        d["model"] = self.model.to_dict()
        d["augment"] = {f.name: getattr(self.augment, f.name) for f in fields(self.augment)}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], base_dir: Path | None = None) -> IdmTrainConfig:
        d = dict(d)
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(sorted(unknown)[0], f"unknown field (known: {sorted(known)})")
        if "model" in d:
            d["model"] = IdmConfig.from_dict(d["model"] or {})
        if "augment" in d:
            d["augment"] = AugmentConfig(**(d["augment"] or {}))
        return cls(**d)

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> IdmTrainConfig:
        path = Path(path)
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError("<file>", f"cannot read: {err}", str(path)) from None
        doc.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.from_dict(doc)
        except ConfigError as err:
            raise ConfigError(err.key, err.problem, str(path)) from None
        except TypeError as err:
            raise ConfigError("<file>", str(err), str(path)) from None
