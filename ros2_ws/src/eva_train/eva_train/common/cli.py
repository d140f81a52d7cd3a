"""Command-line options every `eva-train` job shares."""

from __future__ import annotations

import argparse


def add_run_arguments(parser: argparse.ArgumentParser, example: str) -> None:
    """--config (required), --resume, --out-dir, --steps, --time-limit-min, --no-progress."""
    parser.add_argument("--config", required=True, metavar="YAML", help=f"training config (see {example})")
    parser.add_argument("--resume", action="store_true", help="continue from out_dir/checkpoints/last")
    parser.add_argument("--out-dir", default=None, help="override the config's out_dir")
    parser.add_argument("--steps", type=int, default=None, help="override the config's steps")
    parser.add_argument("--time-limit-min", type=float, default=None, help="override the wall-clock budget (minutes)")
    parser.add_argument("--threads", type=int, default=None, help="override the config's torch CPU threads")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")


def run_overrides(args: argparse.Namespace) -> dict:
    return {"out_dir": args.out_dir, "steps": args.steps, "time_limit_min": args.time_limit_min, "threads": args.threads}


def add_training_job(subparsers, name: str, help: str, description: str, example: str, func) -> argparse.ArgumentParser:
    """A `eva-train NAME` sub-command with the shared run options; `func(args)` runs it."""
    parser = subparsers.add_parser(name, help=help, description=description)
    add_run_arguments(parser, example)
    parser.set_defaults(func=func)
    return parser
