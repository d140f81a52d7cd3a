"""`eva`: one command for operators and researchers; `eva --help` lists what is installed.

Each subcommand module provides `register(subparsers) -> argparse.ArgumentParser` and sets a
`run(args) -> int` callable as the parser's `func` default. Packages list their modules in the
`eva.cli` entry-point group (see each package's setup.py).
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

from eva_core.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eva",
        description="EVA deployment stack: aligned video world model on a bimanual PiPER robot "
        "(or its MuJoCo twin). Run `eva COMMAND --help` for each command.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for entry in sorted(entry_points(group="eva.cli"), key=lambda e: e.name):
        try:
            register = entry.load()
        except ImportError as err:
            # An optional package whose own dependencies are missing must not take every other
            # command down with it; say which command is unavailable and why.
            print(f"eva: command '{entry.name}' unavailable: {err}", file=sys.stderr)
            continue
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        # A bad config is the operator's to fix: one readable line, no traceback.
        print(f"eva {args.command}: configuration error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `eva ... | head` closed our stdout early: not an error worth a traceback.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
