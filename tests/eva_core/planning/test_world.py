"""`WorldSnapshot`: validation and an exact JSON round trip."""

import json

import numpy as np
import pytest

from eva_core.planning import WorldSnapshot


def make_snapshot(**overrides):
    rng = np.random.default_rng(0)
    values = dict(task="press_button", seed=3, episode=2, sim_time_s=1.2345678901234567,
                  physics=rng.normal(size=57), command=rng.normal(size=14), setpoint=rng.normal(size=14))
    values.update(overrides)
    return WorldSnapshot(**values)


def test_json_round_trip_is_exact():
    snap = make_snapshot(seed=np.int64(7), physics=np.array([0.1, 1e-300, -2.5e17, np.pi]))
    back = WorldSnapshot.from_dict(json.loads(json.dumps(snap.to_dict())))
    assert (back.task, back.seed, back.episode, back.sim_time_s) == (snap.task, 7, snap.episode, snap.sim_time_s)
    assert type(back.seed) is int
    for name in ("physics", "command", "setpoint"):
        assert getattr(back, name).dtype == np.float64
        np.testing.assert_array_equal(getattr(back, name), getattr(snap, name))


def test_arrays_are_private_read_only_copies():
    command = np.zeros(14)
    snap = make_snapshot(command=command)
    command[0] = 1.0
    assert snap.command[0] == 0.0
    with pytest.raises(ValueError):
        snap.command[0] = 2.0


@pytest.mark.parametrize("overrides, message", [
    ({"task": ""}, "task"),
    ({"seed": 1.5}, "seed must be an integer"),
    ({"episode": True}, "episode must be an integer"),
    ({"sim_time_s": float("nan")}, "sim_time_s"),
    ({"physics": np.zeros((2, 3))}, "physics must be a non-empty 1-D"),
    ({"command": [0.0, float("inf")] + [0.0] * 12}, "command has non-finite"),
    ({"setpoint": np.zeros(7)}, "same length"),
])
def test_bad_values_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_snapshot(**overrides)


def test_from_dict_names_missing_and_unknown_keys():
    data = make_snapshot().to_dict()
    del data["setpoint"]
    data["qpos"] = []
    with pytest.raises(ValueError, match=r"missing \['setpoint'\], unknown \['qpos'\]"):
        WorldSnapshot.from_dict(data)
