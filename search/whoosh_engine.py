"""Whoosh (whoosh-reloaded), the default engine: pure Python, slower, no native dependency.

Text fields hold the pre-analysed tokens of `search.analysis`, split on spaces. Facet
fields are single-valued; they are counted from per-field arrays of value ids built once
per reader. Filters are
document sets, cached per filter (kind=researcher, tier=obliged … recur in every query).
Every search runs under a time limit (`BoundedCollector`, checking the clock between
matches, so it also works in a web server's worker threads); that suffices because the
query tree never holds the expensive forms (leading wildcards, open ranges).
"""
from __future__ import annotations

import heapq
import threading
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Iterable

from whoosh import collectors, fields, index, query as wq, sorting
from whoosh.analysis import SpaceSeparatedTokenizer

from kg.errors import QueryTimeout
from search import query as Q
from search.engine import TIME_LIMIT_SECONDS, EngineResult, StoredHit, stored_iri, unpack

SORT_FIELDS = {"recent": "year_num", "significance": "significance"}
FILTER_CACHE = 64
LIMIT_MB = 256


def schema() -> fields.Schema:
    tokens = SpaceSeparatedTokenizer()
    spec = {
        "iri": fields.KEYWORD(unique=True, scorable=True, commas=True),
        "text": fields.TEXT(analyzer=tokens, phrase=True),
        "name": fields.TEXT(analyzer=tokens, phrase=False),
        "people_names": fields.TEXT(analyzer=tokens, phrase=False),
        "ident": fields.TEXT(analyzer=tokens, phrase=False),
        # Scorable (with a length column) although never scored: for a field without one,
        # whoosh-reloaded checks the file system once per posting while writing.
        "codes": fields.KEYWORD(scorable=True),
        "people": fields.KEYWORD(scorable=True),
        "year_num": fields.NUMERIC(numtype=int, bits=32, sortable=True, default=0),
        "significance": fields.NUMERIC(numtype=int, bits=64, sortable=True, default=0),
        "stored": fields.STORED(),
        "hash": fields.STORED(),
    }
    spec.update({name: fields.KEYWORD(scorable=True, sortable=True, commas=True) for name in Q.FACET_FIELDS})
    return fields.Schema(**spec)


def compile_node(node) -> wq.Query:
    """The Whoosh query for one node of the query tree."""
    if isinstance(node, Q.Term):
        return wq.Term(node.field, node.text, boost=node.boost)
    if isinstance(node, Q.Phrase):
        return wq.Phrase(node.field, list(node.words), slop=max(1, node.slop + 1), boost=node.boost)
    if isinstance(node, Q.Prefix):
        return wq.Prefix(node.field, node.text, boost=node.boost)
    if isinstance(node, Q.AnyOf):
        terms = [wq.Term(node.field, v) for v in node.values]
        return terms[0] if len(terms) == 1 else wq.Or(terms)
    if isinstance(node, Q.And):
        return wq.And([compile_node(n) for n in node.items], boost=node.boost)
    if isinstance(node, Q.Or):
        return wq.Or([compile_node(n) for n in node.items], boost=node.boost)
    if isinstance(node, Q.Not):
        return wq.Not(compile_node(node.item))
    if isinstance(node, Q.Everything):
        return wq.Every()
    raise TypeError(f"not a query node: {node!r}")


