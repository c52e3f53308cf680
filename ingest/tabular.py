"""Reading rows from CSV, TSV, XLSX and JSON lines, and the value parsers they share.

Rows come out as (line_number, {normalized header: raw value}). Headers are folded
(NFKC, trimmed) so that '批准金额（万元）' and '批准金额(万元)' are the same column.
"""
from __future__ import annotations

import calendar
import codecs
import csv
import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterable, Iterator

from charset_normalizer import from_bytes

from ingest.base import IngestContext
from kg import concepts
from kg.errors import InputError

Row = dict[str, str]
_TABULAR_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
MAX_FIELD = 1_000_000  # characters; csv's default limit of 131072 is too small for abstracts


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def header_key(header: str) -> str:
    """Canonical form of a column header: width-folded, no spaces, lower-case."""
    return re.sub(r"\s+", "", fold(header.lstrip("\ufeff"))).lower()


# Encodings ----------------------------------------------------------------------------
def detect_encoding(context: IngestContext, sample: bytes) -> str:
    """The declared encoding, else UTF-8 (with BOM), else GB18030, else a detector's guess."""
    if context.encoding:
        try:
            text_encoding = codecs.lookup(context.encoding)._is_text_encoding
        except LookupError:
            text_encoding = False
        if not text_encoding:   # rot13, hex, zip: codecs, but not of bytes to text
            raise context.error(f"unknown text encoding '{context.encoding}'", hint="Use --encoding utf-8, gbk or gb18030.")
        return context.encoding
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for candidate in ("utf-8", "gb18030"):
        try:
            sample.decode(candidate)
            return candidate
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sample's end is not a decoding failure.
            if exc.start >= len(sample) - 4:
                return candidate
    best = from_bytes(sample).best()
    if best is None:
        raise context.error("cannot tell the text encoding", hint="Pass --encoding (for example utf-8 or gb18030).")
    return best.encoding


def first_line_text(head: bytes) -> str:
    """The first line of a file's first bytes as text, UTF-8 (with BOM) or GB18030.

    Only the first line is decoded: the sniffing sample may end inside a multi-byte
    character, and a newline byte never occurs inside one in either encoding.
    """
    line = head.split(b"\n", 1)[0]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return line.decode("utf-8", errors="ignore")


def read_text(context: IngestContext) -> Iterator[tuple[int, str]]:
    """Lines of a text file, numbered from 1, decoded strictly (a bad byte is an error)."""
    path = context.path
    with open(path, "rb") as handle:
        sample = handle.read(1 << 16)
    encoding = detect_encoding(context, sample)
    # GB18030 decodes almost any bytes: UTF-8 lines pasted into a GBK export would load as
    # mojibake without a word. When GB18030 was guessed (not declared), such lines are refused.
    guessed_gb = not context.encoding and encoding == "gb18030"
    line_no = 0
    try:
        with open(path, "r", encoding=encoding, errors="strict", newline="") as handle:
            for line_no, line in enumerate(handle, start=1):
                if guessed_gb and _reads_as_utf8(line):
                    raise context.error(f"line {line_no} is UTF-8 while the file's first lines are GB18030 (GBK); "
                                        "a file mixing the two would load as garbled text", line=line_no,
                                        hint="Re-save the whole file in one encoding (UTF-8 is best).")
                yield line_no, line
    except UnicodeError as exc:   # a decode error, or a UTF-16 file without its byte-order mark
        reason = getattr(exc, "reason", None) or str(exc)
        raise context.error(f"bytes that are not valid {encoding} near line {line_no + 1} ({reason})",
                            line=line_no + 1, hint="Pass the right --encoding (for example gb18030), or re-save the file as UTF-8.") from None


_MIN_NON_ASCII = 20   # bytes: GBK text of 6 characters is valid UTF-8 about once in 30,000; of 8 or more, not once in 300,000 tries


