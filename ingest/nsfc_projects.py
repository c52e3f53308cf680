"""NSFC funded-project exports (CSV, TSV, XLSX, JSON lines) -> FundedProject records.

One row (or JSON object) is one project: the project, its PI and members, its
supporting institution (依托单位) and its application-code chain, all in one record so
they share the project's visibility. See docs/formats.md §1 for the headers.

Scraped exports differ in header language and quirks (dailycafi: "12." title prefixes,
float amounts, `；`-separated keywords; suqingdong: 起止年月 periods, 6-character codes,
English XLSX keys with "一级：C05，二级：C0501" hierarchies); all meet here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import SKOS, XSD

from ingest.base import FormatModule, IngestContext, MappedRecord, RecordBuilder, RecordStream, identifier, is_public, review_status
from ingest.tabular import (column_conflict, first_line_text, fold, header_key, parse_bool, parse_date, parse_decimal,
                            parse_int, parse_period, read_rows, repeated_record, split_list)
from kg import concepts
from kg import vocab as V
from kg.errors import InputError
from kg.ids import application_code_parents, normalize_application_code, normalize_approval_number

NAME = "nsfc-projects"

# field -> headers (as spelled in docs/formats.md; matched after header_key folding).
ALIASES: dict[str, tuple[str, ...]] = {
    "approval_number": ("项目批准号", "批准号", "approval_number", "project_id", "approveText"),
    "title": ("项目名称", "title", "title_zh"),
    "title_en": ("英文名称", "项目英文名称", "title_en"),
    "pi": ("项目负责人", "负责人", "pi", "person", "personText"),
    "pi_id": ("项目负责人ID", "pi_id"),
    "pi_title": ("负责人职称", "pi_title"),
    "members": ("参与者", "项目成员", "members"),
    "institution": ("依托单位", "institution", "organization"),
    "institution_id": ("依托单位ID", "institution_id"),
    "amount": ("批准金额(万元)", "资助经费(万元)", "资助金额", "amount", "money"),
    "period": ("项目起止年月", "起止年月", "period"),
    "start": ("开始年月", "start_time"),
    "end": ("结束年月", "end_time"),
    "approval_year": ("批准年度", "approval_year", "approveYear"),
    "end_year": ("结题年度", "end_year", "endYear"),
    # subject_code: suqingdong XLSX repeats subject_code_list under this key.
    "application_code": ("申请代码", "application_code", "codeText", "subject_code_list", "subject_code"),
    # subject / 学部: the department's name (suqingdong XLSX); used only when there is no code.
    "department": ("学部", "subject"),
    "project_type": ("项目类别", "project_type", "fundTypeText"),
    "keywords": ("关键词", "中文关键词", "keywords", "keyword"),
    "keywords_en": ("英文关键词", "keywords_en", "keyword_en"),
    "abstract": ("中文摘要", "abstract", "abstract_zh"),
    "abstract_en": ("英文摘要", "abstract_en"),
    "abstract_conc": ("结题摘要", "abstract_conc"),
    "concluded": ("是否结题", "finished", "concluded"),
    "popularization": ("项目成果科普性介绍或展示网站", "科普性介绍", "popularization"),
    "review_status": ("审核状态", "review_status"),
    # dailycafi's row number: its titles start with the same number ("12.…"), which we strip.
    "index": ("index",),
}
# Scraper bookkeeping and counts we do not map. subject_class_list holds the code
# hierarchy's names and project_type_code NSFC's numeric type code (both in the XLSX).
IGNORED = ("searchYear", "searchFund", "searchCode", "result_stat", "项目类别代码",
           "project_type_code", "subject_class_list")
IGNORED_PREFIXES = ("研究成果",)   # 研究成果(期刊论文;会议论文;著作;奖励;专利)
APPROVAL_HEADERS = frozenset(header_key(h) for h in ALIASES["approval_number"])

_SUFFIXES = {".csv", ".tsv", ".xlsx", ".jsonl", ".json"}
# 万元; the largest NSFC awards (basic science centres, instrument projects) are a few
# hundred million yuan: a larger figure is almost surely in yuan.
MAX_AMOUNT_WAN = 100_000
_XSD_DATE_TYPES = {"gYear": XSD.gYear, "gYearMonth": XSD.gYearMonth, "date": XSD.date}
_KEYWORD_SEPARATORS = re.compile(r"\s*[；;]\s*")
_KEYWORD_FALLBACK_SEPARATORS = re.compile(r"\s*[,，、]\s*")
# A scraper's "12." numbering; not "3.5 GHz …" (a digit follows), which is a real title.
_SCRAPER_PREFIX = re.compile(r"^[0-9０-９]{1,5}\s*[.、．]\s*(?=[^\s0-9０-９])")
_PREFIX_PUNCTUATION = (".", "、", "．")
_URL = re.compile(r"^https?://", re.IGNORECASE)
_JSON_APPROVAL_KEY = re.compile(
    r'"\s*(?:' + "|".join(re.escape(h) for h in ALIASES["approval_number"]) + r')\s*"\s*:', re.IGNORECASE)


# Sniffing ----------------------------------------------------------------------------
def sniff(path: Path, head: bytes) -> bool:
    """A tabular suffix and an approval-number column in the header (any .xlsx is accepted)."""
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        return False
    if suffix == ".xlsx":
        return head[:2] == b"PK" or not head
    first_line = first_line_text(head).rstrip("\r")
    if suffix in (".jsonl", ".json"):
        return bool(_JSON_APPROVAL_KEY.search(first_line))
    delimiter = "\t" if suffix == ".tsv" else ","
    return any(header_key(cell.strip('"')) in APPROVAL_HEADERS for cell in first_line.split(delimiter))


# Rows -> fields ------------------------------------------------------------------------
@dataclass
class Fields:
    """One row's values by field name, and the header each came from (for error messages)."""

    line: int
    values: dict[str, object]
    headers: dict[str, str]
    conflict: tuple[str, str] | None = None   # two headers giving one field different values

    def get(self, name: str):
        return self.values.get(name)


