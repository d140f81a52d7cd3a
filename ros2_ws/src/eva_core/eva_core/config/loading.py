"""YAML → frozen dataclass, once, at the boundary.

`build(cls, mapping)` walks the dataclass's type hints and converts a plain mapping (as read from
YAML) into an instance, recursing into nested dataclasses and tuples of them. Any missing, unknown or
mistyped key raises a single `ConfigError` whose key is the full dotted path, e.g.
``arm.joints[3].velocity_max``. Value checks that need more than a type live in each dataclass's
``__post_init__`` and raise `ConfigError(field_name, ...)`; `build` prefixes the path.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import yaml

from eva_core.config.errors import ConfigError

T = TypeVar("T")


def repo_root() -> Path:
    """The checkout this package runs from (where `config/` lives), for default config paths."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "config" / "embodiment").is_dir():
            return parent
    return Path.cwd()


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, turning I/O and syntax problems into a `ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError("<file>", f"cannot read: {err.strerror or err}", str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError("<file>", f"invalid YAML: {err}", str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("<file>", "top level must be a mapping of keys to values", str(path))
    return data


def build(cls: type[T], data: Any, path: str = "", source: str | None = None) -> T:
    """Build dataclass `cls` from `data`, raising one `ConfigError` naming the bad key."""
    try:
        return _convert(cls, data, path)
    except ConfigError as err:
        raise (err.with_source(source) if source else err) from None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _convert(tp: Any, value: Any, path: str) -> Any:
    key = path or "<root>"
    if dataclasses.is_dataclass(tp):
        return _build_dataclass(tp, value, path)
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, path)
            except ConfigError:
                continue
        raise ConfigError(key, f"expected one of {_describe(tp)}, got {value!r}")
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(key, f"must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        return value
    if origin is tuple:
        args = get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(key, f"expected {len(args)} values, got {len(value)}")
        return tuple(_convert(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if origin is dict:
        k_type, v_type = get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a mapping, got {value!r}")
        return {_convert(k_type, k, path): _convert(v_type, v, _join(path, str(k))) for k, v in value.items()}
    if tp is float:
        # bool is an int subclass in Python; `true` for a float is almost certainly a typo.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(key, f"must be finite, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"expected a string, got {value!r}")
        return value
    if tp is Any:
        return value
    raise TypeError(f"unsupported config type {tp!r} at {key}")


def _build_dataclass(cls: type, value: Any, path: str) -> Any:
    key = path or "<root>"
    if not isinstance(value, dict):
        raise ConfigError(key, f"expected a mapping, got {value!r}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ConfigError(_join(path, str(unknown[0])), f"unknown key (allowed: {', '.join(fields)})")
    kwargs = {}
    for name, field in fields.items():
        if name not in value:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise ConfigError(_join(path, name), "missing required key")
            continue
        kwargs[name] = _convert(hints[name], value[name], _join(path, name))
    try:
        return cls(**kwargs)
    except ConfigError as err:
        # __post_init__ names the field relative to its own dataclass; make the path absolute.
        raise ConfigError(_join(path, err.key), err.problem) from None


def _describe(tp: Any) -> str:
    return " or ".join(getattr(a, "__name__", str(a)) for a in get_args(tp))
