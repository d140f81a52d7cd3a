"""The run folder's names, and reading a run back (`load_run`, `load_plan`, `find_runs`).

    runs/<YYYYmmdd-HHMMSS>_<task>/
      summary.json                    run level: task, config, episodes (success, outcome, reason, segments,
                                      duration_s, plans, plans_rejected, ...), success_rate over the complete
                                      episodes (rewritten atomically at each episode's start and end)
      episode_000/                    appears only when the episode is complete (renamed from episode_000.partial/)
        episode.json                  result, per-camera and per-topic counts, "plans": one entry per plan
                                      (status, score, timings, window), "notes": anything malformed or missing
        cam_high.mp4 ...              one H.264 file per camera, frames in arrival order at the run's camera fps
                                      (cameras are asynchronous and may differ in size: not tiled)
        camera_stamps.npz             per camera (key: its file name without .mp4): the stamp of every frame in
                                      its mp4, in file order
        commands.npz                  command_t [N], command_q [N, 14], state_t [M], state_q [M, 14], sorted by time
        plans/<plan_id>/              (the plan id made a file name: other characters than A-Za-z0-9_.- become _)
          plan.json                   the full plan record (status, reward terms, safety report, timings)
          actions.npz                 decoded/filtered [T, 14], times, reward terms, measured joints in its window
          plan_vs_robot.mp4           plan frames | plan-camera frames over the same span, side by side
          joints.png                  decoded vs filtered vs measured per joint, limits shaded

Keys ending in `_s` are seconds: stamps (`stamp_s`, `*_at_s`, `window_start_s`, ...) on the clock of the
messages' header stamps, the others durations. Every JSON file holds plain values: NaN and inf become null.
"""

from __future__ import annotations

import enum
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

RUN_FORMAT = "eva-run"
RUN_FORMAT_VERSION = 1

SUMMARY_FILE = "summary.json"
EPISODE_FILE = "episode.json"
COMMANDS_FILE = "commands.npz"
CAMERA_STAMPS_FILE = "camera_stamps.npz"
PLANS_DIR = "plans"
PLAN_FILE = "plan.json"
ACTIONS_FILE = "actions.npz"
COMPARISON_FILE = "plan_vs_robot.mp4"
JOINTS_PLOT_FILE = "joints.png"
PARTIAL_SUFFIX = ".partial"  # an episode still being recorded (or cut off by a crash)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def episode_dir_name(index: int) -> str:
    return f"episode_{index:03d}"


def camera_file_name(camera: str) -> str:
    return f"{safe_name(camera)}.mp4"


def safe_name(text: str) -> str:
    """`text` as one file name: runs of other characters than letters, digits, `_.-` become `_`."""
    name = _UNSAFE.sub("_", str(text)).strip("._")
    return name or "unnamed"


def jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars and arrays unpacked, non-finite floats as None, paths and
    enums as their text, anything else unknown as its `str`."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_run(path: str | Path) -> dict:
    """Read a run folder: `{"path", "summary", "episodes", "partial"}`.

    `episodes` holds the `episode.json` of every complete episode folder, by index, each with its
    folder under "path"; `partial` names the folders of episodes that were never finished (a crash, or
    an episode still being recorded). Raises FileNotFoundError when `path` has no summary.json."""
    root = Path(path)
    summary = _read_json(root / SUMMARY_FILE)
    episodes = []
    for folder in sorted(p for p in root.glob("episode_*") if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX)):
        file = folder / EPISODE_FILE
        if file.is_file():
            episode = _read_json(file)
            episode["path"] = str(folder)
            episodes.append(episode)
    episodes.sort(key=lambda e: (e.get("index", 0), e["path"]))
    partial = sorted(p.name for p in root.glob(f"episode_*{PARTIAL_SUFFIX}") if p.is_dir())
    return {"path": str(root), "summary": summary, "episodes": episodes, "partial": partial}


def load_plan(path: str | Path) -> dict:
    """One plan folder: its plan.json, plus its actions.npz arrays under "arrays" when present."""
    folder = Path(path)
    plan = _read_json(folder / PLAN_FILE)
    actions = folder / ACTIONS_FILE
    if actions.is_file():
        with np.load(actions, allow_pickle=False) as data:
            plan["arrays"] = {key: data[key] for key in data.files}
    plan["path"] = str(folder)
    return plan


def find_runs(root: str | Path) -> list[Path]:
    """The run folders directly under `root` (those with a summary.json), oldest first by name."""
    base = Path(root)
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir() and (p / SUMMARY_FILE).is_file())