@dataclass
class HeaderMap:
    """Resolves folded header keys to fields; an unknown header refuses the whole file."""

    by_key: dict[str, tuple[str, str]] = field(default_factory=dict)
    ignored: set[str] = field(default_factory=set)

    @classmethod
    def default(cls) -> "HeaderMap":
        by_key = {header_key(h): (name, h) for name, headers in ALIASES.items() for h in headers}
        return cls(by_key=by_key, ignored={header_key(h) for h in IGNORED})

    def fields(self, context: IngestContext, line: int, row: dict, header_line: int | None = None) -> Fields:
        values: dict[str, object] = {}
        headers: dict[str, str] = {}
        conflict: tuple[str, str] | None = None
        for key, value in row.items():
            known = self.by_key.get(key)
            if known is None:
                self._check_unknown(context, header_line or line, key)
                continue
            name, header = known
            if value is None or value == "" or value == []:
                continue
            if isinstance(value, str) and not value.strip():
                continue
            if name in values:
                # Two headers of one field (the suqingdong XLSX repeats its codes under two):
                # the same value twice is fine, two different ones cannot both be kept.
                if conflict is None and _text(values[name]) != _text(value):
                    conflict = (headers[name], header)
                continue
            values[name] = value
            headers[name] = header
        return Fields(line, values, headers, conflict)

    def _check_unknown(self, context: IngestContext, line: int, key: str) -> None:
        if key in self.ignored:
            return
        # "": a nameless column, such as the row index pandas writes; it names no field.
        if key == "" or key.startswith("__") or key.startswith(IGNORED_PREFIXES):
            self.ignored.add(key)   # remember: the next rows skip this check
            return
        raise context.error(f"unknown column '{key}'", line=line, field=key,
                            hint="Rename the column to one listed in docs/formats.md §1, or remove it.")


