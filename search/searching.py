"""The query side: search, unpopularized results, talent lookup, "who could popularize this?".

Talent ranking (both for `talent` and `who_could_popularize`) combines two numbers in
0..1, reported with every hit:

- topical: the engine's BM25 score of the researcher's document (their expertise, the
  titles and keywords of their projects, outputs and works), divided by the best
  candidate's score;
- popularization: the record computed at index time from their approved works (how
  many, how many kinds, their reach, awards) and talent-pool membership
  (see `search.documents.Builder._popularization_record`).

`talent`: score = 0.6 * topical + 0.4 * popularization.
`who_could_popularize`: closeness (1 for the people on the record itself, 0.5–0.9 for
people who share projects or outputs with them, by how many) enters too:
score = 0.45 * closeness + 0.25 * topical + 0.30 * popularization, and only people with
a popularization record (a work, or pool membership) are proposed.
"""
from __future__ import annotations

import time
from collections import defaultdict

from kg.errors import NotFound, QueryBoundExceeded, QueryError
from search.analysis import fold, query_name_key, tokens
from search.engine import Reader, StoredHit
from search.model import Hit, SearchQuery, SearchResults, TalentHit, TalentQuery
from search.query import (FACETS_BY_KIND, FILTER_FIELDS, MAX_FILTER_VALUES, SHOWN_FACETS, UNPOPULARIZED_FACETS,
                          AnyOf, Everything, Term, check_paging, filter_nodes, parse_text, query_terms, topic_terms)
from search.snippets import make_snippet

TALENT_CANDIDATES = 100
TOPIC_CANDIDATES = 100
COLLABORATION_DOCS = 300
EVIDENCE_DOCS = 200
EVIDENCE_PER_PERSON = 5
MAX_TALENT_LIMIT = 100


