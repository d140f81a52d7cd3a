"""Build a planner backend by name; a registry so other packages can add backends.

    planner = make_planner("sim_oracle", {"task": "press_button"}, embodiment)   # from YAML values
    planner_types()                                                              # ("sim_oracle", ...)

Registering a backend (what eva_sim does for `sim_oracle`):

    register_planner("sim_oracle", SimOracleConfig, lambda config, embodiment: SimOraclePlanner(config, embodiment))

Packages not imported yet are found through the `eva.planners` entry-point group: each entry point names
a callable that takes no arguments and calls `register_planner`, e.g. in eva_sim's setup.py

    entry_points={"eva.planners": ["sim_oracle = eva_sim.oracle:register"]}

They are loaded the first time a backend is asked for that is not registered yet, so importing
eva_core never imports MuJoCo or torch. Same machinery as the device factories (`eva_core.registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eva_core.config import ConfigError, build
from eva_core.embodiment.config import EmbodimentConfig
from eva_core.planning.planner import PlannerConfig, VideoPlanner
from eva_core.registry import Registry

ENTRY_POINT_GROUP = "eva.planners"

PlannerBuilder = Callable[[Any, EmbodimentConfig], VideoPlanner]  # (config, embodiment) -> a ready planner

_REGISTRY = Registry("planner", PlannerConfig, ENTRY_POINT_GROUP)

register_planner = _REGISTRY.register  # (backend, config class, PlannerBuilder); config class's `type` == backend
unregister_planner = _REGISTRY.unregister  # (backend): remove a registration (tests)
planner_types = _REGISTRY.types  # () -> every registered backend, plug-ins included


def _config_class(backend: str, key: str) -> type[PlannerConfig]:
    if not isinstance(backend, str) or backend not in planner_types():
        known = ", ".join(planner_types()) or f"none (no installed package registers one in the {ENTRY_POINT_GROUP!r} entry-point group)"
        raise ConfigError(key, f"unknown planner backend {backend!r}; known: {known}")
    return _REGISTRY.lookup(backend).config_cls


def planner_config(backend: str, config: Mapping[str, Any] | PlannerConfig, *, key: str = "planner") -> PlannerConfig:
    """The typed config of `backend` from a mapping (YAML values; an optional `type` key must name the
    same backend) or an already built config. Errors are `ConfigError`s naming `key.field`."""
    config_cls = _config_class(backend, key)
    if isinstance(config, PlannerConfig):
        if not isinstance(config, config_cls):
            raise ConfigError(key, f"backend {backend!r} takes a {config_cls.__name__}, got a {type(config).__name__}")
        return config
    if not isinstance(config, Mapping):
        raise ConfigError(key, f"must be a mapping of {backend} settings, got {type(config).__name__}")
    values = dict(config)
    named = values.pop("type", backend)
    if named != backend:
        raise ConfigError(f"{key}.type", f"the settings are for {named!r}, the backend asked for is {backend!r}")
    return build(config_cls, values, path=key)


def make_planner(backend: str, config: Mapping[str, Any] | PlannerConfig, embodiment: EmbodimentConfig, *, key: str = "planner") -> VideoPlanner:
    """A ready planner of `backend` (e.g. "sim_oracle") with `config` (see `planner_config`)."""
    typed = planner_config(backend, config, key=key)
    planner = _REGISTRY.lookup(backend).builder(typed, embodiment)
    if not isinstance(planner, VideoPlanner):
        raise TypeError(f"the builder of planner backend {backend!r} returned {type(planner).__name__}, not a VideoPlanner")
    return planner
