"""Reading big SELECT results from the graph as plain strings, fast.

Index builds read millions of rows. Going through rdflib's Result turns every value into
an rdflib term first, several times slower than the query itself, so on the embedded
store the rows come from Oxigraph's own TSV serialization (kg.tsv; over the union of all
named graphs, which is what `KnowledgeGraph.query` answers too); a remote store goes
through `kg.query`.
Values are strings: an IRI's text or a literal's lexical form (None when unbound).
"""
from __future__ import annotations

from typing import Iterable, Iterator

from kg.store import EmbeddedBackend, KnowledgeGraph, prefix_block

Row = tuple  # of str | None

PREFIXES = prefix_block()


def rows(kg: KnowledgeGraph, sparql: str) -> Iterator[Row]:
    """Rows of a SELECT (written without PREFIX lines; every kg.vocab prefix is declared)."""
    text = PREFIXES + sparql
    if isinstance(kg.backend, EmbeddedBackend):
        yield from kg.backend.rows(text)   # Oxigraph's TSV, split: far cheaper than a term object per value
        return
    for row in kg.query(text):
        yield tuple(None if value is None else str(value) for value in row)


def values_clause(variable: str, iris: Iterable[str] | None) -> str:
    """A VALUES block restricting ?variable to some IRIs ('' for no restriction)."""
    if iris is None:
        return ""
    inner = " ".join(f"<{iri}>" for iri in iris)
    return f"VALUES ?{variable} {{ {inner} }}"


def chunks(items: Iterable[str], size: int = 400) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
