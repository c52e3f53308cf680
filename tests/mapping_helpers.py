"""Reading a source file through one format module, as the mapping tests do: records and
errors apart, the records as one rdflib Graph, and a readable diff when graphs differ."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from ingest.base import IngestContext, MappedRecord
from kg.errors import InputError
from kg.iri import Minter


def read_records(module, path: Path, minter: Minter, *, source_id: str | None = None,
                 encoding: str | None = None) -> tuple[list[MappedRecord], list[InputError]]:
    context = IngestContext(path=path, source_id=source_id or path.name, minter=minter, encoding=encoding)
    records: list[MappedRecord] = []
    errors: list[InputError] = []
    for item in module.MODULE.read(context):
        (errors if isinstance(item, InputError) else records).append(item)
    return records, errors


def graph_of(records: list[MappedRecord]) -> Graph:
    graph = Graph()
    for record in records:
        for triple in record.triples:
            graph.add(triple)
    return graph


def assert_same_graph(got: Graph, want: Graph) -> None:
    if not isomorphic(got, want):
        _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
        pytest.fail("graphs differ\nonly in output:\n" + only_got.serialize(format="nt")
                    + "\nonly in expected:\n" + only_want.serialize(format="nt"))
