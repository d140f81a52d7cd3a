"""Closed loop on the simulated robot: success against the expert's, and where a plan cycle's time goes.

    MUJOCO_GL=egl .venv/bin/python bench/closed_loop.py [--tasks a,b] [--episodes 20] [--seed 100]
        [--set NAME=VALUE ...] [--runs-dir DIR]
    .venv/bin/python bench/closed_loop.py --from-runs RUN_DIR [RUN_DIR ...]   # summarise finished runs
    ... --set planner=wan --set planner_config=config/planner/wan_sim.yaml     # the learned world model

For each task: runs `eva bringup --sim --task T --episodes N --seed S --json` (the whole node graph as
separate processes over DDS on localhost; sim_oracle planner, the shipped IDM, safety filter,
receding-horizon executor), runs the task's scripted expert physics-only on the same seeds, and reads
the run folder. Prints JSON: per task the closed-loop and expert success rates and their ratio, and
per task the mean executability score of the plans and the fraction of plans not executed, and over
every plan the median / p90 seconds of each stage of a plan cycle:
  planning    the planner backend (sim_oracle: snapshot, roll-out, rendering; the first plan of an
              episode also records the expert),
  transfer    video plan published -> IDM starts decoding (DDS, 49 images) plus decoded -> filter,
  decoding    IDM + reward,
  filtering   plan-level safety filter,
  execution   the executed segment's streaming window,
and the fraction of each episode's wall time the robot spent not executing (waiting for plans).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
ROOT = Path(__file__).resolve().parents[1]
TASKS = ("press_button", "lift_box", "pick_place_bowl", "handover_block")


def expert_success(task_name: str, seed: int, episodes: int) -> float:
    from eva_sim.demos import run_episode
    from eva_sim.tasks import get_task

    task = get_task(task_name)
    with task.build_robot() as robot:
        return sum(run_episode(task, robot, s).success for s in range(seed, seed + episodes)) / episodes


def closed_loop(task: str, episodes: int, seed: int, sets: list[str], runs_dir: Path) -> dict:
    command = [sys.executable, "-m", "eva_core.cli.main", "bringup", "--sim", "--task", task, "--episodes", str(episodes),
               "--seed", str(seed), "--json", "--runs-dir", str(runs_dir)]
    for pair in sets:
        command += ["--set", pair]
    env = dict(os.environ, ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 and not done.stdout.strip():
        raise RuntimeError(f"eva bringup failed ({done.returncode}):\n{done.stderr[-3000:]}")
    summary = json.loads(done.stdout)
    summary["wall_s"] = time.perf_counter() - start
    return summary


def stage_times(run_dir: Path) -> tuple[dict[str, list[float]], list[float]]:
    from eva_core.runs import load_plan, load_run

    stages: dict[str, list[float]] = {k: [] for k in ("planning", "transfer", "decoding", "filtering", "execution")}
    waiting = []
    run = load_run(run_dir)
    for episode in run["episodes"]:
        executed = 0.0
        for entry in episode.get("plans", []):
            plan = load_plan(Path(episode["path"]) / entry["directory"])
            t = plan.get("timings", {})
            if t.get("planning_time_s") is not None:
                stages["planning"].append(t["planning_time_s"])
            if None not in (t.get("planning_started_s"), t.get("planning_time_s"), t.get("decoded_at_s"), t.get("decode_time_s")):
                to_idm = t["decoded_at_s"] - t["decode_time_s"] - (t["planning_started_s"] + t["planning_time_s"])
                to_filter = 0.0
                if None not in (t.get("filtered_at_s"), t.get("filter_time_s")):
                    to_filter = t["filtered_at_s"] - t["filter_time_s"] - t["decoded_at_s"]
                stages["transfer"].append(to_idm + to_filter)
            if t.get("decode_time_s") is not None:
                stages["decoding"].append(t["decode_time_s"])
            if t.get("filter_time_s") is not None:
                stages["filtering"].append(t["filter_time_s"])
            if plan.get("status") == "executed" and t.get("window_s"):
                stages["execution"].append(t["window_s"])
                executed += t["window_s"]
        if episode.get("duration_s"):
            waiting.append(max(0.0, 1.0 - executed / episode["duration_s"]))
    return stages, waiting


def plan_quality(run_dir: Path) -> dict:
    """Over every plan of a run: the mean executability score (0-10, the IDM's decoding of the plan
    scored by the reward) and the fraction of plans not executed (score below the executor's threshold,
    rejected by the safety filter, or overtaken)."""
    from eva_core.runs import load_run

    scores, statuses = [], []
    for episode in load_run(run_dir)["episodes"]:
        for entry in episode.get("plans", []):
            statuses.append(entry.get("status"))
            score = entry.get("score")
            if isinstance(score, (int, float)) and score == score:
                scores.append(float(score))
    n = len(statuses)
    return {
        "plans": n,
        "mean_score": round(statistics.mean(scores), 3) if scores else None,
        "discarded_fraction": round(sum(s != "executed" for s in statuses) / n, 3) if n else None,
    }


def summarise(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(values), "median_s": round(statistics.median(ordered), 4), "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 4)}


def finished_run(run_dir: Path) -> tuple[str, int, dict]:
    """(task, first seed, summary like `closed_loop`'s) of a run folder `eva bringup --sim` closed."""
    from eva_core.runs import load_run

    run = load_run(run_dir)
    episodes = [{"outcome": e["outcome"], "segments": e["segments"], "success": e["success"]} for e in run["episodes"]]
    summary = {"success_rate": sum(e["success"] for e in episodes) / len(episodes) if episodes else 0.0, "episodes": episodes,
               "graph_ok": bool(run["summary"].get("closed")), "run_dir": str(run_dir), "wall_s": None}
    return run["summary"]["task"], int(run["summary"]["config"]["seed"]), summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=100, help="first seed (default 100: never used to train the IDM)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="graph argument passed to eva bringup")
    parser.add_argument("--runs-dir", default=None, help="keep the run folders here (default: a temporary directory)")
    parser.add_argument("--from-runs", nargs="+", default=None, metavar="RUN_DIR",
                        help="run nothing: summarise these finished run folders (the expert is run on their seeds)")
    args = parser.parse_args()
    runs_dir = Path(args.runs_dir) if args.runs_dir else Path(tempfile.mkdtemp(prefix="eva_closed_loop_"))
    report = {"episodes_per_task": args.episodes, "seed": args.seed, "tasks": {}, "stages": {}, "machine": os.uname().nodename, "cpus": os.cpu_count()}
    all_stages: dict[str, list[float]] = {}
    all_waiting: list[float] = []
    jobs = [finished_run(Path(d)) for d in args.from_runs] if args.from_runs else [(t, args.seed, None) for t in args.tasks.split(",")]
    for task, seed, summary in jobs:
        summary = summary or closed_loop(task, args.episodes, seed, args.set, runs_dir)
        expert = expert_success(task, seed, len(summary["episodes"]) or args.episodes)
        rate = summary["success_rate"]
        outcomes: dict[str, int] = {}
        for e in summary["episodes"]:
            outcomes[e["outcome"]] = outcomes.get(e["outcome"], 0) + 1
        report["tasks"][task] = {
            "closed_loop_success_rate": rate, "expert_success_rate": expert, "ratio_to_expert": round(rate / expert, 3) if expert else None,
            "episodes_run": len(summary["episodes"]), "outcomes": outcomes, "graph_ok": summary["graph_ok"],
            "mean_segments": round(statistics.mean(e["segments"] for e in summary["episodes"]), 2) if summary["episodes"] else None,
            "wall_s": round(summary["wall_s"], 1) if summary["wall_s"] is not None else None, "run_dir": summary["run_dir"], "first_seed": seed,
            **plan_quality(Path(summary["run_dir"])),
        }
        stages, waiting = stage_times(Path(summary["run_dir"]))
        for k, v in stages.items():
            all_stages.setdefault(k, []).extend(v)
        all_waiting.extend(waiting)
        print(f"{task}: closed loop {rate:.2f}, expert {expert:.2f}", file=sys.stderr, flush=True)
    report["stages"] = {k: summarise(v) for k, v in all_stages.items()}
    report["robot_waiting_fraction"] = {"mean": round(statistics.mean(all_waiting), 3) if all_waiting else None, "episodes": len(all_waiting)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
