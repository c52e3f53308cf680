"""The graph store: rdflib as the API over Oxigraph on disk, or over a SPARQL endpoint.

`KnowledgeGraph` is the only object the other layers use to read and write the graph.
Writes happen inside `KnowledgeGraph.write()`, which makes a whole ingest atomic:
on the embedded store a hard-link checkpoint is taken first and restored if the work
fails or the process dies (the journal file tells the next opener to roll back).

Design notes (measured, see the project brief):
- `len(graph)` over oxrdflib is a full distinct scan; use `count_triples()`.
- Bulk loading N-Quads is the fast path; rdflib `add()` per triple is not.
"""
from __future__ import annotations

import gc
import io
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Protocol, Sequence

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Dataset, URIRef
from rdflib.query import Result

from kg import writelock
from kg.config import Settings
from kg.errors import ConfigError, QueryError, StoreError
from kg.iri import Minter
from kg.nquads import iri_nt
from kg.tsv import tsv_rows, tsv_value
from kg import vocab as V
from kg.vocab import PREFIXES

JOURNAL = "store.journal"
CHECKPOINT = "store.checkpoint"
# Checkpoints of the store (hard links) that work in a second process reads while this one
# goes on: the collaboration network of a derive (kg.derive), the public view of a publish
# that derives first (kg.publish).
NETWORK_SNAPSHOT = ".network-snapshot"
PUBLIC_VIEW_SNAPSHOT = ".public-view-snapshot"
SNAPSHOTS = (NETWORK_SNAPSHOT, PUBLIC_VIEW_SNAPSHOT)


DELETE_CHUNK = 2000   # statements per DELETE DATA (KnowledgeGraph.delete_lines)

class Backend(Protocol):
    """What a storage backend must offer; the embedded and remote ones both do."""

    def rdflib_store(self): ...
    def load_nquads(self, paths: Iterable[Path]) -> None: ...
    def drop_graph(self, graph: URIRef) -> None: ...
    def graph_names(self) -> list[URIRef]: ...
    def update(self, sparql: str, touches: Iterable[URIRef] = ()) -> None: ...
    def rows(self, sparql: str) -> Iterator[tuple[str | None, ...]]: ...
    @contextmanager
    def transaction(self) -> Iterator[None]: ...
    def close(self) -> None: ...


