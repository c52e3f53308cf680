"""Writing the links graph: N-Quads lines, and a sync that touches only what changed.

Deleting a graph on Oxigraph costs about as much per quad as loading it, and the links
graph of a large store holds millions of quads, most of them the same from one run to
the next. So the step keeps the graph as last written in `data_dir/links.nq` (kg.graphstate: its
lines in the order they were made, headed by the run's stamp as an N-Quads comment) and,
when the store's links graph carries the same stamp (`<links graph> prov:generatedAtTime`),
deletes only the lines that went and bulk-loads only the lines that came. Any doubt (no
file, another stamp: a rolled-back write, a restored store) falls back to dropping the
graph and loading it whole, while linking still runs (`LinksWriter`): the lines go to part
files as they are made, a background thread bulk-loads each part as it is closed, and the
state file is the parts joined (one write of the lines, not two).
Either way the lines are written to part files as they are made and only a 16-byte digest
of each is held; a followed run compares the old file's lines with the new ones by digest at
the end (hashing, not sorting: sorting millions of long lines cost more), and a first link
needs no comparison at all.
"""
from __future__ import annotations

import queue
import shutil
import threading
from pathlib import Path
from typing import IO, Iterable

from rdflib import URIRef
from rdflib.namespace import RDF, XSD

from kg import graphstate
from kg import vocab as V
from kg.atomic import replacing
from kg.changes import note_changes, note_everything
from kg.iri import Minter
from kg.nquads import iri_nt, string_nt
from kg.store import KnowledgeGraph

STATE_FILE = "links.nq"
PARTS_DIR = "links-parts"      # a first link's lines, loaded as they are made (see LinksWriter)
# Lines per part file, and so per bulk load. Oxigraph's bulk loader holds up to a million
# quads per thread in memory: one load of the whole links graph at 200,000 projects (6.5
# million quads) peaked at 1.81 GB on its own, in 500,000-line loads at 0.58 GB; at 50,000
# projects, into the ingested store, 31.2 s and 1.28 GB in one load against 27.7 s and
# 0.57 GB in four.
PART_LINES = 500_000


class LinkLines:
    """Collects the links graph as N-Quads lines."""

    def __init__(self, minter: Minter) -> None:
        self.minter = minter
        self.graph = minter.links_graph()
        self._suffix = f" {iri_nt(str(self.graph))} .\n"
        self._p = {p: iri_nt(str(p)) for p in (V.sameAs, V.linkSubject, V.linkRelation, V.linkObject, V.linkMethod,
                                          V.confidence, V.evidence)}
        # Every constant part of a decision's lines rendered once: a large store writes
        # hundreds of thousands of decisions, and rdflib terms per line cost more than the rest.
        suffix, p = self._suffix, self._p
        self._type_line = f" {iri_nt(str(RDF.type))} {iri_nt(str(V.IdentityDecision))}{suffix}"
        self._subject, self._object = f" {p[V.linkSubject]} ", f" {p[V.linkObject]} "
        self._relation_lines = {same: f" {p[V.linkRelation]} {iri_nt(str(V.sameAs if same else V.differentFrom))}{suffix}"
                                for same in (True, False)}
        self._method, self._evidence = f" {p[V.linkMethod]} ", f" {p[V.evidence]} "
        self._confidence, self._decimal = f" {p[V.confidence]} \"", f"\"^^{iri_nt(str(XSD.decimal))}{suffix}"
        self._methods: dict[str, str] = {}
        self.lines: list[str] = []

    def same_as(self, member: str, canonical: str) -> None:
        self.lines.append(f"{iri_nt(member)} {self._p[V.sameAs]} {iri_nt(canonical)}{self._suffix}")

    def decision(self, a: str, b: str, same: bool, method: URIRef, score: float, text: str) -> None:
        """An sp:IdentityDecision node: a and b are one entity (same) or kept apart, how and why."""
        relation = V.sameAs if same else V.differentFrom
        # str(): a URIRef concatenated with str gives a URIRef (rdflib), which never equals the str lines.
        node = iri_nt(str(self.minter.link(a, relation, b, method)))
        method_nt = self._methods.get(method)
        if method_nt is None:
            method_nt = self._methods[method] = iri_nt(str(method)) + self._suffix
        suffix = self._suffix
        self.lines += [
            node + self._type_line,
            node + self._subject + iri_nt(a) + suffix,
            node + self._relation_lines[same],
            node + self._object + iri_nt(b) + suffix,
            node + self._method + method_nt,
            f"{node}{self._confidence}{min(score, 1.0):.3f}{self._decimal}",
            node + self._evidence + string_nt(text[:500]) + suffix,
        ]


