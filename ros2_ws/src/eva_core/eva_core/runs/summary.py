"""What the run folder says about itself: an episode's episode.json and the run's summary.json, with
its success rate over the complete episodes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from eva_core.data._files import write_json_atomic
from eva_core.runs.episode import EpisodeBuffer, RunSettings
from eva_core.runs.layout import (
    CAMERA_STAMPS_FILE,
    COMMANDS_FILE,
    PLANS_DIR,
    RUN_FORMAT,
    RUN_FORMAT_VERSION,
    SUMMARY_FILE,
    jsonable,
)
from eva_core.runs.plans import EXECUTED, REJECTED, PlanRecord

_SUMMARY_KEYS = ("index", "directory", "seed", "instruction", "success", "outcome", "reason", "segments", "duration_s")


def episode_info(episode: EpisodeBuffer, result: dict, *, complete: bool, plans: list[PlanRecord],
                 entries: list[dict]) -> dict:
    """episode.json: the result, per-camera and per-topic counts, the plans' `entries`, the notes."""
    settings = episode.settings
    cameras = {name: s.describe(settings.camera_fps) for name, s in episode.cameras.items()}
    for name, refused in episode.camera_refused.items():
        cameras[name] = {"file": None, "frames": 0, "refused": refused}
    seen = episode.first_s <= episode.last_s
    return {
        "index": episode.index,
        "directory": episode.name,
        "seed": episode.seed,
        "instruction": episode.instruction,
        **result,
        "complete": complete,
        "plan_count": len(plans),
        "plans_executed": sum(e["status"] == EXECUTED for e in entries),
        "plans_rejected_by_filter": sum(e["status"] == REJECTED for e in entries),
        "first_stamp_s": episode.first_s if seen else None,
        "last_stamp_s": episode.last_s if seen else None,
        "plan_camera": settings.plan_camera,
        "camera_fps": settings.camera_fps,
        "cameras": cameras,
        "joint_states": episode.states.counts(),
        "commands": episode.commands.counts(),
        "files": {"commands": COMMANDS_FILE, "camera_stamps": CAMERA_STAMPS_FILE, "plans": PLANS_DIR},
        "plans": entries,
        "notes": episode.note_list(),
    }


def summary_entry(info: dict) -> dict:
    """An episode's entry in summary.json, from its episode.json."""
    entry = {key: info[key] for key in _SUMMARY_KEYS}
    entry.update(plans=info["plan_count"], plans_rejected=info["plans_rejected"])
    entry.update(plans_executed=info["plans_executed"], complete=info["complete"])
    return jsonable(entry)


def write_summary(
    directory: Path, *, task: str, started: datetime, closed: bool, settings: RunSettings, config: dict,
    episodes: list[dict], open_episode: int | None, ignored: dict[str, int],
) -> dict:
    """Write `directory/summary.json` (atomically) and return it."""
    complete = [e for e in episodes if e["complete"]]
    successes = sum(bool(e["success"]) for e in complete)
    summary = jsonable({
        "format": RUN_FORMAT,
        "version": RUN_FORMAT_VERSION,
        "task": task,
        "directory": directory.name,
        "created": started.isoformat(timespec="seconds"),
        "closed": closed,
        "embodiment": {
            "name": settings.embodiment_name, "joint_names": list(settings.joint_names), "plan_dt": settings.plan_dt,
        },
        "camera_fps": settings.camera_fps,
        "plan_camera": settings.plan_camera,
        "config": config,
        "episodes": episodes,
        "episodes_complete": len(complete),
        "episodes_interrupted": len(episodes) - len(complete),
        "successes": successes,
        "success_rate": successes / len(complete) if complete else None,
        "open_episode": open_episode,
        "ignored_outside_episode": dict(ignored),
    })
    write_json_atomic(directory / SUMMARY_FILE, summary)
    return summary
