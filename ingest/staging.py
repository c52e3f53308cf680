"""Staging directories of ingest runs, and the clean-up of those a killed run left behind.

An ingest maps its sources to N-Quads files under `data_dir/staging/<id>/` before it
touches the store, and removes them when it ends. A run killed with SIGKILL cannot remove
its own, and they are as large as its input, so every ingest first removes the staging
directories whose lock nobody holds. The lock is an flock on a file inside the directory,
held for as long as the run lives; the kernel drops it when the process dies.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from pathlib import Path
from typing import IO

LOCK = ".lock"
NEW = "new-"  # a directory being made: not yet locked, never removed by others


def claim_staging(root: Path) -> tuple[Path, IO]:
    """A new staging directory under `root`, locked until the returned handle is closed.

    It is made under a 'new-' name and renamed once locked, so that no other run can see it
    alive but unlocked."""
    root.mkdir(parents=True, exist_ok=True)
    remove_abandoned(root)
    name = uuid.uuid4().hex
    making = root / f"{NEW}{name}"
    making.mkdir()
    claim = open(making / LOCK, "w")
    fcntl.flock(claim, fcntl.LOCK_EX)
    staging = root / name
    os.replace(making, staging)
    return staging, claim


def remove_abandoned(root: Path) -> list[Path]:
    """Remove the staging directories of runs that are gone; return them."""
    removed = []
    for directory in sorted(root.iterdir()):
        if directory.is_dir() and not directory.name.startswith(NEW) and _abandoned(directory):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


def _abandoned(directory: Path) -> bool:
    try:
        handle = open(directory / LOCK, "a")
    except OSError:  # no lock file: made before staging was locked, or being removed
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live run holds it
    finally:
        handle.close()  # closing drops our own lock again at once
    return True
