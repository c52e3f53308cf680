"""The mapping every research-output format shares: one `OutputRecord` per output.

The OAI-PMH, OpenAlex, Crossref and PubMed modules each read their own format into
the calls below, so an output looks the same whichever source it came from:

- the output IRI is minted from the normalized DOI when there is one (so the same
  paper from OpenAlex and Crossref is one node), else from the source and its id;
- authors are ordered `V.Authorship` nodes; the person is minted from an ORCID, else
  an OpenAlex author id, else name + first affiliation (a mention; linking merges);
  the affiliations stated in this authorship hang off the Authorship node with
  `V.affiliationOrg` (they say where the author was for this paper, not today);
- every NSFC approval number gives `V.acknowledgedGrant` and a qualified
  `V.resultOf` link to the project IRI, with its method, confidence and evidence.

Also: the JSON reader the OpenAlex and Crossref modules share.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from rdflib import URIRef

from ingest.base import IngestContext, MappedRecord, RecordBuilder, identifier
from ingest.tabular import read_text
from kg import concepts
from kg import vocab as V
from kg.errors import InputError, InvalidIdentifier
from kg.grants import find_nsfc_grants
from kg.ids import normalize_doi, normalize_orcid, normalize_ror

FUNDER_CONFIDENCE = 0.98   # a structured funder field naming NSFC and the number
OAR_FIELD_CONFIDENCE = 0.99


@dataclass
class Institution:
    name: str
    ror: str | None = None     # normalized


@dataclass
class Author:
    name: str
    orcid: str | None = None         # normalized
    openalex_id: str | None = None   # 'A5014159929'
    institutions: list[Institution] = field(default_factory=list)


@dataclass
class GrantClaim:
    """An NSFC approval number an output claims, and how we know."""

    number: str
    method: URIRef
    confidence: float
    evidence: str


class OutputRecord:
    """Collects the triples of one research output."""

    def __init__(self, context: IngestContext, key: str, iri: URIRef) -> None:
        self.context = context
        self.minter = context.minter
        self.iri = iri
        self.builder = RecordBuilder(key, kind=V.ResearchOutput)
        self.builder.a(iri, V.ResearchOutput)
        self.builder.add(iri, V.reviewStatus, V.Approved)
        self._claims: dict[tuple[str, URIRef], GrantClaim] = {}

    # Simple fields -----------------------------------------------------------------
    def kind(self, *labels: str) -> None:
        """The first label the OutputKind list knows, else OutputOther."""
        for label in labels:
            concept = concepts.lookup(V.OutputKindScheme, label) if label else None
            if concept is not None:
                self.builder.add(self.iri, V.outputKind, concept)
                return
        self.builder.add(self.iri, V.outputKind, V.concept("OutputOther"))

    def doi(self, doi: str | None) -> None:
        self.builder.plain(self.iri, V.doi, doi)

    def title(self, text: str | None) -> None:
        self.builder.text(self.iri, V.title, collapse(text))

    def require_title(self, **where) -> None:
        """Every output needs a title (shapes.ttl); a record without one is an InputError."""
        if not any(p == V.title for _, p, _ in self.builder.triples):
            raise self.context.error("a research output needs a title", **where)

    def abstract(self, text: str | None) -> None:
        self.builder.text(self.iri, V.abstract, collapse(text))

    def keyword(self, text: str | None) -> None:
        self.builder.text(self.iri, V.keyword, collapse(text))

    def venue(self, text: str | None) -> None:
        self.builder.text(self.iri, V.venue, collapse(text))

    def year(self, year: int | None) -> None:
        self.builder.integer(self.iri, V.publicationYear, year)

    def citations(self, count: int | None) -> None:
        self.builder.integer(self.iri, V.citationCount, count)

    def source_id(self, value: str | None) -> None:
        self.builder.plain(self.iri, V.sourceRecordId, value)

    def acknowledgement(self, text: str | None) -> None:
        self.builder.text(self.iri, V.acknowledgement, collapse(text))

    # Authors -----------------------------------------------------------------------
    def authors(self, authors: list[Author]) -> None:
        # Rank is the position in the source; a nameless entry keeps its place but adds no one.
        for rank, author in enumerate(authors, start=1):
            if author.name:
                self._author(rank, author)

    def _author(self, rank: int, author: Author) -> None:
        b, m = self.builder, self.minter
        first_org = next((i.name for i in author.institutions if i.name), "")
        if author.orcid:
            person = m.person("orcid", author.orcid)
        elif author.openalex_id:
            person = m.person("openalex", author.openalex_id)
        else:
            person = m.person_by_name(author.name, first_org)
        node = m.authorship(self.iri, rank)
        b.add(self.iri, V.authorship, node)
        b.a(node, V.Authorship)
        b.add(node, V.author, person)
        b.integer(node, V.authorRank, rank)
        b.text(node, V.authorName, author.name)
        b.a(person, V.Researcher)
        b.text(person, V.name, author.name)
        b.plain(person, V.orcid, author.orcid)
        for inst in author.institutions:
            if not inst.name:
                continue   # an organization needs a name (shapes.ttl); a bare ROR id alone is not kept
            org = m.institution(inst.name, inst.ror)
            b.a(org, V.Organization)
            b.text(org, V.name, inst.name)
            b.plain(org, V.ror, inst.ror)
            b.add(node, V.affiliationOrg, org)

    # Grants ------------------------------------------------------------------------
    def claim(self, claim: GrantClaim) -> None:
        """Keep the most confident claim per (number, method)."""
        key = (claim.number, claim.method)
        kept = self._claims.get(key)
        if kept is None or claim.confidence > kept.confidence:
            self._claims[key] = claim

    def funder_numbers(self, numbers: list[str], evidence: str) -> None:
        for number in numbers:
            self.claim(GrantClaim(number, V.MethodFunderMetadata, FUNDER_CONFIDENCE, evidence))

    def mine(self, text: str | None) -> bool:
        """Claims for the NSFC numbers in free text; True when it named any."""
        mentions = find_nsfc_grants(text) if text else []
        for mention in mentions:
            self.claim(GrantClaim(mention.approval_number, V.MethodAcknowledgementMining,
                                  mention.confidence, mention.evidence))
        return bool(mentions)

    def done(self) -> MappedRecord:
        b = self.builder
        for claim in self._claims.values():
            b.plain(self.iri, V.acknowledgedGrant, claim.number)
            b.qualified_link(self.minter, self.iri, V.resultOf, self.minter.project(claim.number),
                             claim.method, claim.confidence, claim.evidence)
        record = b.record
        record.statements = list(dict.fromkeys(record.statements))   # same triple twice: keep one
        return record


# Identifiers -----------------------------------------------------------------------
def output_iri(context: IngestContext, doi: str | None, source: str, local_id: str) -> URIRef:
    if doi:
        return context.minter.output(doi=doi)
    return context.minter.output(source=source, local_id=local_id)


def doi_or_error(context: IngestContext, raw: Any, **where) -> str | None:
    """The normalized DOI, None when absent; a malformed DOI is an InputError."""
    if raw is None or not str(raw).strip():
        return None
    return identifier(context, normalize_doi, raw, **where)


def orcid_or_error(context: IngestContext, raw: Any, **where) -> str | None:
    if raw is None or not str(raw).strip():
        return None
    return identifier(context, normalize_orcid, raw, **where)


def ror_or_none(raw: Any) -> str | None:
    """ROR ids of third-party affiliations: a malformed one is dropped, the name kept."""
    try:
        return normalize_ror(raw) if raw else None
    except InvalidIdentifier:   # the organization still has its name
        return None


_YEAR_RE = re.compile(r"^\s*((?:1[5-9]|20)\d\d)(?:$|[-/.\sT]|\d\d)")


def year_or_error(context: IngestContext, raw: Any, **where) -> int | None:
    """1998 from 1998, '1998-12-01', '1998 Dec-1999 Jan'; anything else is an InputError."""
    if raw is None or str(raw).strip() == "":
        return None
    if isinstance(raw, bool):
        raise context.error("not a publication year", value=raw, **where)
    match = _YEAR_RE.match(str(raw))
    if not match:
        raise context.error("not a publication year or date", value=raw, **where,
                            hint="Give a year (2020) or a date (2020-12-18).")
    return int(match.group(1))


def count_or_error(context: IngestContext, raw: Any, **where) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise context.error("not a count", value=raw, **where, hint="A count is a whole number, 0 or more.")


# Text helpers ----------------------------------------------------------------------
_TAG_RE = re.compile(r"<[^<>]{0,300}>")


def collapse(text: Any) -> str:
    """Whitespace collapsed to single spaces; non-strings give ''."""
    return " ".join(text.split()) if isinstance(text, str) else ""


def strip_markup(text: Any) -> str:
    """JATS/HTML tags removed (Crossref abstracts are JATS XML fragments)."""
    return collapse(_TAG_RE.sub(" ", text)) if isinstance(text, str) else ""


def as_str(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


# JSON files ------------------------------------------------------------------------
def json_documents(context: IngestContext) -> Iterator[tuple[int | None, Any]]:
    """(line, document) for a JSON file: one document (object or array), or JSON lines.

    JSON lines is chosen when the first non-blank line is a complete JSON value by
    itself; then each line is a record and a bad line is that record's InputError
    (yielded, so the other lines still load). Otherwise the whole file is one
    document and a syntax error is a file-level InputError with line and column.
    """
    lines = read_text(context)
    first: tuple[int, str] | None = None
    for line_no, line in lines:
        if line.strip():
            first = (line_no, line)
            break
    if first is None:
        return
    first_value = _loads_or_none(first[1])
    if first_value is not _INVALID:
        yield first[0], first_value
        yield from _json_lines(context, lines)
        return
    text = first[1] + "".join(line for _, line in lines)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        line = exc.lineno + first[0] - 1
        raise InputError(context.at(line=line), f"malformed JSON at line {line}, column {exc.colno} ({exc.msg})",
                         hint="The file must be one JSON document or JSON lines (one document per line).") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(context.at(), f"unreadable JSON ({type(exc).__name__})") from None
    yield None, document


_INVALID = object()


def _loads_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _INVALID


def _json_lines(context: IngestContext, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, Any]]:
    for line_no, line in lines:
        if not line.strip():
            continue
        try:
            yield line_no, json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, InputError(context.at(line=line_no), f"malformed JSON at column {exc.colno} ({exc.msg})",
                                      hint="Each line of a JSON lines file must be one complete JSON document.")
        except (ValueError, RecursionError) as exc:
            yield line_no, InputError(context.at(line=line_no), f"unreadable JSON ({type(exc).__name__})")
