"""Crash safety of the run folder. An episode is recorded into `episode_NNN.partial/` and renamed to
`episode_NNN/` once every file in it is complete and fsynced, so a process that dies at any point leaves
every finished episode complete and at most one `.partial` folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from pathlib import Path

from eva_core.data._files import fsync_dir, fsync_file
from eva_core.runs.layout import PARTIAL_SUFFIX, episode_dir_name


def make_run_directory(root: Path, name: str) -> Path:
    """A new folder `root/name` (`name-1`, `name-2`, ... when taken)."""
    root.mkdir(parents=True, exist_ok=True)
    for attempt in range(1000):
        path = root / (name if attempt == 0 else f"{name}-{attempt}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{root / name}: too many runs with this name")


def open_staging(run_dir: Path, index: int, taken: Collection[str]) -> tuple[str, Path]:
    """`(name, staging folder)` of a new episode `index`: a name neither in `taken` nor on disk, and an
    empty `<name>.partial/` folder to record into (a leftover one is cleared)."""
    name, n = episode_dir_name(index), 1
    while name in taken or (run_dir / name).exists():
        name, n = f"{episode_dir_name(index)}_{n}", n + 1
    staging = run_dir / (name + PARTIAL_SUFFIX)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return name, staging


def commit(staging: Path, final: Path) -> None:
    """fsync every file of the finished episode, then rename its folder into place."""
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.is_file():
            fsync_file(path)
        elif path.is_dir():
            fsync_dir(path)
    fsync_dir(staging)
    os.replace(staging, final)
    fsync_dir(final.parent)
