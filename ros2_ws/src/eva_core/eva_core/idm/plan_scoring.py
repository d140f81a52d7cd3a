"""Decode a video plan into actions and score them: the step the IDM node and the reward share.

    scored = decode_and_score(decoder, frames, RewardParams.from_embodiment(embodiment))
    scored.actions [T, 14], scored.reward (RewardResult), scored.terms {"penalty": ..., ...}
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from eva_core.reward import RewardParams, RewardResult, executability_reward

TERM_NAMES = ("penalty", "p_jerk", "p_acc", "p_vlim", "p_alim")


@dataclass(frozen=True)
class ScoredPlan:
    actions: np.ndarray  # [T, 14] float64, the IDM's decoded commands at the plan rate
    reward: RewardResult  # 0-d fields: reward in (0, 1], score = 10 R, terms
    decode_time_s: float

    @property
    def terms(self) -> dict[str, float]:
        return {name: float(getattr(self.reward, name)) for name in TERM_NAMES}


def decode_and_score(decoder, frames: np.ndarray, params: RewardParams) -> ScoredPlan:
    """`decoder`: an `IdmDecoder` (anything with `decode(clip) -> [T, D]`); frames uint8 [T, H, W, 3]."""
    start = time.perf_counter()
    actions = np.asarray(decoder.decode(frames), dtype=np.float64)
    elapsed = time.perf_counter() - start
    return ScoredPlan(actions, executability_reward(actions, params), elapsed)
