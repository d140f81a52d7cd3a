"""Per-dimension action standardisation: the IDM regresses (a - mean) / std."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# A dimension that never moves in the data (std 0) would blow up; this floor keeps it finite (rad).
MIN_STD = 1e-3


@dataclass(frozen=True)
class ActionNormalizer:
    mean: np.ndarray  # float32 [D]
    std: np.ndarray  # float32 [D], >= MIN_STD

    @classmethod
    def from_actions(cls, actions: np.ndarray) -> ActionNormalizer:
        a = np.asarray(actions, dtype=np.float64).reshape(-1, np.shape(actions)[-1])
        return cls(a.mean(0).astype(np.float32), np.maximum(a.std(0), MIN_STD).astype(np.float32))

    def normalize(self, actions):
        return (actions - _like(self.mean, actions)) / _like(self.std, actions)

    def denormalize(self, z):
        return z * _like(self.std, z) + _like(self.mean, z)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ActionNormalizer:
        return cls(np.asarray(d["mean"], dtype=np.float32), np.asarray(d["std"], dtype=np.float32))


def _like(values: np.ndarray, ref):
    """`values` as the same kind of array as `ref` (numpy, or a torch tensor on ref's device)."""
    if isinstance(ref, np.ndarray):
        return values.astype(ref.dtype, copy=False)
    import torch

    return torch.as_tensor(values, dtype=ref.dtype, device=ref.device)
