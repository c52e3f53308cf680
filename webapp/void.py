"""The VoID description of the dataset served at /.well-known/void.

Counts come from the view the requester may read, so the public description never
reveals how many restricted records exist.
"""
from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from kg import vocab as V
from kg.stats import CLASS_COUNTS, ENTITY_CLASSES
from kg.store import KnowledgeGraph


def void_graph(kg: KnowledgeGraph, base: str, host_url: str) -> Graph:
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
    graph.add((dataset, VOID.triples, Literal(kg.count_triples(), datatype=XSD.integer)))
    values = " ".join(f"<{c}>" for c in ENTITY_CLASSES)
    total = 0
    for row in kg.query(CLASS_COUNTS % values):
        partition = URIRef(host_url + "/.well-known/void#class-" + str(row[0]).rsplit("#", 1)[-1].rsplit("/", 1)[-1])
        count = int(row[1])
        total += count
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], row[0]))
        graph.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    graph.add((dataset, VOID.entities, Literal(total, datatype=XSD.integer)))
    example = kg.select("SELECT ?p WHERE { ?p a <%s> } LIMIT 1" % V.FundedProject)
    if example:
        graph.add((dataset, VOID.exampleResource, example[0]["p"]))
    return graph
