"""Typed configuration: YAML is read once at the boundary into frozen, validated dataclasses."""

from eva_core.config.errors import ConfigError
from eva_core.config.loading import build, load_yaml, repo_root

__all__ = ["ConfigError", "build", "load_yaml", "repo_root"]