class LinksWriter:
    """Makes the links graph hold exactly the lines of a `LinkLines` (plus the run's stamp).

    Chosen at the start: when the store's links graph carries the state file's stamp, the
    lines are written to part files as they come, compared at `finish` with the old state
    file, and only the changes are deleted and loaded. Otherwise
    (a first link, or any doubt) the graph is dropped at once and the lines are bulk-loaded
    *while linking still runs*: each `flush` appends the lines made since the last one to
    the open part file, and a part that reaches PART_LINES is closed and bulk-loaded in a
    background thread (`_BackgroundLoad`). Person resolution is Python on one core and the
    embedded store's bulk load reads a file with no GIL, so the load keeps pace with
    resolution on the second core: at 100,000 projects the write after resolution went
    from 52 s (all loaded after it, session 13) to 16.5 s (loaded as it went). One load of
    every part (through a named pipe, until session 23) held the bulk loader's batches for
    the whole run; a load per part holds one part's.
    The state file is then the parts joined, behind the stamp.

    Use it as a context manager: leaving without `finish` stops the load (the caller's
    `kg.write()` rolls the store back) and removes the part files.
    """

    def __init__(self, kg: KnowledgeGraph, links: LinkLines) -> None:
        self.kg, self.links, self.graph = kg, links, links.graph
        self.stamp = graphstate.new_stamp()
        self.state = kg.settings.data_dir / STATE_FILE
        self._parts_dir = kg.settings.data_dir / PARTS_DIR
        shutil.rmtree(self._parts_dir, ignore_errors=True)   # a killed run's, whichever way it wrote
        self.follows = graphstate.followed(kg, self.graph, self.state) is not None
        stamp = graphstate.stamp_line(self.graph, self.stamp)
        # Either way the distinct lines go to part files as they come, in the order they
        # were made (the same graph, and the same file, whatever the hash seed), and only a
        # digest of each is kept, to skip repeats: the lines were ~2 KB a decision at 10,000
        # projects (1,015,989 decisions at 200,000), and a followed run that held them all
        # until `finish` peaked 0.76 GB above a first link at 200,000 projects (session 24).
        self._digests: set[bytes] = set()
        self._parts: list[Path] = []
        self._open_part: IO[str] | None = None     # the part being written, not yet handed on
        self._open_lines = 0
        self._load: _BackgroundLoad | None = None
        self._parts_dir.mkdir(parents=True)
        try:
            if not self.follows:
                note_everything(kg.settings)      # no record of the old graph to compare with
                kg.drop_graph(self.graph)
                self._load = _BackgroundLoad(kg)
            self._write_parts(self._distinct([stamp]))
        except BaseException:
            self.close()
            raise

    def flush(self) -> None:
        """Write the lines made since the last flush to the parts (loaded as they close when
        the graph is loaded whole)."""
        lines = self._distinct(self.links.lines)
        self.links.lines.clear()
        self._write_parts(lines)

    def finish(self) -> tuple[int, int]:
        """Write what is left and the state file; returns (quads removed, quads added)."""
        self.flush()
        self._close_part()
        with replacing(self.state) as out:
            out.write(graphstate.header(self.stamp).encode("utf-8"))
            for part in self._parts:
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 20)
            if self._load is None:
                return self._follow()
            self._load.finish()
            self._load = None
        return 0, len(self._digests)

    def close(self) -> None:
        try:
            if self._open_part is not None:
                self._open_part.close()
                self._open_part = None
            if self._load is not None:     # left early: the caller's write rolls the store back
                self._load.stop()
                self._load = None
        finally:
            shutil.rmtree(self._parts_dir, ignore_errors=True)

    def __enter__(self) -> "LinksWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _distinct(self, made: Iterable[str]) -> list[str]:
        """The lines of `made` not seen before, in their order."""
        digests, new = self._digests, []
        for line in made:
            key = graphstate.digest(line)
            if key not in digests:
                digests.add(key)
                new.append(line)
        return new

    def _write_parts(self, lines: list[str]) -> None:
        """Append lines to the open part; a part that reaches PART_LINES goes to the load."""
        start = 0
        while start < len(lines):
            if self._open_part is None:
                part = self._parts_dir / f"part-{len(self._parts):05d}.nq"
                self._open_part = open(part, "w", encoding="utf-8")
                self._parts.append(part)
            room = PART_LINES - self._open_lines
            self._open_part.writelines(lines[start:start + room])
            self._open_lines += len(lines[start:start + room])
            start += room
            if self._open_lines >= PART_LINES:
                self._close_part()

    def _close_part(self) -> None:
        if self._open_part is not None:
            self._open_part.close()
            self._open_part, self._open_lines = None, 0
            if self._load is not None:
                self._load.add(self._parts[-1])

    def _follow(self) -> tuple[int, int]:
        """Delete the old lines that went and load the new ones that came (kg.graphstate)."""
        gone, added = graphstate.line_changes(self.state, self._parts, self._digests)
        note_changes(self.kg.settings, graphstate.named(gone, added))
        self.kg.delete_lines(self.graph, gone)
        self.kg.load_lines(added)
        return len(gone), len(added)


class _BackgroundLoad:
    """Bulk loads (`kg.load_parts`, a part each) in a thread, taking part files as they are added.

    The embedded store reads a file named by its path with no GIL, so the loads run on the
    second core while person resolution (pure Python) holds the GIL on the first. A failed
    load stops the loading; `add` and `finish` raise its error, and what was loaded by then
    is rolled back with the caller's write."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self._queue: queue.Queue[Path | None] = queue.Queue()
        self._error: BaseException | None = None
        self._loader = threading.Thread(target=self._load, args=(kg,), name="links-graph-load", daemon=True)
        self._loader.start()

    def _load(self, kg: KnowledgeGraph) -> None:
        try:
            for part in iter(self._queue.get, None):
                kg.load_parts([part])
        except BaseException as exc:   # handed to the linking thread, which raises it
            self._error = exc

    def add(self, part: Path) -> None:
        self._raise()
        self._queue.put(part)

    def finish(self) -> None:
        """Wait until every part added is loaded."""
        self._queue.put(None)
        self._loader.join()
        self._raise()

    def stop(self) -> None:
        """Load nothing more (what is loaded stays until the write is rolled back). Waits for
        the part being loaded: the write must not be rolled back under a running load, so a
        second Ctrl-C does not cut the wait short."""
        try:
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        finally:
            self._queue.put(None)
            while self._loader.is_alive():
                try:
                    self._loader.join()
                except KeyboardInterrupt:
                    continue

    def _raise(self) -> None:
        if self._error is not None:
            self._loader.join()
            raise self._error
