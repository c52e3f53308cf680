"""Bulk reads for linking: a few big SELECTs over the approved (public) graphs only.

Linking reads no restricted graph (records under review or confidential) and not its own
links graph: every identity it derives, and the evidence text it writes, then rests on
public records alone, so nothing it writes can carry restricted information into the
public view.

Rows come back as plain strings (IRIs and literal values; None when unbound). On the
embedded store the solutions are read straight from pyoxigraph, which skips building
rdflib terms for millions of rows; on a SPARQL server, through `KnowledgeGraph.query`.
"""
from __future__ import annotations

from typing import Iterator

from kg.store import EmbeddedBackend, KnowledgeGraph, prefix_block


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
            for solution in self._ox.query(text):
                yield tuple(None if term is None else term.value for term in solution)
            return
        for row in self.kg.query(text):
            yield tuple(None if term is None else str(term) for term in row)
