"""GRPO configuration (config/train/grpo_sim.yaml, config/train/grpo_14b.yaml), read once at the
boundary. Defaults are the paper's 14B settings (shared/spec/reference.md); the twin overrides them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from eva_core.config import ConfigError
from eva_train.common.config import YamlConfig
from eva_train.wm.config import LoraTrainConfig

Mode = Literal["lora", "full"]


@dataclass(frozen=True)
class GrpoConfig(YamlConfig):
    data: tuple[str, ...]  # LeRobot datasets whose frames are the rollouts' starts (prompts)
    val_data: tuple[str, ...]  # held-out datasets: validation starts (never trained on)
    model_dir: str  # the SFT model (diffusers Wan2.1 I2V directory)
    idm_checkpoint: str  # the frozen IDM that decodes rollouts for the reward
    out_dir: str
    mode: Mode = "lora"  # lora: adapters (reference = adapters disabled); full: every weight (reference = a frozen copy)
    sft_lora: str = ""  # an SFT adapter to start from (lora mode; "" = none)
    lora: LoraTrainConfig = field(default_factory=LoraTrainConfig)
    camera: str = "cam_high"
    resolution: tuple[int, int] = (480, 640)  # (height, width) of the rollouts
    num_frames: int = 49  # plan frames (4k+1)
    observed_frames: int = 4  # history frames each rollout is conditioned on (padded like the planner)
    # Rollouts
    group_size: int = 8  # G rollouts per prompt (paper: 8)
    prompts_per_step: int = 4  # groups per optimiser step (paper: total batch 32 = 4 x 8)
    sample_steps: int = 40  # denoising steps of a rollout (public code: 40, no CFG)
    train_timesteps: int = 10  # steps of each rollout trained on per epoch (timestep subsampling)
    noise_level: float = 0.7  # SDE noise scale
    flow_shift: float | None = None  # None = the model's scheduler shift
    # Update
    inner_epochs: int = 4  # passes over each batch of rollouts (paper: 4 sim / 2 real)
    lr: float = 2e-4
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.05
    clip_range: float = 1e-3  # PPO ratio clip (paper 1e-3; public code 1e-5)
    adv_clip: float = 5.0
    kl_beta: float = 0.004
    max_grad_norm: float = 1.0
    steps: int = 136  # optimiser steps (paper: 136 sim)
    time_limit_min: float = 0.0
    # Reward
    reward_p0: float | None = None  # None = re-estimate: median penalty of the starting model's rollouts
    p0_prompts: int = 8  # prompts (x group_size rollouts) for the P0 estimate
    static_ratio: float = 0.25  # a rollout whose decoded motion is below this fraction of the expert's
    # recorded motion from the same start counts as a failure (reward 0): a still robot is not a smooth plan
    static_min_motion: float = 0.01  # rad per step: starts where the expert itself barely moves are not judged
    # Validation and checkpoints
    val_every: int = 10  # steps between validation rollouts (the deployed ODE sampler, fixed seeds)
    val_prompts: int = 16
    val_steps: int = 20
    patience: int = 5  # validations without a better mean score before stopping early (0 = never)
    ckpt_every_min: float = 5.0
    seed: int = 0
    threads: int = 0

    def __post_init__(self) -> None:
        if not self.data:
            raise ConfigError("data", "needs at least one dataset of starts")
        if not self.val_data:
            raise ConfigError("val_data", "needs held-out starts for validation and early stopping")
        if not self.model_dir:
            raise ConfigError("model_dir", "names the SFT model to align")
        if not self.idm_checkpoint:
            raise ConfigError("idm_checkpoint", "the reward needs the frozen IDM")
        if self.sft_lora and self.mode != "lora":
            raise ConfigError("sft_lora", "an SFT adapter is continued in lora mode")
        if self.num_frames < 5 or (self.num_frames - 1) % 4:
            raise ConfigError("num_frames", f"must be 4k+1 and >= 5, got {self.num_frames}")
        if self.group_size < 2:
            raise ConfigError("group_size", f"advantages need >= 2 rollouts per group, got {self.group_size}")
        for name in ("prompts_per_step", "sample_steps", "train_timesteps", "inner_epochs", "steps", "p0_prompts",
                     "val_every", "val_prompts", "val_steps", "observed_frames"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be >= 1, got {getattr(self, name)}")
        if self.train_timesteps > self.sample_steps:
            raise ConfigError("train_timesteps", f"at most sample_steps ({self.sample_steps}), got {self.train_timesteps}")
        if not self.noise_level > 0:
            raise ConfigError("noise_level", f"must be > 0 (the SDE needs noise for its log-probabilities), got {self.noise_level}")
        for name in ("clip_range", "adv_clip", "lr"):
            if not getattr(self, name) > 0:
                raise ConfigError(name, f"must be > 0, got {getattr(self, name)}")
        if self.kl_beta < 0:
            raise ConfigError("kl_beta", f"must be >= 0, got {self.kl_beta}")
        if not 0 <= self.static_ratio < 1:
            raise ConfigError("static_ratio", f"must be in [0, 1), got {self.static_ratio}")
