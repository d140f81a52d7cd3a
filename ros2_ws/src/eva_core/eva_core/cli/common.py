"""Options shared by the `eva` subcommands and the packages that add their own (eva_sim)."""

from __future__ import annotations

import argparse


def add_embodiment_argument(parser: argparse.ArgumentParser) -> None:
    """`--embodiment YAML`, read with `load_embodiment(args.embodiment)` (None: this checkout's default)."""
    parser.add_argument(
        "--embodiment",
        metavar="YAML",
        default=None,
        help="embodiment file (default: config/embodiment/piper_bimanual.yaml of this checkout)",
    )
