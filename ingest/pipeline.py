"""From source files to the store, all or nothing.

Everything happens inside one `KnowledgeGraph.write()`: a failure or a kill restores the
checkpoint taken before, so the store never holds half an ingest.

1. The old graphs of each file are dropped (a re-ingest replaces them).
2. Map: every file is read by its format module and written as N-Quads to its own part of
   the staging area (public records in the file's source graph, restricted ones in its
   /restricted twin), in parallel worker processes when the sources are big. A bad record
   stops the run (or, with skip_invalid, goes to the reject report).
3. Load: one bulk load takes each staged part as soon as it is mapped.
4. The PROV catalog is updated and derived facts are refreshed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from contextlib import closing
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ingest import registry
from ingest.base import IngestContext, MappedRecord
from ingest.staging import claim_staging
from kg import catalog, derive
from kg.apart import exit_with_parent
from kg.bootstrap import ensure_ontology
from kg.errors import InputError, Location, NotFound
from kg.iri import Minter
from kg.nquads import NQuadsWriter
from kg.store import KnowledgeGraph

Progress = Callable[[str, int], None]  # (file label, records read so far in that file)
PROGRESS_EVERY = 2000
SKIPPED_NAMES = ("README", "LICENSE")
# Below this many bytes of sources, starting worker processes (~1 s each) costs more than it saves.
PARALLEL_MIN_BYTES = 8_000_000


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
    phases: dict[str, float] = field(default_factory=dict)   # wall seconds: map, load, derive
    warnings: list[str] = field(default_factory=list)        # what the user should know, though nothing failed

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
    return _one_file_per_source(found)


def _one_file_per_source(found: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    """The files without repeats; two different files that would be one source are an error.

    A source is named by its file name (by its path under a folder given as a whole), and a
    source ingested again replaces what it held: the second of two files named alike would
    silently replace the first."""
    kept: dict[str, Path] = {}
    for file, source in found:
        other = kept.setdefault(source, file)
        if other.resolve() != file.resolve():
            raise InputError(Location(file=str(file)), f"this file and {other} would both be loaded as source "
                             f"'{source}', and the second would replace the first",
                             hint="Ingest them in separate folders given whole (each keeps its folder name), "
                                  "or rename one.")
    return [(file, source) for source, file in kept.items()]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stage_file(minter: Minter, path: Path, source_id: str, writer: NQuadsWriter, *, fmt: str,
               encoding: str | None, skip_invalid: bool, progress: Progress | None) -> StagedFile:
    """Map one file into a staging stream; its quads name the file's own graphs."""
    module = registry.choose(path, fmt)
    graph = minter.source_graph(source_id)
    restricted = minter.restricted_graph(graph)
    staged = StagedFile(path=path, source_id=source_id, format=module.name, sha256=sha256_of(path))
    context = IngestContext(path=path, source_id=source_id, minter=minter, encoding=encoding)
    written_before = writer.count
    try:
        for item in module.read(context):
            if isinstance(item, InputError):
                if not skip_invalid:
                    raise item
                staged.rejects.append(item)
                continue
            _write_record(item, staged, writer, graph, restricted)
            if progress and staged.records % PROGRESS_EVERY == 0:
                progress(path.name, staged.records)
    except InputError as error:
        hinted = None if fmt == "auto" or staged.records else registry.wrong_format(error, path, module)
        if hinted is None:
            raise
        raise hinted from error   # a --format that does not fit the file
    if fmt != "auto" and staged.rejects and not staged.records:
        # Every record refused under --skip-invalid: most likely the format forced does not fit.
        hinted = registry.wrong_format(staged.rejects[0], path, module)
        if hinted is not None:
            raise hinted
    staged.triples = writer.count - written_before
    if progress:
        progress(path.name, staged.records)
    return staged


def _write_record(record: MappedRecord, staged: StagedFile, writer: NQuadsWriter, graph, restricted) -> None:
    staged.records += 1
    if record.public:
        writer.write(record.statements, graph)
    else:
        staged.restricted_records += 1
        writer.write(record.statements, restricted)
    if record.kind is not None:
        staged.kinds[record.kind] += 1


@dataclass(frozen=True)
class StagingJob:
    """One file to map into its own part of the staging area (picklable: it may run in a worker)."""

    base_iri: str
    path: Path
    source_id: str
    part: Path
    fmt: str
    encoding: str | None
    skip_invalid: bool


