"""Value checks for the `__post_init__` of config dataclasses.

Each check raises `ConfigError(name, ...)` naming the field and the value it got, and returns the
value when it passes. A bool is never a number here: `true` where YAML wants a number is a typo.
`unit` is text put after the bound in the message: a unit ("seconds") or a hint ("(0.001 N·m)").

    positive("velocity_max", self.velocity_max)              # velocity_max: must be > 0, got -1.0
    number_in("poll_timeout_s", v, 0, 5, low_open=True, unit="seconds")
    integer("speed_rate", v, 1, 100, unit="(percent)")
"""

from __future__ import annotations

import math
import numbers

from eva_core.config.errors import ConfigError


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real)  # numpy scalars included


def _is_integer(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int)


def _after(unit: str) -> str:
    return f" {unit}" if unit else ""


def number(name: str, value: object) -> float:
    """A finite number."""
    if not (_is_number(value) and math.isfinite(value)):
        raise ConfigError(name, f"must be a finite number, got {value!r}")
    return float(value)


def positive(name: str, value: object, unit: str = "") -> float:
    """A finite number > 0."""
    if not (_is_number(value) and math.isfinite(value) and value > 0):
        raise ConfigError(name, f"must be > 0{_after(unit)}, got {value!r}")
    return float(value)


def non_negative(name: str, value: object, unit: str = "") -> float:
    """A finite number >= 0."""
    if not (_is_number(value) and math.isfinite(value) and value >= 0):
        raise ConfigError(name, f"must be >= 0{_after(unit)}, got {value!r}")
    return float(value)


def number_in(name: str, value: object, low: float, high: float, *, low_open: bool = False,
              high_open: bool = False, unit: str = "") -> float:
    """A finite number in [low, high]; an open end excludes its bound."""
    ok = _is_number(value) and math.isfinite(value)
    ok = ok and (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ConfigError(name, f"must be in {interval}{_after(unit)}, got {value!r}")
    return float(value)


def integer(name: str, value: object, low: int, high: int | None = None, unit: str = "") -> int:
    """An integer >= low (and <= high when given)."""
    if not (_is_integer(value) and value >= low and (high is None or value <= high)):
        bound = f">= {low}" if high is None else f"in {low}..{high}"
        raise ConfigError(name, f"must be an integer {bound}{_after(unit)}, got {value!r}")
    return value


def positive_int(name: str, value: object) -> int:
    """An integer >= 1 (a count, a size in pixels, a frame rate)."""
    if not (_is_integer(value) and value > 0):
        raise ConfigError(name, f"must be a positive integer, got {value!r}")
    return value


def boolean(name: str, value: object) -> bool:
    """True or false (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise ConfigError(name, f"must be true or false, got {value!r}")
    return value


def one_of(name: str, value: object, choices: tuple) -> object:
    """One of `choices`."""
    if value not in choices:
        raise ConfigError(name, f"must be one of {', '.join(map(str, choices))}, got {value!r}")
    return value
