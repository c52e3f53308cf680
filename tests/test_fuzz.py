"""Fuzzing the parsers the other test modules do not fuzz yet: NSFC project exports (CSV,
TSV, JSON lines, XLSX), researcher JSON lines, popular-science works in every tabular
form, format sniffing, the grant extractor's structured-field helpers, identifier
normalizers and the search query parser (also run against a real index).

The rule each test checks: hostile or broken input only ever gives the documented errors
(kg.errors) — an InputError naming the file (and line or field) for ingest, a
QueryError/LimitExceeded for search, InvalidIdentifier for a normalizer — never a crash.
Example counts are modest and there is no deadline, so the module stays well under a
minute on a loaded machine; SCIPOP_FUZZ_SCALE=20 multiplies them for a deep run.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import nsfc_projects, popsci_works, registry, researchers
from ingest.base import IngestContext, MappedRecord
from kg import ids
from kg.config import Settings
from kg.errors import InputError, InvalidIdentifier, LimitExceeded, NotFound, QueryError, ScipopError
from kg.grants import is_nsfc_funder_name, split_award_string
from kg.iri import Minter

MINT = Minter(Settings().base_iri)
SCALE = max(1, int(os.environ.get("SCIPOP_FUZZ_SCALE", "1")))
FUZZ = settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def drain(module, name: str, data: bytes) -> list:
    """Read `data` as file `name` with `module` (None: sniff it as ingest does); return what came out.

    Every InputError, raised or yielded, must name the file it is about."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        out = []
        try:
            chosen = registry.choose(path) if module is None else module.MODULE
            for item in chosen.read(IngestContext(path=path, source_id=name, minter=MINT)):
                assert isinstance(item, (MappedRecord, InputError)), type(item)
                out.append(item)
        except InputError as error:
            out.append(error)
        for item in out:
            if isinstance(item, InputError):
                assert Path(item.location.file).name == name, item.location
                assert item.message.startswith(item.location.describe())
        return out


# Cell values that exercise the field parsers: numbers, dates, codes, lists, quotes, noise.
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["61772368", "6177236", "U1832123", "12374101", "A0501", "F020101", "C050101", "F", "Z9",
                     "2019", "2019-01", "2019-13", "2019-01-31", "2019-02-30", "2019.01-2022.12", "2022-2019",
                     "1e309", "-5", "１２３", "50.5", "NaN", "inf", "是", "否", "yes", "approved", "pending",
                     "面上项目", "重大项目", "量子;计算", "a;;b", "", " ", '"', "\"\"", "=1+1", "\u0000", "\ufeff",
                     "0000-0002-1825-0097", "0000-0002-1825-009X", "https://ror.org/03cve4549", "10.1234/x"]),
)
PROJECT_HEADERS = ["项目批准号", "项目名称", "项目负责人", "依托单位", "批准金额(万元)", "项目起止年月", "批准年度",
                   "申请代码", "项目类别", "关键词", "是否结题", "审核状态"]


def _csv_line(cells: list[str], delimiter: str) -> str:
    return delimiter.join('"' + c.replace('"', '""') + '"' if (delimiter in c or '"' in c or "\n" in c) else c
                          for c in cells)


@FUZZ
@given(st.lists(st.lists(CELLS, min_size=0, max_size=len(PROJECT_HEADERS) + 2), max_size=6),
       st.sampled_from([(".csv", ","), (".tsv", "\t")]))
def test_nsfc_project_tables_give_records_or_input_errors(rows, suffix_delimiter):
    suffix, delimiter = suffix_delimiter
    lines = [_csv_line(PROJECT_HEADERS, delimiter)] + [_csv_line(row, delimiter) for row in rows]
    drain(nsfc_projects, "projects" + suffix, ("\n".join(lines) + "\n").encode("utf-8"))


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([".csv", ".tsv", ".jsonl", ".json", ".xlsx"]))
def test_nsfc_project_exports_of_arbitrary_bytes_give_input_errors(data, suffix):
    header = b"" if suffix in (".xlsx", ".jsonl", ".json") else ",".join(PROJECT_HEADERS).encode("utf-8") + b"\n"
    drain(nsfc_projects, "projects" + suffix, header + data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | CELLS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(CELLS, children, max_size=3),
    max_leaves=12)
