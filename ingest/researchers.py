"""Researcher exports (CSV, TSV, JSON lines) -> Researcher records (docs/formats.md §2).

One row is one person, keyed by the source's person id (人员ID) as an NSFC person:
names, ORCID, title, current institution, dated affiliations (JSON lines only),
department, expertise, talent-pool membership. The e-mail address is staff-only: it is
emitted as a separate record that is never public, whatever the review status says.
"""
from __future__ import annotations

import re
from pathlib import Path

from rdflib import Literal, URIRef

from ingest.base import FormatModule, IngestContext, MappedRecord, RecordBuilder, RecordStream, identifier, is_public, review_status
from ingest.popsci_works import XSD_DATE_TYPES, sniff_tabular
from ingest.tabular import Columns, RowFields, as_text, fold, header_key, map_rows, parse_date, unique
from kg import vocab as V
from kg.ids import normalize_orcid, normalize_ror

NAME = "researchers"

ALIASES: dict[str, list[str]] = {
    "person_id": ["person_id", "人员ID"],
    "name_zh": ["name_zh", "姓名"],
    "name_en": ["name_en", "英文名"],
    "orcid": ["orcid"],
    "title": ["title", "职称"],
    "institution": ["institution", "工作单位"],
    "institution_ror": ["institution_ror"],
    "affiliations": ["affiliations"],
    "department": ["department", "学部"],
    "expertise": ["expertise", "研究领域"],
    "email": ["email"],
    "talent_pool_since": ["talent_pool_since", "入库时间"],
    "nominated_by": ["nominated_by", "推荐单位"],
    "review_status": ["review_status", "审核状态"],
}
ID_HEADERS = frozenset(header_key(h) for h in ALIASES["person_id"])
COLUMNS = Columns(ALIASES)
_SEMICOLONS = re.compile(r"\s*[；;]\s*")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ResearcherRow(RowFields):
    """One row's fields, mapped to triples; every problem names the line and field."""

    list_fields = frozenset({"name_zh", "name_en", "expertise"})   # JSON lines may give lists

    def __init__(self, context: IngestContext, line: int, values: dict[str, object]) -> None:
        super().__init__(context, line, values)
        self.minter = context.minter

    def text(self, name: str) -> str:
        return fold(self.raw_text(name))

    def items(self, name: str) -> list[str]:
        value = self.values.get(name)
        if isinstance(value, list):
            return unique([fold(as_text(v)) for v in value if as_text(v)])
        if isinstance(value, dict):
            raise self.error(name, "expected text or a list, found a JSON object", value=value)
        return unique([p for p in _SEMICOLONS.split(self.text(name)) if p])

    # The person ------------------------------------------------------------------------
    def records(self) -> list[MappedRecord]:
        person_id = self.text("person_id")
        if person_id.endswith(".0") and person_id[:-2].isdigit():
            person_id = person_id[:-2]   # a spreadsheet's float rendering of a numeric id
        if not person_id:
            raise self.error("person_id", "the person id (人员ID) is missing")
        person = self.minter.person("nsfc", person_id)
        b = RecordBuilder(person_id, kind=V.Researcher)
        b.a(person, V.Researcher)
        b.plain(person, V.personId, person_id)
        self.names(b, person)
        if self.values.get("orcid") is not None:
            b.plain(person, V.orcid, identifier(self.context, normalize_orcid, self.text("orcid"),
                                                line=self.line, field="orcid"))
        b.text(person, V.jobTitle, self.text("title"))
        self.institutions(b, person)
        b.add(person, V.department, self.department())
        for keyword in self.items("expertise"):
            b.text(person, V.expertise, keyword)
        self.talent_pool(b, person)
        status = review_status(self.context, self.text("review_status"), V.Approved, line=self.line)
        b.add(person, V.reviewStatus, status)
        b.record.public = is_public(status)
        contact = self.contact(person, person_id)
        return [b.record] + ([contact] if contact is not None else [])

    def names(self, b: RecordBuilder, person: URIRef) -> None:
        """The first name in each language is the name; further variants are alternate names."""
        for name in ("name_zh", "name_en"):
            variants = self.items(name)
            if variants:
                b.text(person, V.name, variants[0])
            for variant in variants[1:]:
                b.text(person, V.alternateName, variant)

    def institutions(self, b: RecordBuilder, person: URIRef) -> None:
        name = self.text("institution")
        ror = self.ror(self.text("institution_ror"), "institution_ror")
        if name or ror:
            b.add(person, V.currentInstitution, self.organization(b, name, ror))
        raw = self.values.get("affiliations")
        if raw is None:
            return
        if not isinstance(raw, list):
            raise self.error("affiliations", "expected a list of {institution, ror, start, end} objects", value=raw)
        for item in raw:
            self.affiliation(b, person, item)

    def affiliation(self, b: RecordBuilder, person: URIRef, item) -> None:
        if not isinstance(item, dict):
            raise self.error("affiliations", "an affiliation that is not an {institution, ror, start, end} object", value=item)
        name = fold(as_text(item.get("institution") or ""))
        ror = self.ror(as_text(item.get("ror") or ""), "affiliations")
        if not (name or ror):
            raise self.error("affiliations", "an affiliation without institution or ror", value=item)
        start = self.date(item.get("start"), "affiliations")
        end = self.date(item.get("end"), "affiliations")
        org = self.organization(b, name, ror)
        node = self.minter.affiliation(person, org, start[0] if start else "")
        b.a(node, V.Affiliation)
        b.add(person, V.affiliation, node)
        b.add(node, V.affiliationOrg, org)
        for prop, value in ((V.startDate, start), (V.endDate, end)):
            if value is not None:
                b.typed(node, prop, value[0], XSD_DATE_TYPES[value[1]])

    def organization(self, b: RecordBuilder, name: str, ror: str) -> URIRef:
        org = self.minter.institution(name, ror or None)
        b.a(org, V.Organization)
        b.text(org, V.name, name)
        b.plain(org, V.ror, ror)
        return org

    def ror(self, raw: str, field_name: str) -> str:
        if not raw:
            return ""
        return identifier(self.context, normalize_ror, raw, line=self.line, field=field_name)

    def date(self, raw, field_name: str) -> tuple[str, str] | None:
        if raw is None or as_text(raw) == "":
            return None
        try:
            return parse_date(as_text(raw))
        except ValueError:
            raise self.error(field_name, "not a date (YYYY-MM-DD, YYYY-MM or YYYY)", value=raw) from None

    def department(self) -> URIRef | None:
        return self.concept("department", V.DepartmentScheme, "unknown science department",
                            "Use a department letter (A-H, T) or its name, e.g. 生命科学部.")

    def talent_pool(self, b: RecordBuilder, person: URIRef) -> None:
        since = self.date(self.values.get("talent_pool_since"), "talent_pool_since")
        nominator = self.text("nominated_by")
        if since is None and not nominator:
            return
        membership = self.minter.pool_membership(person)
        b.a(membership, V.TalentPoolMembership)
        b.add(person, V.talentPoolMembership, membership)
        if since is not None:
            b.typed(membership, V.since, since[0], XSD_DATE_TYPES[since[1]])
        if nominator:
            b.add(membership, V.nominatedBy, self.organization(b, nominator, ""))

    def contact(self, person: URIRef, person_id: str) -> MappedRecord | None:
        """The e-mail address as its own record: always restricted (staff only)."""
        email = self.text("email")
        if not email:
            return None
        if not _EMAIL.match(email):
            raise self.error("email", "not an e-mail address", value=email)
        return MappedRecord(key=f"{person_id}#contact", statements=[(person, V.email, Literal(email))],
                            public=False, kind=None)


def read(context: IngestContext) -> RecordStream:
    """Per row: the person's record, then (when there is an e-mail) its restricted contact record."""
    return map_rows(context, COLUMNS, lambda line, fields: ResearcherRow(context, line, fields).records())


def _sniff(path: Path, head: bytes) -> bool:
    return sniff_tabular(path, head, ID_HEADERS)

MODULE = FormatModule(NAME, "Researcher exports (CSV, TSV, JSON lines) keyed by person_id / 人员ID", _sniff, read)
