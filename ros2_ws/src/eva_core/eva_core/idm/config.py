"""IDM architecture configuration: one frozen dataclass, saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from eva_core.config import ConfigError

Pooling = Literal["spatial_softmax", "avg"]
POOLINGS = ("spatial_softmax", "avg")


@dataclass(frozen=True)
class IdmConfig:
    # Temporal context radius: the model sees frames t-k .. t+k (paper eq. 3; the public code uses 1).
    k: int = 1
    # Model input (height, width) in pixels; clips are resized to this. 120x160 is the sim datasets'
    # native size, large enough that wrist links are more than a couple of pixels wide.
    input_hw: tuple[int, int] = (120, 160)
    # Output channels of each conv layer; 5 layers of 32-128 follow the paper's "standard visuomotor design".
    widths: tuple[int, ...] = (32, 32, 64, 64, 128)
    # Stride of each conv layer (same length as widths). A stride-4 first layer is ~2x cheaper to train
    # on a CPU than 2-2 and still leaves a 15x20 map (at 120x160) for the keypoints.
    strides: tuple[int, ...] = (4, 1, 2, 1, 1)
    # Kernel size of the first conv (later ones are 3x3); a wider first kernel sees more motion.
    first_kernel: int = 5
    # GroupNorm groups per conv layer (must divide every width); 8 is stable at small batch sizes.
    groups: int = 8
    # "spatial_softmax": per-channel expected (x, y) (paper eq. 4); "avg": global average pooling (ablation).
    pooling: Pooling = "spatial_softmax"
    # Hidden sizes of the MLP head (LayerNorm + GELU + dropout after each).
    mlp_dims: tuple[int, ...] = (512, 512)
    # Dropout in the MLP head; small because the head is small and the data is already augmented.
    dropout: float = 0.1
    # Action dimension: the 14-D bimanual layout of the embodiment file.
    action_dim: int = 14

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_hw", tuple(int(v) for v in self.input_hw))
        object.__setattr__(self, "widths", tuple(int(v) for v in self.widths))
        object.__setattr__(self, "strides", tuple(int(v) for v in self.strides))
        object.__setattr__(self, "mlp_dims", tuple(int(v) for v in self.mlp_dims))
        if self.k < 0:
            raise ConfigError("k", f"must be >= 0, got {self.k}")
        if len(self.input_hw) != 2 or min(self.input_hw) < 8:
            raise ConfigError("input_hw", f"must be (height, width) of at least 8 pixels, got {self.input_hw}")
        if not self.widths or min(self.widths) < 1:
            raise ConfigError("widths", f"must be a non-empty list of positive channel counts, got {self.widths}")
        if len(self.strides) != len(self.widths) or min(self.strides) < 1:
            raise ConfigError("strides", f"needs one positive stride per width ({len(self.widths)}), got {self.strides}")
        if self.first_kernel < 1 or self.first_kernel % 2 == 0:
            raise ConfigError("first_kernel", f"must be a positive odd number, got {self.first_kernel}")
        if self.groups < 1 or any(w % self.groups for w in self.widths):
            raise ConfigError("groups", f"must divide every width {self.widths}, got {self.groups}")
        if self.pooling not in POOLINGS:
            raise ConfigError("pooling", f"must be one of {POOLINGS}, got {self.pooling!r}")
        if any(d < 1 for d in self.mlp_dims):
            raise ConfigError("mlp_dims", f"must be positive, got {self.mlp_dims}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError("dropout", f"must be in [0, 1), got {self.dropout}")
        if self.action_dim < 1:
            raise ConfigError("action_dim", f"must be >= 1, got {self.action_dim}")

    @property
    def num_frames(self) -> int:
        return 2 * self.k + 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {key: list(v) if isinstance(v, tuple) else v for key, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IdmConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"idm.{sorted(unknown)[0]}", f"unknown field (known: {sorted(known)})")
        return cls(**d)
