"""The shared value checks of config dataclasses: what passes, and the message naming the field."""

import math

import numpy as np
import pytest

from eva_core.config import ConfigError
from eva_core.config import validators as v


@pytest.mark.parametrize(
    "call, value",
    [
        (lambda x: v.number("f", x), 2),
        (lambda x: v.positive("f", x), 0.5),
        (lambda x: v.positive("f", x), np.float32(3.0)),
        (lambda x: v.non_negative("f", x), 0),
        (lambda x: v.number_in("f", x, 0, 1, low_open=True), 1.0),
        (lambda x: v.integer("f", x, 1), 1),
        (lambda x: v.integer("f", x, 0, 5), 5),
        (lambda x: v.positive_int("f", x), 30),
        (lambda x: v.boolean("f", x), False),
        (lambda x: v.one_of("f", x, ("a", "b")), "b"),
    ],
)
def test_a_good_value_passes_and_is_returned(call, value):
    assert call(value) == value


@pytest.mark.parametrize(
    "call, value, message",
    [
        (lambda x: v.number("f", x), math.inf, "f: must be a finite number, got inf"),
        (lambda x: v.positive("f", x), 0.0, "f: must be > 0, got 0.0"),
        (lambda x: v.positive("f", x, unit="seconds"), math.nan, "f: must be > 0 seconds, got nan"),
        (lambda x: v.positive("f", x), True, "f: must be > 0, got True"),  # a bool is not a number
        (lambda x: v.non_negative("f", x), -1, "f: must be >= 0, got -1"),
        (lambda x: v.number_in("f", x, 0, 5, low_open=True, unit="seconds"), 0, "f: must be in (0, 5] seconds, got 0"),
        (lambda x: v.number_in("f", x, 1, 10), "2", "f: must be in [1, 10], got '2'"),
        (lambda x: v.number_in("f", x, 0, 1, high_open=True), 1, "f: must be in [0, 1), got 1"),
        (lambda x: v.integer("f", x, 1), 1.0, "f: must be an integer >= 1, got 1.0"),
        (lambda x: v.integer("f", x, 1, 100, unit="(percent)"), 101, "f: must be an integer in 1..100 (percent), got 101"),
        (lambda x: v.positive_int("f", x), 0, "f: must be a positive integer, got 0"),
        (lambda x: v.boolean("f", x), 1, "f: must be true or false, got 1"),
        (lambda x: v.one_of("f", x, ("a", "b")), "c", "f: must be one of a, b, got 'c'"),
    ],
)
def test_a_bad_value_names_the_field(call, value, message):
    with pytest.raises(ConfigError) as err:
        call(value)
    assert str(err.value) == message and err.value.key == "f"
