"""ORCID public API record JSON (v3.0, and v2.x where the shape allows) -> one Researcher record.

`/v3.0/{orcid}/record` gives: the iD (`orcid-identifier.path`), names, other names,
keywords, employments (organization, disambiguated ROR, dates), fundings (external ids
of type grant_number; only NSFC's become links to projects) and works (DOIs become
authorships of outputs). v2.x lists `employment-summary` directly instead of in
`affiliation-group`s; both are read.

Values the record itself marks as malformed (ORCID's "work:doi" placeholders, grant
numbers that are not NSFC approval numbers) are skipped, never repaired. An iD that is
not a valid ORCID refuses the record: we do not invent people.
"""
from __future__ import annotations

import calendar
import re
from pathlib import Path

from rdflib import URIRef

from ingest.base import FormatModule, IngestContext, MappedRecord, RecordBuilder, RecordStream, identifier
from ingest.popsci_works import XSD_DATE_TYPES
from ingest.tabular import unique
from ingest.tabular import fold, read_json_document
from kg import vocab as V
from kg.errors import InputError, InvalidIdentifier
from kg.grants import NSFC_FUNDER_DOI, is_nsfc_funder_name
from kg.ids import normalize_approval_number, normalize_doi, normalize_orcid, normalize_ror

NAME = "orcid"
NSFC_ROR = "01h0zpd94"
# A funding statement by the researcher is good evidence but not the funder's own word.
FUNDING_CONFIDENCE = 0.9
_HAS_WORD = re.compile(r"\w")
_KEYWORD_SEPARATORS = re.compile(r"\s*[,，;；]\s*")


# Safe navigation: ORCID writes null for every empty section ---------------------------
def get(data, *keys):
    """data[k1][k2]… or None when any step is missing, null or not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def value_of(node) -> str:
    """ORCID's {"value": "..."} wrappers, or a bare string."""
    if isinstance(node, dict):
        node = node.get("value")
    return node.strip() if isinstance(node, str) else ""


def fuzzy_date(node) -> tuple[str, str] | None:
    """{year, month, day} -> (lexical, xsd type name); None when the year is missing or odd."""
    year, month, day = (value_of(get(node, part)) for part in ("year", "month", "day"))
    if not re.fullmatch(r"\d{4}", year):
        return None
    if not re.fullmatch(r"\d{1,2}", month) or not 1 <= int(month) <= 12:
        return year, "gYear"
    if not re.fullmatch(r"\d{1,2}", day) or not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
        return f"{year}-{int(month):02d}", "gYearMonth"   # no such day (02-30): the month is still known
    return f"{year}-{int(month):02d}-{int(day):02d}", "date"


def external_ids(summary, id_type: str) -> list[str]:
    return [value_of(get(e, "external-id-value")) or str(get(e, "external-id-value") or "")
            for e in as_list(get(summary, "external-ids", "external-id"))
            if isinstance(e, dict) and str(e.get("external-id-type", "")).lower() == id_type]


def try_normalize(normalizer, raw) -> str | None:
    try:
        return normalizer(raw)
    except InvalidIdentifier:
        return None


# Sections ------------------------------------------------------------------------------
def employment_summaries(activities) -> list[dict]:
    """v3.0: affiliation-group[].summaries[].employment-summary; v2.x: employment-summary[]."""
    employments = get(activities, "employments")
    found = [get(s, "employment-summary") for g in as_list(get(employments, "affiliation-group"))
             for s in as_list(get(g, "summaries"))]
    found += as_list(get(employments, "employment-summary"))
    return [s for s in found if isinstance(s, dict)]


def group_summaries(activities, section: str, key: str) -> list[dict]:
    """fundings/works: group[].<key>[] in both v2.x and v3.0."""
    return [s for g in as_list(get(activities, section, "group")) for s in as_list(get(g, key))
            if isinstance(s, dict)]


def organization_ror(org) -> str:
    disambiguated = get(org, "disambiguated-organization")
    if str(get(disambiguated, "disambiguation-source") or "").upper() != "ROR":
        return ""
    return try_normalize(normalize_ror, get(disambiguated, "disambiguated-organization-identifier")) or ""


def is_nsfc(org) -> bool:
    """NSFC by name (English or Chinese), by its Crossref funder DOI or by its ROR id."""
    disambiguated = str(get(org, "disambiguated-organization", "disambiguated-organization-identifier") or "")
    if disambiguated.lower().endswith(NSFC_FUNDER_DOI) or disambiguated.lower().endswith(NSFC_ROR):
        return True
    name = get(org, "name")
    return isinstance(name, str) and is_nsfc_funder_name(name)


