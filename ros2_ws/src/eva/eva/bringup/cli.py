"""`eva bringup`: start the node graph (one process per node), run the main job, stop it safely.

    eva bringup --sim                                  # default task, one episode, run folder in runs/
    eva bringup --sim --task lift_box --episodes 20 --seed 100 --json
    eva bringup --real --set devices=config/devices/lab.yaml      # real robot: start, wait for Ctrl-C
    eva bringup --real --instruction "fold the towel"             # real robot: one task, then stop

The graph comes from config/bringup/graph.yaml, the same description `ros2 launch eva
bringup.launch.py` reads. DDS stays on this machine (localhost discovery, a domain id of its own)
unless --lab-network.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from eva.dds_environment import dds_environment
from eva.graph import check_arguments, eva_home, load_graph, resolve_arguments, resolve_graph
from eva_core.config import ConfigError




def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bringup",
        help="start the ROS 2 node graph and run the main job (closed loop)",
        description=__doc__.split("\n\n")[0].split(": ", 1)[1] + ". Each node runs as its own process with a "
        "log in the run folder; Ctrl-C or a crashed node stops everything with the arms held, then disabled. "
        "In simulation each episode is reset, executed through the executor's execute_task action and recorded "
        "(videos of every camera and every plan, decoded and filtered trajectories, plots, summary.json).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  eva bringup --sim\n  eva bringup --sim --task lift_box --episodes 20 --seed 100 --json\n"
        "  eva bringup --sim --set planner=wan --set planner_config=config/planner/wan.yaml\n"
        "  eva bringup --real --set devices=config/devices/lab.yaml",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--sim", dest="sim", action="store_true", default=True, help="the MuJoCo twin (default)")
    mode.add_argument("--real", dest="sim", action="store_false", help="the PiPER arms and RealSense cameras of the device file")
    parser.add_argument("--task", default=None, help="simulated task (default: the graph's, press_button)")
    parser.add_argument("--episodes", type=int, default=1, help="simulated episodes to run (default: 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode; episode i uses seed+i (default: 0)")
    parser.add_argument("--instruction", default=None, help="real robot: run this instruction once, then stop")
    parser.add_argument("--max-segments", type=int, default=0, help="segment limit per episode (default: the executor's)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="any graph argument (see --list-arguments)")
    parser.add_argument("--list-arguments", action="store_true", help="print the graph's arguments and defaults, then exit")
    parser.add_argument("--graph", default=None, help="node graph description (default: config/bringup/graph.yaml)")
    parser.add_argument("--runs-dir", default=None, help="where run folders go (default: runs/ in the checkout)")
    parser.add_argument("--no-record", action="store_true", help="do not write videos/plots (summary and logs only)")
    parser.add_argument("--rerun", choices=("off", "spawn", "save"), default="off",
                        help="live view with Rerun: spawn a viewer, or save RUN_DIR/live.rrd (default: off)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON on stdout (progress goes to stderr)")
    parser.add_argument("--domain-id", type=int, default=None, help="ROS_DOMAIN_ID (default: the environment's, else a random one)")
    parser.add_argument("--lab-network", action="store_true", help="let DDS discover over the lab network (default: localhost only)")
    parser.set_defaults(func=run)
    return parser


def parse_sets(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ConfigError("--set", f"expected NAME=VALUE, got {pair!r}")
        values[name.strip()] = value
    return values


def run(args: argparse.Namespace) -> int:
    graph = load_graph(args.graph)
    if args.list_arguments:
        for name, argument in graph.arguments.items():
            print(f"{name:18} {argument.type:5} default {argument.default!s:40} {argument.description}")
        return 0
    if args.episodes < 1:
        raise ConfigError("--episodes", f"must be >= 1, got {args.episodes}")
    values = parse_sets(args.set)
    values["sim"] = args.sim
    if args.task is not None:
        values["task"] = args.task
    values.setdefault("seed", args.seed)
    specs = resolve_graph(graph, values)
    resolved = resolve_arguments(graph, values)
    check_arguments(graph, resolved)  # a missing file or an unknown task: one line, no node started
    env = dds_environment(domain_id=args.domain_id, lab_network=args.lab_network)
    env.setdefault("PYTHONUNBUFFERED", "1")
    os.environ.update(env)  # this process talks to the graph too

    from eva.bringup.job import MainJob  # rclpy is imported only now, with the environment set

    job = MainJob(specs, env, resolved, runs_dir=Path(args.runs_dir) if args.runs_dir else eva_home() / "runs",
                  record=not args.no_record, log=_progress_printer(args.json), live=args.rerun)
    try:
        if args.sim:
            summary = job.run_sim(resolved["task"], args.episodes, int(resolved["seed"]), max_segments=args.max_segments)
        else:
            summary = job.run_real(args.instruction, max_segments=args.max_segments)
    except KeyboardInterrupt:
        summary = job.summary(interrupted=True)
    finally:
        job.shutdown()
    if args.json:
        print(json.dumps(summary, indent=2))
    return 0 if summary.get("graph_ok", False) else 1


def _progress_printer(to_stderr: bool):
    stream = sys.stderr if to_stderr else sys.stdout

    def log(line: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {line}", file=stream, flush=True)

    return log