def _reads_as_utf8(line: str) -> bool:
    """Is this line (decoded as GB18030) really UTF-8? Its bytes are valid UTF-8 with several
    non-ASCII characters, which GBK text almost never is."""
    if line.isascii():
        return False
    raw = line.encode("gb18030")
    if sum(1 for byte in raw if byte >= 0x80) < _MIN_NON_ASCII:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_json_document(context: IngestContext):
    """The whole file as one JSON value; a file-level problem is an InputError."""
    raw = context.path.read_bytes()
    encoding = detect_encoding(context, raw[: 1 << 16])
    try:
        return json.loads(raw.decode(encoding))
    except UnicodeError as exc:
        raise context.error(f"bytes that are not valid {encoding} ({getattr(exc, 'reason', None) or exc})",
                            hint="Pass the right --encoding, or re-save the file as UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise context.error(f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", line=exc.lineno) from None
    except RecursionError:
        raise context.error("JSON nested too deeply") from None


# Rows ---------------------------------------------------------------------------------
def read_rows(context: IngestContext) -> Iterator[tuple[int, Row]]:
    suffix = context.path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(context)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        yield from _jsonl_rows(context)
    else:
        yield from _delimited_rows(context, _TABULAR_SUFFIXES.get(suffix, ","))


def _delimited_rows(context: IngestContext, delimiter: str) -> Iterator[tuple[int, Row]]:
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader((text for _, text in read_text(context)), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise context.error("the file is empty", hint="Export the table again with its header row.") from None
    except csv.Error as exc:
        raise context.error(f"not a readable table ({exc})", line=1) from None
    keys = [header_key(h) for h in headers]
    _check_repeated_headers(context, keys, headers)
    while True:
        line = reader.line_num + 1  # a quoted field may span lines: report where the row starts
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise context.error(f"not a readable table row ({exc})", line=line) from None
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(keys):
            yield line, {"__error__": f"has {len(row)} columns where the header has {len(keys)}"}
            continue
        problem = _headless_value(keys, row)
        if problem:
            yield line, {"__error__": problem}
            continue
        yield line, dict(zip(keys, row))


def _jsonl_rows(context: IngestContext) -> Iterator[tuple[int, Row]]:
    for line_no, text in read_text(context):
        if not text.strip():
            continue
        repeated: list[str] = []
        try:
            value = json.loads(text, object_pairs_hook=lambda pairs: _object_noting_repeats(pairs, repeated))
        except json.JSONDecodeError as exc:
            raise context.error(f"invalid JSON ({exc.msg} at column {exc.colno})", line=line_no,
                                hint="Each line must be one JSON object (JSON lines).") from None
        except RecursionError:  # thousands of nested brackets: hostile or broken, never a record
            raise context.error("a JSON value nested too deeply", line=line_no,
                                hint="Each line must be one flat JSON object (JSON lines).") from None
        if not isinstance(value, dict):
            raise context.error("a JSON line that is not an object", line=line_no, hint="Each line must be one JSON object.")
        if repeated:   # json.loads keeps the last of two equal keys: the first value would be lost
            yield line_no, {"__error__": f"the object gives the key '{repeated[0]}' twice"}
            continue
        row = {header_key(k): v for k, v in value.items()}
        if len(row) < len(value):   # "Title" and "title": one field, and one value would be lost
            spellings: dict[str, list[str]] = {}
            for key in value:
                spellings.setdefault(header_key(key), []).append(key)
            alike = next(found for found in spellings.values() if len(found) > 1)
            yield line_no, {"__error__": "the object gives one column as " + " and ".join(f"'{k}'" for k in alike)}
            continue
        yield line_no, row


def _object_noting_repeats(pairs: list[tuple[str, object]], repeated: list[str]) -> dict:
    """A JSON object as a dict, as json.loads makes it; keys it gives twice go to `repeated`."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                repeated.append(key)
            seen.add(key)
    return found


def _xlsx_rows(context: IngestContext) -> Iterator[tuple[int, Row]]:
    from openpyxl import load_workbook  # imported here: only XLSX files need it

    try:
        workbook = load_workbook(context.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise context.error(f"not a readable XLSX workbook ({exc.__class__.__name__})", hint="Open and re-save the file as .xlsx.") from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode trusts the size the file states (<dimension>); a writer that stated it
        # wrong would cut rows and columns off without a word. Read every cell there is instead.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        try:
            headers = next(rows)
        except StopIteration:
            raise context.error("the first sheet is empty", hint="Put the header row on the first sheet.") from None
        keys = [header_key(str(h)) if h is not None else "" for h in headers]
        while keys and not keys[-1]:
            keys.pop()   # the sheet is as wide as its widest row: blank header cells past the last are no column
        _check_repeated_headers(context, keys, ["" if h is None else str(h) for h in headers])
        _check_other_sheets(context, workbook, keys)
        for line_no, values in enumerate(rows, start=2):
            if values is None or all(_blank(v) for v in values):
                continue
            problem = _headless_value(keys, values, _column_letter)
            if problem:
                yield line_no, {"__error__": problem}
                continue
            yield line_no, {k: ("" if v is None else _cell_text(v)) for k, v in zip(keys, values) if k}
    finally:
        workbook.close()


def _headless_value(keys: list[str], values, column_name: Callable[[int], str] = lambda i: str(i + 1)) -> str | None:
    """Why this row has a value that no header names, which would be dropped without a word: one
    past the header's last column, or under a blank header cell. The first column alone may be
    nameless: that is a row index (pandas writes one), not data."""
    for i in range(1, len(values)):
        if (i >= len(keys) or not keys[i]) and not _blank(values[i]):
            where = f"the header has {len(keys)} columns" if i >= len(keys) else "its header cell is blank"
            return f"has a value in column {column_name(i)}, which has no header ({where})"
    return None


def _blank(value) -> bool:
    return value is None or str(value).strip() == ""


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index + 1)


_HEADER_SEARCH_ROWS = 5   # where another sheet's header may be, after a title or a note


def _check_other_sheets(context: IngestContext, workbook, keys: list[str]) -> None:
    """Only the first sheet is read: a workbook with more rows of the same table on another
    sheet is refused rather than half loaded. Such a sheet has, within its first rows (a
    title may come first), a header of which at least two columns and at least half are the
    first sheet's, then a row. Other sheets (notes, code lists sharing one column, summaries)
    are not this table's and are left alone."""
    own = {key for key in keys if key}
    for sheet in workbook.worksheets[1:]:
        sheet.reset_dimensions()
        header_found = False
        for filled, values in enumerate(v for v in sheet.iter_rows(values_only=True)
                                        if v is not None and any(not _blank(x) for x in v)):
            if header_found:
                raise context.error(f"the sheet '{sheet.title}' holds more rows of this table, but only the first "
                                    f"sheet ('{workbook.worksheets[0].title}') is read",
                                    hint="Save each sheet as its own .xlsx file (or move the rows to the first sheet).")
            if filled >= _HEADER_SEARCH_ROWS:
                break
            header = {header_key(str(v)) for v in values if not _blank(v)}
            shared = len(header & own)
            header_found = shared >= 2 and 2 * shared >= len(header)


def _check_repeated_headers(context: IngestContext, keys: list[str], headers: list[str]) -> None:
    """A header given twice: a row's two values would be one field, and one of them lost."""
    first: dict[str, int] = {}
    for position, key in enumerate(keys):
        if not key:
            continue   # nameless columns (a row index) name no field; they are skipped
        if key in first:
            raise context.error(f"the column '{headers[position].strip()}' appears twice "
                                f"(columns {first[key] + 1} and {position + 1})", line=1, field=headers[position].strip(),
                                hint="Remove or rename one of the two columns.")
        first[key] = position


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Headers ------------------------------------------------------------------------------
class Columns:
    """Maps the many header spellings of a format to its field names.

    `aliases` is {field: [header, ...]}; unknown headers are an error unless ignored,
    so that a renamed column is never silently dropped.
    """

    def __init__(self, aliases: dict[str, list[str]], ignored: list[str] = ()) -> None:
        self.by_header = {header_key(h): f for f, hs in aliases.items() for h in hs}
        self.ignored = {header_key(h) for h in ignored}

    def check(self, context: IngestContext, line: int, row: Row) -> None:
        for key in row:
            if key not in self.by_header and key not in self.ignored and not key.startswith("__"):
                raise context.error(f"unknown column '{key}'", line=line, field=key,
                                    hint="Rename the column to one listed in docs/formats.md, or remove it.")

    def fields(self, row: Row) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in row.items():
            field = self.by_header.get(key)
            if field is not None and value not in (None, "") and field not in out:
                out[field] = value
        return out

    def conflict(self, row: Row) -> tuple[str, str] | None:
        """Two columns naming one field (e.g. 'name_zh' and '姓名') with different values in
        this row: (first column, second column); only one value could be kept."""
        given: dict[str, tuple[str, str]] = {}
        for key, value in row.items():
            field = self.by_header.get(key)
            text = as_text(value) if value is not None else ""
            if field is None or not text:
                continue
            earlier = given.setdefault(field, (key, text))
            if earlier[1] != text:
                return earlier[0], key
        return None


# Value parsers ------------------------------------------------------------------------
_LIST_SEPARATORS = re.compile(r"\s*[；;、,，|]\s*")


def split_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p for p in _LIST_SEPARATORS.split(fold(str(value))) if p]


