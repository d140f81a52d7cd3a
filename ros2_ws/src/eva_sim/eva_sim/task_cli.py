"""`eva sim tasks` and `eva sim demos`: list the twin's tasks; record expert demonstrations.

`register_actions(actions)` adds both to the `eva sim` sub-parser object (cli.py wires it in).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from eva_core.cli.common import add_embodiment_argument


def register_actions(actions) -> None:
    tasks = actions.add_parser("tasks", help="list the simulated tasks", description="List the twin's tasks with their instructions and the arms they use.")
    tasks.add_argument("--json", action="store_true", help="print a JSON list")
    tasks.set_defaults(func=run_tasks)

    demos = actions.add_parser(
        "demos",
        help="record scripted expert demonstrations of a task",
        description="Run the task's scripted expert for N seeded episodes in the twin and write a LeRobot v3 "
        "dataset (three cameras, measured state, commanded action at the plan rate; lossless video) with a "
        "success flag per episode. Needs MUJOCO_GL=egl without a display.",
    )
    add_embodiment_argument(demos)
    demos.add_argument("--task", required=True, metavar="NAME", help="a task from `eva sim tasks`")
    demos.add_argument("--episodes", type=int, default=10, metavar="N", help="number of episodes (default: 10)")
    demos.add_argument("--out", required=True, metavar="DIR", help="new dataset directory")
    demos.add_argument("--seed", type=int, default=0, help="seed of the first episode; episode i uses seed+i (default: 0)")
    demos.add_argument("--fps", type=int, default=None, help="recording rate (default: the plan rate, 16)")
    demos.add_argument("--resolution", default="320x240", metavar="WxH", help="per camera (default: 320x240)")
    demos.add_argument("--json", action="store_true", help='print {"task", "episodes", "successes", "out"} on stdout')
    demos.set_defaults(func=run_demos)


def run_tasks(args: argparse.Namespace) -> int:
    from eva_sim.tasks import TASKS

    rows = [cls().describe() for cls in TASKS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<18} {'+'.join(row['arms']):<11} {row['instruction']}")
    return 0


def run_demos(args: argparse.Namespace) -> int:
    from eva_core.embodiment import load_embodiment
    from eva_sim.demos import generate_demos
    from eva_sim.tasks import TASKS

    match = re.fullmatch(r"(\d+)x(\d+)", args.resolution)
    if not match:
        print(f"eva sim demos: --resolution must look like 320x240, got {args.resolution!r}", file=sys.stderr)
        return 2
    if args.task not in TASKS:
        print(f"eva sim demos: unknown task {args.task!r}; tasks: {', '.join(TASKS)}", file=sys.stderr)
        return 2
    if args.episodes < 1:
        print(f"eva sim demos: --episodes must be >= 1, got {args.episodes}", file=sys.stderr)
        return 2
    summary = generate_demos(
        args.task, args.episodes, args.out, seed=args.seed, fps=args.fps,
        resolution=(int(match.group(1)), int(match.group(2))), embodiment=load_embodiment(args.embodiment),
    )
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print(f"wrote {summary.episodes} episodes of {summary.task} to {summary.out}: {summary.successes} successful "
              f"({summary.seconds_per_episode:.1f} s per episode)")
    return 0
