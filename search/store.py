"""Where indexes live on disk, and how a new one replaces the old one atomically.

    index_dir/<view>/<engine>/CURRENT          the name of the current index directory
    index_dir/<view>/<engine>/<stamp>/         engine files + scipop-index.json

Whoosh indexes are not crash-safe, so no index is ever written in place: a rebuild
writes a new directory, an update writes into a copy of the current one, and only then
is CURRENT replaced (os.replace, atomic). A killed build leaves the old index serving.
The previous directory is kept, because a reader may still have it open.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kg.config import Settings
from kg.errors import ConfigError

CURRENT = "CURRENT"
META = "scipop-index.json"  # not meta.json: Tantivy keeps its own file of that name
VIEWS = ("public", "full")
KEEP = 2
BUILDING = ".building-"   # a directory an index is being built in: .building-<stamp>.<process id>
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
        """A directory name to build the next index in, named after this process."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        return self.root / f"{BUILDING}{stamp}.{os.getpid()}"

    def sweep(self) -> None:
        """Remove what builds whose process is gone left behind (killed by the system, or by
        a signal no handler sees): each holds a partial index, as large as a whole one.

        A build directory names its process; one whose process still runs (another `scipop
        index` on the same view) is left alone. A reused process id can only keep an
        abandoned directory longer, never remove a live one."""
        for path in self.root.iterdir():
            owner = path.name.rpartition(".")[2] if path.name.startswith(BUILDING) else ""
            if owner.isdigit() and not _running(int(owner)):
                shutil.rmtree(path, ignore_errors=True)

    def copy_current(self) -> Path:
        current = self.current()
        target = self.new_dir()
        shutil.copytree(current, target)
        return target

    def publish(self, building: Path, meta: dict) -> Path:
        """Make a finished directory the current index: meta first, rename, then the pointer."""
        (building / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        final = self.root / building.name.removeprefix(BUILDING).rpartition(".")[0]
        os.replace(building, final)
        pointer = self.root / f".{CURRENT}.{uuid.uuid4().hex}"
        pointer.write_text(final.name + "\n", encoding="utf-8")
        os.replace(pointer, self.root / CURRENT)
        self.prune()
        return final

    def discard(self, building: Path) -> None:
        shutil.rmtree(building, ignore_errors=True)

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


def _running(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True    # someone else's process: alive
    return True

