"""Reward-ranked sampling: decode each candidate plan with the IDM, score it, keep the best.

The paper's inference-time alternative to RL alignment (best-of-N under the executability reward):

    ranking = rank_candidates(candidates, decoder, RewardParams.from_embodiment(embodiment))
    best = candidates[ranking.best]; ranking.scores  # every candidate's score, for the log
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eva_core.idm.plan_scoring import ScoredPlan, decode_and_score
from eva_core.reward import RewardParams


@dataclass(frozen=True)
class Ranking:
    scored: tuple[ScoredPlan, ...]  # one per candidate, in candidate order
    best: int  # index of the highest reward (the first of equals)

    @property
    def scores(self) -> list[float]:
        """Executability score (10 R, higher is better) of every candidate."""
        return [float(s.reward.score) for s in self.scored]

    @property
    def rewards(self) -> list[float]:
        return [float(s.reward.reward) for s in self.scored]

    @property
    def best_plan(self) -> ScoredPlan:
        return self.scored[self.best]

    def summary(self) -> dict:
        """JSON-friendly: every candidate's score and reward terms, and which one won."""
        return {
            "best": self.best,
            "scores": self.scores,
            "terms": [s.terms for s in self.scored],
            "valid": [bool(s.reward.valid) for s in self.scored],
            "decode_time_s": float(sum(s.decode_time_s for s in self.scored)),
        }


def rank_candidates(candidates: Sequence[np.ndarray], decoder, params: RewardParams) -> Ranking:
    """`candidates`: uint8 [T, H, W, 3] plans; `decoder`: an IdmDecoder (anything with decode(clip)).
    An invalid reward (non-finite actions) ranks below every valid one."""
    if len(candidates) == 0:
        raise ValueError("no candidates to rank")
    scored = tuple(decode_and_score(decoder, frames, params) for frames in candidates)
    keys = [float(s.reward.reward) if bool(s.reward.valid) and np.isfinite(s.reward.reward) else -np.inf for s in scored]
    return Ranking(scored, int(np.argmax(keys)))
