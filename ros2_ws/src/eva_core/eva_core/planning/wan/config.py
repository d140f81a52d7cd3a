"""Settings of the `wan` planner backend (config/planner/wan.yaml). Needs neither torch nor diffusers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from eva_core.config import ConfigError, repo_root
from eva_core.planning.planner import PlannerConfig

Dtype = Literal["bfloat16", "float16", "float32"]
HistoryMode = Literal["diffusion_forcing", "first_frame"]
SchedulerKind = Literal["unipc", "euler"]


def resolve_path(path: str) -> Path:
    """A config path: absolute as given, relative to the checkout's root (where config/ and models/ live)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else repo_root() / p


@dataclass(frozen=True)
class LoraSpec:
    # A LoRA adapter of the transformer: a .safetensors file, or a directory holding exactly one
    # (diffusers' `pytorch_lora_weights.safetensors`). Formats: diffusers/peft keys (`transformer.blocks.0
    # .attn1.to_q.lora_A.weight`, what our training writes; bare peft keys without `transformer.` too) and
    # the original-Wan / musubi formats diffusers converts. Relative paths are from the checkout's root.
    path: str
    weight: float = 1.0  # scale of this adapter's update; 0 = off, 1 = as trained
    name: str = ""  # adapter name (logs, set_adapters); "" = lora0, lora1, ... in list order

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path:
            raise ConfigError("path", "must name a LoRA .safetensors file or a directory holding one")
        if not math.isfinite(self.weight):
            raise ConfigError("weight", f"must be finite, got {self.weight!r}")


