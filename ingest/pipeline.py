"""From source files to the store, all or nothing.

1. Stage: every file is read by its format module and written as N-Quads to one staging
   file (public records in the file's source graph, restricted ones in its /restricted twin). Any problem stops
   here, before the store is touched (or, with skip_invalid, the record goes to the reject
   report).
2. Load: inside one `KnowledgeGraph.write()` the old graphs of each file are dropped, the
   staged N-Quads are bulk-loaded at once, the PROV catalog is updated and derived facts are
   refreshed. A failure or a kill restores the checkpoint taken before.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from ingest import registry
from ingest.base import IngestContext, MappedRecord
from ingest.staging import claim_staging
from kg import catalog, derive
from kg.bootstrap import ensure_ontology
from kg.errors import InputError, Location
from kg.nquads import NQuadsWriter
from kg.store import KnowledgeGraph

Progress = Callable[[str, int], None]  # (file label, records read so far in that file)
PROGRESS_EVERY = 2000
SKIPPED_NAMES = ("README", "LICENSE")


@dataclass
class StagedFile:
    path: Path
    source_id: str
    format: str
    sha256: str
    records: int = 0
    restricted_records: int = 0
    triples: int = 0
    rejects: list[InputError] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)


@dataclass
class IngestSummary:
    files: list[StagedFile]
    reject_report: Path | None
    seconds: float

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def triples(self) -> int:
        return sum(f.triples for f in self.files)

    @property
    def rejects(self) -> int:
        return sum(len(f.rejects) for f in self.files)


def expand_paths(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """Files with their source ids: a file's own name, or 'dir/relative/path' under a directory."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = file.relative_to(path)
                if any(part.startswith(".") for part in relative.parts) or file.stem.upper() in SKIPPED_NAMES:
                    continue
                found.append((file, f"{path.resolve().name}/{relative.as_posix()}"))
        elif path.is_file():
            found.append((path, path.name))
        else:
            raise InputError(Location(file=str(path)), "no such file or directory", hint="Check the path.")
    if not found:
        raise InputError(Location(file=", ".join(map(str, paths)) or "(none)"), "no source files to ingest",
                         hint="Give one or more files or directories.")
    return found


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stage_file(kg: KnowledgeGraph, path: Path, source_id: str, writer: NQuadsWriter, *, fmt: str,
               encoding: str | None, skip_invalid: bool, progress: Progress | None) -> StagedFile:
    """Map one file into the shared staging stream; its quads name the file's own graphs."""
    module = registry.choose(path, fmt)
    graph = kg.minter.source_graph(source_id)
    restricted = kg.minter.restricted_graph(graph)
    staged = StagedFile(path=path, source_id=source_id, format=module.name, sha256=sha256_of(path))
    context = IngestContext(path=path, source_id=source_id, minter=kg.minter, encoding=encoding)
    written_before = writer.count
    for item in module.read(context):
        if isinstance(item, InputError):
            if not skip_invalid:
                raise item
            staged.rejects.append(item)
            continue
        _write_record(item, staged, writer, graph, restricted)
        if progress and staged.records % PROGRESS_EVERY == 0:
            progress(path.name, staged.records)
    staged.triples = writer.count - written_before
    if progress:
        progress(path.name, staged.records)
    return staged


def _write_record(record: MappedRecord, staged: StagedFile, writer: NQuadsWriter, graph, restricted) -> None:
    staged.records += 1
    if record.public:
        writer.write(record.triples, graph)
    else:
        staged.restricted_records += 1
        writer.write(record.triples, restricted)
    if record.kind is not None:
        staged.kinds[record.kind] += 1


def ingest_paths(kg: KnowledgeGraph, paths: Iterable[Path], *, fmt: str = "auto", encoding: str | None = None,
                 skip_invalid: bool = False, progress: Progress | None = None) -> IngestSummary:
    started = time.monotonic()
    files = expand_paths(paths)
    staging, claim = claim_staging(kg.settings.data_dir / "staging")  # also clears a killed run's files
    batch = staging / "batch.nq"
    try:
        # One staging file for the whole run: one bulk load instead of one per file.
        with open(batch, "w", encoding="utf-8") as stream:
            writer = NQuadsWriter(stream)
            staged = [stage_file(kg, path, source_id, writer, fmt=fmt, encoding=encoding,
                                 skip_invalid=skip_invalid, progress=progress) for path, source_id in files]
        report = write_reject_report(kg, staged)
        with kg.write():
            ensure_ontology(kg)
            for item in staged:
                replace_source_graphs(kg, item)
            kg.load_nquads(batch)
            derive.refresh(kg)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        claim.close()
    return IngestSummary(files=staged, reject_report=report, seconds=time.monotonic() - started)


def replace_source_graphs(kg: KnowledgeGraph, item: StagedFile) -> None:
    """Drop the file's old graphs (its new quads are in the batch) and record where they came from."""
    graph = kg.minter.source_graph(item.source_id)
    restricted = kg.minter.restricted_graph(graph)
    kg.drop_graph(graph)
    kg.drop_graph(restricted)
    keep_source_copy(kg, item)
    catalog.record_source(kg, catalog.SourceRecord(
        graph=graph, restricted_graph=restricted, name=item.source_id, path=str(item.path), sha256=item.sha256,
        format=item.format, records=item.records - item.restricted_records,
        restricted_records=item.restricted_records, rejects=len(item.rejects), triples=item.triples,
        loaded_at=datetime.now(timezone.utc)))


def keep_source_copy(kg: KnowledgeGraph, item: StagedFile) -> None:
    """Keep the exact bytes the user loaded, so the graph can always be rebuilt from them."""
    target = kg.settings.sources_dir / f"{item.sha256}{item.path.suffix.lower()}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, target)


def write_reject_report(kg: KnowledgeGraph, staged: list[StagedFile]) -> Path | None:
    rejects = [(item, error) for item in staged for error in item.rejects]
    if not rejects:
        return None
    kg.settings.rejects_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    report = kg.settings.rejects_dir / f"rejects-{stamp}.jsonl"
    with open(report, "w", encoding="utf-8") as handle:
        for item, error in rejects:
            row = {"source": item.source_id, **error.location.to_dict(), "problem": error.problem,
                   "value": None if error.value is None else str(error.value), "hint": error.hint}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return report
