"""The ontology, shapes and controlled lists live in the store's ontology graph."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS

from kg import vocab as V
from kg.concepts import ONTOLOGY_PATH, SHAPES_PATH
from kg.iri import SYSTEM_GRAPHS, Minter
from kg.nquads import NQuadsWriter, term_nt
from kg.store import KnowledgeGraph, prefix_block


def _files():
    return [p for p in (ONTOLOGY_PATH, SHAPES_PATH) if p.exists()]


def ontology_digest() -> str:
    digest = hashlib.sha256()
    for path in _files():
        digest.update(path.read_bytes())
    digest.update(repr(sorted(SYSTEM_GRAPHS.items())).encode("utf-8"))   # their descriptions go in too
    return digest.hexdigest()


def describe_system_graphs(data: Graph, minter: Minter) -> None:
    """Each fixed named graph as a sp:SystemGraph with its labels and what it holds (kg.iri.SYSTEM_GRAPHS)."""
    for name, (label_en, label_zh, about_en, about_zh) in SYSTEM_GRAPHS.items():
        graph = minter.system_graph(name)
        data.add((graph, RDF.type, V.SystemGraph))
        data.add((graph, RDFS.label, Literal(label_en, lang="en")))
        data.add((graph, RDFS.label, Literal(label_zh, lang="zh")))
        data.add((graph, RDFS.comment, Literal(about_en, lang="en")))
        data.add((graph, RDFS.comment, Literal(about_zh, lang="zh")))


def ensure_ontology(kg: KnowledgeGraph) -> bool:
    """(Re)load ontology.ttl and shapes.ttl when they changed; call inside kg.write(). True if loaded."""
    graph = kg.minter.ontology_graph()
    digest = ontology_digest()
    rows = kg.select(prefix_block() + f"SELECT ?d WHERE {{ GRAPH {term_nt(graph)} {{ {term_nt(graph)} sp:sha256 ?d }} }}")
    if rows and str(rows[0]["d"]) == digest:
        return False
    data = Graph()
    for path in _files():
        data.parse(path, format="turtle")
    describe_system_graphs(data, kg.minter)
    data.add((graph, V.sha256, Literal(digest)))
    with tempfile.TemporaryDirectory(dir=kg.settings.data_dir) as tmp:
        staged = Path(tmp) / "ontology.nq"
        with open(staged, "w", encoding="utf-8") as handle:
            NQuadsWriter(handle).write(data, graph)
        kg.drop_graph(graph)
        kg.load_nquads(staged)
    return True
