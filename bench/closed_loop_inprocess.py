"""A ROS-free approximation of the closed loop, for fast diagnosis: oracle -> IDM -> filter -> segment.

    MUJOCO_GL=egl .venv/bin/python bench/closed_loop_inprocess.py --task lift_box --seeds 100-104 [--verbose]

One process, no DDS, no planning latency: per segment the `sim_oracle` planner plans 49 frames from a
snapshot of the twin, the shipped IDM decodes them, the plan-level filter (grippers from the plan, as
the safety node) checks them, and the first `--segment-steps` knots (knot 0 = the last command, knot
steps+1 gives the plan's velocity at the end, as the executor) are streamed through the command guard
at `--time-scale` x the plan's duration; then `--wait-ticks` guard holds stand in for the wait for the
next plan. A rejected plan holds for one segment. It mimics `RecedingHorizonExecutor`, it is not it:
use `bench/closed_loop.py` (the real graph) for the figures the issue asks for, and this to see per
segment where the oracle's cursor is, what the filter said and where the grippers are (`--verbose`).

Prints JSON: per seed success and segments, and the success rate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")


def seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def run_episode(task: str, seed: int, decoder, args) -> dict:
    from eva_core.executor import upsample_plan
    from eva_core.planning import PlanRequest, make_planner
    from eva_core.safety import CommandGuard, filter_plan
    from eva_sim.config import SimConfig
    from eva_sim.episode import SimEpisode

    episode = SimEpisode(task, sim_config=SimConfig().with_resolution(160, 120))
    episode.reset(seed)
    emb = episode.robot.embodiment
    oracle = make_planner("sim_oracle", {"task": task, "cursor_tolerance": args.cursor_tolerance, "start_ramp_s": args.start_ramp}, emb)
    guard = CommandGuard.from_config(emb)
    guard.reset(episode.robot.state())
    last = episode.robot.state()
    clock = [0.0]

    def tick(desired):
        clock[0] += emb.control_dt
        sent = guard.hold()[0] if desired is None else guard.apply(desired, clock[0], clock[0])[0]
        episode.command(sent)
        episode.step()
        return sent

    steps = args.segment_steps
    knot_dt = emb.plan_dt * args.time_scale
    rows = int(steps * knot_dt / emb.control_dt + 1e-9)
    rejected = 0
    try:
        for segment in range(args.max_segments):
            world = episode.snapshot()
            result = oracle.plan(PlanRequest(f"p{segment}", task, (episode.robot.render("cam_high"),), 49, world=world))
            actions = np.asarray(decoder.decode(result.frames), dtype=np.float64)
            safe, report = filter_plan(episode.robot.state(), actions, emb, episode.robot.velocity(), gripper_start="plan")
            if args.verbose:
                print(f"{seed} seg {segment}: cursor {result.info['cursor']}/{result.info['expert_ticks']} driven "
                      f"{world.driven_ticks} {report.verdict} {list(report.reasons)} grippers measured "
                      f"{np.round(episode.robot.state()[list(emb.gripper_indices)], 2).tolist()}", file=sys.stderr)
            if episode.success():
                return {"seed": seed, "success": True, "segments": segment, "rejected": rejected}
            if not report.accepted:
                rejected += 1
                for _ in range(rows):
                    last = tick(None)
                continue
            knots = np.concatenate([last[None], safe[1 : steps + 2]])
            for desired in upsample_plan(knots, knot_dt, emb.control_dt)[1 : rows + 1]:
                last = tick(desired)
            for _ in range(args.wait_ticks):
                last = tick(None)
        return {"seed": seed, "success": bool(episode.success()), "segments": args.max_segments, "rejected": rejected}
    finally:
        oracle.close()
        episode.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--task", default="lift_box")
    parser.add_argument("--seeds", default="100-104", help="e.g. 100-104 or 100,103 (default 100-104: never trained on)")
    parser.add_argument("--checkpoint", default="models/idm_sim")
    parser.add_argument("--time-scale", type=float, default=2.0, help="as config/executor.yaml time_scale (default 2)")
    parser.add_argument("--segment-steps", type=int, default=8)
    parser.add_argument("--max-segments", type=int, default=40)
    parser.add_argument("--wait-ticks", type=int, default=40, help="guard holds between segments (default 40 = 0.2 s)")
    parser.add_argument("--cursor-tolerance", type=float, default=0.1, help="sim_oracle cursor_tolerance (default 0.1)")
    parser.add_argument("--start-ramp", type=float, default=0.5, help="sim_oracle start_ramp_s (default 0.5, as config/planner/sim_oracle.yaml)")
    parser.add_argument("--verbose", action="store_true", help="one line per segment on stderr")
    args = parser.parse_args()

    from eva_core.idm.inference import IdmDecoder

    decoder = IdmDecoder.load(args.checkpoint, "cpu")
    results = []
    for seed in seeds(args.seeds):
        results.append(run_episode(args.task, seed, decoder, args))
        print(f"{args.task} seed {seed}: {'success' if results[-1]['success'] else 'failure'}", file=sys.stderr, flush=True)
    print(json.dumps({"task": args.task, "time_scale": args.time_scale, "cursor_tolerance": args.cursor_tolerance,
                      "start_ramp_s": args.start_ramp, "success_rate": sum(r["success"] for r in results) / len(results), "episodes": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
