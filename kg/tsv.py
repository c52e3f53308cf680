"""SELECT results as SPARQL TSV, split into plain strings: the cheap way to read millions of rows.

Oxigraph serializes a result to TSV in Rust; splitting the lines here costs about half the
CPU of asking pyoxigraph for a Python object per term (measured on title, author and
name scans: 0.26 s against 0.53 s for 12,000 rows). The whole result is written to a
temporary file first, so rows arrive only once the query has finished.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from kg.store import KnowledgeGraph

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
    return cell  # a bare number or boolean, or a blank node label


def tsv_rows(results: ox.QuerySolutions, scratch: Path | None = None) -> Iterator[tuple[str | None, ...]]:
    """The rows of a SELECT result, through a temporary TSV file (in `scratch`, else the system's temp directory)."""
    handle, path = tempfile.mkstemp(suffix=".tsv", dir=scratch)
    os.close(handle)
    try:
        results.serialize(path, ox.QueryResultsFormat.TSV)
        with open(path, encoding="utf-8", newline="\n") as lines:
            lines.readline()  # the header
            for line in lines:
                yield tuple(tsv_value(cell) for cell in line.rstrip("\n").split("\t"))
    finally:
        os.unlink(path)


def select_rows(kg: KnowledgeGraph, sparql: str) -> Iterator[tuple[str | None, ...]]:
    """A SELECT's rows as plain strings, over the union of all named graphs (as `kg.query` answers).

    For whole-graph scans of our own queries (index builds): on the embedded store through
    TSV; on a SPARQL server through `kg.query`.
    """
    store = getattr(kg.backend, "ox", None)
    if store is None:
        for row in kg.query(sparql):
            yield tuple(None if value is None else str(value) for value in row)
        return
    # A view's directory is a publication, not scratch space: the system temp directory.
    yield from tsv_rows(store.query(sparql, use_default_graph_as_union=True))