# Mapping -------------------------------------------------------------------------------
class ProjectMapper:
    """Maps rows of one file; caches what repeats across rows (codes, types, departments)."""

    def __init__(self, context: IngestContext) -> None:
        self.context = context
        self.minter = context.minter
        self._code_triples: dict[str, tuple] = {}
        self._types: dict[str, URIRef | None] = {}
        self._departments: dict[str, URIRef | None] = {}

    def error(self, row: Fields, name: str, problem: str, value=None, hint: str = "") -> InputError:
        return self.context.error(problem, line=row.line, field=row.headers.get(name, name), value=value, hint=hint)

    def map(self, row: Fields) -> MappedRecord:
        raw_number = row.get("approval_number")
        if raw_number is None:
            raise self.error(row, "approval_number", "the approval number (批准号) is missing",
                             hint="Every project row needs its approval number.")
        number = identifier(self.context, normalize_approval_number, _text(raw_number),
                            line=row.line, field=row.headers["approval_number"])
        project = self.minter.project(number)
        b = RecordBuilder(number, V.FundedProject)
        b.a(project, V.FundedProject)
        b.plain(project, V.approvalNumber, number)
        self._titles(b, project, row)
        self._texts(b, project, row)
        self._classification(b, project, row)
        self._money_and_dates(b, project, row)
        status = review_status(self.context, row.get("review_status"), V.Approved, line=row.line,
                               field=row.headers.get("review_status", "review_status"))
        b.add(project, V.reviewStatus, status)
        b.record.public = is_public(status)
        institution, institution_name = self._institution(b, row)
        if institution is not None:
            b.add(project, V.hostedBy, institution)
        self._people(b, project, row, institution, institution_name)
        return b.record

    # Fields ------------------------------------------------------------------------
    def _titles(self, b: RecordBuilder, project: URIRef, row: Fields) -> None:
        raw = row.get("title")
        title = _clean_title(_text(raw), row.get("index")) if raw is not None else ""
        if not title:
            raise self.error(row, "title", "the project title (项目名称) is missing")
        b.text(project, V.title, title)
        b.text(project, V.title, row.get("title_en"))

    def _texts(self, b: RecordBuilder, project: URIRef, row: Fields) -> None:
        b.text(project, V.abstract, row.get("abstract"))
        b.text(project, V.abstract, row.get("abstract_en"))
        b.text(project, V.concludingAbstract, row.get("abstract_conc"))
        for name in ("keywords", "keywords_en"):
            for keyword in _keywords(row.get(name)):
                b.text(project, V.keyword, keyword)
        report = row.get("popularization")
        if report is not None:
            report = _text(report)
            # A URL is an address, not prose: keep it untagged.
            (b.plain if _URL.match(report) else b.text)(project, V.popularizationReport, report)

    def _classification(self, b: RecordBuilder, project: URIRef, row: Fields) -> None:
        label = row.get("project_type")
        if label is not None:
            b.add(project, V.projectType, self._project_type(row, _text(label)))
        department = None
        raw_code = row.get("application_code")
        if raw_code is not None:
            code = identifier(self.context, normalize_application_code, _text(raw_code),
                              line=row.line, field=row.headers["application_code"])
            department = self._department(code[:1])
            if len(code) > 1:
                b.add(project, V.applicationCode, self.minter.application_code(code))
                b.triples.extend(self._code_chain(code))
        if department is None and row.get("department") is not None:
            department = self._department_by_name(row, _text(row.get("department")))
        b.add(project, V.department, department)

    def _money_and_dates(self, b: RecordBuilder, project: URIRef, row: Fields) -> None:
        amount = self._parse(row, "amount", _canonical_decimal, "the amount (万元) is not a number")
        if amount is not None and not 0 <= Decimal(amount) <= MAX_AMOUNT_WAN:
            raise self.error(row, "amount", f"the amount (万元) is not between 0 and {MAX_AMOUNT_WAN}",
                             value=row.get("amount"), hint="Amounts are in 万元 (10,000 yuan): was it given in yuan?")
        b.decimal(project, V.amountWan, amount)
        start = end = None
        if row.get("period") is not None:
            start, end = self._parse(row, "period", parse_period,
                                     "the period is not 'YYYY-MM至YYYY-MM'")
        start = start or self._parse(row, "start", parse_date, "the start month is not YYYYMM or YYYY-MM")
        end = end or self._parse(row, "end", parse_date, "the end month is not YYYYMM or YYYY-MM")
        year = self._year(row, "approval_year")
        end_year = self._year(row, "end_year")
        if end is None and end_year is not None:
            end = (str(end_year), "gYear")   # 结题年度: only the year is known
        self._check_order(row, start, end, year, end_year)
        for prop, value in ((V.startDate, start), (V.endDate, end)):
            if value is not None:
                b.typed(project, prop, value[0], _XSD_DATE_TYPES[value[1]])
        b.integer(project, V.approvalYear, year)
        concluded = self._parse(row, "concluded", parse_bool, "the concluded flag is not 是/否 or true/false")
        b.boolean(project, V.concluded, concluded)

    def _institution(self, b: RecordBuilder, row: Fields) -> tuple[URIRef | None, str]:
        name = row.get("institution")
        if name is None:
            return None, ""
        name = _text(name)
        institution = self.minter.institution(name)
        b.a(institution, V.SupportingInstitution)
        b.text(institution, V.name, name)
        b.plain(institution, V.institutionId, _id_text(row.get("institution_id")))
        return institution, name

    def _people(self, b: RecordBuilder, project: URIRef, row: Fields,
                institution: URIRef | None, institution_name: str) -> None:
        name = _text(row.get("pi")) if row.get("pi") is not None else ""
        person_id = _id_text(row.get("pi_id"))
        if name or person_id:
            pi = self.minter.person("nsfc", person_id) if person_id else self.minter.person_by_name(name, institution_name)
            b.a(pi, V.Researcher)
            b.text(pi, V.name, name)
            b.plain(pi, V.personId, person_id)
            b.text(pi, V.jobTitle, row.get("pi_title"))
            if institution is not None:
                b.add(pi, V.currentInstitution, institution)
            b.add(project, V.principalInvestigator, pi)
        seen: set[str] = set()
        for member_name in split_list(row.get("members")):
            if member_name in seen:
                continue
            seen.add(member_name)
            # A name is only a mention: the linking step decides who it is.
            member = self.minter.person_by_name(member_name, institution_name)
            b.a(member, V.Researcher)
            b.text(member, V.name, member_name)
            b.add(project, V.member, member)

    # Helpers -----------------------------------------------------------------------
    def _parse(self, row: Fields, name: str, parser, problem: str):
        raw = row.get(name)
        if raw is None:
            return None
        try:
            return parser(_text(raw))
        except ValueError:
            raise self.error(row, name, problem, value=raw) from None

    def _check_order(self, row: Fields, start, end, year: int | None, end_year: int | None) -> None:
        """A project cannot end before it starts, nor conclude before it was approved."""
        if start is not None and end is not None:
            shared = min(len(start[0]), len(end[0]))   # '2016', '2016-01', '2016-01-15' compare as text
            if end[0][:shared] < start[0][:shared]:
                name = next(n for n in ("period", "end", "end_year") if row.get(n) is not None)
                raise self.error(row, name, f"the project ends ({end[0]}) before it starts ({start[0]})",
                                 value=row.get(name), hint="Check the start and end months.")
        if year is not None and end_year is not None and end_year < year:
            raise self.error(row, "end_year", f"the project concludes ({end_year}) before its approval year ({year})",
                             value=row.get("end_year"), hint="Check 批准年度 and 结题年度.")

    def _year(self, row: Fields, name: str) -> int | None:
        year = self._parse(row, name, parse_int, "the year is not a number")
        if year is not None and not 1986 <= year <= 2100:   # NSFC was founded in 1986
            raise self.error(row, name, "the year is not between 1986 and 2100", value=row.get(name))
        return year

    def _project_type(self, row: Fields, label: str) -> URIRef:
        if label not in self._types:
            self._types[label] = concepts.lookup(V.ProjectTypeScheme, label)
        concept = self._types[label]
        if concept is None:
            raise self.error(row, "project_type", "unknown project type", value=label,
                             hint="Use a project type listed in ontology.ttl (e.g. 面上项目, 青年科学基金项目), or ask for the label to be added.")
        return concept

    def _department(self, letter: str) -> URIRef | None:
        if letter not in self._departments:
            self._departments[letter] = concepts.department_for_code(letter)
        return self._departments[letter]

    def _department_by_name(self, row: Fields, label: str) -> URIRef:
        department = concepts.lookup(V.DepartmentScheme, label)
        if department is None:
            raise self.error(row, "department", "unknown science department", value=label,
                             hint="Use a department letter (A-H, T) or its name, e.g. 生命科学部.")
        return department

    def _code_chain(self, code: str) -> tuple:
        """Triples declaring the code and each ancestor down from the department (cached)."""
        cached = self._code_triples.get(code)
        if cached is None:
            b = RecordBuilder(code)
            levels = [c for c in application_code_parents(code) if len(c) > 1] + [code]
            broader = self._department(code[:1])
            for level in levels:
                iri = self.minter.application_code(level)
                b.a(iri, V.ApplicationCode)
                b.add(iri, SKOS.inScheme, V.ApplicationCodeScheme)
                b.plain(iri, SKOS.notation, level)
                b.add(iri, SKOS.broader, broader)
                broader = iri
            cached = self._code_triples[code] = tuple(b.triples)
        return cached