class EmbeddedBackend:
    """Oxigraph (RocksDB) in `data_dir/store`, with checkpoint-based atomic writes."""

    def __init__(self, data_dir: Path, read_only: bool = False) -> None:
        self.data_dir = data_dir
        self.path = data_dir / "store"
        self.read_only = read_only
        if not read_only:   # a reader of a mistyped --data-dir is told so, and leaves no empty directory behind
            data_dir.mkdir(parents=True, exist_ok=True)
        self._ox: ox.Store | None = None
        self._rdflib_store: OxigraphStore | None = None
        if read_only:
            self._open()
        else:
            self._recover_and_open()

    # Opening and closing --------------------------------------------------------
    def _open(self) -> None:
        if self.read_only and not (self.path / "CURRENT").is_file():
            # RocksDB's own words for this ("IO error ... CURRENT") name no cause a user knows.
            raise StoreError(f"There is no graph at {self.path} yet.",
                             "Run 'scipop build --demo' or 'scipop ingest FILES' first (for a published "
                             "view, 'scipop publish'), or pass the --data-dir that holds the graph.")
        try:
            if self.read_only:
                self._ox = ox.Store.read_only(str(self.path))
            else:
                self._ox = ox.Store(str(self.path))
        except OSError as exc:
            raise StoreError(
                f"The graph store at {self.path} cannot be opened ({exc}).",
                "Another scipop process may be writing to it; wait for it to finish, or use another --data-dir.",
            ) from exc
        self._rdflib_store = OxigraphStore(store=self._ox)

    def close(self) -> None:
        # pyoxigraph closes RocksDB when the last reference goes; drop ours and collect.
        self._rdflib_store = None
        self._ox = None
        gc.collect()

    @property
    def ox(self) -> ox.Store:
        assert self._ox is not None, "store is closed"
        return self._ox

    def rdflib_store(self) -> OxigraphStore:
        assert self._rdflib_store is not None, "store is closed"
        return self._rdflib_store

    # Crash recovery -------------------------------------------------------------
    def _recover_and_open(self) -> None:
        """Roll back a write that a killed process left half done, then open the store.

        Not one a live process is making: it holds the write lock, and its store is not ours
        to touch. Without this check a second command started during a write replaced the
        writer's store with its checkpoint. The lock is held until the store is open, so no
        other opener sees a store being put back."""
        if writelock.held_here(self.data_dir):
            raise writelock.nested()
        with writelock.if_free(self.data_dir) as holding:
            if holding:
                self._restore_checkpoint()
            elif (self.data_dir / JOURNAL).exists() or (self.data_dir / CHECKPOINT).exists():
                raise writelock.held_elsewhere()
            # A process that has the store open fails this on RocksDB's own lock, in a write
            # or not (a publish reads it outside one).
            self._open()
            self._remove_snapshots()

    def _restore_checkpoint(self) -> None:
        """Put back the checkpoint of an unfinished write (call holding the write lock)."""
        journal = self.data_dir / JOURNAL
        checkpoint = self.data_dir / CHECKPOINT
        if journal.exists() and checkpoint.exists():
            shutil.rmtree(self.path, ignore_errors=True)
            os.replace(checkpoint, self.path)
            journal.unlink()
        elif checkpoint.exists():
            # The process died while taking the checkpoint: the store itself was not touched.
            shutil.rmtree(checkpoint)
            journal.unlink(missing_ok=True)
        else:
            # A recovery killed after putting the checkpoint back: its journal must go now, or a
            # later write killed while taking its checkpoint would have that half checkpoint
            # put back as if it were whole.
            journal.unlink(missing_ok=True)

    def _remove_snapshots(self) -> None:
        """Remove the checkpoints that work in a second process reads (SNAPSHOTS) left by a
        run that was killed: each holds the store's files, restricted records included.
        Called once this process holds the store, so no live run is using them."""
        for name in SNAPSHOTS:
            shutil.rmtree(self.data_dir / name, ignore_errors=True)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.read_only:
            raise StoreError("The store is open read-only.", "Run writes from the CLI, not from a read-only server.")
        with writelock.exclusive(self.data_dir):
            self.ox.flush()
            checkpoint = self.data_dir / CHECKPOINT
            self.ox.backup(str(checkpoint))
            (self.data_dir / JOURNAL).write_text("write in progress; the checkpoint is restored on next open\n")
            try:
                yield
                self.ox.flush()
            except BaseException:
                self._rollback()
                raise
            (self.data_dir / JOURNAL).unlink()
            shutil.rmtree(checkpoint)

    def _rollback(self) -> None:
        self.close()
        self._restore_checkpoint()   # this process holds the write lock
        self._open()

    # Writes ---------------------------------------------------------------------
    def load_nquads(self, paths: Iterable[Path]) -> None:
        if isinstance(paths, Sequence) and len(paths) == 1:
            self.ox.bulk_load(path=str(paths[0]), format=ox.RdfFormat.N_QUADS)
            return
        # One bulk load over all the files: each bulk load call costs ~40% extra CPU when
        # the files are small (measured with 57 parts of 487k quads), and far more when many
        # calls load into a store that already holds millions of quads (kg.load_parts).
        with io.BufferedReader(_ConcatenatedFiles(paths), 1 << 20) as stream:
            self.ox.bulk_load(input=stream, format=ox.RdfFormat.N_QUADS)

    def drop_graph(self, graph: URIRef) -> None:
        node = ox.NamedNode(str(graph))
        if self.ox.contains_named_graph(node):
            self.ox.remove_graph(node)

    def update(self, sparql: str, touches: Iterable[URIRef] = ()) -> None:
        try:
            self.ox.update(sparql)
        except SyntaxError as exc:
            raise QueryError(f"The SPARQL update is not valid: {exc}", "Check the update's syntax.") from exc

    def graph_names(self) -> list[URIRef]:
        return [URIRef(g.value) for g in self.ox.named_graphs() if isinstance(g, ox.NamedNode)]

    def rows(self, sparql: str) -> Iterator[tuple[str | None, ...]]:
        # Run and serialized now, not when the caller starts reading: pyoxigraph's result may only
        # be dropped on the thread that made it, and a generator not read to its end is dropped
        # wherever it is let go. Serialized by Oxigraph and split here: half the CPU of a term
        # object per value.
        try:
            text = self.ox.query(sparql, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.TSV)
        except SyntaxError as exc:
            raise QueryError(f"The SPARQL query is not valid: {exc}", "Check the query's syntax.") from exc
        return (tuple([_plain(cell) for cell in cells]) for cells in tsv_rows(text))

    def count_triples(self, graph: URIRef | None = None) -> int:
        """Quad count straight from the store; far cheaper than rdflib's len()."""
        if graph is None:
            # len() scans the store natively, about 3x faster than COUNT(*) (0.55 s against
            # 1.9 s for 2.85 million quads); the default graph, which ingest never writes, is
            # taken off.
            return len(self.ox) - sum(1 for _ in self.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        solutions = self.ox.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graph=ox.NamedNode(str(graph)))
        return int(next(iter(solutions))["n"].value)