PROJECT_KEYS = ["approval_number", "title", "title_en", "pi", "pi_id", "members", "institution", "amount", "period",
                "start_time", "end_time", "approval_year", "application_code", "subject", "project_type", "keywords",
                "abstract", "concluded", "review_status", "index", "approveText", "searchYear", "研究成果(期刊论文)"]


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(PROJECT_KEYS), JSON_VALUES, max_size=8) | JSON_VALUES, max_size=4))
def test_nsfc_project_json_lines_give_records_or_input_errors(rows):
    text = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    drain(nsfc_projects, "projects.jsonl", text.encode("utf-8"))


@settings(max_examples=25 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.none() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.booleans()
                         | st.dates() | CELLS.filter(lambda c: not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in c)),
                         max_size=len(PROJECT_HEADERS)), max_size=4))
def test_nsfc_project_workbooks_give_records_or_input_errors(rows):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(PROJECT_HEADERS)
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.xlsx"
        workbook.save(path)
        drain(nsfc_projects, "projects.xlsx", path.read_bytes())


RESEARCHER_KEYS = ["person_id", "name_zh", "name_en", "orcid", "title", "institution", "institution_ror",
                   "affiliations", "department", "expertise", "email", "talent_pool_since", "nominated_by",
                   "review_status", "人员ID"]
WORK_KEYS = ["work_id", "title", "kind", "views", "date", "grant_numbers", "creators", "creator_ids",
             "review_status", "url", "doi", "platform", "language"]


@FUZZ
@given(st.sampled_from([(researchers, RESEARCHER_KEYS, "people"), (popsci_works, WORK_KEYS, "works")]),
       st.lists(st.dictionaries(st.sampled_from(RESEARCHER_KEYS + WORK_KEYS), JSON_VALUES, max_size=8), max_size=4),
       st.sampled_from([".jsonl", ".tsv", ".csv"]))
def test_people_and_works_in_every_tabular_form_give_records_or_input_errors(target, rows, suffix):
    module, keys, stem = target
    if suffix == ".jsonl":
        text = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    else:
        delimiter = "\t" if suffix == ".tsv" else ","
        lines = [_csv_line(keys, delimiter)] + [_csv_line([str(row.get(k, "")) for k in keys], delimiter)
                                               for row in rows]
        text = "\n".join(lines)
    drain(module, stem + suffix, text.encode("utf-8"))


@pytest.mark.parametrize("module, name", [(nsfc_projects, "projects.jsonl"), (researchers, "people.jsonl"),
                                          (popsci_works, "works.jsonl")])
def test_a_json_line_nested_too_deeply_is_an_input_error_not_a_crash(module, name):
    # Found by fuzzing: json.loads raised RecursionError through the JSON-lines reader.
    lines = b"\n" + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    errors = [item for item in drain(module, name, lines) if isinstance(item, InputError)]
    assert len(errors) == 1
    assert errors[0].location.line == 2 and "nested too deeply" in errors[0].message


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["a.csv", "a.tsv", "a.jsonl", "a.json", "a.xml", "a.xlsx",
                                                 "a.jsonld", "a.txt", "a"]))
def test_sniffing_and_reading_any_file_gives_records_or_input_errors(data, name):
    drain(None, name, data)


@FUZZ
@given(st.sampled_from([b'{"approval_number": ', b'person_id,name_zh\n', b'{"@context": "https://schema.org/", ',
                        b'work_id,title,kind\n', b'<?xml version="1.0"?><OAI-PMH>', b'{"orcid-identifier": ']),
       st.binary(max_size=200), st.sampled_from([".csv", ".jsonl", ".json", ".jsonld", ".xml"]))
def test_sniffed_files_with_a_recognisable_start_give_records_or_input_errors(start, rest, suffix):
    drain(None, "sniffed" + suffix, start + rest)


# Grant extractor helpers and identifier normalizers ------------------------------------------
AWARDS = st.lists(st.sampled_from(["61772368", "6177 2368", "U1832123", "No.", "Nos.", ",", ";", "，", "、", " ",
                                   "and", "(", ")", "NSFC", "2018YFA0701234", "-", "\n", "&amp;", "批准号："])
                  | st.text(max_size=6), max_size=20).map("".join)


