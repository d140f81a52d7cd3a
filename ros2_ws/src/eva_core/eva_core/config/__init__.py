"""Typed configuration: YAML is read once at the boundary into frozen, validated dataclasses
(`build`); the value checks their `__post_init__` share are in `eva_core.config.validators`."""

from eva_core.config.errors import ConfigError
from eva_core.config.loading import build, load_yaml, repo_root

__all__ = ["ConfigError", "build", "load_yaml", "repo_root"]
