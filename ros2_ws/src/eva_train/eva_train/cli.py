"""`eva-train JOB --config YAML`: offline training jobs, one sub-command each.

Jobs are plug-ins in the `eva_train.jobs` entry-point group, each providing `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points


def build_parser() -> argparse.ArgumentParser:
    jobs = sorted(entry_points(group="eva_train.jobs"), key=lambda e: e.name)
    parser = argparse.ArgumentParser(
        prog="eva-train",
        description="Offline training for the EVA stack. Installed jobs: "
        + (", ".join(e.name for e in jobs) if jobs else "none (reinstall the eva_train package)."),
    )
    subparsers = parser.add_subparsers(dest="job", metavar="JOB")
    for entry in jobs:
        entry.load()(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    from eva_core.config import ConfigError
    from eva_core.data.features import DatasetError

    try:
        return int(args.func(args) or 0)
    except ConfigError as err:
        # A bad config is the researcher's to fix: one readable line naming the key, no traceback.
        print(f"eva-train {args.job}: configuration error: {err}", file=sys.stderr)
        return 2
    except DatasetError as err:
        print(f"eva-train {args.job}: dataset error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
