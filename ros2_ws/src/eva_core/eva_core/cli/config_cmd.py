"""`eva config show [--json]`: print the resolved embodiment so people and tools can read the limits."""

from __future__ import annotations

import argparse
import json

from eva_core.cli.common import add_embodiment_argument
from eva_core.embodiment import load_embodiment


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("config", help="show the resolved embodiment configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="print joint names, limits, rates, mounts and reward/safety constants",
        description="Load the embodiment file once, validate it, and print the resolved values. "
        "With --json the output carries joint_names, position_min, position_max, velocity_max, "
        "acceleration_max (14 values each, in vector order), plan_rate_hz and control_rate_hz.",
    )
    add_embodiment_argument(show)
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=run_show)
    return parser


def run_show(args: argparse.Namespace) -> int:
    config = load_embodiment(args.embodiment)
    resolved = config.to_dict()
    if args.json:
        print(json.dumps(resolved, indent=2))
        return 0
    limits = config.limits
    print(f"embodiment {config.name}: control {config.control_rate_hz:g} Hz, plan {config.plan_rate_hz:g} fps")
    print(f"{'index':>5}  {'name':<14} {'min':>8} {'max':>8} {'v_max':>8} {'a_max':>8}")
    for i, name in enumerate(config.joint_names):
        unit = "(opening)" if limits.is_gripper[i] else ""
        print(
            f"{i:>5}  {name:<14} {limits.position_min[i]:>8.4f} {limits.position_max[i]:>8.4f} "
            f"{limits.velocity_max[i]:>8.4f} {limits.acceleration_max[i]:>8.4f} {unit}"
        )
    for mount in config.mounts:
        print(f"mount {mount.name}: xyz {list(mount.xyz_m)} m, rpy {list(mount.rpy_rad)} rad")
    print(f"reward: {resolved['reward']}")
    print(f"safety: {resolved['safety']}")
    return 0
