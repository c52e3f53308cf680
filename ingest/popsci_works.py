"""Popular-science works (CSV, TSV, XLSX, JSON lines) -> PopularScienceWork records.

One row is one work: an article, video, book, lecture, exhibition, campus report,
activity or social-media post (docs/formats.md §4). The triples are built from a
`WorkFields` value by `build_work`, which the schema.org JSON-LD module (ingest.jsonld)
shares, so that the same work gives the same triples whichever format it came in.

Works default to review status `pending`: a work is public only once approved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import XSD

from ingest.base import FormatModule, IngestContext, MappedRecord, RecordBuilder, RecordStream, identifier, is_public, review_status
from ingest.tabular import (Columns, RowFields, as_text, first_line_text, fold, header_key, map_rows, parse_date, parse_int,
                            split_list, unique)
from kg import concepts
from kg import vocab as V
from kg.ids import normalize_approval_number, normalize_doi, normalize_orcid

NAME = "popsci-works"

ALIASES: dict[str, list[str]] = {
    "work_id": ["work_id", "作品ID"],
    "title": ["title", "标题"],
    "kind": ["kind", "类型"],
    "creators": ["creators", "作者"],
    "creator_ids": ["creator_ids"],
    "channel": ["channel", "平台"],
    "url": ["url"],
    "date": ["date", "发布日期"],
    "audience": ["audience", "受众"],
    "views": ["views"],
    "likes": ["likes"],
    "shares": ["shares"],
    "attendance": ["attendance"],
    "awards": ["awards", "获奖"],
    "event": ["event", "活动"],
    "grant_numbers": ["grant_numbers", "资助项目"],
    "dois": ["dois", "成果DOI"],
    "review_status": ["review_status", "审核状态"],
}
ID_HEADERS = frozenset(header_key(h) for h in ALIASES["work_id"])
REACH: dict[str, URIRef] = {"views": V.views, "likes": V.likes, "shares": V.shares, "attendance": V.attendance}
XSD_DATE_TYPES = {"gYear": XSD.gYear, "gYearMonth": XSD.gYearMonth, "date": XSD.date}

_TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json"}
# Names and awards may hold commas ("Wang, Wei"), so only semicolons separate them.
_SEMICOLONS = re.compile(r"\s*[；;]\s*")
# 'name <person_id>': a creator named together with their id.
_NAME_WITH_ID = re.compile(r"^(?P<name>.*?)\s*[<＜]\s*(?P<id>[^<>＜＞]+?)\s*[>＞]\s*$")
_ORCID_SHAPE = re.compile(r"^(?:https?://)?(?:orcid\.org/)?\d{4}-?\d{4}-?\d{4}-?\d{3}[\dXx]$", re.IGNORECASE)


# The shared shape of a work ------------------------------------------------------------
@dataclass
class Creator:
    """A creator: a person IRI, and the name the source gave (if any)."""

    person: URIRef
    name: str = ""
    mention: bool = False   # minted from the name only: type and name it here


@dataclass
class WorkFields:
    """Everything a work source can say, already validated and normalized."""

    work_id: str
    title: str
    kind: URIRef
    status: URIRef = V.Pending
    title_lang: str | None = "auto"
    creators: list[Creator] = field(default_factory=list)
    channel: str = ""
    url: str = ""
    date: tuple[str, str] | None = None          # (lexical, 'date' | 'gYearMonth' | 'gYear')
    audiences: list[str] = field(default_factory=list)
    reach: dict[URIRef, int] = field(default_factory=dict)
    awards: list[str] = field(default_factory=list)
    event: URIRef | None = None
    grants: list[str] = field(default_factory=list)   # normalized approval numbers
    dois: list[str] = field(default_factory=list)     # normalized DOIs


def build_work(context: IngestContext, work: WorkFields) -> MappedRecord:
    """The triples of one popular-science work; restricted unless approved."""
    minter = context.minter
    w = minter.work(context.source_id, work.work_id)
    b = RecordBuilder(work.work_id, kind=V.PopularScienceWork)
    b.a(w, V.PopularScienceWork)
    b.plain(w, V.sourceRecordId, work.work_id)
    b.text(w, V.title, work.title, lang=work.title_lang)
    b.add(w, V.workKind, work.kind)
    for creator in work.creators:
        b.add(w, V.creator, creator.person)
        b.text(w, V.creatorName, creator.name)
        if creator.mention:
            b.a(creator.person, V.Researcher)
            b.text(creator.person, V.name, creator.name)
    b.text(w, V.channel, work.channel)
    b.plain(w, V.url, work.url)
    if work.date is not None:
        b.typed(w, V.datePublished, work.date[0], XSD_DATE_TYPES[work.date[1]])
    for audience in work.audiences:
        b.text(w, V.audience, audience)
    for prop, count in work.reach.items():
        b.integer(w, prop, count)
    for award in work.awards:
        b.text(w, V.award, award)
    b.add(w, V.atEvent, work.event)
    for number in work.grants:
        b.plain(w, V.statedGrant, number)
        b.qualified_link(minter, w, V.popularizes, minter.project(number), V.MethodStatedByWork, 1.0)
    for doi in work.dois:
        b.plain(w, V.statedDoi, doi)
        b.qualified_link(minter, w, V.popularizes, minter.output(doi=doi), V.MethodStatedByWork, 1.0)
    b.add(w, V.reviewStatus, work.status)
    b.record.public = is_public(work.status)
    return b.record


def looks_like_orcid(text: str) -> bool:
    return bool(_ORCID_SHAPE.match(fold(text)))


def creator_for_id(context: IngestContext, raw_id: str, name: str = "", *, line=None, record=None,
                   field_name: str = "creator_ids") -> Creator:
    """A creator known by an NSFC person id, or by an ORCID when it has an ORCID's shape."""
    if looks_like_orcid(raw_id):
        orcid = identifier(context, normalize_orcid, raw_id, line=line, record=record, field=field_name)
        return Creator(context.minter.person("orcid", orcid), name)
    return Creator(context.minter.person("nsfc", fold(raw_id)), name)