def run_staging_job(job: StagingJob, progress: Progress | None = None) -> StagedFile:
    with open(job.part, "w", encoding="utf-8") as stream:
        return stage_file(Minter(job.base_iri), job.path, job.source_id, NQuadsWriter(stream), fmt=job.fmt,
                          encoding=job.encoding, skip_invalid=job.skip_invalid, progress=progress)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def stage_all(jobs: list[StagingJob], workers: int, progress: Progress | None) -> Iterator[tuple[int, StagedFile]]:
    """Map every file into its own staged part, yielding (job index, what was staged) as each
    part is complete.

    Mapping is pure CPU work per file (no shared state: IRIs are minted from the data), so
    with several workers files are mapped in parallel processes. A small ingest stays in
    this process, where starting workers would cost more than it saves. The first error
    raised stops the whole run."""
    total = sum(job.path.stat().st_size for job in jobs)
    if workers <= 1 or len(jobs) <= 1 or total < PARALLEL_MIN_BYTES:
        for index, job in enumerate(jobs):
            yield index, run_staging_job(job, progress)
        return
    # spawn, not fork: the parent holds an open store (RocksDB threads) that a fork would copy.
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("spawn"),
                             initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
        # Largest files first, so one big file does not start last and run alone.
        order = sorted(range(len(jobs)), key=lambda i: -jobs[i].path.stat().st_size)
        futures = {pool.submit(run_staging_job, jobs[i]): i for i in order}
        try:
            for future in as_completed(futures):
                item = future.result()
                if progress:
                    progress(item.path.name, item.records)
                yield futures[future], item
        finally:   # an error, or a consumer that stopped early: no file is mapped for nothing
            for future in futures:
                future.cancel()


def map_and_load(kg: KnowledgeGraph, jobs: list[StagingJob], workers: int,
                 progress: Progress | None) -> list[StagedFile]:
    """Map the files and bulk-load their staged parts in one load that takes each part as
    soon as it is mapped: loading overlaps mapping, and the store sees one bulk load, not one
    per part (kg.KnowledgeGraph.load_parts). A mapping error ends the load with that error."""
    staged: dict[int, StagedFile] = {}

    def mapped_parts() -> Iterator[Path]:
        # Closed explicitly, so a load that stops early shuts the workers down at once.
        with closing(stage_all(jobs, workers, progress)) as mapped:
            for index, item in mapped:
                staged[index] = item
                yield jobs[index].part

    with closing(mapped_parts()) as parts:
        kg.load_parts(parts)
    return [staged[i] for i in range(len(jobs))]


def ingest_paths(kg: KnowledgeGraph, paths: Iterable[Path], *, fmt: str = "auto", encoding: str | None = None,
                 skip_invalid: bool = False, progress: Progress | None = None,
                 workers: int | None = None, refresh_derived: bool = True, allow_empty: bool = False) -> IngestSummary:
    """Load the files, all or nothing. `refresh_derived=False` leaves the derived facts to the
    caller, for a run that changes identities next (linking) and derives once afterwards.
    `allow_empty`: a file without records may replace a source that held some (else refused)."""
    started = time.monotonic()
    files = expand_paths(paths)
    staging, claim = claim_staging(kg.settings.data_dir / "staging")  # also clears a killed run's files
    try:
        jobs = [StagingJob(kg.settings.base_iri, path, source_id, staging / f"part-{i:05d}.nq", fmt, encoding,
                           skip_invalid) for i, (path, source_id) in enumerate(files)]
        # Mapping runs inside the write: an error while mapping rolls the store back to the
        # checkpoint like any other failure.
        with kg.write():
            ensure_ontology(kg)
            held = catalog.record_counts(kg)
            loaded_before = {str(e["name"]): str(e["sha256"]) for e in catalog.sources(kg)}
            for job in jobs:
                drop_source_graphs(kg, job.source_id)
            staged = map_and_load(kg, jobs, default_workers() if workers is None else workers, progress)
            if not allow_empty:
                refuse_emptied_sources(staged, held)
            loaded_at = time.monotonic()
            report = write_reject_report(kg, staged)
            for item in staged:
                record_source(kg, item)
            if refresh_derived:
                derive.refresh(kg)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        claim.close()
    finished = time.monotonic()
    return IngestSummary(files=staged, reject_report=report, seconds=finished - started,
                         phases={"map and load": loaded_at - started,
                                 **({"derive": finished - loaded_at} if refresh_derived else {})},
                         warnings=same_bytes_warnings(staged, loaded_before)
                         + ([] if allow_empty else empty_source_warnings(staged)))


