"""Executability reward (paper §4.2, eq. 5-9): how smooth and within limits a decoded plan is.

`executability_reward` (numpy) is imported here; the torch backend lives in
`eva_core.reward.executability_torch` so that the core does not need torch to import.

    params = RewardParams.from_embodiment(load_embodiment())
    result = executability_reward(actions, params)   # actions [T, 14] or [B, T, 14]
    result.reward, result.score, result.penalty, result.p_jerk, ..., result.valid
"""

from eva_core.reward.executability import SCORE_SCALE, executability_reward
from eva_core.reward.terms import RewardParams, RewardResult

__all__ = ["SCORE_SCALE", "RewardParams", "RewardResult", "executability_reward"]
