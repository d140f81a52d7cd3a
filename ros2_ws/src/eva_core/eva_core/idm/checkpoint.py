"""IDM checkpoints: `model.safetensors` (weights) + `config.json` (architecture, action
normalisation, metadata). Loading never unpickles: tensors come from safetensors, the rest from JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from eva_core.idm.config import IdmConfig
from eva_core.idm.model import IdmModel
from eva_core.idm.normalization import ActionNormalizer

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
FORMAT = "eva-idm/1"


class CheckpointError(RuntimeError):
    pass


@dataclass
class IdmCheckpoint:
    model: IdmModel
    config: IdmConfig
    normalizer: ActionNormalizer
    metadata: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(
    path: str | Path, model: IdmModel, normalizer: ActionNormalizer, metadata: dict[str, Any] | None = None
) -> Path:
    """Write `path/model.safetensors` and `path/config.json` (directory created); returns `path`."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    tmp = path / (WEIGHTS + ".tmp")
    save_file(state, str(tmp), metadata={"format": FORMAT})
    tmp.replace(path / WEIGHTS)
    doc = {
        "format": FORMAT,
        "idm": model.config.to_dict(),
        "normalization": normalizer.to_dict(),
        "metadata": metadata or {},
    }
    tmp = path / (CONFIG + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path / CONFIG)
    return path


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> IdmCheckpoint:
    path = Path(path)
    try:
        doc = json.loads((path / CONFIG).read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path}: not an IDM checkpoint ({CONFIG} is missing)") from None
    if doc.get("format") != FORMAT:
        raise CheckpointError(f"{path / CONFIG}: format {doc.get('format')!r}, expected {FORMAT!r}")
    config = IdmConfig.from_dict(doc["idm"])
    model = IdmModel(config)
    try:
        state = load_file(str(path / WEIGHTS), device="cpu")
    except FileNotFoundError:
        raise CheckpointError(f"{path}: {WEIGHTS} is missing") from None
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        diff = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
        raise CheckpointError(f"{path / WEIGHTS}: weights do not match the config ({len(diff)} tensors differ, first {diff[:3]})")
    model.load_state_dict(state)
    model.to(device).eval()
    return IdmCheckpoint(model, config, ActionNormalizer.from_dict(doc["normalization"]), doc.get("metadata", {}))