# The record ----------------------------------------------------------------------------
class OrcidRecord:
    def __init__(self, context: IngestContext, data: dict) -> None:
        self.context = context
        self.minter = context.minter
        self.data = data

    def map(self) -> MappedRecord:
        raw = get(self.data, "orcid-identifier", "path") or get(self.data, "person", "name", "path")
        if not isinstance(raw, str) or not raw.strip():
            raise self.context.error("the record has no ORCID iD", field="orcid-identifier.path",
                                     hint="Give the record JSON from /v3.0/{orcid}/record.")
        orcid = identifier(self.context, normalize_orcid, raw, record=raw, field="orcid-identifier.path")
        person = self.minter.person("orcid", orcid)
        b = RecordBuilder(orcid, kind=V.Researcher)
        b.a(person, V.Researcher)
        b.plain(person, V.orcid, orcid)
        person_data = get(self.data, "person")
        self.names(b, person, person_data)
        for keyword in self.keywords(person_data):
            b.text(person, V.expertise, keyword)
        activities = get(self.data, "activities-summary")
        for summary in employment_summaries(activities):
            self.employment(b, person, summary)
        for summary in group_summaries(activities, "fundings", "funding-summary"):
            self.funding(b, person, summary)
        self.works(b, person, orcid, group_summaries(activities, "works", "work-summary"))
        # ORCID records are public by their owner's choice: researchers default to approved.
        b.add(person, V.reviewStatus, V.Approved)
        return b.record

    def names(self, b: RecordBuilder, person: URIRef, person_data) -> None:
        name = get(person_data, "name")
        given, family = value_of(get(name, "given-names")), value_of(get(name, "family-name"))
        credit = value_of(get(name, "credit-name"))
        full = " ".join(p for p in (given, family) if p)
        b.text(person, V.name, credit or full)
        names = [credit or full]
        if credit and full and full != credit:
            b.text(person, V.alternateName, full)
            names.append(full)
        for other in as_list(get(person_data, "other-names", "other-name")):
            content = fold(str(get(other, "content") or ""))
            # Sample records hold placeholders such as "{}": not a name.
            if _HAS_WORD.search(content) and content not in names:
                b.text(person, V.alternateName, content)
                names.append(content)

    def keywords(self, person_data) -> list[str]:
        found: list[str] = []
        for keyword in as_list(get(person_data, "keywords", "keyword")):
            content = fold(str(get(keyword, "content") or ""))
            found += [k for k in _KEYWORD_SEPARATORS.split(content) if _HAS_WORD.search(k)]
        return unique(found)

    def employment(self, b: RecordBuilder, person: URIRef, summary: dict) -> None:
        org = get(summary, "organization")
        name = fold(str(get(org, "name") or ""))
        ror = organization_ror(org)
        if not (name or ror):
            return
        institution = self.minter.institution(name, ror or None)
        b.a(institution, V.Organization)
        b.text(institution, V.name, name)
        b.plain(institution, V.ror, ror)
        start, end = fuzzy_date(get(summary, "start-date")), fuzzy_date(get(summary, "end-date"))
        node = self.minter.affiliation(person, institution, start[0] if start else "")
        b.a(node, V.Affiliation)
        b.add(person, V.affiliation, node)
        b.add(node, V.affiliationOrg, institution)
        for prop, value in ((V.startDate, start), (V.endDate, end)):
            if value is not None:
                b.typed(node, prop, value[0], XSD_DATE_TYPES[value[1]])

    def funding(self, b: RecordBuilder, person: URIRef, summary: dict) -> None:
        org = get(summary, "organization")
        if not is_nsfc(org):
            return
        for raw in external_ids(summary, "grant_number"):
            number = try_normalize(normalize_approval_number, raw)
            if number is None:
                continue   # not an approval number: nothing to link to
            evidence = f"ORCID funding {get(summary, 'put-code')}: {get(org, 'name')} grant {raw}"
            b.qualified_link(self.minter, self.minter.project(number), V.member, person,
                             V.MethodFunderMetadata, FUNDING_CONFIDENCE, evidence)

    def works(self, b: RecordBuilder, person: URIRef, orcid: str, summaries: list[dict]) -> None:
        dois = unique([doi for s in summaries for raw in external_ids(s, "doi")
                       if (doi := try_normalize(normalize_doi, raw)) is not None])
        for doi in dois:
            output = self.minter.output(doi=doi)
            b.a(output, V.ResearchOutput)
            b.plain(output, V.doi, doi)
            # ORCID does not say the author's rank: the authorship is keyed by the person.
            # (Minter.authorship takes the rank as a path segment; a person key cannot
            # collide with the numeric ranks that publication sources use.)
            authorship = self.minter.authorship(output, f"orcid-{orcid}")
            b.a(authorship, V.Authorship)
            b.add(output, V.authorship, authorship)
            b.add(authorship, V.author, person)


# The module ----------------------------------------------------------------------------
def read(context: IngestContext) -> RecordStream:
    data = read_json_document(context)
    if not isinstance(data, dict) or "orcid-identifier" not in data:
        raise context.error("not an ORCID record (no 'orcid-identifier')",
                            hint="Give the record JSON from the ORCID public API /v3.0/{orcid}/record.")
    try:
        yield OrcidRecord(context, data).map()
    except InputError as exc:
        yield exc


def _sniff(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".json" and b'"orcid-identifier"' in head

MODULE = FormatModule(NAME, "ORCID public API record JSON (v3.0; v2.x read where the shape allows)", _sniff, read)
