"""What every engine offers, and the one conversion of a document into field values.

Both engines index the same field values, produced here: text fields are the
space-joined tokens of `search.analysis`, so that Whoosh and Tantivy see identical terms
and only their scoring differs.
"""
from __future__ import annotations

import hashlib
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


# Titles count three times, keywords twice, other text once: the parts are repeated in one
# field rather than kept in three, so that a query word is one term lookup instead of three
# (a large saving on Whoosh). A separator token keeps phrases from running across parts.
WEIGHTS = (("title", 3), ("keywords", 2), ("body", 1))
SEPARATOR = " ¶ ¶ "


def weighted_text(doc: Doc) -> str:
    parts = []
    for name, times in WEIGHTS:
        tokens = analyze(getattr(doc, name))
        if tokens:
            parts += [tokens] * times
    return SEPARATOR.join(parts)


def field_values(doc: Doc) -> dict:
    """The values every engine indexes for a document (tokens already analysed)."""
    values = {
        "iri": doc.iri,
        "text": weighted_text(doc),
        "name": " ".join(sorted(name_keys(doc.names))),
        "people_names": " ".join(sorted(name_keys(doc.people_names))),
        "ident": " ".join(sorted({i.lower() for i in doc.ident})),
        "codes": doc.codes,
        "people": doc.people,
        "year_num": doc.year,
        # An integer (thousandths): Whoosh's sortable float columns are broken in whoosh-reloaded 2.7.5.
        "significance": int(round(doc.significance * 1000)),
        "stored": json.dumps({"iri": doc.iri, "kind": doc.kind, "label": doc.label, "data": doc.stored()},
                             ensure_ascii=False, separators=(",", ":")),
    }
    for name in FACET_FIELDS:
        values[name] = doc.facets.get(name, "")
    values["hash"] = content_hash(values)
    return values


def content_hash(values: dict) -> str:
    """A digest of everything a document's fields hold: equal hashes, equal documents (see check_index)."""
    # One encode and one update for the whole document: per-field updates cost 8% of analysis.
    text = "".join(f"{name}\x1f{values[name]}\x1e" for name in sorted(values) if name != "hash")
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def unpack(stored: str | bytes, score: float) -> StoredHit:
    record = json.loads(stored)
    return StoredHit(iri=record["iri"], kind=record["kind"], label=record["label"], score=score, data=record["data"])


def stored_iri(stored: str | bytes) -> str:
    return json.loads(stored)["iri"]


class Writer(Protocol):
    def add(self, values: dict) -> None: ...
    def delete(self, iri: str) -> None: ...
    def commit(self) -> None: ...
    def cancel(self) -> None: ...


class Reader(Protocol):
    def search(self, query: Node, filters: list[Node], sort: str, offset: int, limit: int,
               facets: Iterable[str] = (), exact_total: bool = True) -> EngineResult:
        """Hits offset..offset+limit; with exact_total=False the total may be an estimate (faster)."""
    def get(self, iri: str) -> StoredHit | None: ...
    def hashes(self) -> dict[str, str]: ...
    def hashes_for(self, iris: Iterable[str]) -> dict[str, str]:
        """The content hashes of those of `iris` that have a document."""
    def count(self) -> int: ...
    def prefix_terms(self, field: str, prefix: str, limit: int) -> list[str]: ...
    def close(self) -> None: ...


class Engine(Protocol):
    name: str

    def create(self, path) -> Writer: ...
    def writer(self, path) -> Writer: ...
    def open(self, path) -> Reader: ...
