"""The IDM closed-loop check: decoded expert actions executed through filter, spline and guard.

The shipped model's success rates are measured by bench/idm_closed_loop.py; here the machinery is
checked with a decoder that returns the expert's own commands (a perfect IDM), which must reproduce
the expert's success, and with one that returns garbage, which must never move the arms unsafely."""

from __future__ import annotations

import numpy as np

from eva_core.embodiment import load_embodiment
from eva_sim.config import SimConfig
from eva_sim.episode import SimEpisode
from eva_sim.idm_replay import execute_actions, record_expert

EMB = load_embodiment()


def test_perfect_decoding_reproduces_the_expert_and_garbage_is_never_executed():
    episode = SimEpisode("press_button", EMB, SimConfig().with_resolution(64, 48))
    frames, commands, expert_ok = record_expert(episode, seed=3, camera="cam_high")
    assert expert_ok and frames.shape[1:] == (48, 64, 3) and len(frames) == len(commands)
    ok, executed, rejected = execute_actions(episode, 3, commands)
    assert ok and rejected == 0 and executed > 0
    garbage = np.random.default_rng(0).normal(0, 3, commands.shape)
    ok, executed, rejected = execute_actions(episode, 3, garbage)
    assert not ok and executed == 0 and rejected > 0
    np.testing.assert_allclose(episode.robot.state()[:6], EMB.ready_pose()[:6], atol=0.02)  # held still
    episode.close()