class SearchIndex:
    """One open index (a view, an engine). Thread use: one SearchIndex per thread or process."""

    def __init__(self, reader: Reader, view: str, engine: str, meta: dict) -> None:
        self._reader = reader
        self.view = view
        self.engine = engine
        self.meta = meta

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._reader.close()

    # Search --------------------------------------------------------------------------------------
    def search(self, q: SearchQuery) -> SearchResults:
        """Full-text search over every kind of entity, with filters, facets and paging."""
        started = time.perf_counter()
        check_paging(q.page, q.per_page, q.sort)
        node = parse_text(q.text)
        filters = self._filters(q.filters, q.kind)
        result = self._reader.search(node, filters, q.sort, (q.page - 1) * q.per_page, q.per_page,
                                     facets=FACETS_BY_KIND.get(q.kind, SHOWN_FACETS))
        terms = query_terms(q.text)
        return SearchResults(total=result.total, hits=[self._hit(h, terms) for h in result.hits],
                             facets=result.facets, took_ms=round((time.perf_counter() - started) * 1000, 2))

    def unpopularized(self, q: SearchQuery) -> SearchResults:
        """Projects and outputs with results but no approved popular-science work.

        Projects: derived status ResultsUnpopularized (outputs, no work, no report field);
        outputs: derived isPopularized false. Without query text the most significant
        (most cited) come first, unless another sort is asked for.
        """
        narrowed = self._unpopularized_query(q)
        check_paging(narrowed.page, narrowed.per_page, narrowed.sort)
        facets = FACETS_BY_KIND[narrowed.kind] if narrowed.kind else UNPOPULARIZED_FACETS
        return self._unpopularized(narrowed, (narrowed.page - 1) * narrowed.per_page, narrowed.per_page, facets)

    def unpopularized_export(self, q: SearchQuery, limit: int) -> SearchResults:
        """The first `limit` hits of `unpopularized` in one pass, for a download: paging would stop at
        the result window (MAX_RESULT_WINDOW) and re-collect the earlier pages for every page."""
        narrowed = self._unpopularized_query(q)
        check_paging(1, 1, narrowed.sort)   # the sort only: a download is not paged
        return self._unpopularized(narrowed, 0, limit, ())

    def _unpopularized_query(self, q: SearchQuery) -> SearchQuery:
        if q.kind not in (None, "project", "output"):
            raise QueryError(f"Unpopularized results are projects or outputs, not {q.kind}s.",
                             "Use --kind project or --kind output, or leave the kind out.")
        filters = dict(q.filters)
        filters.pop("popularized", None)  # implied
        sort = "significance" if q.sort == "relevance" and not (q.text or "").strip() else q.sort
        return SearchQuery(text=q.text, kind=q.kind, filters=filters, sort=sort, page=q.page, per_page=q.per_page)

    def _unpopularized(self, q: SearchQuery, offset: int, limit: int, facets) -> SearchResults:
        started = time.perf_counter()
        node = parse_text(q.text)
        nodes = self._filters(q.filters, q.kind) + [AnyOf("unpopularized", ("yes",))]
        result = self._reader.search(node, nodes, q.sort, offset, limit, facets=facets)
        terms = query_terms(q.text)
        return SearchResults(total=result.total, hits=[self._hit(h, terms) for h in result.hits],
                             facets=result.facets, took_ms=round((time.perf_counter() - started) * 1000, 2))

    def document(self, iri: str) -> Hit | None:
        """One indexed entity as a hit (no snippet marks), or None."""
        found = self._reader.get(iri)
        return self._hit(found, []) if found else None

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        """Indexed words starting with `prefix` (for type-ahead)."""
        prefix = fold(prefix or "").strip()
        if not prefix:
            return []
        return self._reader.prefix_terms("text", prefix, min(limit, 50))

    # Talent --------------------------------------------------------------------------------------
    def talent(self, tq: TalentQuery) -> list[TalentHit]:
        """Researchers ranked by topical fit combined with their popularization record, with evidence."""
        limit = max(1, min(tq.limit, MAX_TALENT_LIMIT))
        topic = parse_text(tq.topic)
        filters: dict[str, list[str]] = {}
        for key, value in (("department", tq.department), ("region", tq.region), ("title", tq.title),
                           ("institution", tq.institution)):
            if value:
                filters[key] = [value]
        if tq.in_pool is not None:
            filters["in_pool"] = ["yes" if tq.in_pool else "no"]
        nodes = self._filters(filters, "researcher")
        by_topic = not isinstance(topic, Everything)
        sort = "relevance" if by_topic else "significance"
        candidates = self._reader.search(topic, nodes, sort, 0, TALENT_CANDIDATES, exact_total=False).hits
        best = max((h.score for h in candidates), default=0.0) or 1.0
        ranked = []
        for hit in candidates:
            topical = hit.score / best if by_topic else 0.0
            popularization = float(hit.data.get("popularization", 0.0))
            ranked.append((round(0.6 * topical + 0.4 * popularization, 4), topical, popularization, hit))
        ranked.sort(key=lambda r: (-r[0], r[3].iri))
        ranked = ranked[:limit]
        evidence = self._evidence(topic if by_topic else None, [r[3].iri for r in ranked])
        topic_words = set(tokens(" ".join(query_terms(tq.topic)))) if by_topic else set()
        return [self._talent_hit(hit, score, topical, popularization,
                                 evidence.get(hit.iri, []) + _declared_expertise(hit, topic_words))
                for score, topical, popularization, hit in ranked]

    def who_could_popularize(self, iri: str, limit: int = 10) -> list[TalentHit]:
        """People close to a project or output (on it, collaborators, same topic) who have popularized before."""
        target = self._reader.get(iri)
        if target is None:
            raise NotFound(f"'{iri}' is not in the {self.view} search index.",
                           "Check the IRI (copy it from a search hit), or rebuild the index with `scipop index`.")
        if target.kind not in ("project", "output"):
            article = "an" if target.kind[:1] in "aeiou" else "a"
            raise QueryError(f"'{iri}' is {article} {target.kind}; this works for projects and outputs.",
                             "Give the IRI of a project or a research output.")
        limit = max(1, min(limit, MAX_TALENT_LIMIT))
        direct = set(target.data.get("people", ()))
        shared = self._collaborators(iri, direct)
        topic = topic_terms([target.label, target.data.get("label_en", ""), target.data.get("summary", "")])
        by_topic = {h.iri: h for h in self._reader.search(topic, [AnyOf("kind", ("researcher",))], "relevance", 0,
                                                          TOPIC_CANDIDATES, exact_total=False).hits}
        best = max((h.score for h in by_topic.values()), default=0.0) or 1.0
        people = dict(by_topic)
        people.update(self._people(sorted((direct | set(shared)) - set(people))))
        ranked = []
        for person, hit in people.items():
            popularization = float(hit.data.get("popularization", 0.0))
            if popularization <= 0:
                continue
            closeness = 1.0 if person in direct else (min(0.9, 0.4 + 0.1 * shared[person]) if person in shared else 0.0)
            topical = by_topic[person].score / best if person in by_topic else 0.0
            score = round(0.45 * closeness + 0.25 * topical + 0.30 * popularization, 4)
            reasons = []
            if person in direct:
                reasons.append({"relation": "on this record", "iri": iri, "label": target.label})
            elif person in shared:
                reasons.append({"relation": "collaborates with its team", "shared_records": shared[person]})
            if person in by_topic:
                reasons.append({"relation": "works on the same topic", "topical": round(topical, 3)})
            ranked.append((score, topical, popularization, hit, reasons))
        ranked.sort(key=lambda r: (-r[0], r[3].iri))
        return [self._talent_hit(hit, score, topical, popularization,
                                 reasons + [dict(w) for w in hit.data.get("evidence", [])])
                for score, topical, popularization, hit, reasons in ranked[:limit]]

    # Helpers ---------------------------------------------------------------------------------------
    def _filters(self, filters: dict[str, list[str]], kind: str | None) -> list[AnyOf]:
        filters = dict(filters or {})
        institutions = filters.pop("institution", None)
        nodes = filter_nodes(filters, kind)
        if institutions:
            # A name may stand for up to 20 institutions: the bound is on the values given,
            # checked before any is looked up (thousands of names were looked up, then refused).
            nodes.append(AnyOf(FILTER_FIELDS["institution"], tuple(sorted(set(self._institutions(institutions))))))
        return nodes

    def _institutions(self, values) -> list[str]:
        """Institution filter values as IRIs: an IRI stays, a name is looked up among indexed institutions."""
        values = [values] if isinstance(values, str) else list(values)
        values = [str(v).strip() for v in values if str(v).strip()]
        if len(values) > MAX_FILTER_VALUES:
            raise QueryBoundExceeded(f"The institution filter has {len(values)} values; at most {MAX_FILTER_VALUES} "
                                     "are allowed.", "Filter on fewer values at a time.")
        iris: list[str] = []
        for value in values:
            if value.startswith(("http://", "https://")):
                iris.append(value)
                continue
            key = query_name_key(value)
            kind = [AnyOf("kind", ("institution",))]
            found = self._reader.search(Term("name", key), kind, "relevance", 0, 20, exact_total=False).hits if key else []
            if not found:
                words = parse_text(value)   # '.' has no words: it would match any 20 institutions
                found = [] if isinstance(words, Everything) else \
                    self._reader.search(words, kind, "relevance", 0, 20, exact_total=False).hits
            if not found:
                raise NotFound(f"No institution called '{value}' is in the index.",
                               "Check the name (search for kind institution), or give its IRI.")
            iris += [h.iri for h in found]
        return iris

    def _hit(self, stored: StoredHit, terms: list[str]) -> Hit:
        data = stored.data
        fields = dict(data.get("fields", {}))
        if data.get("label_en"):
            fields.setdefault("label_en", data["label_en"])
        return Hit(iri=stored.iri, kind=stored.kind, label=stored.label, score=round(stored.score, 4),
                   snippet=make_snippet(data.get("summary", ""), terms), fields=fields,
                   evidence=[dict(e) for e in data.get("evidence", [])])

    def _people(self, iris: list[str]) -> dict[str, StoredHit]:
        found: dict[str, StoredHit] = {}
        for start in range(0, len(iris), 50):
            batch = tuple(iris[start:start + 50])
            hits = self._reader.search(Everything(), [AnyOf("iri", batch), AnyOf("kind", ("researcher",))],
                                       "relevance", 0, len(batch), exact_total=False).hits
            found.update((h.iri, h) for h in hits)
        return found

    def _collaborators(self, iri: str, direct: set[str]) -> dict[str, int]:
        """People who share projects or outputs with the people on a record, and how many."""
        if not direct:
            return {}
        hits = self._reader.search(Everything(), [AnyOf("people", tuple(sorted(direct))[:50]),
                                                  AnyOf("kind", ("project", "output"))],
                                   "relevance", 0, COLLABORATION_DOCS, exact_total=False).hits
        shared: dict[str, int] = defaultdict(int)
        for hit in hits:
            if hit.iri == iri:
                continue
            for person in hit.data.get("people", ()):
                if person not in direct:
                    shared[person] += 1
        return dict(shared)

    def _evidence(self, topic, people: list[str]) -> dict[str, list[dict]]:
        """Per person: their projects/outputs matching the topic, each with its popular-science works."""
        evidence: dict[str, list[dict]] = defaultdict(list)
        if topic is not None and people:
            hits = self._reader.search(topic, [AnyOf("people", tuple(people)), AnyOf("kind", ("project", "output"))],
                                       "relevance", 0, EVIDENCE_DOCS, exact_total=False).hits
            wanted = set(people)
            for hit in hits:
                for person in hit.data.get("people", ()):
                    if person in wanted and len(evidence[person]) < EVIDENCE_PER_PERSON:
                        works = [dict(e) for e in hit.data.get("evidence", []) if e.get("kind") == "work"]
                        fields = hit.data.get("fields", {})
                        evidence[person].append({"iri": hit.iri, "kind": hit.kind, "label": hit.label,
                                                 "year": fields.get("year"), "popularized": fields.get("popularized"),
                                                 "works": works})
        return evidence

    @staticmethod
    def _talent_hit(hit: StoredHit, score: float, topical: float, popularization: float,
                    evidence: list[dict]) -> TalentHit:
        fields = hit.data.get("fields", {})
        own_works = [dict(w) for w in hit.data.get("evidence", []) if w.get("kind") == "work"]
        listed = {e.get("iri") for e in evidence}
        return TalentHit(iri=hit.iri, label=hit.label, score=score, topical=round(topical, 4),
                         popularization=round(popularization, 4), institution=fields.get("institution", "") or "",
                         department=fields.get("department"), in_pool=fields.get("in_pool") == "yes",
                         evidence=evidence + [w for w in own_works if w["iri"] not in listed])


def _declared_expertise(hit: StoredHit, topic_words: set[str]) -> list[dict]:
    """The expertise a researcher declared in the registry that shares words with the topic:
    the evidence for someone whose match rests on it (no project or output of theirs matches)."""
    declared = hit.data.get("fields", {}).get("expertise", ())
    return [{"relation": "declared expertise", "label": e} for e in declared if topic_words & set(tokens(e))]