class BoundedCollector(collectors.WrappingCollector):
    """Keeps only allowed documents and stops at a time limit.

    Whoosh's FilterCollector and TimeLimitCollector each do one of these in their own
    collect loop, so wrapping one in the other loses the inner one's work. The clock is
    checked between matches, without SIGALRM, so this also works in worker threads.
    """

    def __init__(self, child: collectors.Collector, allowed: frozenset[int] | None, seconds: float) -> None:
        super().__init__(child)
        self.allowed = allowed
        self.seconds = seconds
        self.deadline = 0.0
        self.matched: list[int] = []  # every collected document number, for facet counts

    def prepare(self, top_searcher, q, context) -> None:
        self.child.prepare(top_searcher, q, context)
        self.deadline = time.monotonic() + self.seconds
        self.matched = []

    def collect_matches(self) -> None:
        child, allowed, offset, matched = self.child, self.allowed, self.offset, self.matched
        for count, sub_docnum in enumerate(child.matches()):
            if allowed is None or offset + sub_docnum in allowed:
                child.collect(sub_docnum)
                matched.append(offset + sub_docnum)
            if count % 512 == 0 and time.monotonic() > self.deadline:
                raise collectors.TimeLimit


class WhooshWriter:
    def __init__(self, ix: index.Index) -> None:
        self._writer = ix.writer(limitmb=LIMIT_MB)

    def add(self, values: dict) -> None:
        doc = {k: (" ".join(v) if isinstance(v, list) else v) for k, v in values.items()}
        self._writer.add_document(**{k: v for k, v in doc.items() if v != ""})

    def delete(self, iri: str) -> None:
        self._writer.delete_by_term("iri", iri)

    def commit(self) -> None:
        self._writer.commit()

    def cancel(self) -> None:
        self._writer.cancel()