def _nested(value) -> bool:
    """A JSON object, or a list holding objects or lists: no field of a project is shaped so."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value)


def _text(value) -> str:
    """A cell or JSON value as text (JSON may give numbers, booleans or lists)."""
    if isinstance(value, list):
        return "；".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _id_text(value) -> str:
    """Source ids (依托单位ID, 项目负责人ID) as written; spreadsheets may add '.0'."""
    if value is None:
        return ""
    text = fold(_text(value))
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _canonical_decimal(value: str) -> str:
    """The XSD canonical decimal ('59' and '59.0' -> '59.0', '65.50' -> '65.5'), so that the same
    amount from two exports is the same literal."""
    text = parse_decimal(value)
    if "." not in text:
        return text + ".0"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


def _clean_title(title: str, index=None) -> str:
    """Drop a scraper's "12." numbering; the text itself is kept as written (not width-folded)."""
    if index is not None:
        number = _text(index)
        # dailycafi numbers titles with the row's index: strip exactly that, so that
        # "12.3.5亿年前…" keeps its "3.5".
        if title.startswith(number) and title[len(number):len(number) + 1] in _PREFIX_PUNCTUATION:
            return title[len(number) + 1:].strip()
    return _SCRAPER_PREFIX.sub("", title, count=1).strip()


