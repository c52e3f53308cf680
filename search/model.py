"""The public shapes of search: what callers pass in and get back (the web and CLI code against these)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

KINDS = ("researcher", "project", "output", "work", "institution")
SORTS = ("relevance", "recent", "significance")
FILTER_KEYS = ("kind", "department", "application_code", "project_type", "output_kind", "work_kind", "tier",
               "institution", "region", "year", "popularized", "in_pool", "title")


@dataclass
class SearchQuery:
    """What to look for. `filters` keys: department (A..H, T), application_code, project_type
    (notation, e.g. 'general'), output_kind, work_kind, tier ('obliged'|'encouraged'|'other'),
    institution (IRI), region, year, popularized ('yes'|'no'), in_pool ('yes'|'no'), title (职称)."""

    text: str = ""
    kind: str | None = None  # "researcher" | "project" | "output" | "work" | "institution"
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"  # "relevance" | "recent" | "significance" (citations / reach)
    page: int = 1
    per_page: int = 20


@dataclass
class Hit:
    iri: str
    kind: str
    label: str
    score: float
    snippet: str  # HTML-escaped text with <mark>…</mark> around the matches
    fields: dict[str, object] = field(default_factory=dict)  # year, department, tier, institution, popularized, …
    evidence: list[dict] = field(default_factory=list)  # matching projects/outputs/works with iri + label

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    took_ms: float

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class TalentQuery:
    topic: str
    department: str | None = None
    institution: str | None = None  # IRI
    region: str | None = None
    title: str | None = None  # 职称, e.g. 教授
    in_pool: bool | None = None
    limit: int = 20


@dataclass
class TalentHit:
    iri: str
    label: str
    score: float  # the ranking score: topical fit combined with the popularization record
    topical: float  # 0..1, BM25 relative to the best candidate
    popularization: float  # 0..1, from the number, kinds and reach of approved works, awards, pool
    institution: str
    department: str | None
    in_pool: bool
    evidence: list[dict] = field(default_factory=list)  # matching projects/outputs and their works

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class IndexStats:
    view: str
    engine: str
    documents: int
    by_kind: dict[str, int]
    seconds: float
    path: str
    fingerprint: str
    removed: int = 0  # documents deleted (update_index)
    # update_index: the entities found changed since the index's publication, and the
    # documents compared because of them; None when every document was compared.
    changed: int | None = None
    compared: int | None = None
    # update_index: whether it read the whole graph (a change reaching more than
    # AROUND_SHARE of the documents, or every document compared) or only around the change.
    read_whole: bool = True


@dataclass
class IndexDiff:
    """How the index differs from the graph: documents to add, delete or refresh."""

    missing: list[str] = field(default_factory=list)  # in the graph, not in the index
    extra: list[str] = field(default_factory=list)  # in the index, not in the graph
    stale: list[str] = field(default_factory=list)  # in both, but the graph says something else now

    @property
    def changed(self) -> set[str]:
        return set(self.missing) | set(self.extra) | set(self.stale)

    def lines(self) -> list[str]:
        return ([f"missing {iri}" for iri in self.missing] + [f"extra {iri}" for iri in self.extra]
                + [f"stale {iri}" for iri in self.stale])