@FUZZ
@given(AWARDS | st.text(max_size=200))
def test_award_strings_and_funder_names_never_raise(text):
    numbers = split_award_string(text)
    assert all(ids.normalize_approval_number(n) == n for n in numbers)
    assert len(numbers) == len(set(numbers))
    assert isinstance(is_nsfc_funder_name(text), bool)


@FUZZ
@given(CELLS | st.text(max_size=40),
       st.sampled_from(["normalize_approval_number", "normalize_application_code", "normalize_doi",
                        "normalize_orcid", "normalize_ror"]))
def test_identifier_normalizers_raise_only_invalid_identifier(value, name):
    normalize = getattr(ids, name, None)
    if normalize is None:
        pytest.skip(f"kg.ids has no {name}")
    try:
        once = normalize(value)
    except InvalidIdentifier:
        return
    assert normalize(once) == once  # normal forms are fixed points


# The search query parser, alone and on a real index -------------------------------------------
QUERY_PIECES = st.sampled_from(['"', "(", ")", "*", "?", "OR", "AND", "NOT", "-", "+", "[", "]", "{", "}", "TO",
                                ":", "~", "^", "\\", "/", "量子", "计算", "量子计算", "quant*", "qu*", "*a*", "a?",
                                "王伟", "wang wei", "10.1234/abc", "0000-0002-1825-0097", "61772368", "  ", "\t",
                                "title:x", "2018-2020", "′", "ｑｕａｎｔ", "\u0301", "\u200b"])
QUERY_TEXT = st.lists(QUERY_PIECES | st.text(max_size=8), max_size=30).map(" ".join) | st.text(max_size=300)
FILTERS = st.dictionaries(st.sampled_from(["kind", "department", "application_code", "project_type", "output_kind",
                                           "work_kind", "tier", "institution", "region", "year", "popularized",
                                           "in_pool", "title", "colour"]),
                          st.lists(CELLS | st.sampled_from(["project", "A", "F", "obliged", "北京", "2018-2020",
                                                            "1900-2100", "2020-", "yes", "no"]), max_size=3),
                          max_size=3)


@settings(max_examples=150 * SCALE, deadline=None)
@given(QUERY_TEXT, FILTERS, st.sampled_from([None, "project", "researcher", "work"]))
def test_the_query_parser_gives_a_tree_or_a_query_error(text, filters, kind):
    from search.query import filter_nodes, parse_text

    try:
        parse_text(text)
    except (QueryError, LimitExceeded) as error:
        assert error.message and error.hint
    try:
        filter_nodes(filters, kind)
    except (QueryError, LimitExceeded) as error:
        assert error.message and error.hint


@pytest.fixture(scope="module")
def story_index(tmp_path_factory):
    """The search tests' small graph, published and indexed with Tantivy (the fast engine)."""
    from search import build_index, open_index
    from test_search import make_graph

    from kg.views import open_view

    search_settings = make_graph(tmp_path_factory.mktemp("fuzz-search") / "scipop-data")
    with open_view(search_settings, "public") as kg:
        build_index(kg, search_settings, "public", "tantivy")
    index = open_index(search_settings, "public", "tantivy")
    yield index
    index.close()


@settings(max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERY_TEXT, FILTERS, st.sampled_from(["relevance", "recent", "significance", "random"]),
       st.integers(-1, 200), st.integers(-1, 200))
def test_searching_a_real_index_gives_hits_or_a_query_error(story_index, text, filters, sort, page, per_page):
    from search import SearchQuery, TalentQuery

    try:
        results = story_index.search(SearchQuery(text=text, filters=filters, sort=sort, page=page, per_page=per_page))
        assert results.total >= len(results.hits)
    except ScipopError as error:
        # An institution filter naming no indexed institution is a NotFound (404), by design.
        assert isinstance(error, (QueryError, LimitExceeded, NotFound)), error
        assert error.message and error.hint
    try:
        story_index.talent(TalentQuery(topic=text))
    except ScipopError as error:
        assert isinstance(error, (QueryError, LimitExceeded)), error
