"""Optional live view of a run with Rerun: every camera, the plans, and the 14 joints over time.

    view = LiveView.open("spawn")            # a Rerun viewer window (desktop)
    view = LiveView.open("save", run_dir)    # run_dir/live.rrd, to open later with `rerun live.rrd`

The episode client forwards what it receives; Rerun is imported only when a view is asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MODES = ("off", "spawn", "save")


class LiveView:
    def __init__(self, rr, names: list[str]):
        self.rr = rr
        self.names = names

    @classmethod
    def open(cls, mode: str, run_dir: Path | None, names: list[str]) -> "LiveView | None":
        if mode == "off":
            return None
        import rerun as rr

        rr.init("eva_bringup", spawn=mode == "spawn")
        if mode == "save":
            rr.save(str(Path(run_dir) / "live.rrd"))
        return cls(rr, names)

    def camera(self, name: str, stamp_s: float, frame: np.ndarray) -> None:
        self.rr.set_time("time", timestamp=stamp_s)
        self.rr.log(f"cameras/{name}", self.rr.Image(frame))

    def joints(self, kind: str, stamp_s: float, position: np.ndarray) -> None:
        self.rr.set_time("time", timestamp=stamp_s)
        for name, value in zip(self.names, position):
            self.rr.log(f"joints/{name}/{kind}", self.rr.Scalars(float(value)))

    def plan(self, plan_id: str, stamp_s: float, frames: np.ndarray, fps: float) -> None:
        for k, frame in enumerate(frames):  # the planned future on the time axis, where it is meant to happen
            self.rr.set_time("time", timestamp=stamp_s + k / fps)
            self.rr.log("plan/video", self.rr.Image(frame))
        self.rr.log("plan/id", self.rr.TextLog(plan_id))