def parse_decimal(value) -> str:
    """A decimal's canonical lexical form: '65.0' -> '65.0', ' 20 ' -> '20'. ValueError if not a number."""
    text = fold(str(value)).replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return format(number, "f")


def parse_int(value) -> int:
    text = fold(str(value)).replace(",", "")
    if text.endswith(".0"):
        text = text[:-2]
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"not a whole number: {value!r}")
    return int(text)


_YEAR_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?)?(?:[-/.]\s*(\d{1,2})\s*日?)?$")


def parse_date(value) -> tuple[str, str]:
    """('2016-01', 'gYearMonth') from '2016-01', '201601', '2016年1月', '2016/1'; also dates and years.

    Returns the lexical form and its XSD type name; ValueError when it is not a date.
    """
    text = fold(str(value))
    if re.fullmatch(r"\d{6}", text):
        text = f"{text[:4]}-{text[4:]}"
    elif re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _YEAR_MONTH.match(text.split("T")[0])
    if not match:
        raise ValueError(f"not a date: {value!r}")
    year, month, day = match.groups()
    if not 1900 <= int(year) <= 2100:
        raise ValueError(f"year out of range: {value!r}")
    if month is None:
        return year, "gYear"
    if not 1 <= int(month) <= 12:
        raise ValueError(f"month out of range: {value!r}")
    if day is None:
        return f"{year}-{int(month):02d}", "gYearMonth"
    if not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
        raise ValueError(f"no such day: {value!r}")   # 2024-02-30 would be stored as an invalid xsd:date
    return f"{year}-{int(month):02d}-{int(day):02d}", "date"


