"""Closed-loop check of the IDM without ROS (issue 5): execute IDM-decoded expert videos in the twin.

    MUJOCO_GL=egl .venv/bin/python bench/idm_closed_loop.py [--checkpoint models/idm_sim]
        [--tasks a,b] [--episodes 10] [--seed 100]

Per task and seed (seeds from 100: never used to train the shipped IDM): the expert's episode is
recorded from the plan camera, decoded by the IDM and executed in a reset twin through the plan-level
safety filter, the executor's spline and the command guard (eva_sim.idm_replay). Prints JSON: per task
the expert's success rate, the replay's, their ratio (target >= 0.8), the mean joint accuracy of the
decoded actions and the share of segments the safety filter rejected.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("MUJOCO_GL", "egl")
TASKS = ("press_button", "lift_box", "pick_place_bowl", "handover_block")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default="models/idm_sim")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=100)
    args = parser.parse_args()

    from eva_core.idm.inference import IdmDecoder
    from eva_sim.config import SimConfig
    from eva_sim.episode import SimEpisode
    from eva_sim.idm_replay import replay_episode

    decoder = IdmDecoder.load(args.checkpoint, "cpu")
    hw = decoder.config.input_hw
    report = {"checkpoint": args.checkpoint, "episodes_per_task": args.episodes, "seed": args.seed, "tasks": {}}
    for task in args.tasks.split(","):
        start = time.perf_counter()
        episode = SimEpisode(task, sim_config=SimConfig().with_resolution(hw[1], hw[0]))
        results = [replay_episode(task, s, decoder, resolution=(hw[1], hw[0]), episode=episode) for s in range(args.seed, args.seed + args.episodes)]
        episode.close()
        expert = sum(r.expert_success for r in results) / len(results)
        replay = sum(r.replay_success for r in results) / len(results)
        segments = sum(r.segments_executed + r.segments_rejected for r in results)
        report["tasks"][task] = {
            "expert_success_rate": expert,
            "replay_success_rate": replay,
            "ratio_to_expert": round(replay / expert, 3) if expert else None,
            "mean_joint_accuracy": round(statistics.mean(r.joint_accuracy for r in results), 3),
            "rejected_segment_fraction": round(sum(r.segments_rejected for r in results) / segments, 3) if segments else None,
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(f"{task}: expert {expert:.2f} replay {replay:.2f}", file=sys.stderr, flush=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