def empty_source_warnings(staged: list[StagedFile]) -> list[str]:
    """Files read without error that held no record (a header and nothing under it): loaded,
    since an export may be empty, but a user reading 'Loaded 0 records' may not see which."""
    return [f"'{item.source_id}' holds no records (nothing under its header); if it should, export it again."
            for item in staged if not item.records and not item.rejects]


def same_bytes_warnings(staged: list[StagedFile], loaded_before: dict[str, str]) -> list[str]:
    """Sources that hold the same bytes as a file just loaded: most often one file ingested
    once through its folder ('projects/x.csv') and once by itself ('x.csv'). Both are kept,
    and an update through one name would leave the other's old values beside it."""
    current = dict(loaded_before)     # source name -> sha256, after this ingest
    current.update((item.source_id, item.sha256) for item in staged)
    warnings = []
    for sha in dict.fromkeys(item.sha256 for item in staged if item.records):   # two empty files: nothing twice
        names = sorted(name for name, other in current.items() if other == sha)
        if len(names) > 1:
            listed = ", ".join(f"'{name}'" for name in names)
            warnings.append(f"The sources {listed} hold the same file, so its records are loaded twice; "
                            f"take the extra names out with 'scipop remove NAME'.")
    return warnings


def refuse_emptied_sources(staged: list[StagedFile], held: dict[str, int]) -> None:
    """A file without a single record would empty a source that holds records: most often a
    failed export (a header alone) or an empty harvest, not a wish to delete. Refused, and
    the write it is part of rolls back."""
    for item in staged:
        if item.records == 0 and held.get(item.source_id, 0) > 0:
            rejected = ""
            if item.rejects:   # no reject report is written for a refused run: name the first here
                first = item.rejects[0]
                count = "1 row was" if len(item.rejects) == 1 else f"{len(item.rejects)} rows were"
                rejected = f" ({count} rejected, the first on line {first.location.line}: {first.problem})"
            count = held[item.source_id]
            raise InputError(Location(file=str(item.path)),
                             f"the file holds no records{rejected}, and loading it would remove the "
                             f"{count} record{'s' if count != 1 else ''} that source '{item.source_id}' holds",
                             hint="Check the export; to empty the source on purpose use 'scipop ingest "
                                  "--allow-empty', or take it out with 'scipop remove'.")


@dataclass
class RemovedSource:
    name: str
    records: int    # public and restricted, as its last ingest counted them


def remove_sources(kg: KnowledgeGraph, names: Iterable[str], refresh_derived: bool = True) -> list[RemovedSource]:
    """Take sources out of the graph, all or none: their graphs and catalog entries go; the
    copies of their files under sources/ stay (what the user loaded is never lost).
    An unknown name removes nothing."""
    names = list(dict.fromkeys(names))
    with kg.write():
        held = catalog.record_counts(kg)
        unknown = [name for name in names if name not in held]
        if unknown:
            raise NotFound(f"No source named '{unknown[0]}' was ingested.",
                           "'scipop sources' lists the sources by name (a folder's files as folder/file).")
        for name in names:
            drop_source_graphs(kg, name)
            catalog.forget_source(kg, kg.minter.source_graph(name))
        if refresh_derived:
            derive.refresh(kg)
    return [RemovedSource(name, held[name]) for name in names]


def drop_source_graphs(kg: KnowledgeGraph, source_id: str) -> None:
    """Drop a file's old graphs: a re-ingested file replaces what it loaded before."""
    graph = kg.minter.source_graph(source_id)
    kg.drop_graph(graph)
    kg.drop_graph(kg.minter.restricted_graph(graph))


def record_source(kg: KnowledgeGraph, item: StagedFile) -> None:
    """Record where a file's graphs came from, and keep the file's bytes."""
    graph = kg.minter.source_graph(item.source_id)
    keep_source_copy(kg, item)
    catalog.record_source(kg, catalog.SourceRecord(
        graph=graph, restricted_graph=kg.minter.restricted_graph(graph), name=item.source_id, path=str(item.path),
        sha256=item.sha256, format=item.format, records=item.records - item.restricted_records,
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