def _plain(cell: str) -> str | None:
    """A TSV cell as the term's value: an IRI's text, a literal's lexical form, a blank
    node's label (without '_:', as pyoxigraph's BlankNode.value gives it), or None."""
    if cell[:1] == "<":
        return cell[1:-1]
    if cell[:2] == "_:":
        return cell[2:]
    return tsv_value(cell)


class _ConcatenatedFiles(io.RawIOBase):
    """Several files read as one byte stream (N-Quads files concatenate into N-Quads). Each
    path is taken from the iterable only when the reader reaches it, so the files may still
    be in the making; an exception the iterable raises reaches the reader's caller as it is."""

    def __init__(self, paths: Iterable[Path]) -> None:
        super().__init__()
        self._pending: Iterator[Path] = iter(paths)
        self._current: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self._current is None:
                path = next(self._pending, None)
                if path is None:
                    return 0
                self._current = open(path, "rb")
            count = self._current.readinto(buffer)
            if count:
                return count
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()


def open_backend(settings: Settings, read_only: bool = False) -> Backend:
    if settings.store_url:
        from kg.remote import RemoteBackend  # only needed when a server is configured

        return RemoteBackend(settings.store_url, settings.data_dir)
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise ConfigError(f"The data directory {settings.data_dir} is a file.", "Point --data-dir / SCIPOP_DATA_DIR at a directory.")
    return EmbeddedBackend(settings.data_dir, read_only=read_only)


class KnowledgeGraph:
    """The graph as the rest of the system sees it: rdflib API, named graphs, atomic writes."""

    def __init__(self, settings: Settings, read_only: bool = False) -> None:
        self.settings = settings
        self.minter = Minter(settings.base_iri)
        self.backend = open_backend(settings, read_only=read_only)
        self._dataset: Dataset | None = None
        self._base_checked = False

    def __enter__(self) -> "KnowledgeGraph":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._dataset = None
        self.backend.close()

    @property
    def dataset(self) -> Dataset:
        """rdflib Dataset whose default graph is the union of all named graphs."""
        if self._dataset is None:
            self._dataset = Dataset(store=self.backend.rdflib_store(), default_union=True)
            for prefix, namespace in PREFIXES.items():
                self._dataset.bind(prefix, namespace, override=True)
        return self._dataset

    @contextmanager
    def write(self) -> Iterator["KnowledgeGraph"]:
        """All writes in the block land together or not at all."""
        if not self._base_checked:
            self._check_base_iri()
        with self.backend.transaction():
            self._dataset = None  # a rollback reopens the store; never keep a stale handle
            try:
                yield self
            finally:
                self._dataset = None

    def _check_base_iri(self) -> None:
        """Refuse to write with another base IRI than the graph was made with: every IRI minted
        would be new, and the data directory would hold two graphs side by side (two catalogs,
        each source listed twice). The ontology graph, the one graph that describes itself,
        says which base made it."""
        rows = self.backend.rows(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g {iri_nt(str(V.sha256))} ?d }} }}")
        ours = str(self.minter.ontology_graph())
        suffix = ours[len(self.settings.base_iri):]
        others = sorted({g for g, in rows if g and g != ours and g.endswith(suffix)})
        if others:
            made_with = others[0][:-len(suffix)]
            raise ConfigError(f"The graph in {self.settings.data_dir} was made with the base IRI {made_with}, "
                              f"not {self.settings.base_iri}.",
                              f"Use --base-iri {made_with} (or SCIPOP_BASE_IRI) with this data directory, "
                              "or another data directory for the other base.")
        self._base_checked = True

    # Reading --------------------------------------------------------------------
    def query(self, sparql: str, **bindings) -> Result:
        """Run trusted SPARQL (our own queries) over the union of all graphs."""
        try:
            return _without_cycle(self.dataset.query(sparql, initBindings=bindings or {}))
        except SyntaxError as exc:
            raise QueryError(f"The SPARQL query is not valid: {exc}", "Check the query's syntax.") from exc
        except ValueError as exc:
            # rdflib's SPARQL client turns any failure to reach the server into a bare ValueError
            # ("You did something wrong formulating …"); the network error is its context.
            failure = exc.__cause__ or exc.__context__
            if self.settings.store_url and isinstance(failure, OSError):
                from kg.remote import unreachable

                raise unreachable(self.settings.store_url, failure) from exc
            raise

    def select(self, sparql: str, **bindings) -> list[dict]:
        """SELECT rows as dicts of variable name -> rdflib term (unbound variables omitted)."""
        result = self.query(sparql, **bindings)
        names = [str(v) for v in result.vars]
        return [{n: row[i] for i, n in enumerate(names) if row[i] is not None} for row in result]

    def rows(self, sparql: str) -> Iterator[tuple[str | None, ...]]:
        """SELECT rows as plain values (IRI text, literal lexical form, None when unbound).

        For whole-graph scans of our own queries: at scale, building rdflib terms for
        millions of values costs more than the query itself."""
        return self.backend.rows(sparql)

    def graph_names(self) -> list[URIRef]:
        return self.backend.graph_names()

    def triples_of(self, graph: URIRef) -> Iterator[tuple]:
        """The triples of one named graph; works on read-only stores (rdflib's
        Dataset.graph() would try to create the graph)."""
        result = self.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH {iri_nt(graph)} {{ ?s ?p ?o }} }}")
        return (tuple(row) for row in result)

    def count_triples(self, graph: URIRef | None = None) -> int:
        return self.backend.count_triples(graph)

    # Writing (inside write()) ---------------------------------------------------
    def load_nquads(self, *paths: Path) -> None:
        """Bulk-load N-Quads files (each line names its graph), as one load."""
        if paths:
            self.load_parts(paths)

    def load_parts(self, parts: Iterable[Path]) -> None:
        """Bulk-load N-Quads files as one load, taking each file from `parts` only when the
        loader is ready for it: a producer (ingest's mapping) can still be writing the later
        ones. One load, not a load per file: at 100,000 projects, mapping with about thirty
        bulk loads into the growing store took 561 s, mapping with one load fed this way 345 s."""
        self.backend.load_nquads(parts)

    def drop_graph(self, graph: URIRef) -> None:
        self.backend.drop_graph(graph)

    def update(self, sparql: str, touches: Iterable[URIRef] = ()) -> None:
        """A SPARQL update inside write(); `touches` names the graphs it changes."""
        self.backend.update(sparql, touches)

    def load_lines(self, lines: Iterable[str]) -> None:
        """Bulk-load N-Quads lines (each ending in a newline), through a file in the data directory."""
        with tempfile.NamedTemporaryFile("w", suffix=".nq", encoding="utf-8", dir=self.settings.data_dir,
                                         delete=False) as handle:
            handle.writelines(lines)
            path = Path(handle.name)
        try:
            self.load_nquads(path)
        finally:
            os.unlink(path)

    def delete_lines(self, graph: URIRef, lines: list[str]) -> None:
        """Delete the N-Quads lines of `graph` (each ending in ` <graph> .` and a newline) with
        DELETE DATA in chunks: an N-Quads line minus its graph is a SPARQL triple."""
        suffix = f" {iri_nt(graph)} .\n"
        for start in range(0, len(lines), DELETE_CHUNK):
            body = "\n".join(line[: -len(suffix)] + " ." for line in lines[start:start + DELETE_CHUNK])
            self.update(f"DELETE DATA {{ GRAPH {iri_nt(graph)} {{\n{body}\n}} }}", touches=[graph])


