from dataclasses import dataclass
from typing import Literal

import pytest

from eva_core.config import ConfigError, build, load_yaml


@dataclass(frozen=True)
class Inner:
    gain: float
    mode: Literal["fast", "safe"] = "safe"

    def __post_init__(self):
        if self.gain <= 0:
            raise ConfigError("gain", f"must be > 0, got {self.gain}")


@dataclass(frozen=True)
class Outer:
    name: str
    rate_hz: float
    items: tuple[Inner, ...]
    offset: tuple[float, float] = (0.0, 0.0)


def test_builds_nested_dataclasses_and_tuples():
    outer = build(Outer, {"name": "x", "rate_hz": 200, "items": [{"gain": 1}, {"gain": 2.5, "mode": "fast"}]})
    assert outer == Outer("x", 200.0, (Inner(1.0), Inner(2.5, "fast")))
    assert isinstance(outer.rate_hz, float)


@pytest.mark.parametrize(
    "data, key, words",
    [
        ({"rate_hz": 1, "items": []}, "name", "missing required key"),
        ({"name": "x", "rate_hz": "fast", "items": []}, "rate_hz", "expected a number"),
        ({"name": "x", "rate_hz": True, "items": []}, "rate_hz", "expected a number"),
        ({"name": "x", "rate_hz": float("nan"), "items": []}, "rate_hz", "must be finite"),
        ({"name": "x", "rate_hz": 1, "items": [{"gain": 1}, {"gain": -1}]}, "items[1].gain", "must be > 0"),
        ({"name": "x", "rate_hz": 1, "items": [{"gain": 1, "mode": "turbo"}]}, "items[0].mode", "must be one of"),
        ({"name": "x", "rate_hz": 1, "items": [], "offset": [1.0]}, "offset", "expected 2 values"),
        ({"name": "x", "rate_hz": 1, "items": [], "colour": "red"}, "colour", "unknown key"),
    ],
)
def test_errors_name_the_key(data, key, words):
    with pytest.raises(ConfigError) as err:
        build(Outer, data, source="robot.yaml")
    assert err.value.key == key
    assert words in str(err.value)
    assert str(err.value).startswith(f"robot.yaml: {key}: ")


def test_load_yaml_reports_syntax_and_missing_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_yaml(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_yaml(tmp_path / "absent.yaml")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_yaml(scalar)
