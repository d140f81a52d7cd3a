"""The run folder of the closed-loop job (`eva bringup --sim --task NAME --episodes N`), ROS-free.

    rec = RunRecorder("runs", task, load_embodiment(), config=...)   # runs/<YYYYmmdd-HHMMSS>_<task>/
    rec.begin_episode(0, seed, instruction); rec.add_*(...); rec.end_episode(success=..., ...)
    rec.close()
    run = load_run(rec.directory)          # {"path", "summary", "episodes", "partial"}

The folder layout is described in `eva_core.runs.layout`, the recording rules in `eva_core.runs.recorder`.
"""

from eva_core.runs.layout import find_runs, load_plan, load_run
from eva_core.runs.recorder import RunRecorder

__all__ = ["RunRecorder", "find_runs", "load_plan", "load_run"]
