"""SELECT rows for pages, read straight from Oxigraph when the view is the embedded store.

Profiling an entity page showed most of its query time in converting each solution to
rdflib terms (rdflib's Literal parses every lexical form into a Python value). Pages only
need the text, the language and the datatype, so rows here carry `Lit` (a str with those
two attributes) and rdflib URIRef / BNode. A remote store falls back to KnowledgeGraph.select.
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from kg.store import KnowledgeGraph


class Lit(str):
    """A literal as pages use it: its text, plus `language` and `datatype` (IRI string or None)."""

    __slots__ = ("language", "datatype")

    def __new__(cls, value: str, language: str | None = None, datatype: str | None = None) -> "Lit":
        text = super().__new__(cls, value)
        text.language = language
        text.datatype = datatype
        return text


def is_literal(value) -> bool:
    return isinstance(value, (Lit, Literal))


def _term(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        return Lit(term.value, term.language, None if term.language else term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return term


def select(kg: KnowledgeGraph, sparql: str) -> list[dict]:
    """Rows as dicts of variable name -> term (unbound variables left out)."""
    store = getattr(kg.backend, "ox", None)
    if store is None:
        return kg.select(sparql)
    try:
        solutions = store.query(sparql, use_default_graph_as_union=True)
    except SyntaxError:
        return kg.select(sparql)  # let KnowledgeGraph raise its QueryError
    names = [variable.value for variable in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for index, name in enumerate(names):
            value = solution[index]
            if value is not None:
                row[name] = _term(value)
        rows.append(row)
    return rows