@dataclass(frozen=True)
class WanPlannerConfig(PlannerConfig):
    type: ClassVar[str] = "wan"

    # Wan2.1 image-to-video model in diffusers format (transformer/, vae/, text_encoder/, tokenizer/,
    # image_encoder/, image_processor/, scheduler/, model_index.json); see models/README.md. Relative to
    # the checkout's root. Nothing is downloaded: a missing part is an error saying what to place there.
    model_dir: str = "models/wan2.1-i2v-lvp"
    loras: tuple[LoraSpec, ...] = ()  # adapters applied on top, in order (e.g. our SFT / GRPO LoRA)
    # Transformer (and text encoder) precision. bf16 is what Wan2.1 and our LoRAs are trained in; fp16
    # overflows in UMT5, so the text encoder stays bf16 then. The VAE and CLIP run in fp32 (Wan's advice).
    dtype: Dtype = "bfloat16"
    device: str = "cuda"  # torch device: "cuda", "cuda:1", "cpu" (CPU is for the tiny test model only)
    # Frames per plan when the caller does not say (`eva plan`); a PlanRequest's num_frames wins.
    # 4k+1 (the VAE compresses time 4x after the first frame); 49 = 3 s at 16 fps, the length we tune on.
    num_frames: int = 49
    fps: float | None = None  # plan frame rate, Hz; None = the embodiment's plan_rate_hz (16, Wan2.1's rate)
    # Resolution of the plans, px (multiples of 16). None = the history frames' size rounded down to a
    # multiple of 16. Wan2.1-480P is tuned at 832x480 (real robot) / 640x480 (simulation, paper §5.1);
    # frames of another size are resized (bilinear) before encoding.
    height: int | None = None
    width: int | None = None
    # Observed frames each plan is conditioned on (paper §5: the last 4). The VAE encodes 1 + 4m frames
    # into whole latents, so the history is padded at its old end (oldest frame repeated) to 1 + 4m
    # frames: 4 -> 5 frames = 2 latent frames. Fewer observed frames (the first plan) use what there is.
    history_frames: int = 4
    # Pad a shorter history (the first plans of an episode) to history_frames by repeating the oldest
    # frame, so every plan has the clip layout of a model trained on that one layout (the twin model;
    # at the start of an episode the arms rest, so repeated frames are what was seen). False: the
    # shortest whole-latent history of what was observed (models trained with random history, LVP).
    pad_history: bool = False
    # "diffusion_forcing": the history latents sit clean (timestep 0) in front of the noisy future in one
    # sequence with per-token timesteps, as LVP-initialised checkpoints are trained (diffusion forcing
    # with random history). "first_frame": plain Wan2.1 image-to-video from the current view (for
    # checkpoints without history training, e.g. the base Wan2.1-I2V).
    history_mode: HistoryMode = "diffusion_forcing"
    # Diffusion forcing only: history guidance (LVP's hist_guidance), an extra pass with the history
    # replaced by noise; 0 = off (one pass per step cheaper).
    history_guidance: float = 0.0
    # "unipc": UniPC multistep (Wan's default sampler). "euler": flow-matching Euler (what few-step
    # distilled LoRAs are usually sampled with).
    scheduler: SchedulerKind = "unipc"
    flow_shift: float | None = None  # timestep shift; None = the model's scheduler config (3.0 for 480P)
    steps: int = 40  # denoising steps (the paper samples 40 without CFG; distilled LoRAs: 4-8)
    guidance_scale: float = 1.0  # classifier-free guidance on the instruction; 1.0 = none (half the cost)
    negative_prompt: str = ""  # the unconditional prompt of CFG (only used when guidance_scale > 1)
    vae_tiling: bool = False  # decode/encode in spatial tiles: less GPU memory, a little slower
    cpu_offload: bool = False  # model CPU offload (accelerate): each model on the GPU only while it runs (CUDA only)
    compile: bool = False  # torch.compile the transformer (first plan pays the compile time)
    # Reward-ranked sampling (the paper's inference-time alternative to RL): N candidate plans in one
    # batch, each decoded by the IDM and scored with the executability reward; the best is returned.
    candidates: int = 1
    # IDM checkpoint for ranking (a directory of model.safetensors + config.json, like models/idm_sim);
    # needed when candidates > 1. Relative to the checkout's root.
    idm_checkpoint: str = ""
    # Base seed. Candidate i of a plan draws its noise from seed + i, so plans are reproducible and
    # candidate 0 is the plan N = 1 would give. None = fresh randomness every plan.
    seed: int | None = 0
    text_cache_size: int = 16  # instructions whose text embeddings are kept between replans

    def __post_init__(self) -> None:
        # Mappings are accepted for convenience in code (YAML goes through `build`, which makes LoraSpecs).
        loras = tuple(LoraSpec(**spec) if isinstance(spec, Mapping) else spec for spec in self.loras)
        if not all(isinstance(spec, LoraSpec) for spec in loras):
            raise ConfigError("loras", "must be a list of {path, weight, name} adapters")
        object.__setattr__(self, "loras", loras)
        if not isinstance(self.model_dir, str) or not self.model_dir:
            raise ConfigError("model_dir", "must name the directory of a diffusers-format Wan2.1 I2V model")
        names = [spec.name or f"lora{i}" for i, spec in enumerate(self.loras)]
        if len(set(names)) != len(names):
            raise ConfigError("loras", f"adapter names must be unique, got {names}")
        if not isinstance(self.device, str) or not self.device or self.device.split(":")[0] not in ("cuda", "cpu"):
            raise ConfigError("device", f"must be 'cpu', 'cuda' or 'cuda:N', got {self.device!r}")
        if self.num_frames < 1 or self.num_frames % 4 != 1:
            raise ConfigError("num_frames", f"must be 4k+1 (5, 9, ..., 49), got {self.num_frames}")
        if self.fps is not None and not (math.isfinite(self.fps) and self.fps > 0):
            raise ConfigError("fps", f"must be > 0 (Hz), got {self.fps!r}")
        for name in ("height", "width"):
            value = getattr(self, name)
            if value is not None and (value < 16 or value % 16):
                raise ConfigError(name, f"must be a multiple of 16 px (VAE stride 8 x patch 2), got {value}")
        if self.history_frames < 1:
            raise ConfigError("history_frames", f"must be >= 1, got {self.history_frames}")
        if not (math.isfinite(self.history_guidance) and self.history_guidance >= 0):
            raise ConfigError("history_guidance", f"must be >= 0, got {self.history_guidance}")
        if self.history_guidance > 0 and self.history_mode != "diffusion_forcing":
            raise ConfigError("history_guidance", "needs history_mode diffusion_forcing")
        if self.flow_shift is not None and not (math.isfinite(self.flow_shift) and self.flow_shift > 0):
            raise ConfigError("flow_shift", f"must be > 0, got {self.flow_shift}")
        if self.steps < 1:
            raise ConfigError("steps", f"must be >= 1, got {self.steps}")
        if not (math.isfinite(self.guidance_scale) and self.guidance_scale >= 1.0):
            raise ConfigError("guidance_scale", f"must be >= 1 (1 = no classifier-free guidance), got {self.guidance_scale}")
        if self.cpu_offload and not self.device.startswith("cuda"):
            raise ConfigError("cpu_offload", f"offloads to the CPU from a CUDA device; device is {self.device!r}")
        if self.candidates < 1:
            raise ConfigError("candidates", f"must be >= 1, got {self.candidates}")
        if self.candidates > 1 and not self.idm_checkpoint:
            raise ConfigError("idm_checkpoint", f"ranking {self.candidates} candidates needs an IDM checkpoint to score them")
        if self.text_cache_size < 1:
            raise ConfigError("text_cache_size", f"must be >= 1, got {self.text_cache_size}")

    @property
    def adapter_names(self) -> tuple[str, ...]:
        return tuple(spec.name or f"lora{i}" for i, spec in enumerate(self.loras))

    @property
    def use_cfg(self) -> bool:
        return self.guidance_scale > 1.0