_PERIOD = re.compile(r"^\s*(.+?)\s*(?:至|~|～|—|–|--|到|\s-\s)\s*(.+?)\s*$")


def parse_period(value) -> tuple[tuple[str, str], tuple[str, str]]:
    """'2016-01至2018-12' or '201601-201812' -> ((start, type), (end, type))."""
    text = fold(str(value))
    compact = re.fullmatch(r"(\d{6})-(\d{6})", text)
    match = compact or _PERIOD.match(text)
    if not match:
        raise ValueError(f"not a period: {value!r}")
    start, end = parse_date(match.group(1)), parse_date(match.group(2))
    if start[0] > end[0]:
        raise ValueError(f"the period ends before it starts: {value!r}")
    return start, end


_TRUE = {"是", "true", "yes", "y", "1", "已结题", "结题"}
_FALSE = {"否", "false", "no", "n", "0", "未结题", "在研"}


def parse_bool(value) -> bool:
    text = fold(str(value)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not yes/no: {value!r}")


# "12.标题" but not "3.5 GHz": the numbering is never followed by another digit.
_SCRAPER_PREFIX = re.compile(r"^\s*\d{1,5}\s*[.、．]\s*(?=[^\s\d])")


def clean_title(value) -> str:
    """Drop the '12.' numbering that scrapers put before NSFC titles; keep the rest as is."""
    return _SCRAPER_PREFIX.sub("", fold(str(value)), count=1)


def unique(values: list) -> list:
    """The values in their first order, each once."""
    return list(dict.fromkeys(values))


def as_text(value) -> str:
    """A cell or JSON value as text (JSON may give numbers or booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "；".join(as_text(v) for v in value)
    return str(value).strip()


class RowFields:
    """One row's values (a CSV row or a JSON line) for a row mapper; every problem names the
    line and field. `list_fields` may hold JSON lists; any other field must be text."""

    list_fields: frozenset[str] = frozenset()

    def __init__(self, context: IngestContext, line: int, values: dict[str, object]) -> None:
        self.context = context
        self.line = line
        self.values = values

    def error(self, name: str, problem: str, value=None, hint: str = "") -> InputError:
        return self.context.error(problem, line=self.line, field=name, value=value, hint=hint)

    def raw_text(self, name: str) -> str:
        value = self.values.get(name)
        if value is None:
            return ""
        if isinstance(value, dict) or (isinstance(value, list) and name not in self.list_fields):
            raise self.error(name, "expected text, found a JSON " + type(value).__name__, value=value)
        return as_text(value)

    def text(self, name: str) -> str:
        return self.raw_text(name)

    def concept(self, name: str, scheme, problem: str, hint: str):
        """A controlled-list field: its concept, None when empty, an error naming the field
        (with the accepted values in `hint`) when the label is not in `scheme`."""
        label = self.text(name)
        if not label:
            return None
        found = concepts.lookup(scheme, label)
        if found is None:
            raise self.error(name, problem, value=label, hint=hint)
        return found


def map_rows(context: IngestContext, columns: "Columns", map_row: Callable[[int, dict], Iterable]) -> Iterator:
    """Every row of a tabular file through `map_row(line, fields)`, which returns the row's
    records. An unreadable row, or a row `map_row` refuses, becomes an InputError in the
    stream; an unknown column refuses the whole file."""
    first_line: dict[str, tuple[int, int]] = {}    # record key -> (first line, digest)
    for line, row in read_rows(context):
        problem = row.get("__error__")
        if problem:
            yield context.error(problem, line=line)
            continue
        columns.check(context, line, row)
        conflict = columns.conflict(row)
        if conflict:
            yield column_conflict(context, line, *conflict)
            continue
        try:
            records = list(map_row(line, columns.fields(row)))
        except InputError as exc:
            yield exc
            continue
        repeated = repeated_record(context, line, records, first_line)
        if isinstance(repeated, InputError):
            yield repeated
        elif not repeated:
            yield from records


def column_conflict(context: IngestContext, line: int, first: str, second: str) -> InputError:
    """Two columns of one field gave a row different values: only one could be kept."""
    return context.error(f"the columns '{first}' and '{second}' give this field different values",
                         line=line, field=second, hint="Keep one of the two columns.")


def repeated_record(context: IngestContext, line: int, records: list,
                    first_line: dict[str, tuple[int, int]]) -> InputError | bool:
    """Whether this row's main record was already given by an earlier row of the file: an
    error when the two rows differ (their values would be loaded as one record's: two titles,
    two amounts), True when they are the same (a scraper listing a project twice), else False.
    The rows are compared whole, with their side records (a researcher's staff-only e-mail).
    `first_line` keeps, per main record key, the first line and a digest of its row."""
    main = next((record for record in records if record.kind is not None), None)
    if main is None:
        return False
    digest = hash(frozenset(statement for record in records for statement in record.statements))
    earlier, earlier_digest = first_line.setdefault(main.key, (line, digest))
    if earlier == line:
        return False
    if earlier_digest == digest:
        return True
    return context.error(f"the record '{main.key}' was already given on line {earlier}, with other values",
                         line=line, record=main.key, hint="Remove or merge the repeated row.")