def _keywords(value) -> list[str]:
    """Keywords split on `；`/`;` (commas only when there is no semicolon), spaces trimmed."""
    if value is None:
        return []
    if isinstance(value, list):
        parts = [_text(v) for v in value]
    else:
        text = _text(value)
        parts = _KEYWORD_SEPARATORS.split(text)
        if len(parts) == 1:
            parts = _KEYWORD_FALLBACK_SEPARATORS.split(text)
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


# The module --------------------------------------------------------------------------
def read(context: IngestContext) -> RecordStream:
    """One MappedRecord per project row, an InputError per row that cannot be mapped."""
    headers = HeaderMap.default()
    mapper = ProjectMapper(context)
    # A table's columns are named on its header line; a JSON object names its own keys.
    per_line_keys = context.path.suffix.lower() in (".jsonl", ".json", ".ndjson")
    first_line: dict[str, tuple[int, int]] = {}    # approval number -> (first line, digest)
    for line, row in read_rows(context):
        problem = row.get("__error__")
        if problem:
            yield context.error(problem, line=line)
            continue
        # an unknown column refuses the file
        fields = headers.fields(context, line, row, header_line=line if per_line_keys else 1)
        if fields.conflict:
            yield column_conflict(context, line, *fields.conflict)
            continue
        nested = next((name for name, value in fields.values.items() if _nested(value)), None)
        if nested:   # would be stored as its Python repr
            yield context.error("expected text, found a JSON object", line=line, field=fields.headers[nested],
                                value=fields.values[nested], hint="Give the field as text, a number or a list.")
            continue
        try:
            record = mapper.map(fields)
        except InputError as exc:
            yield exc
            continue
        repeated = repeated_record(context, line, [record], first_line)
        if isinstance(repeated, InputError):
            yield repeated
        elif not repeated:   # the same project listed twice by a scraper is loaded once
            yield record


MODULE = FormatModule(NAME, "NSFC funded-project exports (CSV, TSV, XLSX, JSON lines) with Chinese or English headers", sniff, read)
