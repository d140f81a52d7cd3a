"""The planner interface and its registry, with a tiny backend defined here (it repeats the current view)."""

import subprocess
import sys
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from eva_core.config import ConfigError
from eva_core.embodiment import load_embodiment
from eva_core.planning import (
    PlannerConfig, PlanRequest, VideoPlanner, VideoPlanResult, make_planner, planner_config, planner_types,
    register_planner, unregister_planner,
)


@dataclass(frozen=True)
class StillConfig(PlannerConfig):
    type: ClassVar[str] = "still"

    fps: float = 16.0  # Hz
    label: str = "still"

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ConfigError("fps", f"must be > 0, got {self.fps}")


class StillPlanner(VideoPlanner):
    """Predicts that nothing moves: every frame is the current view."""

    backend = "still"

    def __init__(self, config: StillConfig, embodiment) -> None:
        self.config = config
        self.closed = False

    def plan(self, request, progress=None):
        frames = np.repeat(request.current[None], request.num_frames, axis=0)
        for i in range(request.num_frames):
            if progress is not None:
                progress(i + 1, request.num_frames)
        return VideoPlanResult(request.plan_id, frames, self.config.fps, self.backend, 0.0, {"label": self.config.label})

    def close(self):
        self.closed = True


@pytest.fixture
def still():
    register_planner("still", StillConfig, StillPlanner)
    yield
    unregister_planner("still")


def frame(h=12, w=16, value=0):
    return np.full((h, w, 3), value, dtype=np.uint8)


def test_a_registered_backend_is_built_from_yaml_values_and_plans(still):
    assert "still" in planner_types()
    calls = []
    with make_planner("still", {"fps": 8, "label": "x"}, load_embodiment()) as planner:
        assert isinstance(planner, StillPlanner) and planner.config == StillConfig(fps=8.0, label="x")
        assert planner.needs_world_snapshot is False
        result = planner.plan(PlanRequest("p7", "stay", (frame(value=1), frame(value=2)), num_frames=5), lambda *a: calls.append(a))
    assert planner.closed
    assert result.plan_id == "p7" and result.num_frames == 5 and result.fps == 8.0 and result.backend == "still"
    assert np.all(result.frames == 2) and result.info == {"label": "x"}
    assert calls == [(i, 5) for i in range(1, 6)]


def test_unknown_backend_is_one_error_listing_the_known_ones(still):
    with pytest.raises(ConfigError, match=r"^planner: unknown planner backend 'veo'; known: .*still") as err:
        make_planner("veo", {}, load_embodiment())
    assert str(err.value).count("\n") == 0


@pytest.mark.parametrize("values, message", [
    ({"fsp": 8}, r"^planner\.fsp: unknown key \(allowed: fps, label\)"),
    ({"fps": "fast"}, r"^planner\.fps: expected a number"),
    ({"fps": -1}, r"^planner\.fps: must be > 0"),
    ({"type": "wan"}, r"^planner\.type: the settings are for 'wan'"),
])
def test_config_errors_name_the_field(still, values, message):
    with pytest.raises(ConfigError, match=message):
        planner_config("still", values)


def test_built_configs_pass_and_wrong_classes_are_refused(still):
    assert planner_config("still", StillConfig(fps=4.0)) == StillConfig(fps=4.0)
    assert planner_config("still", {"type": "still"}) == StillConfig()

    @dataclass(frozen=True)
    class Other(PlannerConfig):
        type: ClassVar[str] = "other"

    with pytest.raises(ConfigError, match="takes a StillConfig, got a Other"):
        planner_config("still", Other())
    with pytest.raises(ConfigError, match="must be a mapping"):
        planner_config("still", ["fps", 3])


def test_registering_another_class_under_a_taken_name_is_refused(still):
    register_planner("still", StillConfig, StillPlanner)  # the same again: a no-op
    with pytest.raises(ValueError, match="already registered"):
        register_planner("still", StillConfig, lambda config, embodiment: None)


@pytest.mark.parametrize("kwargs, message", [
    ({"history": ()}, "at least the current frame"),
    ({"history": (np.zeros((4, 4, 3)),)}, r"history\[0\] must be a uint8"),
    ({"history": (frame(), frame(h=8))}, "share one size"),
    ({"num_frames": 48}, "4k\\+1"),
    ({"num_frames": 0}, "4k\\+1"),
    ({"plan_id": ""}, "plan_id"),
    ({"world": {"task": "x"}}, "WorldSnapshot or None"),
])
def test_plan_request_rejects_bad_values(kwargs, message):
    values = dict(plan_id="p", instruction="do it", history=(frame(),))
    values.update(kwargs)
    with pytest.raises(ValueError, match=message):
        PlanRequest(**values)


def test_plan_request_defaults():
    request = PlanRequest("p", "do it", [frame(value=3)])
    assert isinstance(request.history, tuple) and request.num_frames == 49 and request.world is None
    assert np.all(request.current == 3)


def test_plan_result_rejects_bad_frames():
    with pytest.raises(ValueError, match=r"uint8 \[T, H, W, 3\]"):
        VideoPlanResult("p", np.zeros((3, 4, 4, 3), dtype=np.float32), 16.0, "x", 0.0)
    with pytest.raises(ValueError, match="fps"):
        VideoPlanResult("p", np.zeros((3, 4, 4, 3), dtype=np.uint8), 0.0, "x", 0.0)


SIM_ORACLE_THROUGH_ENTRY_POINT = """
import sys
from eva_core.embodiment import load_embodiment
from eva_core.planning import make_planner
assert "eva_sim.oracle" not in sys.modules
planner = make_planner("sim_oracle", {"task": "press_button"}, load_embodiment())
print(type(planner).__module__, type(planner).__name__, planner.needs_world_snapshot, planner.config.resolution)
planner.close()
"""


def test_sim_oracle_resolves_through_the_entry_point():
    pytest.importorskip("eva_sim")
    result = subprocess.run([sys.executable, "-c", SIM_ORACLE_THROUGH_ENTRY_POINT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["eva_sim.oracle", "SimOraclePlanner", "True", "(160,", "120)"]
