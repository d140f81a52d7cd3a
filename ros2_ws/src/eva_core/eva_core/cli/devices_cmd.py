"""`eva devices types` and `eva devices arm NAME --type piper --channel can_left`: list the device
implementations that can be built, and probe one arm read-only (connect, read its state, disconnect;
the motors are never enabled and nothing is commanded)."""

from __future__ import annotations

import argparse
import json
import math
import sys

from eva_core.cli.config_cmd import add_embodiment_argument
from eva_core.devices.arms import ArmError, arm_config_from_dict, arm_types, make_arm
from eva_core.devices.cameras import camera_types
from eva_core.embodiment import load_embodiment


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("devices", help="list device types; probe an arm (read-only)",
                                   description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True)
    types = actions.add_parser("types", help="arm and camera types that can be built (plug-ins included)")
    types.add_argument("--json", action="store_true")
    types.set_defaults(func=run_types)
    arm = actions.add_parser("arm", help="connect to one arm, print its state, disconnect (never enables)")
    arm.add_argument("name", choices=("left", "right"), help="which arm of the embodiment (its limits and layout)")
    arm.add_argument("--type", default="piper", help="arm type (default: piper)")
    arm.add_argument("--channel", help="CAN channel for a piper arm, e.g. can_left")
    arm.add_argument("--interface", default="socketcan", choices=("socketcan", "virtual"),
                     help="python-can interface for a piper arm (default: socketcan)")
    arm.add_argument("--json", action="store_true")
    add_embodiment_argument(arm)
    arm.set_defaults(func=run_arm)
    return parser


def run_types(args: argparse.Namespace) -> int:
    result = {"arms": list(arm_types()), "cameras": list(camera_types())}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"arms:    {', '.join(result['arms'])}\ncameras: {', '.join(result['cameras'])}")
    return 0


def run_arm(args: argparse.Namespace) -> int:
    embodiment = load_embodiment(args.embodiment)
    fields = {"type": args.type}
    if args.type == "piper":
        fields.update(channel=args.channel, can_interface=args.interface)
    config = arm_config_from_dict(fields, key="arm")
    arm = make_arm(config, args.name, embodiment)
    try:
        with arm:
            state = arm.read_state()
            firmware = getattr(arm, "firmware_version", None)
    except ArmError as err:
        print(f"eva devices: {err}", file=sys.stderr)
        return 1
    result = {
        "arm": args.name, "type": args.type, "firmware": firmware,
        "position": dict(zip(embodiment.joint_names[embodiment.arm_slice(args.name)], state.position.tolist())),
        "status_code": state.status_code, "status_name": state.status_name, "error_code": state.error_code,
        "enabled": list(state.enabled), "ctrl_mode": state.ctrl_mode,
        "feedback_timestamp_s": None if math.isnan(state.timestamp_s) else state.timestamp_s,
        "fault": None if state.fault is None else state.fault.message,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if state.status_code == 0 and state.fault is None else 1
