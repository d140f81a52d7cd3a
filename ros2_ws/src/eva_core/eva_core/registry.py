"""A registry of pluggable implementations: type string → (config class, builder).

One per kind of thing built from a typed config with a `type` string: arms and cameras
(`eva_core.devices`), planner backends (`eva_core.planning`). The kind's factory module owns one and
names its methods for the kind (`register_arm = registry.register`, ...). Packages not imported yet are
found through the kind's entry-point group: each entry point names a callable that takes no arguments
and registers its types, so eva_core never imports a plug-in's heavy dependencies (MuJoCo, torch) up
front.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from eva_core.config import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    config_cls: type
    builder: Callable[..., Any]


class Registry:
    def __init__(self, kind: str, config_base: type, entry_point_group: str):
        self.kind = kind  # "arm", "camera", "planner": used in messages
        self.config_base = config_base
        self.entry_point_group = entry_point_group
        self._registry: dict[str, Registration] = {}
        self._lock = threading.Lock()
        self._plugins_loaded = False

    def register(self, type_name: str, config_cls: type, builder: Callable[..., Any]) -> None:
        """Make `type_name` buildable. `config_cls.type` must equal `type_name`. Registering the same
        (config class, builder) again is a no-op; a different one under a taken name is an error."""
        base = self.config_base.__name__
        if not (isinstance(config_cls, type) and issubclass(config_cls, self.config_base)):
            raise TypeError(f"{self.kind} type {type_name!r}: config class must subclass {base}, got {config_cls!r}")
        if not dataclasses.is_dataclass(config_cls):
            raise TypeError(f"{self.kind} type {type_name!r}: {config_cls.__name__} must be a dataclass")
        if config_cls.type != type_name:
            raise ValueError(f"{config_cls.__name__}.type is {config_cls.type!r}, registered as {type_name!r}")
        reg = Registration(config_cls, builder)
        with self._lock:
            old = self._registry.get(type_name)
            if old is not None and old != reg:
                raise ValueError(f"{self.kind} type {type_name!r} is already registered by {old.config_cls.__module__}")
            self._registry[type_name] = reg

    def unregister(self, type_name: str) -> None:
        """Remove a registration (tests)."""
        with self._lock:
            self._registry.pop(type_name, None)

    def _load_plugins(self) -> None:
        with self._lock:
            if self._plugins_loaded:
                return
            self._plugins_loaded = True
        for ep in metadata.entry_points(group=self.entry_point_group):
            try:
                hook = ep.load()
            except Exception as err:  # a broken optional plug-in must not hide the built-in types
                log.warning("%s plug-in %s (%s) failed to load: %s", self.kind, ep.name, ep.value, err)
                continue
            if callable(hook):
                hook()

    def types(self) -> tuple[str, ...]:
        """Every registered type, plug-ins included."""
        self._load_plugins()
        return tuple(sorted(self._registry))

    def lookup(self, type_name: str) -> Registration:
        reg = self._registry.get(type_name)
        if reg is None:
            self._load_plugins()
            reg = self._registry.get(type_name)
        if reg is None:
            raise ConfigError("type", f"unknown {self.kind} type {type_name!r}; known: {', '.join(self.types())}")
        return reg

    def builder_for(self, config: Any) -> Callable[..., Any]:
        """The builder of `config`'s type, after checking the config is of the registered class."""
        reg = self.lookup(type(config).type)
        if not isinstance(config, reg.config_cls):
            raise TypeError(f"{self.kind} type {type(config).type!r} expects {reg.config_cls.__name__}, "
                            f"got {type(config).__name__}")
        return reg.builder

    def config_from_dict(self, data: Mapping[str, Any], key: str) -> Any:
        """A config from a YAML mapping with a `type` key. Errors name `key.field`."""
        if not isinstance(data, Mapping):
            raise ConfigError(key, f"must be a mapping with a 'type', got {type(data).__name__}")
        values = dict(data)
        type_name = values.pop("type", None)
        if not isinstance(type_name, str):
            raise ConfigError(f"{key}.type", f"must name a{'n' if self.kind[0] in 'aeiou' else ''} {self.kind} type, got {type_name!r}")
        try:
            config_cls = self.lookup(type_name).config_cls
        except ConfigError as err:
            raise ConfigError(f"{key}.type", err.problem) from None
        fields = {f.name: f for f in dataclasses.fields(config_cls)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ConfigError(f"{key}.{unknown[0]}", f"unknown field for a {type_name} {self.kind}; "
                              f"fields: {', '.join(fields)}")
        missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise ConfigError(f"{key}.{missing[0]}", f"required for a {type_name} {self.kind}")
        try:
            return config_cls(**values)
        except ConfigError as err:
            raise ConfigError(f"{key}.{err.key}", err.problem) from None
