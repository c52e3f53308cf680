"""SHACL validation of source graphs: `scipop validate`.

Each source graph (public, and its /restricted twin) is validated on its own, with the
ontology mixed in so that controlled-list concepts have their classes. Shapes only
constrain what a record itself states, so a link to an entity that another source file
describes is never a violation.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF
from rdflib.term import Node

from kg import concepts
from kg.vocab import PREFIXES, SH

if TYPE_CHECKING:  # the store pulls in pyoxigraph; in-memory validation does not need it
    from kg.store import KnowledgeGraph


@dataclass
class Violation:
    focus: str       # the entity IRI
    path: str        # the property, as a prefixed name ('sp:approvalNumber'), or '' for the node itself
    message: str     # plain English, with the offending value when there is one
    severity: str    # 'Violation', 'Warning' or 'Info'
    graph: str       # the named graph validated ('' for an in-memory graph)


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    graph = Graph()
    graph.parse(concepts.SHAPES_PATH, format="turtle")
    return graph


def validate_graph(data: Graph, graph_name: str = "") -> list[Violation]:
    """Violations of shapes.ttl in one in-memory graph; `data` itself is not modified."""
    copy = Graph()
    copy.addN((s, p, o, copy) for s, p, o in data)
    return _validate_in_place(copy, graph_name)


def validate(kg: "KnowledgeGraph", graphs: list[URIRef] | None = None) -> list[Violation]:
    """Violations in the given graphs, by default every source graph and its restricted twin."""
    targets = graphs if graphs is not None else source_graphs(kg)
    found: list[Violation] = []
    for graph_iri in targets:
        found += _validate_in_place(_fetch(kg, graph_iri), str(graph_iri))
    return found


def source_graphs(kg: "KnowledgeGraph") -> list[URIRef]:
    """Source graphs (public and restricted); the ontology, catalog, derived, links and curation graphs are not records."""
    prefix = str(kg.minter.source_graph(""))  # base + "graph/source/", minted where all graph IRIs are
    return sorted(g for g in kg.graph_names() if str(g).startswith(prefix))


def format_violations(violations: Iterable[Violation]) -> list[str]:
    """One readable line per violation: 'entity, property, problem'."""
    lines = []
    for v in violations:
        where = f" (in {v.graph})" if v.graph else ""
        severity = "" if v.severity == "Violation" else f"[{v.severity}] "
        lines.append(f"{v.focus}, {v.path or '(the entity itself)'}, {severity}{v.message}{where}")
    return lines


# Internals ------------------------------------------------------------------------

def _validate_in_place(data: Graph, graph_name: str) -> list[Violation]:
    """Validate `data` after adding the ontology to it.

    The whole ontology is added, not passed as pyshacl's ont_graph: pyshacl copies only
    OWL/RDFS axioms from an ont_graph, not the typed SKOS concepts that sh:class checks.
    """
    data.addN((s, p, o, data) for s, p, o in concepts.ontology_graph())
    _conforms, report, _text = shacl_validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
    )
    return _merge(_results(report), graph_name)


def _fetch(kg: "KnowledgeGraph", graph_iri: URIRef) -> Graph:
    """Copy one named graph into memory (pyshacl copies and walks it many times)."""
    data = Graph()
    # One scan of the graph; works on read-only stores (never len() an oxrdflib graph).
    data.addN((s, p, o, data) for s, p, o in kg.triples_of(graph_iri))
    return data


def _results(report: Graph) -> Iterable[tuple[str, str, str, str, str]]:
    """(focus, path, message, value, severity) of each top-level result."""
    # Only top-level results: those of nested shapes (sh:node, sh:or) hang off sh:detail.
    for result in report.objects(None, SH.result):
        value = report.value(result, SH.value)
        yield (
            _show(report.value(result, SH.focusNode)),
            _path(report, report.value(result, SH.resultPath)),
            str(report.value(result, SH.resultMessage) or "Does not conform to its shape."),
            _show(value, compact=True) if value is not None else "",
            _local(report.value(result, SH.resultSeverity)) or "Violation",
        )


def _merge(results: Iterable[tuple[str, str, str, str, str]], graph_name: str) -> list[Violation]:
    """One violation per entity, property and shape message.

    A property shape can fail several ways at once (a text year breaks datatype and range;
    a second, out-of-range year breaks maxCount and range); its one message covers them
    all, so they are reported once, naming the offending values.
    """
    merged: dict[tuple[str, str, str], tuple[list[str], str]] = {}
    for focus, path, message, value, severity in results:
        values, _ = merged.setdefault((focus, path, message), ([], severity))
        if value and value not in values:
            values.append(value)
    violations = []
    for (focus, path, message), (values, severity) in sorted(merged.items()):
        if values:
            message += f" (found: {', '.join(sorted(values))})"
        violations.append(Violation(focus, path, message, severity, graph_name))
    return violations


def _path(report: Graph, path: Node | None) -> str:
    if path is None:
        return ""
    if isinstance(path, BNode):
        inverse = report.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + _compact(inverse)
        alternatives = report.value(path, SH.alternativePath)
        if alternatives is not None:
            return "|".join(_compact(p) for p in Collection(report, alternatives))
        if report.value(path, RDF.first) is not None:
            return "/".join(_compact(p) for p in Collection(report, path))
    return _compact(path)


def _compact(term: Node) -> str:
    text = str(term)
    for prefix, namespace in PREFIXES.items():
        if text.startswith(str(namespace)) and len(text) > len(str(namespace)):
            return f"{prefix}:{text[len(str(namespace)):]}"
    return text


def _show(term: Node | None, compact: bool = False) -> str:
    """A term for people: entities as full IRIs, values short ('1970' (xsd:integer), sp:DeptA)."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        text = str(term)
        shown = repr(text if len(text) <= 80 else text[:77] + "...")
        if term.language:
            return f"{shown}@{term.language}"
        if term.datatype is not None:
            return f"{shown} ({_compact(term.datatype)})"
        return f"{shown} (text)"
    if isinstance(term, BNode):
        return "a blank node"
    return _compact(term) if compact else str(term)


def _local(term: Node | None) -> str:
    return str(term).rsplit("#", 1)[-1] if term is not None else ""
