"""Executor settings and goals: defaults, YAML mapping, readable errors naming the key."""

import pytest

from eva_core.config import ConfigError
from eva_core.executor import ExecutorConfig, ExecutorGoal


def test_defaults_are_the_documented_ones():
    config = ExecutorConfig.from_mapping({})
    assert config == ExecutorConfig()
    assert (config.history_frames, config.segment_steps, config.max_segments) == (4, 8, 40)
    assert config.min_score == 5.0 and config.require_safety_accept and config.max_consecutive_rejects == 5
    assert ExecutorConfig.from_mapping(None) == config


def test_mapping_overrides_and_converts_ints_to_floats():
    config = ExecutorConfig.from_mapping({"segment_steps": 4, "max_duration_s": 60, "min_score": 6})
    assert config.segment_steps == 4 and config.max_duration_s == 60.0 and isinstance(config.max_duration_s, float)
    assert config.min_score == 6.0


@pytest.mark.parametrize(
    "mapping, key",
    [
        ({"segment_step": 4}, "segment_step"),  # typo: unknown key
        ({"segment_steps": 0}, "segment_steps"),
        ({"segment_steps": 2.5}, "segment_steps"),
        ({"history_frames": True}, "history_frames"),
        ({"max_segments": -1}, "max_segments"),
        ({"max_duration_s": 0}, "max_duration_s"),
        ({"plan_timeout_s": -1.0}, "plan_timeout_s"),
        ({"state_timeout_s": ".1"}, "state_timeout_s"),
        ({"camera_timeout_s": float("inf")}, "camera_timeout_s"),
        ({"min_score": 11}, "min_score"),
        ({"time_scale": 0.5}, "time_scale"),
        ({"time_scale": float("nan")}, "time_scale"),
        ({"require_safety_accept": "yes"}, "require_safety_accept"),
        ({"max_consecutive_rejects": 0}, "max_consecutive_rejects"),
        ({"settle_s": -0.1}, "settle_s"),
        ({"feedback_period_s": 0.0}, "feedback_period_s"),
    ],
)
def test_bad_values_name_the_key_and_the_file(mapping, key):
    with pytest.raises(ConfigError) as err:
        ExecutorConfig.from_mapping(mapping, source="config/executor.yaml")
    assert err.value.key == key
    assert str(err.value).startswith(f"config/executor.yaml: {key}:")


def test_direct_construction_is_validated_too():
    with pytest.raises(ConfigError, match="min_score"):
        ExecutorConfig(min_score=-1.0)
    with pytest.raises(ConfigError, match="<root>"):
        ExecutorConfig.from_mapping(["segment_steps", 4])


def test_goal_zero_means_the_configured_limit_and_bad_goals_are_value_errors():
    goal = ExecutorGoal("stack the cups")
    assert goal.max_segments == 0 and goal.max_duration_s == 0.0
    for kwargs in ({"instruction": "  "}, {"instruction": 3}, {"instruction": "x", "max_segments": -1},
                   {"instruction": "x", "max_segments": 1.5}, {"instruction": "x", "max_duration_s": float("nan")},
                   {"instruction": "x", "max_duration_s": -2.0}):
        with pytest.raises(ValueError):
            ExecutorGoal(**kwargs)