def creator_for_name(context: IngestContext, name: str) -> Creator:
    """A creator known by name only: a mention that the linking step resolves later."""
    return Creator(context.minter.person_by_name(name), name, mention=True)


# Rows -> WorkFields --------------------------------------------------------------------
class RowMapper(RowFields):
    """Turns one CSV/JSONL row into WorkFields; every problem names the line and field."""

    list_fields = frozenset({"creators", "creator_ids", "audience", "awards", "grant_numbers", "dois"})

    def items(self, name: str, pattern: re.Pattern[str] | None = None) -> list[str]:
        value = self.values.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return unique([as_text(v) for v in value if as_text(v)])
        if isinstance(value, dict):
            raise self.error(name, "expected a list, found a JSON object", value=value)
        text = fold(as_text(value))
        parts = pattern.split(text) if pattern is not None else split_list(text)
        return unique([p.strip() for p in parts if p.strip()])

    def fields(self) -> WorkFields:
        work_id = fold(self.text("work_id"))
        if not work_id:
            raise self.error("work_id", "the work id (作品ID) is missing", hint="Every work row needs its work_id.")
        title = fold(self.text("title"))
        if not title:
            raise self.error("title", "the title (标题) is missing")
        status = review_status(self.context, self.text("review_status"), V.Pending, line=self.line)
        return WorkFields(
            work_id=work_id, title=title, kind=self.kind(), status=status,
            creators=self.creators(), channel=self.text("channel"), url=self.text("url"),
            date=self.date(), audiences=self.items("audience"), reach=self.reach(),
            awards=self.items("awards", _SEMICOLONS), event=self.event(),
            grants=self.grants(), dois=self.dois(),
        )

    def kind(self) -> URIRef:
        label = self.text("kind")
        if not label:
            raise self.error("kind", "the kind (类型) is missing",
                             hint="Use article, video, book, lecture, exhibition, campus_report, activity or social_media.")
        concept = concepts.lookup(V.WorkKindScheme, label)
        if concept is None:
            raise self.error("kind", "unknown kind of work", value=label,
                             hint="Use article, video, book, lecture, exhibition, campus_report, activity or social_media (or 科普文章, 视频 …).")
        return concept

    def creators(self) -> list[Creator]:
        names = self.items("creators", _SEMICOLONS)
        ids = self.items("creator_ids", _SEMICOLONS)
        creators: list[Creator] = []
        plain_names: list[str] = []
        for entry in names:
            match = _NAME_WITH_ID.match(entry)
            if match:
                creators.append(creator_for_id(self.context, match.group("id"), match.group("name"),
                                               line=self.line, field_name="creators"))
            else:
                plain_names.append(entry)
        # Parallel columns ('张三;李四' and 'P1;P2') pair up by position; otherwise the
        # names stay mentions and the ids stand on their own.
        if ids and len(ids) == len(plain_names) and len(creators) == 0:
            return [creator_for_id(self.context, i, n, line=self.line) for n, i in zip(plain_names, ids)]
        creators.extend(creator_for_name(self.context, n) for n in plain_names)
        creators.extend(creator_for_id(self.context, i, line=self.line) for i in ids)
        return creators

    def date(self) -> tuple[str, str] | None:
        raw = self.text("date")
        if not raw:
            return None
        try:
            return parse_date(raw)
        except ValueError:
            raise self.error("date", "the date is not YYYY-MM-DD, YYYY-MM or YYYY", value=raw) from None

    def reach(self) -> dict[URIRef, int]:
        counts: dict[URIRef, int] = {}
        for name, prop in REACH.items():
            raw = self.values.get(name)
            if raw is None or as_text(raw) == "":
                continue
            counts[prop] = parse_count(raw, lambda problem: self.error(name, problem, value=raw))
        return counts

    def event(self) -> URIRef | None:
        return self.concept("event", V.EventScheme, "unknown popularization event",
                            "Use science-week, popularization-day or workers-day (or 科技活动周, 全国科普日, 科技工作者日).")

    def grants(self) -> list[str]:
        return unique([identifier(self.context, normalize_approval_number, raw, line=self.line, field="grant_numbers")
                       for raw in self.items("grant_numbers")])

    def dois(self) -> list[str]:
        # DOI suffixes may hold commas, so only semicolons, bars and spaces separate DOIs.
        return unique([identifier(self.context, normalize_doi, raw, line=self.line, field="dois")
                       for raw in self.items("dois", _DOI_SEPARATORS)])


