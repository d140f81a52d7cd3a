"""The reward of a rollout, in-process: decode its latents to frames (the world model's autoencoder),
the frames to actions (the frozen IDM), score them (the executability reward), and zero the reward of a
static plan (the reward-hacking guard). P0 is re-estimated from the starting model's rollouts."""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass

import numpy as np
import torch

from eva_core.embodiment import EmbodimentConfig
from eva_core.idm.plan_scoring import decode_and_score
from eva_core.planning.wan.encoding import decode_video
from eva_core.planning.wan.history import ClipLayout
from eva_core.reward import RewardParams
from eva_core.reward.motion import is_static, motion_energy


@dataclass
class Scores:
    rewards: torch.Tensor  # [N] in [0, 1]: the training signal (0 for static or invalid plans)
    scores: np.ndarray  # [N] 10 R before the static guard
    penalties: np.ndarray  # [N]
    motion: np.ndarray  # [N] rad / step, decoded arm motion
    static: np.ndarray  # [N] bool

    def summary(self) -> dict:
        return {"reward_mean": float(self.rewards.mean()), "reward_std": float(self.rewards.std()),
                "score_mean": float(np.mean(self.scores)), "static_fraction": float(np.mean(self.static)),
                "motion_mean": float(np.mean(np.minimum(self.motion, 1e9)))}


class RolloutScorer:
    def __init__(self, vae, decoder, embodiment: EmbodimentConfig, layout: ClipLayout, *, static_ratio: float,
                 static_min_motion: float, p0: float | None = None):
        self.vae, self.decoder, self.layout = vae, decoder, layout
        params = RewardParams.from_embodiment(embodiment)
        self.params = dataclasses.replace(params, p0=p0) if p0 else params
        self.arm = ~np.asarray(embodiment.limits.is_gripper, dtype=bool)
        self.static_ratio, self.static_min_motion = static_ratio, static_min_motion

    @torch.no_grad()
    def frames(self, history: torch.Tensor, future: torch.Tensor) -> np.ndarray:
        """uint8 [N, num_frames, H, W, 3]: the plans (from the current view on), one decode per row."""
        latents = torch.cat([history, future], dim=2)
        start, n = self.layout.plan_start, self.layout.num_frames
        return np.stack([decode_video(self.vae, latents[i : i + 1])[0][start : start + n] for i in range(len(latents))])

    def score_frames(self, frames: np.ndarray, expert_actions: list[np.ndarray]) -> Scores:
        scored = [decode_and_score(self.decoder, f, self.params) for f in frames]
        scores = np.array([float(s.reward.score) if bool(s.reward.valid) else 0.0 for s in scored])
        penalties = np.array([float(s.reward.penalty) for s in scored])
        motion = np.array([float(motion_energy(s.actions, self.arm)) for s in scored])
        reference = np.array([float(motion_energy(a, self.arm)) for a in expert_actions])
        static = is_static(motion, reference, self.static_ratio, self.static_min_motion)
        rewards = torch.tensor(np.where(static, 0.0, scores / 10.0), dtype=torch.float32)
        return Scores(rewards, scores, penalties, motion, static)

    def __call__(self, history: torch.Tensor, future: torch.Tensor, expert_actions: list[np.ndarray]) -> Scores:
        return self.score_frames(self.frames(history, future), expert_actions)


def estimate_p0(penalties: np.ndarray) -> float:
    """The median finite penalty of the starting model's rollouts (the paper re-estimates P0 so that a
    typical plan of the model being aligned scores R = 2^-gamma)."""
    finite = [float(p) for p in penalties if np.isfinite(p) and p > 0]
    if not finite:
        raise ValueError("no finite positive penalty among the P0 rollouts")
    return statistics.median(finite)
