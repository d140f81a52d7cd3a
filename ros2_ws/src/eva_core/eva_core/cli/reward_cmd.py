"""`eva reward ACTIONS.npy [--json] [--embodiment YAML]`: score decoded plans with the executability reward."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from eva_core.cli.common import add_embodiment_argument
from eva_core.embodiment import load_embodiment
from eva_core.reward import RewardParams, RewardResult, executability_reward

TERMS = ("jerk", "acc", "vlim", "alim")

JSON_HELP = """\
JSON output (--json):
  [T, 14] input:    {"reward", "score", "penalty", "terms": {"jerk", "acc", "vlim", "alim"},
                     "valid", "steps"}
  [B, T, 14] input: {"plans": [one such object per plan, in order]}
  terms are before their lambda weights (penalty = sum of lambda·term). A plan that cannot be
  scored (fewer than min_steps steps, NaN/inf in it) has valid false, reward 0, score 0 and
  null for penalty and terms (JSON has no infinity).
Exit status: 0 scored (even when some plans are invalid), 2 unreadable file, wrong shape or bad
embodiment file."""


def register(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "reward",
        help="score decoded plans (.npy) with the executability reward",
        description="Score action plans with the executability reward of the EVA paper (eq. 5-9): "
        "Huber penalties on acceleration and jerk plus velocity/acceleration limit violations, "
        "R = (1 + P/P0)^-gamma in (0, 1] and the display score 10·R.",
        epilog=JSON_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "actions",
        metavar="ACTIONS.npy",
        help="numpy array [T, 14] or [B, T, 14] at the plan rate (1/16 s per step): "
        "rad for joints, normalised opening (0 closed, 1 open) for grippers",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output (see below)")
    add_embodiment_argument(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    params = RewardParams.from_embodiment(load_embodiment(args.embodiment))  # ConfigError → main
    try:
        actions = _load(Path(args.actions))
        result = executability_reward(actions, params)
    except (OSError, ValueError) as err:
        # The operator's input is wrong, not the program: one line, no traceback.
        print(f"eva reward: {args.actions}: {err}", file=sys.stderr)
        return 2
    plans = [_plan_dict(result, i, actions.shape[-2]) for i in range(actions.shape[0])] if actions.ndim == 3 else None
    if args.json:
        out = {"plans": plans} if plans is not None else _plan_dict(result, None, actions.shape[0])
        print(json.dumps(out, indent=2, allow_nan=False))
    elif plans is None:
        _print_single(_plan_dict(result, None, actions.shape[0]), params)
    else:
        _print_table(plans)
    return 0


def _load(path: Path) -> np.ndarray:
    with path.open("rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY":  # checked first: np.load would otherwise try (and refuse) pickle
        raise ValueError("not a .npy file (write one array with numpy.save)")
    data = np.load(path, allow_pickle=False)  # never unpickle a file we were handed
    if data.dtype.kind not in "biuf":
        raise ValueError(f"expected a numeric array, got dtype {data.dtype}")
    return data


def _finite_or_none(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _plan_dict(result: RewardResult, index: int | None, steps: int) -> dict:
    pick = (lambda v: v) if index is None else (lambda v: v[index])  # noqa: E731
    return {
        "reward": float(pick(result.reward)),
        "score": float(pick(result.score)),
        "penalty": _finite_or_none(pick(result.penalty)),
        "terms": {name: _finite_or_none(pick(getattr(result, f"p_{name}"))) for name in TERMS},
        "valid": bool(pick(result.valid)),
        "steps": int(steps),
    }


def _fmt(value: float | None) -> str:
    return "inf" if value is None else f"{value:.6g}"


def _print_single(plan: dict, params: RewardParams) -> None:
    status = "" if plan["valid"] else "  (invalid: too short or non-finite)"
    print(f"reward   {plan['reward']:.6f}   score {plan['score']:.2f} / 10{status}")
    print(f"penalty  {_fmt(plan['penalty'])}   (P0 {params.p0:g}, gamma {params.gamma:g}, {plan['steps']} steps)")
    print(f"{'term':<6} {'value':>12} {'lambda':>8} {'lambda*value':>14}")
    for name in TERMS:
        value, lam = plan["terms"][name], getattr(params, f"lambda_{name}")
        weighted = None if value is None else lam * value
        print(f"{name:<6} {_fmt(value):>12} {lam:>8g} {_fmt(weighted):>14}")


def _print_table(plans: list[dict]) -> None:
    print(f"{'plan':>4} {'reward':>9} {'score':>6} {'penalty':>12} " + " ".join(f"{n:>12}" for n in TERMS) + "  valid")
    for i, plan in enumerate(plans):
        terms = " ".join(f"{_fmt(plan['terms'][n]):>12}" for n in TERMS)
        print(
            f"{i:>4} {plan['reward']:>9.6f} {plan['score']:>6.2f} {_fmt(plan['penalty']):>12} {terms}  "
            f"{'yes' if plan['valid'] else 'no'}"
        )
