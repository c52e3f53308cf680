"""Any report as CSV, XLSX (openpyxl), JSON or a text table.

CSV holds one table (the report itself, or one of its parts by key), because spreadsheet
tools read one table per CSV file; XLSX holds every table, one sheet each, plus a sheet of
notes; JSON holds everything.
"""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from kg.errors import ScipopError
from kg.reports import Report
from kg.texts import column_label, count, say, value_label

FORMATS = ("table", "csv", "xlsx", "json")
MAX_SHEET_TITLE = 31  # Excel's limit
_FORBIDDEN_IN_SHEET_TITLE = str.maketrans({c: "-" for c in "[]:*?/\\"})
# A text cell starting with one of these is a formula to spreadsheet programs, and titles,
# names and institutions come from third-party records: "=HYPERLINK(…)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ScipopError):
    code = "invalid_export"


def select_table(report: Report, key: str | None) -> Report:
    """The report itself, or the part whose key is `key`."""
    if not key or key == report.key:
        return report
    for table in report.all_tables():
        if table.key == key:
            return table
    keys = ", ".join(t.key for t in report.all_tables())
    raise ExportError(f"The report has no table '{key}'.", f"Choose one of: {keys}.")


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def spreadsheet_safe(text: str) -> str:
    """Text for a CSV cell: one a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def to_csv(report: Report) -> str:
    """The table as CSV text: a header row, then one row per item (no notes, no parts).
    Text that a spreadsheet would take for a formula is neutralized; numbers stay numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(report.columns)
    writer.writerows([[spreadsheet_safe(v) if isinstance(v, str) else cell_text(v) for v in row]
                      for row in report.rows])
    return buffer.getvalue()


def to_json(report: Report) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=1)


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_FORBIDDEN_IN_SHEET_TITLE)[:MAX_SHEET_TITLE] or "sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f"-{n}"
        name, n = base[:MAX_SHEET_TITLE - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def to_xlsx(report: Report, path: Path) -> Path:
    """Every table of the report as its own sheet (named by its key), and a 'notes' sheet."""
    path = Path(path)
    _workbook(report).save(path)
    return path


def xlsx_bytes(report: Report) -> bytes:
    """The same workbook as to_xlsx, in memory (for a download)."""
    buffer = io.BytesIO()
    _workbook(report).save(buffer)
    return buffer.getvalue()


def _workbook(report: Report) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    notes = []
    for table in report.all_tables():
        sheet = workbook.create_sheet(_sheet_title(table.key, used))
        _append(sheet, table.columns)
        for cell in sheet[1]:
            cell.font = bold
        for row in table.rows:
            _append(sheet, [v if not isinstance(v, (list, dict, tuple, set)) else cell_text(v) for v in row])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            width = max([_display_width(column)] + [_display_width(cell_text(r[index - 1])) for r in table.rows[:200]])
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(60, width + 2)
        notes.append((sheet.title, table.title, table.notes))
    sheet = workbook.create_sheet(_sheet_title("notes", used))
    _append(sheet, ["sheet", "title", "note"])
    for cell in sheet[1]:
        cell.font = bold
    for name, title, table_notes in notes:
        for note in table_notes or [""]:
            _append(sheet, [name, title, note])
    return workbook


def _append(sheet, values: list) -> None:
    """A row whose text stays text: openpyxl stores a string starting with '=' as a formula,
    and nothing here is one (a string cell is shown as written and never evaluated)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def _display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _display_width(text))
    return gap + text if right else text + gap


def to_text(report: Report, max_width: int = 48, lang: str = "en") -> str:
    """An aligned text table (numbers right-aligned, CJK counted as two columns), title above, notes below;
    headings and code cells (tiers, kinds, yes/no) in `lang`, as on the web page."""
    columns = report.columns
    cells = [[_clip(cell_text(value_label(c, v, lang)), max_width) for c, v in zip(columns, row)] for row in report.rows]
    headings = [column_label(c, lang) for c in columns]
    widths = [max([_display_width(h)] + [_display_width(r[i]) for r in cells]) for i, h in enumerate(headings)]
    numeric = [all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) or row[i] is None
                   for row in report.rows) and report.rows for i in range(len(columns))]
    lines = [report.title, "  ".join(_pad(h, w, bool(n)) for h, w, n in zip(headings, widths, numeric))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w, bool(n)) for c, w, n in zip(row, widths, numeric)) for row in cells]
    lines += [f"({count('n.rows', len(report.rows), lang)})"] + [say("note", lang, text=note) for note in report.notes]
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    if _display_width(text) <= limit:
        return text
    out, width = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if width + w > limit - 1:
            break
        out.append(ch)
        width += w
    return "".join(out) + "…"


def render(report: Report, fmt: str, output: Path | None = None, table: str | None = None,
           lang: str = "en") -> str | None:
    """Write or return the report in `fmt`; XLSX needs `output` (it is binary). Returns text to print, if any."""
    if fmt not in FORMATS:
        raise ExportError(f"Unknown format '{fmt}'.", f"Use one of: {', '.join(FORMATS)}.")
    if fmt == "xlsx":
        if output is None:
            raise ExportError("XLSX is a binary file and needs a file name.", "Add --output report.xlsx.")
        to_xlsx(select_table(report, table) if table else report, output)
        return None
    chosen = select_table(report, table)
    if fmt == "csv":
        text = to_csv(chosen)
    elif fmt == "json":
        text = to_json(chosen)
    else:
        text = "\n\n".join(to_text(t, lang=lang) for t in ([chosen] if table else chosen.all_tables()))
    if output is not None:
        Path(output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        return None
    return text
