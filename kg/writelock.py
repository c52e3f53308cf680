"""The data directory's write lock: one writer at a time, and no crash recovery under a live one.

Both storage backends keep what a killed write needs to be undone in the data directory (a
checkpoint of the embedded store, a journal of a server's saved graphs), and undo it when
the store is next opened. A write in progress leaves the same traces, so recovery must
first know that no process is writing: the writer holds an flock on `write.lock` for the
whole write, and the kernel drops it when the writer dies.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kg.errors import StoreError

WRITE_LOCK = "write.lock"
# Data directories whose lock this process holds: a second write here is a nested
# `KnowledgeGraph.write()`, a fault in the calling code, not another process at work.
_HELD: set[Path] = set()


def held_elsewhere() -> StoreError:
    """The error for a write, or a recovery, that finds another process writing."""
    return StoreError("Another scipop process is writing to this data directory.",
                      "Wait for it to finish and try again.")


def nested() -> StoreError:
    """The error for a write begun, or the store opened again, inside a write of this same
    process: a fault in the command, not something to wait for."""
    return StoreError("This process is already writing to this data directory: writes do not nest, "
                      "and the store is not opened twice during one.",
                      "This is a bug in the command; please report it with the command you ran.")


def held_here(data_dir: Path) -> bool:
    """Whether this process holds the data directory's write lock."""
    return data_dir.resolve() in _HELD


@contextmanager
def exclusive(data_dir: Path) -> Iterator[None]:
    """Hold the write lock for the block; StoreError at once if another writer holds it."""
    if held_here(data_dir):
        raise nested()
    with if_free(data_dir) as holding:
        if not holding:
            raise held_elsewhere()
        yield


@contextmanager
def if_free(data_dir: Path) -> Iterator[bool]:
    """Hold the write lock for the block if no other writer does; yields whether it is held.
    (An flock belongs to an open file: a second holder in this same process is refused too.)"""
    with open(data_dir / WRITE_LOCK, "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        held = data_dir.resolve()
        _HELD.add(held)
        try:
            yield True
        finally:
            _HELD.discard(held)
            fcntl.flock(lock_file, fcntl.LOCK_UN)
