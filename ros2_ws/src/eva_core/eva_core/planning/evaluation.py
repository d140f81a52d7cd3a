"""Judge a video planner on recorded starts: plan, decode with the IDM, score with the executability
reward, and flag plans in which the robot stands still (`eva wm eval`, GRPO validation).

    starts = pick_starts(["data/sim/heldout_press_button"], n=32, seed=0)
    report = evaluate_planner(planner, decoder, embodiment, starts, camera="cam_high", observed=4, num_frames=17)
    report.to_json()  # {"mean_score", "valid_fraction", "static_fraction", "per_task": {...}, ...}

A start is a frame of a recorded episode: the planner is conditioned on the frames up to it and the
episode's instruction, exactly as the executor conditions it on the robot; what the expert did next
(the recorded actions) is the reference motion of the static-plan guard. A plan is *valid* when the
executor would run it: its score reaches `min_score` (the executor's threshold, 5/10) and it is not static.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from eva_core.embodiment import EmbodimentConfig
from eva_core.idm.plan_scoring import decode_and_score
from eva_core.planning.planner import PlanRequest, VideoPlanner
from eva_core.reward import RewardParams
from eva_core.reward.motion import is_static, motion_energy


@dataclass(frozen=True)
class Start:
    dataset: str
    episode: int
    frame: int  # the current view's index in the episode
    task: str  # the task's name (`task_name` of simulated episodes), else the instruction
    instruction: str


def pick_starts(datasets: Sequence[str | Path], n: int, seed: int) -> list[Start]:
    """`n` seeded starts spread over every episode of the datasets (each a uniformly drawn frame)."""
    from eva_core.data import Dataset

    episodes = []
    for root in datasets:
        ds = Dataset(root)
        for ep in ds.episodes():
            episodes.append((str(root), ep.index, ep.length, ep.extra.get("task_name") or ep.task, ep.task))
    if not episodes:
        raise ValueError("no episodes to start from")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(episodes))
    starts = []
    for i in range(n):
        root, index, length, task, instruction = episodes[order[i % len(episodes)]]
        starts.append(Start(root, index, int(rng.integers(0, length)), task, instruction))
    return starts


def start_inputs(start: Start, camera: str, observed: int, num_frames: int, cache: dict | None = None):
    """(history frames oldest first, the expert's actions from the start: [num_frames, D], clamped at the end)."""
    from eva_core.data import Dataset

    cache = cache if cache is not None else {}
    key = (start.dataset, start.episode)
    if key not in cache:
        ep = Dataset(start.dataset).episode(start.episode)
        cache[key] = (ep.video(camera), np.asarray(ep.actions))
    video, actions = cache[key]
    first = max(0, start.frame - observed + 1)
    history = tuple(video[first : start.frame + 1])
    idx = np.minimum(np.arange(start.frame, start.frame + num_frames), len(actions) - 1)
    return history, actions[idx]


@dataclass
class PlanVerdict:
    start: Start
    score: float
    motion: float  # rad / step, decoded arm motion
    expert_motion: float
    static: bool
    valid: bool


@dataclass
class EvaluationReport:
    verdicts: list[PlanVerdict] = field(default_factory=list)

    @staticmethod
    def _summary(verdicts: list[PlanVerdict]) -> dict:
        n = len(verdicts)
        return {
            "plans": n,
            "mean_score": round(statistics.mean(v.score for v in verdicts), 4) if n else None,
            "valid_fraction": round(sum(v.valid for v in verdicts) / n, 4) if n else None,
            "static_fraction": round(sum(v.static for v in verdicts) / n, 4) if n else None,
            "mean_motion": round(statistics.mean(min(v.motion, 1e9) for v in verdicts), 5) if n else None,
            "mean_expert_motion": round(statistics.mean(v.expert_motion for v in verdicts), 5) if n else None,
        }

    def to_json(self) -> dict:
        tasks = sorted({v.start.task for v in self.verdicts})
        return {**self._summary(self.verdicts),
                "per_task": {t: self._summary([v for v in self.verdicts if v.start.task == t]) for t in tasks}}


def evaluate_planner(planner: VideoPlanner, decoder, embodiment: EmbodimentConfig, starts: Sequence[Start], *, camera: str,
                     observed: int, num_frames: int, min_score: float = 5.0, static_ratio: float = 0.25,
                     static_min_motion: float = 0.01, params: RewardParams | None = None, progress: bool = False) -> EvaluationReport:
    """Plan from every start, decode and score; see the module docstring."""
    from tqdm import tqdm

    params = params or RewardParams.from_embodiment(embodiment)
    arm = ~np.asarray(embodiment.limits.is_gripper, dtype=bool)
    report, cache = EvaluationReport(), {}
    for i, start in enumerate(tqdm(starts, desc="plans", disable=not progress, unit="plan")):
        history, expert = start_inputs(start, camera, observed, num_frames, cache)
        plan = planner.plan(PlanRequest(f"eval{i}", start.instruction, history, num_frames))
        scored = decode_and_score(decoder, plan.frames, params)
        motion = float(motion_energy(scored.actions, arm))
        expert_motion = float(motion_energy(expert, arm))
        static = bool(is_static(motion, expert_motion, static_ratio, static_min_motion))
        score = float(scored.reward.score) if bool(scored.reward.valid) else 0.0
        report.verdicts.append(PlanVerdict(start, score, motion, expert_motion, static, score >= min_score and not static))
    return report