class WhooshReader:
    """Searches one Whoosh index. A Whoosh searcher is not safe to share between threads, so
    calls are serialized: a web server may share one reader among its request threads."""

    def __init__(self, ix: index.Index) -> None:
        self._ix = ix
        self._searcher = ix.searcher()
        self._lock = threading.Lock()
        self._filter_sets: dict = {}  # filter node -> document numbers (the index is read-only)
        self._columns: dict[str, tuple[array, list[str]]] = {}  # facet field -> (value id per doc, values)
        self._sort_columns: dict[str, list[int]] = {}  # sort field -> value per doc

    def search(self, query, filters: list, sort: str, offset: int, limit: int,
               facets: Iterable[str] = (), exact_total: bool = True) -> EngineResult:
        facets = list(facets)
        sort_field = SORT_FIELDS.get(sort)
        with self._lock:
            allowed = self._allowed(filters)
            if isinstance(query, Q.Everything):
                return self._filtered(allowed, sort_field, offset, limit, facets)
            compiled = compile_node(query)
            collector = self._searcher.collector(
                limit=offset + limit,
                sortedby=sorting.FieldFacet(sort_field, reverse=True) if sort_field else None,
                # No block-quality skipping: it would make the total an estimate, and on these
                # many-clause queries it measured slower anyway (240-320 ms against 180 ms).
                optimize=False,
            )
            bounded = BoundedCollector(collector, allowed, TIME_LIMIT_SECONDS)
            try:
                self._searcher.search_with_collector(compiled, bounded)
            except collectors.TimeLimit as exc:
                raise QueryTimeout(f"The search took longer than {TIME_LIMIT_SECONDS:g} s and was stopped.",
                                    "Make the query more specific, or add filters.") from exc
            results = bounded.results()
            # Sorted by a field, a hit's score is that field's value, not relevance: report none.
            hits = [unpack(hit["stored"], 0.0 if sort_field else float(hit.score or 0.0))
                    for hit in results[offset:offset + limit]]
            counts = {name: self._count(name, bounded.matched) for name in facets}
            return EngineResult(total=len(results), hits=hits, facets=counts)

    def _filtered(self, allowed: frozenset[int] | None, sort_field: str | None, offset: int, limit: int,
                  facets: list[str]) -> EngineResult:
        """Nothing to score: the hits are the cached filter sets' intersection, ordered from a column.

        Whoosh would walk every matching posting in Python (the unpopularized results of
        one department are 130,000 documents at 100,000 projects); a set intersection, a
        heap over a column of values and the facet columns do the same at C speed.
        Order: the sort field's value, highest first, then document number, as Whoosh's
        own sorted and constant-score searches order ties.
        """
        reader = self._searcher.reader()
        docnums = allowed if allowed is not None else frozenset(reader.all_doc_ids())
        if allowed is not None and reader.has_deletions():
            docnums = frozenset(d for d in docnums if not reader.is_deleted(d))
        wanted = offset + limit
        if sort_field:
            values = self._sort_values(sort_field)
            top = heapq.nsmallest(wanted, docnums, key=lambda d: (-values[d], d))
        else:
            top = heapq.nsmallest(wanted, docnums)
        hits = [unpack(self._searcher.stored_fields(d)["stored"], 0.0 if sort_field else 1.0) for d in top[offset:]]
        counts = {name: self._count(name, docnums) for name in facets}
        return EngineResult(total=len(docnums), hits=hits, facets=counts)

    def _sort_values(self, field: str) -> list[int]:
        """Every document's value of a sortable numeric field (built once per reader)."""
        if field not in self._sort_columns:
            self._sort_columns[field] = list(self._searcher.reader().column_reader(field))
        return self._sort_columns[field]

    def _count(self, field: str, docnums: Iterable[int]) -> dict[str, int]:
        """Facet counts by a column of value ids: C-speed counting, unlike Whoosh's per-document
        categorizers (seconds for a broad query on a large index)."""
        column, values = self._column(field)
        counts = Counter(map(column.__getitem__, docnums))
        return {values[i]: n for i, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if i}

    def _column(self, field: str) -> tuple[array, list[str]]:
        """Each document's value id for a single-valued facet field (0: none), built once per reader."""
        if field not in self._columns:
            reader = self._searcher.reader()
            column = array("I", bytes(4 * reader.doc_count_all()))
            values = [""]
            for term in reader.lexicon(field):
                values.append(term.decode("utf-8") if isinstance(term, bytes) else term)
                for docnum in reader.postings(field, term).all_ids():
                    column[docnum] = len(values) - 1
            self._columns[field] = (column, values)
        return self._columns[field]

    def _allowed(self, filters: list) -> frozenset[int] | None:
        """The documents all filters allow, from cached per-filter sets (the same filters recur)."""
        if not filters:
            return None
        sets = []
        for node in filters:
            found = self._filter_sets.get(node)
            if found is None:
                found = frozenset(self._searcher.docs_for_query(compile_node(node)))
                if len(self._filter_sets) >= FILTER_CACHE:
                    self._filter_sets.pop(next(iter(self._filter_sets)))
                self._filter_sets[node] = found
            sets.append(found)
        sets.sort(key=len)
        return sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]

    def get(self, iri: str) -> StoredHit | None:
        with self._lock:
            stored = self._searcher.document(iri=iri)
        return unpack(stored["stored"], 0.0) if stored else None

    def hashes(self) -> dict[str, str]:
        with self._lock:
            return {stored_iri(fields_["stored"]): fields_["hash"] for fields_ in self._searcher.all_stored_fields()}

    def hashes_for(self, iris: Iterable[str]) -> dict[str, str]:
        hashes = {}
        with self._lock:
            for iri in iris:
                stored = self._searcher.document(iri=iri)
                if stored:
                    hashes[iri] = stored["hash"]
        return hashes

    def count(self) -> int:
        return self._searcher.doc_count()

    def prefix_terms(self, field: str, prefix: str, limit: int) -> list[str]:
        found = []
        with self._lock:
            for term in self._searcher.reader().expand_prefix(field, prefix):
                found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
                if len(found) >= limit:
                    break
        return found

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()


class WhooshEngine:
    name = "whoosh"

    def create(self, path: Path) -> WhooshWriter:
        path.mkdir(parents=True, exist_ok=True)
        return WhooshWriter(index.create_in(str(path), schema()))

    def writer(self, path: Path) -> WhooshWriter:
        return WhooshWriter(index.open_dir(str(path)))

    def open(self, path: Path) -> WhooshReader:
        return WhooshReader(index.open_dir(str(path)))
