"""What the recorder knows about one plan, gathered from messages that may come in any order, and the
rules that turn it into a verdict and a time window.

A plan's messages: one video plan (planner), one decoded action plan (IDM), one filtered action plan
(safety filter). Any of them may be missing or come first.

Window of a plan (the span the robot camera and the measured joints are compared over):
  start: when the plan could start running: the filtered plan's stamp (the executor acts on it at
         once); without one, the decoded plan's stamp; without one, the video plan's stamp.
  end:   the earliest of start + the plan's duration (video frames / fps, else steps * plan_dt), the
         start of the next plan (its video plan's stamp, i.e. when the next planning began; if that is
         not after this start, the next plan's own start), and the last stamp of the episode.
Status:
  executed:     the safety filter accepted it and its window is not empty;
  rejected:     the safety filter rejected it (reason: its reason codes);
  not_executed: anything else (no filtered plan, no verdict, or the episode ended first), with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EXECUTED = "executed"
REJECTED = "rejected"
NOT_EXECUTED = "not_executed"


@dataclass
class VideoPlan:
    stamp_s: float
    frames: int
    fps: float
    height: int  # px, of the plan's first frame (later frames are resized to it)
    width: int
    instruction: str
    backend: str
    planning_time_s: float | None
    spill: str | None  # file name (in the plan folder) of the frames kept for the comparison; None: not kept


@dataclass
class ActionPlan:
    stamp_s: float
    positions: np.ndarray | None  # [T, D] float64; None when the message's positions were malformed
    score: float
    reward: float
    reward_terms: dict[str, float]
    safety: dict | None
    time_s: float | None  # decode time (decoded plan) or filter time (filtered plan)


@dataclass
class PlanRecord:
    plan_id: str
    folder: str  # name of its folder under plans/
    order: int  # arrival order of its first message in the episode
    video: VideoPlan | None = None
    decoded: ActionPlan | None = None
    filtered: ActionPlan | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def planning_started_s(self) -> float:
        """When planning began (video stamp), or the earliest stamp known: orders the plans."""
        if self.video is not None:
            return self.video.stamp_s
        return min(a.stamp_s for a in (self.decoded, self.filtered) if a is not None)

    @property
    def start_s(self) -> float:
        for source in (self.filtered, self.decoded, self.video):
            if source is not None:
                return source.stamp_s
        raise AssertionError("a plan record always has a message")

    def duration_s(self, plan_dt: float) -> float:
        if self.video is not None and self.video.frames > 0 and self.video.fps > 0:
            return self.video.frames / self.video.fps
        plans = [a.positions for a in (self.decoded, self.filtered) if a is not None and a.positions is not None]
        steps = max((len(p) for p in plans), default=0)
        return steps * plan_dt

    @property
    def verdict(self) -> str | None:
        safety = self.filtered.safety if self.filtered is not None else None
        verdict = safety.get("verdict") if isinstance(safety, dict) else None
        return verdict if verdict in ("accept", "reject") else None

    @property
    def scored(self) -> ActionPlan | None:
        """The message whose reward is the plan's: the decoded plan (the one that was scored), else the filtered one."""
        return self.decoded if self.decoded is not None else self.filtered


def window_end(plan: PlanRecord, following: PlanRecord | None, episode_last_s: float, plan_dt: float) -> float:
    start = plan.start_s
    end = min(start + plan.duration_s(plan_dt), episode_last_s)
    if following is not None:
        boundary = following.planning_started_s
        if boundary <= start:
            boundary = following.start_s
        end = min(end, boundary)
    return max(start, end)


def status(plan: PlanRecord, window_s: float) -> tuple[str, str]:
    """`(status, reason)`; the reason is "" for an executed plan."""
    if plan.filtered is None:
        if plan.decoded is None:
            return NOT_EXECUTED, "no action plan was received (the IDM never answered)"
        return NOT_EXECUTED, "no filtered plan was received (the safety filter never answered)"
    verdict = plan.verdict
    if verdict == "reject":
        reasons = plan.filtered.safety.get("reasons") or []
        reasons = [reasons] if isinstance(reasons, str) else reasons
        return REJECTED, ", ".join(str(r) for r in reasons) or "rejected by the safety filter"
    if verdict is None:
        return NOT_EXECUTED, "the filtered plan carries no safety verdict"
    if window_s <= 0:
        return NOT_EXECUTED, "accepted, but the episode ended (or the next plan began) before it could run"
    return EXECUTED, ""
