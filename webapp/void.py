"""The VoID description of the dataset served at /.well-known/void.

Counts come from the view the requester may read, so the public description never
reveals how many restricted records exist.
"""
from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from kg import vocab as V
from kg.stats import CLASS_COUNTS, ENTITY_CLASSES
from kg.store import KnowledgeGraph


@dataclass(frozen=True)
class VoidCounts:
    """What the description counts in a view: computed once per publication and view."""

    triples: int
    classes: list[tuple[URIRef, int]]
    example: URIRef | None
    entities: int   # distinct: the class partitions overlap (an organization is also a supporting institution)


def void_counts(kg: KnowledgeGraph) -> VoidCounts:
    values = " ".join(f"<{c}>" for c in ENTITY_CLASSES)
    classes = [(row[0], int(row[1])) for row in kg.query(CLASS_COUNTS % values)]
    entities = kg.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?class {{ {values} }} ?s a ?class }}")
    example = kg.select("SELECT ?p WHERE { ?p a <%s> } LIMIT 1" % V.FundedProject)
    return VoidCounts(kg.count_triples(), classes, example[0]["p"] if example else None,
                      int(next(iter(entities))[0]))


def void_graph(counts: VoidCounts, base: str, host_url: str) -> Graph:
    """The description as served from `host_url` (its endpoints are this server's)."""
    graph = Graph()
    graph.bind("void", VOID)
    graph.bind("dcterms", DCTERMS)
    graph.bind("sp", V.SP)
    # The description's own nodes live in this document, not among the entities under the base IRI.
    dataset = URIRef(host_url + "/.well-known/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal("SciPop KG", lang="en")))
    graph.add((dataset, DCTERMS.title, Literal("科普知识图谱", lang="zh")))
    graph.add((dataset, DCTERMS.description, Literal(
        "Funded science projects, researchers, research outputs and popular-science works, with the provenance of "
        "every link.", lang="en")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(host_url + "/sparql")))
    graph.add((dataset, VOID.uriSpace, Literal(base)))
    graph.add((dataset, VOID.uriLookupEndpoint, URIRef(host_url + "/api/search?q=")))
    graph.add((dataset, VOID.vocabulary, URIRef(str(V.SP))))
    graph.add((dataset, VOID.vocabulary, URIRef(str(V.SCHEMA))))
    graph.add((dataset, VOID.triples, Literal(counts.triples, datatype=XSD.integer)))
    for cls, count in counts.classes:
        partition = URIRef(host_url + "/.well-known/void#class-" + str(cls).rsplit("#", 1)[-1].rsplit("/", 1)[-1])
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], cls))
        graph.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    graph.add((dataset, VOID.entities, Literal(counts.entities, datatype=XSD.integer)))
    if counts.example is not None:
        graph.add((dataset, VOID.exampleResource, counts.example))
    return graph
