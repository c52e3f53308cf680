"""Where indexes live on disk, and how a new one replaces the old one atomically.

    index_dir/<view>/<engine>/CURRENT          the name of the current index directory
    index_dir/<view>/<engine>/<stamp>/         engine files + scipop-index.json

Whoosh indexes are not crash-safe, so no index is ever written in place: a rebuild
writes a new directory, an update writes into a copy of the current one, and only then
is CURRENT replaced (os.replace, atomic). A killed build leaves the old index serving.
The previous directory is kept, because a reader may still have it open.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from kg.atomic import replace_text
from kg.config import Settings
from kg.errors import ConfigError

CURRENT = "CURRENT"
META = "scipop-index.json"  # not meta.json: Tantivy keeps its own file of that name
VIEWS = ("public", "full")
KEEP = 2
BUILDING = ".building-"   # a directory an index is being built in: .building-<stamp>
LOCK_SUFFIX = ".lock"     # .building-<stamp>.lock: held by the build while it runs
_HELD: dict[Path, IO] = {}   # this process's builds -> their open, locked lock files
FORMAT = 5  # bump when documents or fields change shape: older indexes then count as stale


@dataclass
class IndexLocation:
    root: Path  # index_dir/<view>/<engine>

    @classmethod
    def of(cls, settings: Settings, view: str, engine: str) -> "IndexLocation":
        if view not in VIEWS:
            raise ConfigError(f"Unknown view '{view}'.", "Use 'public' or 'full'.")
        return cls(settings.index_dir / view / engine)

    def current(self) -> Path | None:
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if name and (path / META).exists() else None

    def new_dir(self) -> Path:
        """A directory name to build the next index in, locked for this build (`sweep`)."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        path = self.root / f"{BUILDING}{stamp}"
        lock = open(_lock_of(path), "w")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)   # a new file: no one else holds it
        _HELD[path] = lock
        return path

    def sweep(self) -> None:
        """Remove what builds that were killed (by the system, or by a signal no handler
        sees) left behind: each holds a partial index, as large as a whole one.

        A build holds a lock on its directory's lock file until it publishes or discards the
        directory; a lock the system released is a build that is gone. A lock, unlike a
        process id, is seen by builds in other containers sharing this disk too. A build
        directory without a lock file (made by an older version) is left alone."""
        for lock_path in self.root.glob(f"{BUILDING}*{LOCK_SUFFIX}"):
            building = lock_path.with_name(lock_path.name.removesuffix(LOCK_SUFFIX))
            if not building.exists():
                continue   # not made yet, or published meanwhile
            try:
                lock = os.open(lock_path, os.O_RDWR)   # never created here: a released lock stays gone
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(building, ignore_errors=True)
                lock_path.unlink(missing_ok=True)
            except BlockingIOError:
                pass   # its build still runs
            finally:
                os.close(lock)

    def copy_current(self) -> Path:
        current = self.current()
        target = self.new_dir()
        shutil.copytree(current, target)
        return target

    def publish(self, building: Path, meta: dict) -> Path:
        """Make a finished directory the current index: meta first, rename, then the pointer."""
        (building / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        final = self.root / building.name.removeprefix(BUILDING)
        os.replace(building, final)
        _release(building)
        replace_text(self.root / CURRENT, final.name + "\n")
        self.prune()
        return final

    def discard(self, building: Path) -> None:
        shutil.rmtree(building, ignore_errors=True)
        _release(building)

    def prune(self) -> None:
        current = self.current()
        names = sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        for name in names[:-KEEP]:
            if current is None or name != current.name:
                shutil.rmtree(self.root / name, ignore_errors=True)

    def meta(self) -> dict | None:
        current = self.current()
        if current is None:
            return None
        return json.loads((current / META).read_text(encoding="utf-8"))


def _lock_of(building: Path) -> Path:
    return building.with_name(building.name + LOCK_SUFFIX)


def _release(building: Path) -> None:
    """Let go of a build directory's lock, and remove the lock file (the build is over)."""
    lock = _HELD.pop(building, None)
    _lock_of(building).unlink(missing_ok=True)
    if lock is not None:
        lock.close()
