"""What every engine offers, and the one conversion of a document into field values.

Both engines index the same field values, produced here: text fields are the
space-joined tokens of `search.analysis`, so that Whoosh and Tantivy see identical terms
and only their scoring differs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Protocol

from search.analysis import analyze, name_keys
from search.documents import Doc
from search.query import FACET_FIELDS, Node

ENGINES = ("whoosh", "tantivy")
TIME_LIMIT_SECONDS = 2.0


@dataclass
class StoredHit:
    iri: str
    kind: str
    label: str
    score: float
    data: dict  # Doc.stored()


@dataclass
class EngineResult:
    total: int
    hits: list[StoredHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def field_values(doc: Doc) -> dict:
    """The values every engine indexes for a document (tokens already analysed)."""
    values = {
        "iri": doc.iri,
        "title": analyze(doc.title),
        "keywords": analyze(doc.keywords),
        "body": analyze(doc.body),
        "name": " ".join(sorted(name_keys(doc.names))),
        "people_names": " ".join(sorted(name_keys(doc.people_names))),
        "ident": " ".join(sorted({i.lower() for i in doc.ident})),
        "codes": doc.codes,
        "people": doc.people,
        "year_num": doc.year,
        # An integer (thousandths): Whoosh's sortable float columns are broken in whoosh-reloaded 2.7.5.
        "significance": int(round(doc.significance * 1000)),
        "stored": json.dumps({"iri": doc.iri, "kind": doc.kind, "label": doc.label, "hash": doc.content_hash(),
                              "data": doc.stored()}, ensure_ascii=False, separators=(",", ":")),
    }
    for name in FACET_FIELDS:
        values[name] = doc.facets.get(name, "")
    return values


def unpack(stored: str | bytes, score: float) -> StoredHit:
    record = json.loads(stored)
    return StoredHit(iri=record["iri"], kind=record["kind"], label=record["label"], score=score, data=record["data"])


def stored_hash(stored: str | bytes) -> tuple[str, str]:
    record = json.loads(stored)
    return record["iri"], record["hash"]


class Writer(Protocol):
    def add(self, values: dict) -> None: ...
    def delete(self, iri: str) -> None: ...
    def commit(self) -> None: ...
    def cancel(self) -> None: ...


class Reader(Protocol):
    def search(self, query: Node, filters: list[Node], sort: str, offset: int, limit: int,
               facets: Iterable[str] = ()) -> EngineResult: ...
    def get(self, iri: str) -> StoredHit | None: ...
    def hashes(self) -> dict[str, str]: ...
    def count(self) -> int: ...
    def prefix_terms(self, field: str, prefix: str, limit: int) -> list[str]: ...
    def close(self) -> None: ...


class Engine(Protocol):
    name: str

    def create(self, path) -> Writer: ...
    def writer(self, path) -> Writer: ...
    def open(self, path) -> Reader: ...
