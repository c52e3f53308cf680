"""Bulk reads for linking: a few big SELECTs over the approved (public) graphs only.

Linking reads no restricted graph (records under review or confidential) and not its own
links graph: every identity it derives, and the evidence text it writes, then rests on
public records alone, so nothing it writes can carry restricted information into the
public view.

Rows come back as plain strings (IRIs and literal values; None when unbound). On the
embedded store the results are serialized by Oxigraph itself as SPARQL TSV (in memory) and
split here, which costs about half the CPU of building a Python object per term for
millions of rows; on a SPARQL server, through `KnowledgeGraph.query`.

Reads the caller announces with `plan` are evaluated ahead in background threads:
Oxigraph releases the GIL while it evaluates and serializes. Oxigraph's decoding is the
larger part of a read (one read ahead left the Python side waiting a third of the time),
so two threads evaluate reads ahead, and keep going while this read is split and used: a
read that ends starts the next (up to READ_AHEAD reads ahead, READ_AHEAD_BYTES waiting).

With an `InputCache` (what `run_linking` uses on the embedded store), each planned read is
made graph by graph and each source graph's rows are kept on disk under the fingerprint
its file has in the PROV catalog (sha256 and load time; only an ingest writes a source
graph, and it records both anew). A re-link then reads from the store only the graphs
whose file is new or was ingested again: at 100,000 projects the reads were 73 s of a
198 s re-link. A graph the catalog does not know (ontology, derived, curation) is read
every time. A read per graph costs about what the same read over the union costs (the
same index entries are decoded; measured at 10,000 projects).
"""
from __future__ import annotations

import hashlib
import pickle
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox

from kg.atomic import replacing
from kg.store import EmbeddedBackend, KnowledgeGraph, prefix_block
from kg.tsv import tsv_rows, tsv_value

READ_THREADS = 2          # reads evaluated at once: this machine has two cores
READ_AHEAD = 8            # reads done or running ahead of the one being used: the threads go on
                          # while it is split (two ahead left them idle: 78.7 s of reads
                          # against 72.2 s at 100,000 projects) …
READ_AHEAD_BYTES = 256 << 20   # … while less than this is done and waiting (one big source file):
                          # at most this plus READ_THREADS reads in memory besides the one in use


CACHE_DIR = "linking-inputs"    # under the data directory
_CACHE_FORMAT = "1"             # bump when what a cached file holds changes


class InputCache:
    """The rows of one read in one source graph, one pickle file each, named by a hash of
    the graph, its file's fingerprint (kg.catalog.source_fingerprints) and the query text:
    a re-ingested file, or a changed read, simply names other files. Files a run did not
    use are removed at its end (`prune`)."""

    def __init__(self, directory: Path, fingerprints: dict[str, str]) -> None:
        self.directory = directory
        self.fingerprints = fingerprints
        self.used: set[str] = set()
        self.hits = 0          # (graph, read) pairs served from the cache …
        self.misses = 0        # … and read from the store (and then kept)

    def path(self, graph: str, query: str) -> Path | None:
        """Where the rows are kept; None for a graph without a catalog entry (not cached)."""
        fingerprint = self.fingerprints.get(graph)
        if fingerprint is None:
            return None
        key = "\n".join((_CACHE_FORMAT, graph, fingerprint, query)).encode("utf-8")
        name = hashlib.sha256(key).hexdigest()[:32] + ".pickle"
        self.used.add(name)
        return self.directory / name

    def load(self, path: Path) -> list[tuple] | None:
        try:
            with open(path, "rb") as handle:
                rows = pickle.load(handle)
        except Exception:   # a damaged or foreign file is only a cache miss: the store still has the rows
            return None
        self.hits += 1
        return rows

    def save(self, path: Path, rows: list[tuple]) -> None:
        self.misses += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        with replacing(path) as handle:   # never a short file under the real name
            pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)

    def prune(self) -> None:
        """Remove the files this run did not use (files re-ingested or removed since, old reads)."""
        if not self.directory.is_dir():
            return
        for entry in self.directory.iterdir():
            if entry.name not in self.used:
                entry.unlink(missing_ok=True)