def _without_cycle(result: Result) -> Result:
    """The same SELECT result, still read lazily, without oxrdflib's reference cycle.

    oxrdflib's result holds a generator that refers back to the result, so a result not read to
    its end (a row cap, a first value) was freed by the garbage collector, on whichever request
    thread ran it next; pyoxigraph refuses to free its iterator on another thread ('unsendable').
    Reading every row at once would break the row caps (a capped SELECT over everything would
    convert every row). So the rows move to a fresh result whose generator does not refer back:
    freed when the last reference goes, on the thread that let it go."""
    rows = getattr(result, "_genbindings", None)   # rdflib's lazy rows (pinned rdflib version)
    if result.type != "SELECT" or rows is None:
        return result
    result._genbindings = None
    fresh = Result("SELECT")
    fresh.vars = result.vars
    fresh.bindings = (row for row in rows)
    return fresh


def prefix_block() -> str:
    """PREFIX declarations for every namespace in kg.vocab, for SPARQL text."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


@contextmanager
def checkpoint_for_a_child(kg: KnowledgeGraph, name: str) -> Iterator[Settings]:
    """A checkpoint (hard links) of the embedded store in `data_dir/name` (one of SNAPSHOTS),
    as the settings a child process opens it with, read-only; removed after the block (a
    killed run's at the next writable open).

    A child must not open the live store: RocksDB compacts it in the writer's threads and
    deletes files a read-only opener still needs (pyoxigraph calls that undefined; it
    failed here right after a bulk load)."""
    if name not in SNAPSHOTS:
        raise ValueError(f"{name} is not one of {SNAPSHOTS}: the next writable open would not remove it")
    snapshot = kg.settings.data_dir / name
    shutil.rmtree(snapshot, ignore_errors=True)   # one left by a run that was killed
    snapshot.mkdir()
    try:
        kg.backend.ox.flush()
        kg.backend.ox.backup(str(snapshot / "store"))
        yield kg.settings.with_overrides(data_dir=snapshot, store_url=None)
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
