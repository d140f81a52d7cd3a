"""Durable, atomic file updates: write a temporary sibling, fsync it, `os.replace` it over the target,
fsync the directory. A reader (or a process that was killed half-way) sees the old file or the new
one, never a torn one. Temporary files are hidden and end in `TMP_SUFFIX`, so a resumed writer can
sweep them up."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TMP_SUFFIX = ".tmp"


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or file creation in `path` survive a power cut (not needed against a crash)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(src: Path, dst: Path) -> None:
    """Move an already-fsynced `src` over `dst` atomically (same file system)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    fsync_dir(dst.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    replace_durably(tmp, path)


def write_json_atomic(path: Path, obj: Any) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=4) + "\n").encode())


def write_parquet_atomic(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    pq.write_table(table, tmp)
    fsync_file(tmp)
    replace_durably(tmp, path)


def write_parquet_durably(path: Path, table: pa.Table) -> None:
    """Write (no rename) and fsync: for files in the staging area that are moved into place later."""
    pq.write_table(table, path)
    fsync_file(path)