class GraphReader:
    """Runs `SELECT vars WHERE { GRAPH ?g { pattern } }` over the public source graphs."""

    def __init__(self, kg: KnowledgeGraph, cache: InputCache | None = None) -> None:
        self.kg = kg
        names = kg.graph_names()
        excluded = [g for g in names if kg.minter.is_restricted_graph(g)]
        excluded.append(kg.minter.links_graph())
        self._filter = "FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in excluded) + "))"
        # The public graphs, in a fixed order: with a cache, reads are made graph by graph.
        self._graphs = sorted({str(g) for g in names} - {str(g) for g in excluded})
        self._ox = kg.backend.ox if isinstance(kg.backend, EmbeddedBackend) else None
        self._cache = cache if self._ox is not None else None
        self._by_graph: set[tuple[str, str]] = set()   # the (variables, pattern) reads made graph by graph
        self._planned: list[str] = []              # query texts the caller will ask for, in order
        self._pending: dict[str, Future] = {}      # at most READ_AHEAD: text -> its results, being read
        # Guards _planned and _pending: a read that ends starts the next, in its thread. Reentrant:
        # a read already done runs its callback at once, in the thread that is adding it.
        self._lock = threading.RLock()
        self._pool: ThreadPoolExecutor | None = None

    def query_text(self, variables: str, pattern: str) -> str:
        return prefix_block() + f"SELECT {variables} WHERE {{ GRAPH ?g {{ {pattern} }} {self._filter} }}"

    def graph_query_text(self, variables: str, pattern: str, graph: str) -> str:
        return prefix_block() + f"SELECT {variables} WHERE {{ GRAPH <{graph}> {{ {pattern} }} }}"

    def plan(self, reads: Iterable[tuple[str, str]]) -> None:
        """The (variables, pattern) reads the caller will make next, in that order.

        A read asked for out of order, or never planned, is simply evaluated when asked.
        With a cache, these reads are made graph by graph, and only the graphs not cached
        are read (ahead) from the store.
        """
        if self._ox is None:
            return
        reads = list(reads)
        if self._cache is not None:
            self._by_graph = set(reads)
            self._planned = [self.graph_query_text(v, p, graph) for v, p in reads for graph in self._graphs
                             if not self._cached(self.graph_query_text(v, p, graph), graph)]
        else:
            self._planned = [self.query_text(variables, pattern) for variables, pattern in reads]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="linking-read")
        self._advance()

    def close(self) -> None:
        """Stop reading ahead and remove results no one asked for."""
        with self._lock:
            self._planned = []
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        # Let go of the store: when linking fails inside kg.write(), the traceback keeps this
        # reader alive while the write is rolled back, and a rollback can restore the
        # checkpoint only once nothing holds the open store (RocksDB refuses a second open,
        # and the old handle would delete the restored files it thinks obsolete).
        self._ox = None

    def ahead(self, reads: Iterable[tuple[str, str]]) -> None:
        """Start evaluating these (variables, pattern) reads now, all of them, in the
        background (two at a time); call it when the planned reads are done (they would
        wait behind these), before work that does not touch the store."""
        if self._ox is None:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="linking-read")
        with self._lock:
            for variables, pattern in reads:
                text = self.query_text(variables, pattern)
                if text not in self._pending:
                    self._pending[text] = self._pool.submit(self._serialize, text)

    def close_cache(self) -> None:
        """After a run that made every planned read: forget the cached rows no graph has any more."""
        if self._cache is not None and self._by_graph:
            self._cache.prune()

    def _cached(self, text: str, graph: str) -> bool:
        path = self._cache.path(graph, text) if self._cache is not None else None
        return path is not None and path.is_file()

    def _graph_lists(self, variables: str, pattern: str) -> Iterator[list[tuple]]:
        """A planned read, graph by graph: from the cache, or from the store (then kept)."""
        for graph in self._graphs:
            text = self.graph_query_text(variables, pattern, graph)
            path = self._cache.path(graph, text)
            rows = self._cache.load(path) if path is not None and path.is_file() else None
            if rows is None:
                rows = list(self._tsv_rows(text))
                if path is not None:
                    self._cache.save(path, rows)
            yield rows

    def rows(self, variables: str, pattern: str) -> Iterator[tuple]:
        """Each solution as a tuple of strings (or None), in the order of `variables`."""
        if (variables, pattern) in self._by_graph:
            # Chained in C: millions of kept rows, no Python frame per row.
            return chain.from_iterable(self._graph_lists(variables, pattern))
        return self._union_rows(variables, pattern)

    def _union_rows(self, variables: str, pattern: str) -> Iterator[tuple]:
        text = self.query_text(variables, pattern)
        if self._ox is not None:
            yield from self._tsv_rows(text)
            return
        for row in self.kg.query(text):
            yield tuple(None if term is None else str(term) for term in row)

    def _advance(self, _ended: Future | None = None) -> None:
        """Start the next planned reads: at most READ_THREADS running, READ_AHEAD ahead, and
        none while READ_AHEAD_BYTES of results are done and waiting. Called by the caller as
        it takes a result, and by each read as it ends (in its thread)."""
        with self._lock:
            while self._planned and self._pool is not None and len(self._pending) < READ_AHEAD:
                running = sum(1 for future in self._pending.values() if not future.done())
                if running >= READ_THREADS or self._bytes_waiting() >= READ_AHEAD_BYTES:
                    return
                text = self._planned.pop(0)
                future = self._pool.submit(self._serialize, text)
                self._pending[text] = future
                future.add_done_callback(self._advance)

    def _bytes_waiting(self) -> int:
        return sum(len(future.result()) for future in self._pending.values()
                   if future.done() and not future.cancelled() and future.exception() is None)

    def _serialize(self, text: str) -> bytes:
        # In memory, not a temporary file: creating a file costs 1-6 ms on this disk, and a
        # run made graph by graph makes thousands of reads, most of them small or empty.
        return self._ox.query(text).serialize(format=ox.QueryResultsFormat.TSV)

    def _tsv_rows(self, text: str) -> Iterator[tuple]:
        with self._lock:
            future = self._pending.pop(text, None)
            if future is None and text in self._planned:
                self._planned.remove(text)   # asked for early: not read ahead any more
        if future is None:
            data = self._serialize(text)
        else:
            data = future.result()
        self._advance()
        for cells in tsv_rows(data):
            # Most cells are IRIs: cut their brackets here rather than call tsv_value (millions of cells).
            yield tuple([cell[1:-1] if cell[:1] == "<" else tsv_value(cell) for cell in cells])
