"""`eva devices list`, `eva devices types` and `eva devices arm NAME --type piper --channel can_left`:
what is attached (CAN interfaces, RealSense serials), the device implementations that can be built,
and a read-only probe of one arm (connect, read its state, disconnect;
the motors are never enabled and nothing is commanded)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from eva_core.cli.common import add_embodiment_argument
from eva_core.devices.arms import ArmError, arm_config_from_dict, arm_types, make_arm
from eva_core.devices.cameras import camera_types
from eva_core.embodiment import load_embodiment


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("devices", help="list attached devices and device types; probe an arm (read-only)",
                                   description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="attached CAN interfaces and RealSense cameras (serials)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)
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


# ARPHRD_CAN in <linux/if_arp.h>: the link type of SocketCAN interfaces (can0, can_left, vcan0, ...).
_ARPHRD_CAN = 280


def can_interfaces(sys_net: Path = Path("/sys/class/net")) -> list[dict]:
    """SocketCAN interfaces with their operational state (PiPER adapters are usually renamed
    can_left / can_right by the AgileX set-up script)."""
    found = []
    for link in sorted(sys_net.iterdir()) if sys_net.is_dir() else []:
        try:
            if int((link / "type").read_text()) != _ARPHRD_CAN:
                continue
            state = (link / "operstate").read_text().strip()
        except (OSError, ValueError):
            continue
        found.append({"name": link.name, "state": state})
    return found


def realsense_serials() -> list[str] | str:
    """Serials of attached RealSense cameras, or why they cannot be listed."""
    try:
        from eva_core.devices.cameras.realsense.camera_realsense import connected_serials
    except ImportError as err:  # pyrealsense2 missing, or libusb missing on the machine
        return f"pyrealsense2 unavailable: {err}"
    return connected_serials()


def run_list(args: argparse.Namespace) -> int:
    result = {"can": can_interfaces(), "realsense": realsense_serials()}
    if args.json:
        print(json.dumps(result))
        return 0
    can = result["can"]
    print("CAN interfaces: " + (", ".join(f"{c['name']} ({c['state']})" for c in can) if can else
                                "none (no SocketCAN interface; plug in the adapters and run the AgileX can setup)"))
    cams = result["realsense"]
    if isinstance(cams, str):
        print(f"RealSense cameras: {cams}")
    else:
        print("RealSense cameras: " + (", ".join(cams) if cams else "none attached"))
    return 0


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
