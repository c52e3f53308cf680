"""Derived facts that pages and reports need often, materialized after each ingest.

Whole-graph negation is slow on Oxigraph (FILTER NOT EXISTS is quadratic), so the gap
questions are answered once here, with grouped counts (OPTIONAL, no negation), and stored
in the derived graph:

- project: sp:obligationTier (from its type), sp:outputCount, sp:workCount,
  sp:popularizationStatus (Popularized / ResultsUnpopularized / NoKnownResults);
  outputs counted once per identity: records linking joined (owl:sameAs in the links
  graph) are one output, in sp:outputCount and sp:popularizedOutputCount alike;
- output: sp:isPopularized, sp:workCount.
- project: sp:popularizedOutputCount; and the reports' aggregate tables (kg.rollup), one
  JSON literal per report and grouping, so a report reads one statement at any scale.

Only approved works count as popularization: a work still under confidentiality review
has not reached the public yet. The same code runs on the full store and on the public
view, each over what it holds.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg import rollup
from kg import vocab as V
from kg.nquads import NQuadsWriter
from kg.patterns import approved_work, instances
from kg.store import KnowledgeGraph, prefix_block

# Patterns in subqueries of their own are joined by Oxigraph by hashing its internal ids, one
# sequential read each; joined in one group, it probes an index per row and spells out IRIs it
# then drops. At 100,000 projects that is the difference between minutes and seconds here.
TIERS = prefix_block() + f"""
SELECT ?p ?tier WHERE {{
  {instances("?p", "sp:FundedProject")}
  {{ SELECT ?p ?t WHERE {{ GRAPH ?g {{ ?p sp:projectType ?t }} }} }}
  ?t sp:obligationTier ?tier
}}"""

PROJECTS = prefix_block() + f"SELECT ?p WHERE {instances('?p', 'sp:FundedProject')}"

# Outputs are counted once per identity: two records of one paper (OAR and OpenAlex, no DOI)
# that linking joined with owl:sameAs are one output.
CANONICAL = ("OPTIONAL { SELECT ?o ?same WHERE { GRAPH <%(links)s> { ?o owl:sameAs ?same } } } "
             "BIND(COALESCE(?same, ?o) AS ?c)")

# Projects without outputs get 0 in Python. (Starting from `?p a sp:FundedProject` with the
# outputs OPTIONAL took 73 s at 100,000 projects.)
PROJECT_OUTPUTS = prefix_block() + f"""
SELECT ?p (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  {{ SELECT ?o ?p WHERE {{ GRAPH ?g {{ ?o sp:resultOf ?p }} }} }}
  {instances("?o", "sp:ResearchOutput")}
  %(canonical)s
}} GROUP BY ?p"""

# Works reach a project directly or through one of its outputs. Two plain joins, merged in
# Python: the same question as one OPTIONAL { … UNION … } took 73 s at 700 projects.
PROJECT_WORKS_DIRECT = prefix_block() + f"""
SELECT DISTINCT ?p ?w WHERE {{ {approved_work("?w")} ?w sp:popularizes ?p . ?p a sp:FundedProject }}"""

PROJECT_WORKS_VIA_OUTPUTS = prefix_block() + f"""
SELECT DISTINCT ?p ?w WHERE {{ {approved_work("?w")} ?w sp:popularizes ?o . ?o sp:resultOf ?p }}"""

PROJECT_REPORTED = prefix_block() + """
SELECT DISTINCT ?p WHERE { ?p a sp:FundedProject ; sp:popularizationReport ?r }"""

OUTPUTS = prefix_block() + f"SELECT ?o WHERE {instances('?o', 'sp:ResearchOutput')}"

# Counted only for outputs that an approved work popularizes (a few per cent); the rest have 0.
OUTPUT_WORKS = prefix_block() + f"""
SELECT ?o (COUNT(DISTINCT ?w) AS ?n) WHERE {{
  {approved_work("?w")} ?w sp:popularizes ?o . ?o a sp:ResearchOutput
}} GROUP BY ?o"""


@dataclass(frozen=True)
class DerivedCounts:
    projects: int
    outputs: int
    triples: int


_BOOLEAN = {True: Literal(True), False: Literal(False)}


@lru_cache(maxsize=4096)
def _int(value: int) -> Literal:
    # Counts are small numbers that repeat; building an rdflib Literal costs ~10 µs each.
    return Literal(value, datatype=XSD.integer)


def _counts(kg: KnowledgeGraph, sparql: str) -> dict[URIRef, int]:
    return {URIRef(iri): int(n) for iri, n in kg.rows(sparql)}


def _iri_rows(kg: KnowledgeGraph, sparql: str) -> Iterator[tuple[URIRef, ...]]:
    """Rows of IRIs, read as text and made URIRefs once (cheaper than the rdflib result path)."""
    for row in kg.rows(sparql):
        yield tuple(URIRef(value) for value in row)


def project_status(outputs: int, works: int, reported: bool) -> URIRef:
    """The one rule for a project's popularization status."""
    if works > 0 or reported:
        return V.Popularized
    return V.ResultsUnpopularized if outputs > 0 else V.NoKnownResults


