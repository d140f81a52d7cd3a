"""Receding-horizon settings (`ExecutorConfig`, from the executor YAML) and one run's goal."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eva_core.config import ConfigError, build
from eva_core.config.validators import boolean, integer, non_negative, number_in, positive


@dataclass(frozen=True)
class ExecutorConfig:
    # Frames of the plan camera the planner is conditioned on: the paper conditions each new rollout
    # on the most recent 4 camera frames. The node keeps them; the core only asks whether it has them.
    history_frames: int = 4
    # Plan steps (at the plan rate, 16 Hz) executed per segment before replanning: 8 = 0.5 s, the
    # near part of a 49-frame rollout, where the video model is most reliable.
    segment_steps: int = 8
    # Plans are executed this many times slower than planned (1 = at the plan's own speed). Every
    # segment ends with the arms braking to rest while the next plan is made; the braking distance
    # grows with the square of the speed at the segment's end (v²/2a: ~0.17 rad at the experts' pace
    # in the twin), and a plan started from an overshot pose cuts corners. 2 halves the speed and
    # quarters that distance. The plan's path is unchanged, only its timing.
    time_scale: float = 1.0
    # Segments per run before giving up ("segment_limit"): 40 x 0.5 s of motion, longer than any
    # task in the evaluation; a goal may ask for fewer.
    max_segments: int = 40
    # s, wall time per run before giving up ("time_limit"), planning included. A plan takes seconds
    # to generate, so 120 s is about 20-40 segments; a goal may ask for less (or more).
    max_duration_s: float = 120.0
    # Executability score (0-10, the IDM reward of the decoded plan) below which a plan is discarded
    # and a new one requested; 5 keeps jittery or frozen rollouts off the arms.
    min_score: float = 5.0
    # Discard plans the safety filter rejected (its replacement is a braking hold, not a plan).
    # Off only for tests of the filter itself.
    require_safety_accept: bool = True
    # Plans discarded in a row before the run ends with a fault: a planner that keeps producing
    # unusable plans will not recover by asking again (5 x a few seconds each).
    max_consecutive_rejects: int = 5
    # s from a plan request to the filtered ActionPlan of that id: generating 49 frames, decoding and
    # filtering take seconds on the GPU; 30 s means the planner is stuck, not slow.
    plan_timeout_s: float = 30.0
    # s, joint state older than this during execution is lost feedback (a fault). The arms report at
    # 200 Hz; 0.1 s is 20 missed reports, the same as the command guard's timeout.
    state_timeout_s: float = 0.1
    # s, a plan may be requested only with a newest plan-camera frame younger than this; waiting this
    # long for one is a lost camera (a fault). Cameras run at 15-30 fps: 1 s is 15-30 missed frames.
    camera_timeout_s: float = 1.0
    # s after a segment's arms came to rest before a camera frame may condition the next plan: the
    # planner must see where the segment left the arms (the arms lag their commands by tens of ms).
    # Small next to the seconds a plan takes.
    settle_s: float = 0.1
    # s between repeated feedback messages when nothing changes (changes are sent at once).
    feedback_period_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("history_frames", "segment_steps", "max_segments", "max_consecutive_rejects"):
            integer(name, getattr(self, name), 1)
        for name in ("max_duration_s", "plan_timeout_s", "state_timeout_s", "camera_timeout_s", "feedback_period_s"):
            positive(name, getattr(self, name), unit="seconds")
        non_negative("settle_s", self.settle_s, unit="seconds")
        number_in("time_scale", self.time_scale, 1, 10, unit="(1 = as planned, 2 = half speed)")
        number_in("min_score", self.min_score, 0, 10, unit="(the score's range)")
        boolean("require_safety_accept", self.require_safety_accept)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None, source: str | None = None) -> "ExecutorConfig":
        """From a flat mapping (the executor YAML); missing keys keep their defaults. Raises
        `ConfigError` naming the key (and `source`, e.g. the file) for unknown keys and bad values."""
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, Mapping):
            raise ConfigError("<root>", f"expected a mapping of executor settings, got {mapping!r}", source)
        return build(cls, dict(mapping), source=source)


@dataclass(frozen=True)
class ExecutorGoal:
    """One run: the instruction for the planner and optional tighter (or looser) limits."""

    instruction: str  # language instruction passed to the planner with each request
    max_segments: int = 0  # 0: ExecutorConfig.max_segments
    max_duration_s: float = 0.0  # s; 0: ExecutorConfig.max_duration_s

    def __post_init__(self) -> None:
        if not isinstance(self.instruction, str) or not self.instruction.strip():
            raise ValueError(f"goal instruction must be a non-empty string, got {self.instruction!r}")
        if isinstance(self.max_segments, bool) or not isinstance(self.max_segments, int) or self.max_segments < 0:
            raise ValueError(f"goal max_segments must be an integer >= 0 (0: the configured limit), got {self.max_segments!r}")
        duration = self.max_duration_s
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration) or duration < 0:
            raise ValueError(f"goal max_duration_s must be a finite number >= 0 (0: the configured limit), got {duration!r}")