_DOI_SEPARATORS = re.compile(r"\s*[；;，、|\s]\s*")


def parse_count(raw, error) -> int:
    """A reach count: a whole number >= 0; `error(problem)` builds the InputError."""
    if isinstance(raw, bool) or isinstance(raw, (dict, list)):
        raise error("the count is not a whole number")
    try:
        count = parse_int(as_text(raw))
    except ValueError:
        raise error("the count is not a whole number") from None
    if count < 0:
        raise error("the count is negative")
    return count


# The module ----------------------------------------------------------------------------
COLUMNS = Columns(ALIASES)


def read(context: IngestContext) -> RecordStream:
    """One MappedRecord per work row; an InputError per row that cannot be mapped."""
    return map_rows(context, COLUMNS, lambda line, fields: [build_work(context, RowMapper(context, line, fields).fields())])


def sniff_tabular(path: Path, head: bytes, id_headers: frozenset[str]) -> bool:
    """A tabular suffix and one of `id_headers` in the first line (CSV header or JSON keys)."""
    suffix = path.suffix.lower()
    if suffix not in _TEXT_SUFFIXES:
        return False
    text = first_line_text(head)
    if suffix in (".jsonl", ".ndjson", ".json"):
        keys = re.findall(r'"([^"\\]{1,40})"\s*:', text)
        return any(header_key(k) in id_headers for k in keys)
    delimiter = "," if suffix == ".csv" else "\t"
    return any(header_key(cell.strip().strip('"')) in id_headers for cell in text.rstrip("\r").split(delimiter))


def _sniff(path: Path, head: bytes) -> bool:
    return sniff_tabular(path, head, ID_HEADERS)

MODULE = FormatModule(NAME, "Popular-science works (CSV, TSV, XLSX, JSON lines): articles, videos, lectures, events …", _sniff, read)
