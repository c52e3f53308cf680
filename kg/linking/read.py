"""Bulk reads for linking: a few big SELECTs over the approved (public) graphs only.

Linking reads no restricted graph (records under review or confidential) and not its own
links graph: every identity it derives, and the evidence text it writes, then rests on
public records alone, so nothing it writes can carry restricted information into the
public view.

Rows come back as plain strings (IRIs and literal values; None when unbound). On the
embedded store the results are serialized by Oxigraph itself as SPARQL TSV into a
temporary file and split here, which costs about half the CPU of building a Python
object per term for millions of rows; on a SPARQL server, through `KnowledgeGraph.query`.
"""
from __future__ import annotations

import os
import re
import tempfile
from typing import Iterator

import pyoxigraph as ox

from kg.store import EmbeddedBackend, KnowledgeGraph, prefix_block

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
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

    def query_text(self, variables: str, pattern: str) -> str:
        return prefix_block() + f"SELECT {variables} WHERE {{ GRAPH ?g {{ {pattern} }} {self._filter} }}"

    def rows(self, variables: str, pattern: str) -> Iterator[tuple]:
        """Each solution as a tuple of strings (or None), in the order of `variables`."""
        text = self.query_text(variables, pattern)
        if self._ox is not None:
            yield from self._tsv_rows(text)
            return
        for row in self.kg.query(text):
            yield tuple(None if term is None else str(term) for term in row)

    def _tsv_rows(self, text: str) -> Iterator[tuple]:
        handle, path = tempfile.mkstemp(suffix=".tsv", dir=self.kg.settings.data_dir)
        os.close(handle)
        try:
            self._ox.query(text).serialize(path, ox.QueryResultsFormat.TSV)
            with open(path, encoding="utf-8", newline="\n") as results:
                results.readline()   # the header
                for line in results:
                    # Most cells are IRIs: cut their brackets here rather than call tsv_value (millions of cells).
                    yield tuple([cell[1:-1] if cell[:1] == "<" else tsv_value(cell)
                                 for cell in line.rstrip("\n").split("\t")])
        finally:
            os.unlink(path)