def compute(kg: KnowledgeGraph) -> list[tuple]:
    """All derived triples, from the graph as it is now."""
    outputs = dict.fromkeys((row[0] for row in _iri_rows(kg, PROJECTS)), 0)
    outputs.update((p, n) for p, n in _counts(kg, _canonical(kg, PROJECT_OUTPUTS)).items() if p in outputs)
    works_by_project: dict = {}
    for query in (PROJECT_WORKS_DIRECT, PROJECT_WORKS_VIA_OUTPUTS):
        for project, work in _iri_rows(kg, query):
            works_by_project.setdefault(project, set()).add(work)
    works = {project: len(found) for project, found in works_by_project.items()}
    reported = {row[0] for row in _iri_rows(kg, PROJECT_REPORTED)}
    triples: list[tuple] = [(p, V.obligationTier, tier) for p, tier in _iri_rows(kg, TIERS)]
    for project, n_outputs in outputs.items():
        n_works = works.get(project, 0)
        triples += [
            (project, V.outputCount, _int(n_outputs)),
            (project, V.workCount, _int(n_works)),
            (project, V.popularizationStatus, project_status(n_outputs, n_works, project in reported)),
        ]
    output_works = _counts(kg, OUTPUT_WORKS)
    for output in dict.fromkeys(row[0] for row in _iri_rows(kg, OUTPUTS)):
        n = output_works.get(output, 0)
        triples += [(output, V.workCount, _int(n)), (output, V.isPopularized, _BOOLEAN[n > 0])]
    popularized = popularized_output_counts(kg)
    triples += [(project, V.popularizedOutputCount, _int(popularized.get(project, 0))) for project in outputs]
    status = {p: project_status(n, works.get(p, 0), p in reported) for p, n in outputs.items()}
    triples += rollup.table_triples(kg, status, outputs, popularized, works_by_project)
    return triples


# Only outputs that some approved work popularizes are joined (a few per cent of all outputs),
# so this stays cheap; every other project gets 0.
PROJECT_POPULARIZED_OUTPUTS = prefix_block() + f"""
SELECT ?p (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  {approved_work("?w")} ?w sp:popularizes ?o . ?o a sp:ResearchOutput ; sp:resultOf ?p .
  %(canonical)s
}} GROUP BY ?p"""


def popularized_output_counts(kg: KnowledgeGraph) -> dict:
    """Per project with any, its outputs that an approved work popularizes (sp:popularizedOutputCount):
    outputCount minus it is the unpopularized outputs, which the gap report counts per group."""
    return _counts(kg, _canonical(kg, PROJECT_POPULARIZED_OUTPUTS))


def _canonical(kg: KnowledgeGraph, query: str) -> str:
    """The query with ?c bound to the identity of output ?o (per the links graph)."""
    return query % {"canonical": CANONICAL % {"links": kg.minter.links_graph()}}


def refresh(kg: KnowledgeGraph) -> int:
    """Recompute the derived graph; call inside kg.write(). Returns the number of triples."""
    graph = kg.minter.derived_graph()
    triples = compute(kg)
    with tempfile.NamedTemporaryFile("w", suffix=".nq", encoding="utf-8", dir=kg.settings.data_dir, delete=False) as handle:
        NQuadsWriter(handle).write(triples, graph)
        path = handle.name
    try:
        kg.drop_graph(graph)
        kg.load_nquads(path)
    finally:
        os.unlink(path)
    return len(triples)
