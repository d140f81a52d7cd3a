"""Benchmark of the MuJoCo twin on this machine: render frames/s per camera, physics steps/s.

    python bench/sim.py [--frames 60]

Prints JSON. Rendering is off-screen on the CPU (MUJOCO_GL=egl, Mesa llvmpipe), shadows and
anti-aliasing off (SimConfig defaults). "kinematic" renders set joint positions directly (no
physics), as IDM data generation can.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

from eva_core.embodiment import load_embodiment  # noqa: E402
from eva_sim.config import CAMERA_NAMES, SimConfig  # noqa: E402
from eva_sim.robot import SimRobot  # noqa: E402


def render_fps(embodiment, width: int, height: int, frames: int) -> dict:
    with SimRobot(embodiment, SimConfig().with_resolution(width, height)) as twin:
        twin.reset(embodiment.ready_pose())
        out = {}
        for camera in CAMERA_NAMES:
            twin.render(camera)  # first call creates the GL context
            start = time.perf_counter()
            for _ in range(frames):
                twin.step()
                twin.render(camera)
            out[camera] = round(frames / (time.perf_counter() - start), 1)
        return out


def kinematic_fps(embodiment, width: int, height: int, frames: int) -> float:
    rng = np.random.default_rng(0)
    limits = embodiment.limits
    with SimRobot(embodiment, SimConfig().with_resolution(width, height)) as twin:
        poses = rng.uniform(limits.position_min, limits.position_max, (frames, limits.dof))
        twin.render("cam_high")
        start = time.perf_counter()
        for pose in poses:
            twin.set_state_kinematic(pose)
            twin.render("cam_high")
        return round(frames / (time.perf_counter() - start), 1)


def physics_steps_per_s(embodiment, ticks: int = 2000) -> dict:
    with SimRobot(embodiment) as twin:
        twin.reset(embodiment.ready_pose())
        target = embodiment.ready_pose()
        target[[0, 7]] += 0.5
        twin.command(target)
        start = time.perf_counter()
        twin.step(ticks)
        elapsed = time.perf_counter() - start
        steps = ticks * twin.config.substeps
        return {
            "physics_steps_per_s": round(steps / elapsed),
            "timestep_ms": twin.model.opt.timestep * 1000,
            "control_ticks_per_s": round(ticks / elapsed),
            "realtime_factor": round(ticks * twin.control_dt / elapsed, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=60, help="frames per camera and resolution")
    args = parser.parse_args()
    embodiment = load_embodiment()
    result = {
        "benchmark": "sim",
        "render_fps_with_physics_step": {
            "320x240": render_fps(embodiment, 320, 240, args.frames),
            "640x480": render_fps(embodiment, 640, 480, args.frames),
        },
        "kinematic_render_fps_cam_high": {
            "128x96": kinematic_fps(embodiment, 128, 96, args.frames),
            "320x240": kinematic_fps(embodiment, 320, 240, args.frames),
        },
        **physics_steps_per_s(embodiment),
        "environment": {"mujoco": mujoco.__version__, "cpus": os.cpu_count(), "machine": platform.machine(),
                        "MUJOCO_GL": os.environ.get("MUJOCO_GL")},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
