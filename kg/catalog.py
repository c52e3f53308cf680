"""The PROV catalog: one entry per ingested source file, in the catalog graph.

Counts of restricted records go to the catalog's /restricted twin, so that the public
view does not even reveal how many unreviewed records a file held.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from kg import vocab as V
from kg.nquads import term_nt
from kg.store import KnowledgeGraph, prefix_block


@dataclass(frozen=True)
class SourceRecord:
    graph: URIRef
    restricted_graph: URIRef
    name: str
    path: str
    sha256: str
    format: str
    records: int
    restricted_records: int
    rejects: int
    triples: int
    loaded_at: datetime


def record_source(kg: KnowledgeGraph, source: SourceRecord) -> None:
    """Replace the catalog entry of one source graph."""
    catalog = kg.minter.catalog_graph()
    restricted_catalog = kg.minter.restricted_graph(catalog)
    g = source.graph
    public = [
        (g, RDF.type, V.SourceFile), (g, RDF.type, PROV.Entity),
        (g, V.sourceName, Literal(source.name)),
        (g, V.sha256, Literal(source.sha256)),
        (g, V.sourceFormat, Literal(source.format)),
        (g, V.generatedAtTime, Literal(source.loaded_at.isoformat(), datatype=XSD.dateTime)),
        (g, V.recordCount, Literal(source.records, datatype=XSD.integer)),
        (g, V.rejectCount, Literal(source.rejects, datatype=XSD.integer)),
    ]
    restricted = [
        (g, V.restrictedGraph, source.restricted_graph),
        (source.restricted_graph, V.recordCount, Literal(source.restricted_records, datatype=XSD.integer)),
    ]
    kg.update(
        prefix_block()
        + f"DELETE WHERE {{ GRAPH {term_nt(catalog)} {{ {term_nt(g)} ?p ?o }} }} ;\n"
        + f"DELETE WHERE {{ GRAPH {term_nt(restricted_catalog)} {{ {term_nt(g)} ?p ?o }} }} ;\n"
        + f"DELETE WHERE {{ GRAPH {term_nt(restricted_catalog)} {{ {term_nt(source.restricted_graph)} ?p ?o }} }} ;\n"
        + "INSERT DATA { " + _graph_block(catalog, public) + _graph_block(restricted_catalog, restricted) + " }",
        touches=(catalog, restricted_catalog),
    )


def forget_source(kg: KnowledgeGraph, graph: URIRef) -> None:
    """Remove the catalog entry of one source graph (its graphs are dropped by the caller)."""
    catalog = kg.minter.catalog_graph()
    restricted_catalog = kg.minter.restricted_graph(catalog)
    restricted = kg.minter.restricted_graph(graph)
    kg.update(
        f"DELETE WHERE {{ GRAPH {term_nt(catalog)} {{ {term_nt(graph)} ?p ?o }} }} ;\n"
        + f"DELETE WHERE {{ GRAPH {term_nt(restricted_catalog)} {{ {term_nt(graph)} ?p ?o }} }} ;\n"
        + f"DELETE WHERE {{ GRAPH {term_nt(restricted_catalog)} {{ {term_nt(restricted)} ?p ?o }} }}",
        touches=(catalog, restricted_catalog),
    )


def _graph_block(graph: URIRef, triples: list[tuple]) -> str:
    body = " ".join(f"{term_nt(s)} {term_nt(p)} {term_nt(o)} ." for s, p, o in triples)
    return f"GRAPH {term_nt(graph)} {{ {body} }} "


def sources(kg: KnowledgeGraph) -> list[dict]:
    """Every catalogued source file with its provenance, newest first."""
    return kg.select(prefix_block() + """
        SELECT ?graph ?name ?sha256 ?format ?loaded ?records ?rejects WHERE {
          ?graph a sp:SourceFile ; sp:sourceName ?name ; sp:sha256 ?sha256 ; dcterms:format ?format ;
                 prov:generatedAtTime ?loaded ; sp:recordCount ?records ; sp:rejectCount ?rejects .
        } ORDER BY DESC(?loaded) ?name""")


def record_counts(kg: KnowledgeGraph) -> dict[str, int]:
    """Per source name, the records (public and restricted) its last ingest loaded."""
    rows = kg.select(prefix_block() + """
        SELECT ?name ?records ?restricted WHERE {
          ?g a sp:SourceFile ; sp:sourceName ?name ; sp:recordCount ?records .
          OPTIONAL { ?g sp:restrictedGraph ?r . ?r sp:recordCount ?restricted }
        }""")
    return {str(r["name"]): int(r["records"]) + int(r.get("restricted") or 0) for r in rows}


def source_fingerprints(kg: KnowledgeGraph) -> dict[str, str]:
    """Per source graph, what identifies its content: the file's sha256 and load time.

    Only ingest writes a source graph, and every ingest of a file records both anew, so
    an unchanged fingerprint means an unchanged graph (publish and linking rely on it)."""
    rows = kg.select(prefix_block() + """
        SELECT ?g ?sha ?time WHERE { ?g a sp:SourceFile ; sp:sha256 ?sha ; prov:generatedAtTime ?time }""")
    return {str(r["g"]): f"{r['sha']}@{r['time']}" for r in rows}
