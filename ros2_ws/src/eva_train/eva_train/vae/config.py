"""Training configuration of the video autoencoder (config/train/vae_sim.yaml), read once at the boundary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from eva_core.config import ConfigError
from eva_train.common.config import YamlConfig


@dataclass(frozen=True)
class VaeArchitecture:
    # diffusers AutoencoderKLWan arguments. The time compression must stay [False, True, True]
    # (4x after the first frame): the planner's clip layout (1 + 4m frames per latent) assumes it.
    base_dim: int = 16  # channels of the first stage (Wan2.1's real VAE: 96)
    z_dim: int = 16  # latent channels; the I2V transformer then has in_channels 2 * z_dim + 4
    dim_mult: tuple[int, ...] = (1, 2, 2, 2)  # 4 stages = 3 spatial halvings: stride 8 as Wan2.1
    num_res_blocks: int = 1
    temperal_downsample: tuple[bool, ...] = (False, True, True)  # diffusers' spelling

    def __post_init__(self) -> None:
        if len(self.dim_mult) != 4:
            raise ConfigError("dim_mult", f"needs 4 stages (spatial stride 8), got {list(self.dim_mult)}")
        if tuple(self.temperal_downsample) != (False, True, True):
            raise ConfigError("temperal_downsample", "must be [false, true, true]: the planner assumes 4x time compression")
        for name in ("base_dim", "z_dim", "num_res_blocks"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be >= 1, got {getattr(self, name)}")

    def to_kwargs(self) -> dict:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


@dataclass(frozen=True)
class VaeTrainConfig(YamlConfig):
    data: tuple[str, ...]  # LeRobot datasets (training), split into train/val by episode
    out_dir: str  # run directory: metrics.jsonl, curves.png, samples.png, checkpoints/{last,final}/vae
    camera: str = "cam_high"  # the plan camera
    resolution: tuple[int, int] = (96, 128)  # (height, width) px of the world model's frames, multiples of 16
    heldout: tuple[str, ...] = ()  # datasets only evaluated (reconstruction PSNR), never trained on
    val_fraction: float = 0.05
    architecture: VaeArchitecture = field(default_factory=VaeArchitecture)
    init_from: str = ""  # a `vae/` directory (diffusers format) to start from instead of a random init
    clip_frames: int = 9  # frames per training clip (1 + 4m): 9 = 3 latents, enough to learn the 4x time stride
    # Frames of the validation clips (whole frames): at least what the world model encodes and decodes
    # at once (history 5 + plan 17 - 1 = 21 for the twin). The causal VAE does not generalise to clips
    # longer than it was trained on (measured: trained on 9 frames, PSNR fell from 30 dB to 15 dB by
    # frame 20 of a 21-frame clip), so validating on short clips hides exactly that failure.
    eval_frames: int = 21
    crop: tuple[int, int] = (64, 64)  # random spatial crop (h, w) per clip: the nets are convolutional,
    # so crops teach the same filters ~3x cheaper per step than whole 96x128 frames; eval uses whole frames
    batch_size: int = 8
    steps: int = 20000
    time_limit_min: float = 0.0  # wall-clock budget (minutes); 0 = none
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_steps: int = 200
    min_lr_ratio: float = 0.1
    kl_weight: float = 1e-6  # KL of the posterior to N(0, 1): keeps latents bounded, not a strong prior
    mse_weight: float = 1.0  # loss = L1 + mse_weight * MSE (+ KL): L1 keeps thin arm links sharp
    # Pixels that differ from the static background (the median frame of the training data: table and
    # wall) weigh this much more in the loss: the arms and objects are a few percent of the image and
    # are all the IDM reads. 1 = plain mean.
    foreground_weight: float = 10.0
    log_every: int = 25
    eval_every: int = 500
    ckpt_every: int = 250
    val_clips: int = 64  # whole-frame clips (fixed) per evaluation
    stats_clips: int = 256  # clips encoded at the end to set latents_mean / latents_std
    seed: int = 0
    threads: int = 0  # torch intra-op threads; 0 = torch's default

    def __post_init__(self) -> None:
        if not self.data:
            raise ConfigError("data", "needs at least one dataset directory")
        if len(self.resolution) != 2 or any(v < 16 or v % 16 for v in self.resolution):
            raise ConfigError("resolution", f"must be [height, width], multiples of 16 px, got {list(self.resolution)}")
        for name in ("clip_frames", "eval_frames"):
            value = getattr(self, name)
            if value < 1 or (value - 1) % 4:
                raise ConfigError(name, f"must be 1 + 4m, got {value}")
        if len(self.crop) != 2 or any(c < 16 or c % 8 for c in self.crop) or any(c > r for c, r in zip(self.crop, self.resolution)):
            raise ConfigError("crop", f"must be [h, w], multiples of 8, at most the resolution, got {list(self.crop)}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError("val_fraction", f"must be in [0, 1), got {self.val_fraction}")
        for name in ("batch_size", "steps", "log_every", "eval_every", "ckpt_every", "val_clips", "stats_clips"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"must be >= 1, got {getattr(self, name)}")
        if self.foreground_weight < 1:
            raise ConfigError("foreground_weight", f"must be >= 1, got {self.foreground_weight}")
        if self.lr <= 0:
            raise ConfigError("lr", f"must be > 0, got {self.lr}")
