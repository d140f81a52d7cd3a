"""Benchmark of the twin's scripted experts: success rate per task and demo generation time.

    MUJOCO_GL=egl .venv/bin/python bench/sim_demos.py [--episodes 50] [--seed 0] [--render-episodes 2]
        [--tasks a,b] [--workers 2]

Prints JSON: per task the success rate over `--episodes` seeded physics-only episodes (seeds seed ..
seed+N-1), the mean wall seconds per episode physics-only, and the mean seconds per episode with
rendering the three cameras at the default resolution and recording into a dataset (lossless video),
measured over `--render-episodes` episodes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("MUJOCO_GL", "egl")


def physics_only(task_name: str, seed: int, episodes: int) -> dict:
    from eva_sim.demos import run_episode
    from eva_sim.tasks import get_task

    task = get_task(task_name)
    robot = task.build_robot()
    failures, errors, wall = [], [], []
    for s in range(seed, seed + episodes):
        try:
            result = run_episode(task, robot, s)
        except Exception as err:  # an expert that cannot plan counts as a failure; the bench reports it
            errors.append({"seed": s, "error": f"{type(err).__name__}: {err}"[:200]})
            continue
        wall.append(result.wall_time_s)
        if not result.success:
            failures.append(s)
    ok = episodes - len(failures) - len(errors)
    return {
        "task": task_name,
        "episodes": episodes,
        "successes": ok,
        "success_rate": ok / episodes,
        "failed_seeds": failures,
        "errors": errors,
        "physics_s_per_episode": sum(wall) / max(len(wall), 1),
    }


def recorded(task_name: str, seed: int, episodes: int) -> float:
    from eva_sim.demos import generate_demos

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate_demos(task_name, episodes, os.path.join(tmp, "ds"), seed=seed, progress=False)
        return (time.perf_counter() - start) / episodes


def main() -> int:
    from eva_sim.tasks import task_names

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--render-episodes", type=int, default=2)
    parser.add_argument("--tasks", default=",".join(task_names()))
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    names = [n for n in args.tasks.split(",") if n]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        physics = list(pool.map(physics_only, names, [args.seed] * len(names), [args.episodes] * len(names)))
    render = {}
    if args.render_episodes > 0:
        for name in names:  # one at a time: the timing must not share the CPU with another task
            render[name] = recorded(name, args.seed, args.render_episodes)
    from eva_sim.demos import DEFAULT_RESOLUTION

    out = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "episodes_per_task": args.episodes,
        "workers": args.workers,
        "render_resolution": f"{DEFAULT_RESOLUTION[0]}x{DEFAULT_RESOLUTION[1]}",
        "tasks": [
            {**p, "recorded_s_per_episode": render.get(p["task"])} for p in physics
        ],
        "total_s": time.perf_counter() - start,
    }
    print(json.dumps(out, indent=2))
    return 0 if all(p["success_rate"] >= 0.9 for p in physics) else 1


if __name__ == "__main__":
    sys.exit(main())
