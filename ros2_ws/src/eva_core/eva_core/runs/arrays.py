"""The recorder's npz files: an episode's commands.npz and camera_stamps.npz, a plan's actions.npz
(keys in `eva_core.runs.layout`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from eva_core.runs.plans import ActionPlan, PlanRecord
from eva_core.runs.video_files import CameraStream


def write_commands(path: Path, states: tuple[np.ndarray, np.ndarray], commands: tuple[np.ndarray, np.ndarray],
                   joint_names: tuple[str, ...]) -> None:
    """The episode's joint states and commands, each `(t [N], q [N, D])` sorted by time."""
    (state_t, state_q), (command_t, command_q) = states, commands
    np.savez_compressed(
        path,
        command_t=command_t, command_q=command_q, state_t=state_t, state_q=state_q,
        joint_names=np.array(joint_names),
    )


def write_camera_stamps(path: Path, streams: Iterable[CameraStream]) -> None:
    """Per camera (key: its file name without .mp4): the stamp of every frame in its mp4, in file order."""
    np.savez_compressed(path, **{s.path.stem: np.asarray(s.stamps, dtype=np.float64) for s in streams})


def write_actions(path: Path, plan: PlanRecord, start: float, end: float, measured_t: np.ndarray,
                  measured_q: np.ndarray, joint_names: tuple[str, ...], plan_dt: float) -> None:
    """A plan's decoded and filtered actions, reward terms and the joint states measured in its window."""
    empty = np.empty((0, len(joint_names)))
    names = sorted({n for a in (plan.decoded, plan.filtered) if a is not None for n in a.reward_terms})

    def positions(action: ActionPlan | None) -> np.ndarray:
        return action.positions if action is not None and action.positions is not None else empty

    def terms(action: ActionPlan | None) -> np.ndarray:
        return np.array([np.nan if action is None else action.reward_terms.get(n, np.nan) for n in names])

    decoded, filtered = positions(plan.decoded), positions(plan.filtered)
    np.savez_compressed(
        path,
        decoded=decoded, filtered=filtered,
        t=np.arange(max(len(decoded), len(filtered))) * plan_dt,  # s from the window start
        window_start_s=np.float64(start), window_end_s=np.float64(end),
        measured_t=measured_t, measured_q=measured_q,  # joint states in the window, t from the window start
        reward_term_names=np.array(names, dtype=str),
        reward_terms_decoded=terms(plan.decoded), reward_terms_filtered=terms(plan.filtered),
        score=np.float64(plan.scored.score if plan.scored else np.nan),
        reward=np.float64(plan.scored.reward if plan.scored else np.nan),
        joint_names=np.array(joint_names),
    )
