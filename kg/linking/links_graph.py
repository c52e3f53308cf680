"""Writing the links graph: N-Quads lines, and a sync that touches only what changed.

Deleting a graph on Oxigraph costs about as much per quad as loading it, and the links
graph of a large store holds millions of quads, most of them the same from one run to
the next. So the step keeps the graph as last written in `data_dir/links.nq` (its
lines in the order they were made, headed by the run's stamp as an N-Quads comment) and,
when the store's links graph carries the same stamp (`<links graph> prov:generatedAtTime`),
deletes only the lines that went and bulk-loads only the lines that came. Any doubt (no
file, another stamp: a rolled-back write, a restored store) falls back to dropping the
graph and loading it whole, from the new state file itself (one write of the lines, not two).
The lines are compared as sets, not sorted and merged: sorting millions of long lines
cost more than hashing them, and a first link needs no comparison at all.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg import vocab as V
from kg.changes import note_changes, note_everything
from kg.iri import Minter
from kg.nquads import iri_nt, string_nt, term_nt
from kg.store import KnowledgeGraph

STATE_FILE = "links.nq"


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


def _stamp_line(graph: URIRef, stamp: str) -> str:
    return f"{iri_nt(graph)} {iri_nt(V.generatedAtTime)} {term_nt(Literal(stamp, datatype=XSD.dateTime))} {iri_nt(graph)} .\n"


def _stored_stamp(kg: KnowledgeGraph, graph: URIRef) -> str | None:
    rows = kg.select(f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ <{graph}> <{V.generatedAtTime}> ?t }} }}")
    return str(rows[0]["t"]) if len(rows) == 1 else None


def _same_time(a: str | None, b: str) -> bool:
    """The store may write a dateTime in another lexical form: compare the instants."""
    try:
        return a is not None and datetime.fromisoformat(a.replace("Z", "+00:00")) == \
            datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False


def _read_state(path: Path) -> tuple[str | None, Path | None]:
    """The stamp the state file was written for, and the file; (None, None) when unusable."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except OSError:
        return None, None
    return (first[2:].strip(), path) if first.startswith("# ") else (None, None)


def _old_lines(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as handle:
        handle.readline()   # the stamp
        yield from handle


def _diff(old: Iterable[str], new: dict[str, None]) -> tuple[list[str], list[str]]:
    """(removed, added) between the old lines and the new ones (distinct, in their order)."""
    removed, kept = [], set()
    for line in old:
        if line in new:
            kept.add(line)
        else:
            removed.append(line)
    return removed, [line for line in new if line not in kept]


_SUBJECT_AND_OBJECT = re.compile(r"^(?:<([^>]*)>|_:\S+) <[^>]*> (?:<([^>]*)>)?")


def _named(*groups: Iterable[str]) -> Iterator[str]:
    """The subject and IRI object of each N-Quads line (for the change journal)."""
    for lines in groups:
        for line in lines:
            found = _SUBJECT_AND_OBJECT.match(line)
            if found:
                if found.group(1):
                    yield found.group(1)
                if found.group(2):
                    yield found.group(2)


def sync_links_graph(kg: KnowledgeGraph, links: LinkLines) -> tuple[int, int]:
    """Make the links graph hold exactly `links` (plus the run's stamp); call inside kg.write().

    Returns (quads removed, quads added).
    """
    graph = links.graph
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # Distinct lines in the order they were made (dict keys keep it): the same graph, and
    # the same file, whatever the hash seed.
    lines = dict.fromkeys([_stamp_line(graph, stamp)] + links.lines)
    state = kg.settings.data_dir / STATE_FILE
    written_for, path = _read_state(state)
    stored = _stored_stamp(kg, graph)
    temporary = state.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(f"# {stamp}\n")   # a comment to the N-Quads parser
        handle.writelines(lines)
    if path is not None and stored is not None and _same_time(written_for, stored):
        removed, added = _diff(_old_lines(path), lines)
        note_changes(kg.settings, _named(removed, added))
        kg.delete_lines(graph, removed)
        kg.load_lines(added)
    else:
        removed, added = [], lines
        note_everything(kg.settings)   # no record of the old graph to compare with
        kg.drop_graph(graph)
        kg.load_nquads(temporary)
    os.replace(temporary, state)
    return len(removed), len(added)
