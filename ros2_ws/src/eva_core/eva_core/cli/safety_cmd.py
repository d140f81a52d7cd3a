"""`eva safety PLAN.npy --state STATE.npy [--velocity V.npy] [--out SAFE.npy] [--json] [--embodiment YAML]`:
run the plan-level safety filter on a plan file and say whether the plan may be executed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from eva_core.cli.common import add_embodiment_argument
from eva_core.embodiment import load_embodiment
from eva_core.safety import PlanReport, UnsafeStateError, filter_plan

JSON_HELP = """\
JSON output (--json): the report of the filter,
  {"verdict": "accept" | "reject", "reasons": [reason codes], "returned": "filtered" | "hold" | "none",
   "steps", "steps_changed", "changed_fraction", "max_deviation", "first_step_deviation",
   "min_arm_distance_m", "closest_step", "out": path written or null}
  deviations in rad over the joints; null where a figure cannot be computed (NaN/inf input).
  Reason codes: state_not_finite, state_outside_limits, state_velocity_over_limit, state_cannot_stop,
  plan_not_finite, start_deviation, max_deviation, too_many_changes, arm_clearance.
Exit status: 0 accepted (and written with --out), 1 rejected (nothing written), 2 unreadable file,
wrong shape or bad embodiment file."""


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "safety",
        help="filter a plan (.npy) through the plan-level safety filter",
        description="Make a [T, 14] plan at the plan rate respect the joint position, velocity and "
        "acceleration limits, starting from the measured state, and check the two arms' clearance. "
        "An unusable plan (NaN/inf, far from the state, heavily corrected, arms too close) is rejected "
        "and not written.",
        epilog=JSON_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "plan",
        metavar="PLAN.npy",
        help="numpy array [T, 14] at the plan rate: rad for joints, normalised opening for grippers",
    )
    parser.add_argument("--state", metavar="STATE.npy", required=True, help="measured positions [14]")
    parser.add_argument(
        "--velocity", metavar="V.npy", default=None, help="measured velocities [14] (default: at rest)"
    )
    parser.add_argument("--out", metavar="SAFE.npy", default=None, help="write the filtered plan here if accepted")
    parser.add_argument("--json", action="store_true", help="machine-readable output (see below)")
    add_embodiment_argument(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    config = load_embodiment(args.embodiment)  # ConfigError → main prints one line, exit 2
    n = config.limits.dof
    try:
        plan = _load(args.plan, (None, n))
        state = _load(args.state, (n,))
        velocity = None if args.velocity is None else _load(args.velocity, (n,))
        try:
            safe, report = filter_plan(state, plan, config, velocity=velocity)
        except UnsafeStateError as err:
            safe, report = None, err.report
    except (OSError, ValueError) as err:
        # The operator's input is wrong, not the program: one line, no traceback.
        print(f"eva safety: {err}", file=sys.stderr)
        return 2

    written = None
    if report.accepted and args.out is not None:
        try:
            with open(args.out, "wb") as f:  # exactly this path (np.save would append .npy)
                np.save(f, safe)
        except OSError as err:
            print(f"eva safety: {args.out}: cannot write: {err.strerror or err}", file=sys.stderr)
            return 2
        written = args.out

    if args.json:
        print(json.dumps({**report.to_dict(), "out": written}, indent=2, allow_nan=False))
    else:
        _print(report, written)
    return 0 if report.accepted else 1


def _load(path: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """A numeric .npy array of `shape` (None: any length >= 1); a ValueError naming the file otherwise."""
    try:
        with Path(path).open("rb") as f:
            magic = f.read(6)
    except OSError as err:
        raise ValueError(f"{path}: cannot read: {err.strerror or err}") from None
    if magic != b"\x93NUMPY":  # checked first: np.load would otherwise try (and refuse) pickle
        raise ValueError(f"{path}: not a .npy file (write one array with numpy.save)")
    try:
        data = np.load(path, allow_pickle=False)  # never unpickle a file we were handed
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: unreadable .npy file: {err}") from None
    if data.dtype.kind not in "biuf":
        raise ValueError(f"{path}: expected a numeric array, got dtype {data.dtype}")
    if data.ndim != len(shape) or any(
        got != want if want is not None else got == 0 for got, want in zip(data.shape, shape)
    ):
        wanted = "[" + ", ".join("T >= 1" if s is None else str(s) for s in shape) + "]"
        raise ValueError(f"{path}: expected shape {wanted}, got {list(data.shape)}")
    return data


def _fmt(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.4g}{unit}"


def _print(report: PlanReport, written: str | None) -> None:
    print(f"verdict  {report.verdict}" + (f"  ({', '.join(report.reasons)})" if report.reasons else ""))
    for sentence in report.describe():
        print(f"  - {sentence}")
    changed = "n/a" if report.steps_changed is None else f"{report.steps_changed} of {report.steps}"
    print(f"steps changed         {changed}")
    print(f"max deviation         {_fmt(report.max_deviation, ' rad')}")
    print(f"first-step deviation  {_fmt(report.first_step_deviation, ' rad')}")
    closest = "" if report.closest_step is None else f" (step {report.closest_step})"
    print(f"min arm distance      {_fmt(report.min_arm_distance_m, ' m')}{closest}")
    if written:
        print(f"written               {written}")
    elif report.verdict == "reject":
        print("not written: a rejected plan is never written")
