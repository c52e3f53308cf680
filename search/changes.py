"""What changed in the graph since an index was made, without reading the whole graph.

An index directory keeps, next to its metadata, the state of the graph it was made from
(`STATE_FILE`): every source graph's fingerprint (the file's sha256 and load time, from
the catalog: an unchanged fingerprint means an unchanged graph) and the owl:sameAs edges.
Comparing that with the graph now gives the entities to re-index:

- the subjects of the source graphs added since, that say something new about them (a
  statement no older graph makes): read per new graph and per subject;
- both ends of every owl:sameAs edge that came or went (the links graph is rewritten by
  each linking run; the edges are one predicate scan, far smaller than the graph);
- nothing from the derived graph: its facts are computed from the source and links graphs
  over an entity's neighbourhood (its outputs, works and their identities), and
  `scoped.dependents` follows those same relations from the entities above.

Anything this cannot follow returns None, and the caller compares every document instead:
a source graph removed or replaced (re-ingesting a file with other content), no recorded
state, or a graph outside the sources (links, curation, catalog) that states something
documents read other than owl:sameAs.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib.namespace import RDF

from kg import vocab as V
from kg.catalog import source_fingerprints
from kg.store import KnowledgeGraph
from search.documents import CLASSES
from search.graphread import chunks, rows, values_clause
from search.scoped import _READ

STATE_FILE = "scipop-graph-state.json"
# Statements of a subject that change its documents: what they read, and its authorships
# (an output's author list hangs off them).
_WATCHED = set(_READ) | {str(RDF.type), str(V.authorship)}
_CLASS_IRIS = " ".join(f"<{cls}>" for cls, _ in CLASSES.values()) + f" <{V.SupportingInstitution}>"


@dataclass
class GraphState:
    sources: dict[str, str]  # graph (restricted twins too) -> fingerprint of its file
    same_as: set[tuple[str, str]] = field(default_factory=set)

    def save(self, directory: Path) -> None:
        data = {"sources": self.sources, "same_as": sorted(self.same_as)}
        (directory / STATE_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "GraphState | None":
        try:
            data = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return cls(sources=data["sources"], same_as={tuple(pair) for pair in data["same_as"]})


def graph_state(kg: KnowledgeGraph) -> GraphState:
    """The source graphs' fingerprints and the sameAs edges, as the graph holds them now."""
    files = source_fingerprints(kg)
    sources = {}
    for graph in map(str, kg.graph_names()):
        fingerprint = files.get(graph.removesuffix("/restricted"))  # a twin changes with its file
        if fingerprint is not None:
            sources[graph] = fingerprint
    same_as = {(a, b) for a, b in rows(kg, f"SELECT ?a ?b WHERE {{ ?a <{V.sameAs}> ?b FILTER(isIRI(?a) && isIRI(?b)) }}")}
    return GraphState(sources=sources, same_as=same_as)


def changed_since(kg: KnowledgeGraph, old: GraphState, now: GraphState) -> set[str] | None:
    """IRIs whose own statements or identities changed from `old` to `now`; None when unknown."""
    if any(now.sources.get(graph) != fingerprint for graph, fingerprint in old.sources.items()):
        return None  # a file removed or replaced: what it used to say is gone from the graph
    if not _only_sources_describe(kg, set(now.sources)):
        return None
    added = sorted(set(now.sources) - set(old.sources))
    changed = _newly_described(kg, added)
    for a, b in old.same_as ^ now.same_as:
        changed |= {a, b}
    return changed


def _only_sources_describe(kg: KnowledgeGraph, sources: set[str]) -> bool:
    """No graph but the sources, the derived facts and the ontology says what documents read (sameAs aside)."""
    skip = {str(kg.minter.derived_graph()), str(kg.minter.ontology_graph())}
    for graph in map(str, kg.graph_names()):
        if graph in sources or graph in skip:
            continue
        typed = f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s a ?c VALUES ?c {{ {_CLASS_IRIS} }} }} }} LIMIT 1"
        if next(rows(kg, typed), None):
            return False
        for predicate in _READ:
            if next(rows(kg, f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }} LIMIT 1"), None):
                return False
    return True


def _newly_described(kg: KnowledgeGraph, added: list[str]) -> set[str]:
    """Subjects of the added graphs that they say something about no other graph says."""
    subjects: set[str] = set()
    for graph in added:
        query = f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}"
        subjects.update(s for (s,) in rows(kg, query))
    new_graphs = set(added)
    changed: set[str] = set()
    for batch in chunks(sorted(subjects)):
        stated: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for s, p, o, g in rows(kg, f"SELECT ?s ?p ?o ?g WHERE {{ {values_clause('s', batch)} GRAPH ?g {{ ?s ?p ?o }} }}"):
            if p in _WATCHED:  # a blank node (an authorship) is its graph's own: always new there
                stated[(s, p, o)].add(g)
        changed |= {s for (s, _, _), graphs in stated.items() if graphs <= new_graphs}
    return changed
