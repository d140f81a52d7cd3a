"""YAML <-> frozen training-config dataclasses, shared by the training jobs."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from eva_core.config import build, load_yaml


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


class YamlConfig:
    """Mixin for a frozen dataclass: `from_yaml` (one readable ConfigError naming the key on bad input;
    overrides of None are ignored) and `to_dict` (plain JSON types, saved with every checkpoint)."""

    def to_dict(self) -> dict:
        return _plain(asdict(self))

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides):
        doc = load_yaml(path)
        doc.update({k: v for k, v in overrides.items() if v is not None})
        return build(cls, doc, source=str(path))
