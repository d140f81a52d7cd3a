"""Optimizer state as safetensors + JSON (no pickle), for resumable checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

TENSORS, META = "optimizer.safetensors", "trainer_state.json"


def save_optimizer(path: Path, optimizer, step: int, extra: dict | None = None) -> None:
    """Write the optimizer's per-parameter slots and its param groups next to a checkpoint."""
    state = optimizer.state_dict()
    tensors = {}
    for pid, slots in state["state"].items():
        for name, value in slots.items():
            tensors[f"{pid}.{name}"] = torch.as_tensor(value).detach().cpu().contiguous()
    save_file(tensors, str(path / TENSORS))
    (path / META).write_text(json.dumps({"step": step, "param_groups": state["param_groups"], **(extra or {})}))


def load_optimizer(path: Path, optimizer) -> dict:
    """Restore what `save_optimizer` wrote; returns its JSON side (step and extras)."""
    meta = json.loads((path / META).read_text())
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in load_file(str(path / TENSORS)).items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return meta


def has_state(path: Path) -> bool:
    return (path / META).exists()
