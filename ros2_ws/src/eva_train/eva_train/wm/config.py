"""SFT configuration of the video world model (config/train/wm_sim.yaml, config/train/sft_14b.yaml),
read once at the boundary. Defaults are the paper's 14B settings (shared/spec/reference.md); the twin
config overrides what a from-scratch CPU model needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from eva_core.config import ConfigError
from eva_core.planning.wan.tiny import LORA_TARGETS
from eva_train.common.config import YamlConfig

Mode = Literal["lora", "full"]
Precision = Literal["no", "bf16", "fp16"]


@dataclass(frozen=True)
class LoraTrainConfig:
    rank: int = 32  # paper appendix C
    alpha: int = 32
    # q, k, v, o of self- and text cross-attention, and the image cross-attention's k, v (add_k/add_v).
    targets: tuple[str, ...] = LORA_TARGETS

    def __post_init__(self) -> None:
        if self.rank < 1 or self.alpha < 1:
            raise ConfigError("rank", f"rank and alpha must be >= 1, got {self.rank}, {self.alpha}")
        if not self.targets:
            raise ConfigError("targets", "needs at least one module name")


@dataclass(frozen=True)
class ScratchModel:
    """A small Wan2.1 I2V model created from scratch (full mode): a random transformer of these sizes,
    a frozen random UMT5 text encoder and CLIP tower (they only need to tell instructions and scenes
    apart), and a trained autoencoder (`eva-train vae`)."""

    vae_dir: str  # a diffusers AutoencoderKLWan directory, e.g. runs/vae_sim/checkpoints/final/vae
    layers: int = 4
    heads: int = 4
    head_dim: int = 32  # width = heads x head_dim
    ffn_dim: int = 512
    text_dim: int = 32
    image_dim: int = 32
    clip_image_size: int = 32
    clip_patch: int = 8  # 17 image tokens: the image cross-attention stays cheap
    flow_shift: float = 3.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("layers", "heads", "head_dim", "ffn_dim", "text_dim", "image_dim", "clip_image_size", "clip_patch"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be >= 1, got {getattr(self, name)}")
        if self.clip_image_size % self.clip_patch:
            raise ConfigError("clip_patch", f"must divide clip_image_size {self.clip_image_size}")


@dataclass(frozen=True)
class SftConfig(YamlConfig):
    data: tuple[str, ...]  # LeRobot v3 datasets; split into train/val by episode
    out_dir: str  # run directory: metrics.jsonl, curves.png, samples/, checkpoints/{last,final}
    mode: Mode = "lora"  # lora: adapters on model_dir's transformer; full: every transformer weight
    model_dir: str = ""  # diffusers Wan2.1 I2V directory to start from ("" only with scratch)
    scratch: ScratchModel | None = None  # full mode: build a new small model instead of reading model_dir
    lora: LoraTrainConfig = field(default_factory=LoraTrainConfig)
    heldout: tuple[str, ...] = ()  # datasets only validated on
    val_fraction: float = 0.05
    camera: str = "cam_high"  # the plan camera
    resolution: tuple[int, int] = (480, 640)  # (height, width) of the clips, multiples of 16
    num_frames: int = 49  # frames of a plan (4k+1), the current view first
    # Observed frames a plan is conditioned on, drawn per batch in [min, max]: the planner's
    # `history_frames`. The clip's history is padded to 1 + 4m frames exactly as the planner pads it
    # (`history_clip`), so [1, 21] gives the paper's random history of 1-6 latent frames; the twin
    # trains the one layout it plans with ([4, 4]: 5 frames, 2 latents).
    observed_frames: tuple[int, int] = (1, 21)
    clean_history_p: float = 0.5  # else the history is noised too (its own level) and is in the loss
    independent_noise_p: float = 0.5  # diffusion forcing: per-frame noise levels, else one level per clip
    # Current-view frames of training windows are taken every `window_stride` frames of an episode.
    window_stride: int = 1
    cache_dir: str = ""  # latent + embedding cache ("" = encode every batch: the GPU path)
    steps: int = 4500  # paper (sim): ~4,500 steps
    time_limit_min: float = 0.0  # wall-clock budget per invocation (minutes); 0 = none
    batch_size: int = 1  # per device
    grad_accum: int = 4
    lr: float = 8e-6
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.05
    warmup_steps: int = 100  # then constant
    max_grad_norm: float = 1.0
    mixed_precision: Precision = "bf16"
    gradient_checkpointing: bool = True
    log_every: int = 10
    eval_every: int = 250  # validation loss on fixed windows and noise
    sample_every: int = 1000  # sample plans from validation windows (PNG strips)
    sample_steps: int = 20
    ckpt_every_min: float = 5.0  # checkpoints/last every this many minutes (and at the end)
    val_windows: int = 64
    seed: int = 0
    threads: int = 0  # torch intra-op threads; 0 = torch's default

    def __post_init__(self) -> None:
        if not self.data:
            raise ConfigError("data", "needs at least one dataset directory")
        if self.mode == "lora" and not self.model_dir:
            raise ConfigError("model_dir", "lora mode trains adapters on a pretrained model: name its directory")
        if self.scratch is not None and self.mode != "full":
            raise ConfigError("scratch", "a model built from scratch is trained in full mode (mode: full)")
        if self.mode == "full" and not self.model_dir and self.scratch is None:
            raise ConfigError("model_dir", "full mode needs a model_dir to start from or a scratch: model")
        if len(self.resolution) != 2 or any(v < 16 or v % 16 for v in self.resolution):
            raise ConfigError("resolution", f"must be [height, width], multiples of 16, got {list(self.resolution)}")
        if self.num_frames < 5 or (self.num_frames - 1) % 4:
            raise ConfigError("num_frames", f"must be 4k+1 and >= 5, got {self.num_frames}")
        lo, hi = self.observed_frames
        if not 1 <= lo <= hi:
            raise ConfigError("observed_frames", f"must be [min, max] with 1 <= min <= max, got {list(self.observed_frames)}")
        for name in ("clean_history_p", "independent_noise_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(name, f"must be a probability, got {getattr(self, name)}")
        for name in ("steps", "batch_size", "grad_accum", "log_every", "eval_every", "sample_every", "sample_steps", "val_windows", "window_stride"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ConfigError("lr", f"must be > 0, got {self.lr}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError("val_fraction", f"must be in [0, 1), got {self.val_fraction}")

    @property
    def observed_choices(self) -> tuple[int, ...]:
        lo, hi = self.observed_frames
        return tuple(range(lo, hi + 1))
