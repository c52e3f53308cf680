"""Bulk reads for linking: a few big SELECTs over the approved (public) graphs only.

Linking reads no restricted graph (records under review or confidential) and not its own
links graph: every identity it derives, and the evidence text it writes, then rests on
public records alone, so nothing it writes can carry restricted information into the
public view.

Rows come back as plain strings (IRIs and literal values; None when unbound). On the
embedded store the results are serialized by Oxigraph itself as SPARQL TSV into a
temporary file and split here, which costs about half the CPU of building a Python
object per term for millions of rows; on a SPARQL server, through `KnowledgeGraph.query`.

Reads the caller announces with `plan` are evaluated ahead in background threads:
Oxigraph releases the GIL while it evaluates and serializes. Oxigraph's decoding is the
larger part of a read (one read ahead left the Python side waiting a third of the time),
so two reads are evaluated ahead: both cores decode while this read is split and used.
"""
from __future__ import annotations

import os
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterable, Iterator

import pyoxigraph as ox

from kg.store import EmbeddedBackend, KnowledgeGraph, prefix_block

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
READ_AHEAD = 2    # reads evaluated ahead at once (this machine has two cores; more only adds files)
_SIMPLE = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(match: re.Match) -> str:
    code = match.group(1) or match.group(2)
    return chr(int(code, 16)) if code else _SIMPLE.get(match.group(3), match.group(3))


def tsv_value(cell: str) -> str | None:
    """The value of one SPARQL TSV cell: an IRI's text, a literal's lexical form, or None."""
    if not cell:
        return None
    first = cell[0]
    if first == "<":
        return cell[1:-1]
    if first == '"':
        text = cell[1:cell.rindex('"')]
        return _ESCAPE.sub(_unescape, text) if "\\" in text else text
    return cell   # a bare number or boolean, or a blank node label


class GraphReader:
    """Runs `SELECT vars WHERE { GRAPH ?g { pattern } }` over the public source graphs."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        excluded = [g for g in kg.graph_names() if kg.minter.is_restricted_graph(g)]
        excluded.append(kg.minter.links_graph())
        self._filter = "FILTER(?g NOT IN (" + ", ".join(f"<{g}>" for g in excluded) + "))"
        self._ox = kg.backend.ox if isinstance(kg.backend, EmbeddedBackend) else None
        self._planned: list[str] = []              # query texts the caller will ask for, in order
        self._pending: dict[str, Future] = {}      # at most READ_AHEAD: text -> its results file, being written
        self._pool: ThreadPoolExecutor | None = None

    def query_text(self, variables: str, pattern: str) -> str:
        return prefix_block() + f"SELECT {variables} WHERE {{ GRAPH ?g {{ {pattern} }} {self._filter} }}"

    def plan(self, reads: Iterable[tuple[str, str]]) -> None:
        """The (variables, pattern) reads the caller will make next, in that order.

        A read asked for out of order, or never planned, is simply evaluated when asked.
        """
        if self._ox is None:
            return
        self._planned = [self.query_text(variables, pattern) for variables, pattern in reads]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=READ_AHEAD, thread_name_prefix="linking-read")
        self._advance()

    def close(self) -> None:
        """Stop reading ahead and remove results no one asked for."""
        self._planned = []
        for future in self._pending.values():
            if future.exception() is None:   # a failed read left no file
                try:
                    os.unlink(future.result())
                except OSError:
                    pass
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        # Let go of the store: when linking fails inside kg.write(), the traceback keeps this
        # reader alive while the write is rolled back, and a rollback can restore the
        # checkpoint only once nothing holds the open store (RocksDB refuses a second open,
        # and the old handle would delete the restored files it thinks obsolete).
        self._ox = None

    def rows(self, variables: str, pattern: str) -> Iterator[tuple]:
        """Each solution as a tuple of strings (or None), in the order of `variables`."""
        text = self.query_text(variables, pattern)
        if self._ox is not None:
            yield from self._tsv_rows(text)
            return
        for row in self.kg.query(text):
            yield tuple(None if term is None else str(term) for term in row)

    def _advance(self) -> None:
        """Start writing the next planned reads' results, up to READ_AHEAD at once."""
        while len(self._pending) < READ_AHEAD and self._planned and self._pool is not None:
            text = self._planned.pop(0)
            self._pending[text] = self._pool.submit(self._serialize, text)

    def _serialize(self, text: str) -> str:
        handle, path = tempfile.mkstemp(suffix=".tsv", dir=self.kg.settings.data_dir)
        os.close(handle)
        try:
            self._ox.query(text).serialize(path, ox.QueryResultsFormat.TSV)
        except BaseException:
            os.unlink(path)
            raise
        return path

    def _tsv_rows(self, text: str) -> Iterator[tuple]:
        future = self._pending.pop(text, None)
        if future is None:
            if text in self._planned:
                self._planned.remove(text)   # asked for early: not read ahead any more
            path = self._serialize(text)
        else:
            path = future.result()
        self._advance()
        try:
            with open(path, encoding="utf-8", newline="\n") as results:
                results.readline()   # the header
                for line in results:
                    # Most cells are IRIs: cut their brackets here rather than call tsv_value (millions of cells).
                    yield tuple([cell[1:-1] if cell[:1] == "<" else tsv_value(cell)
                                 for cell in line.rstrip("\n").split("\t")])
        finally:
            os.unlink(path)
