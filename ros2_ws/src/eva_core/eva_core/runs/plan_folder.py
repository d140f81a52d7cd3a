"""A plan's folder, written when its episode ends: actions.npz, plan_vs_robot.mp4, joints.png and
plan.json (window and status by the rules of `eva_core.runs.plans`). A video or plot that fails is
reported in plan.json and the log; it never loses the episode."""

from __future__ import annotations

import logging
import math

import numpy as np

from eva_core.data._files import write_json_atomic
from eva_core.runs.arrays import write_actions
from eva_core.runs.comparison import write_comparison
from eva_core.runs.episode import EpisodeBuffer
from eva_core.runs.layout import ACTIONS_FILE, COMPARISON_FILE, JOINTS_PLOT_FILE, PLAN_FILE, PLANS_DIR, jsonable
from eva_core.runs.plans import ActionPlan, PlanRecord, status, window_end
from eva_core.runs.plots import plot_joints

_TITLE_REASON_CHARS = 90

Track = tuple[np.ndarray, np.ndarray]  # (t [N], q [N, D]) sorted by time


def finish_plan(episode: EpisodeBuffer, plan: PlanRecord, following: PlanRecord | None, states: Track,
                commands: Track, logger: logging.Logger) -> dict:
    """Write the folder of `plan` (`following`: the next plan of the episode, which ends its window) and
    return its entry of episode.json."""
    settings = episode.settings
    folder = episode.staging / PLANS_DIR / plan.folder
    folder.mkdir(parents=True, exist_ok=True)
    start = plan.start_s
    end = window_end(plan, following, episode.last_s, settings.plan_dt)
    verdict, reason = status(plan, end - start)
    if plan.video is None:
        plan.notes.append("no video plan was received for this plan id")
    state_t, state_q = states
    inside = (state_t >= start) & (state_t <= end)
    measured_t, measured_q = state_t[inside] - start, state_q[inside]
    command_t = commands[0]
    commands_in_window = int(np.sum((command_t >= start) & (command_t <= end)))
    scored = plan.scored
    score = scored.score if scored is not None else math.nan
    files: dict[str, str] = {}
    errors: list[str] = []

    write_actions(folder / ACTIONS_FILE, plan, start, end, measured_t, measured_q, settings.joint_names, settings.plan_dt)
    files["actions"] = ACTIONS_FILE
    comparison = None
    if plan.video is not None and plan.video.spill is not None:
        try:
            comparison = write_comparison(
                folder, plan.video, episode.cameras.get(settings.plan_camera), start, end, verdict,
                camera=settings.plan_camera, camera_fps=settings.camera_fps, config=settings.video,
            )
            files["plan_vs_robot"] = COMPARISON_FILE
        except Exception as err:  # a broken video must not lose the episode: reported in plan.json
            errors.append(f"plan_vs_robot.mp4: {type(err).__name__}: {err}")
            (folder / COMPARISON_FILE).unlink(missing_ok=True)
        (folder / plan.video.spill).unlink(missing_ok=True)
    if any(a is not None and a.positions is not None for a in (plan.decoded, plan.filtered)):
        title = f"{plan.plan_id}   score {f'{score:.2f}' if math.isfinite(score) else 'n/a'}   {verdict}"
        if reason:
            title += f": {reason[:_TITLE_REASON_CHARS]}"
        try:
            plot_joints(
                folder / JOINTS_PLOT_FILE,
                joint_names=settings.joint_names, position_min=settings.position_min,
                position_max=settings.position_max, plan_dt=settings.plan_dt,
                decoded=plan.decoded.positions if plan.decoded is not None else None,
                filtered=plan.filtered.positions if plan.filtered is not None else None,
                measured_t=measured_t, measured_q=measured_q, window_s=end - start, title=title,
            )
            files["joints_plot"] = JOINTS_PLOT_FILE
        except Exception as err:  # as above
            errors.append(f"joints.png: {type(err).__name__}: {err}")
    for error in errors:
        logger.warning("run recorder: plan %s of episode %d: %s", plan.plan_id, episode.index, error)

    video = plan.video
    timings = {
        "planning_time_s": video.planning_time_s if video is not None else None,
        "decode_time_s": plan.decoded.time_s if plan.decoded is not None else None,
        "filter_time_s": plan.filtered.time_s if plan.filtered is not None else None,
        "planning_started_s": video.stamp_s if video is not None else None,
        "decoded_at_s": plan.decoded.stamp_s if plan.decoded is not None else None,
        "filtered_at_s": plan.filtered.stamp_s if plan.filtered is not None else None,
        "window_start_s": start,
        "window_end_s": end,
        "window_s": end - start,
        "plan_duration_s": plan.duration_s(settings.plan_dt),
        "start_latency_s": start - video.stamp_s if video is not None else None,
    }
    record = {
        "plan_id": plan.plan_id,
        "directory": f"{PLANS_DIR}/{plan.folder}",
        "episode": episode.index,
        "instruction": video.instruction if video is not None else episode.instruction,
        "backend": video.backend if video is not None else None,
        "status": verdict,
        "reason": reason,
        "score": score,
        "reward": scored.reward if scored is not None else None,
        "reward_terms": scored.reward_terms if scored is not None else {},
        "safety": plan.filtered.safety if plan.filtered is not None else None,
        "timings": timings,
        "video": None if video is None else {
            "frames": video.frames, "fps": video.fps, "height": video.height, "width": video.width,
            "stamp_s": video.stamp_s,
        },
        "decoded": action_json(plan.decoded),
        "filtered": action_json(plan.filtered),
        "execution": {
            "measured_joint_states": len(measured_t),
            "commands": commands_in_window,
        },
        "comparison": comparison,
        "files": files,
        "notes": plan.notes,
        "errors": errors,
    }
    write_json_atomic(folder / PLAN_FILE, jsonable(record))
    return jsonable({
        "plan_id": plan.plan_id,
        "directory": record["directory"],
        "status": verdict,
        "reason": reason,
        "score": score,
        "reward": record["reward"],
        **{k: timings[k] for k in ("planning_time_s", "decode_time_s", "filter_time_s")},
        **{k: timings[k] for k in ("window_start_s", "window_end_s")},
    })


def action_json(action: ActionPlan | None) -> dict | None:
    """plan.json's entry for the decoded or the filtered plan."""
    if action is None:
        return None
    return {
        "stamp_s": action.stamp_s,
        "steps": None if action.positions is None else len(action.positions),
        "score": action.score,
        "reward": action.reward,
        "reward_terms": action.reward_terms,
        "time_s": action.time_s,
    }
