"""Controlled lists: from a label found in a source file to the concept in ontology.ttl.

The labels live only in ontology.ttl (prefLabel, altLabel, hiddenLabel, notation); this
module reads them once and matches case-, width- and space-insensitively.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from kg import vocab as V

ONTOLOGY_PATH = Path(__file__).resolve().parent.parent / "ontology.ttl"
SHAPES_PATH = Path(__file__).resolve().parent.parent / "shapes.ttl"
_NOISE = re.compile(r"[\s()（）\[\]【】·_\-]+")


def _key(label: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", label)).casefold()


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    graph = Graph()
    graph.parse(ONTOLOGY_PATH, format="turtle")
    return graph


@lru_cache(maxsize=None)
def _labels(scheme: URIRef) -> dict[str, URIRef]:
    graph = ontology_graph()
    table: dict[str, URIRef] = {}
    for concept in graph.subjects(SKOS.inScheme, scheme):
        for prop in (SKOS.notation, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
            for label in graph.objects(concept, prop):
                table.setdefault(_key(str(label)), concept)
    return table


def lookup(scheme: URIRef, label: str) -> URIRef | None:
    """The concept of `scheme` whose label or notation matches, else None."""
    if label is None:
        return None
    return _labels(scheme).get(_key(str(label)))


def members(scheme: URIRef) -> list[URIRef]:
    return sorted(set(ontology_graph().subjects(SKOS.inScheme, scheme)))


def notation(concept: URIRef) -> str:
    return _notation(str(concept))


@lru_cache(maxsize=None)
def _notation(concept: str) -> str:
    # Cached: derived facts ask for it once per project; the ontology never changes at run time.
    value = ontology_graph().value(URIRef(concept), SKOS.notation)
    return str(value) if value is not None else concept.rsplit("#", 1)[-1]


def pref_label(concept: URIRef, lang: str = "en") -> str:
    return _pref_label(str(concept), lang)


@lru_cache(maxsize=None)
def _pref_label(concept: str, lang: str) -> str:
    # Cached as _notation is: report rows ask for it once per item.
    for label in ontology_graph().objects(URIRef(concept), SKOS.prefLabel):
        if getattr(label, "language", None) == lang:
            return str(label)
    return notation(URIRef(concept))


def obligation_tier(project_type: URIRef) -> URIRef:
    """The popularization obligation tier of a project type (TierOther when unknown)."""
    return stated_obligation_tier(project_type) or V.TierOther


def stated_obligation_tier(project_type: URIRef) -> URIRef | None:
    """The tier ontology.ttl states for a project type; None when it states none."""
    return _stated_obligation_tier(str(project_type))


@lru_cache(maxsize=None)
def _stated_obligation_tier(project_type: str) -> URIRef | None:
    tier = ontology_graph().value(URIRef(project_type), V.obligationTier)
    return tier if isinstance(tier, URIRef) else None


def department_for_code(code: str) -> URIRef | None:
    """The science department of an application code: 'C0501' -> sp:DeptC."""
    return lookup(V.DepartmentScheme, code[:1]) if code else None


def is_concept_of(concept: URIRef, concept_class: URIRef) -> bool:
    return (concept, RDF.type, concept_class) in ontology_graph()
