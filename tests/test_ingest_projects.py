"""NSFC funded-project exports: a program officer loads the scraped or exported tables of
funded projects (CSV, TSV, XLSX, JSON lines) and gets one FundedProject per row, with its
PI, members, supporting institution and application-code chain."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from ingest import nsfc_projects
from ingest.base import IngestContext, MappedRecord
from kg import vocab as V
from kg.errors import InputError
from kg.iri import Minter
from mapping_helpers import assert_same_graph, graph_of, read_records

BASE = "https://kg.example.org/"
DATA = Path(__file__).resolve().parent / "data" / "projects"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
REAL_PROJECTS = REALDATA / "nsfc_projects"
MINT = Minter(BASE)

# The column order and value types of suqingdong/nsfc's XLSX export (C0501.2019.xlsx).
XLSX_HEADERS = ["start_time", "title", "abstract", "end_time", "abstract_en", "project_type", "subject",
                "project_id", "project_type_code", "abstract_conc", "subject_class_list", "approval_year",
                "result_stat", "subject_code_list", "person", "subject_code", "money", "finished",
                "institution", "keyword", "keyword_en"]
XLSX_ROWS = [
    [202001, "Understanding the molecular mechanisms controlling the nucleation of the autophagosome.", None, 202112,
     None, "国际（地区）合作与交流项目", "生命科学部", "31950410540", None, None,
     "一级：生物物理与生物化学，二级：分子生物物理，三级：生物分子结构测定与功能", "2019", None,
     "一级：C05，二级：C0501，三级：C050101", "Goran Petrovic", "一级：C05，二级：C0501，三级：C050101", 34, False,
     "香港中文大学（深圳）", None, None],
    [202001, "糖脂代谢中清道夫受体的结构与分子机制研究", "清道夫受体介导脂质摄取。", 202312,
     "Scavenger receptors mediate lipid uptake.", "面上项目", "生命科学部", "32071235", None,
     "解析了两种清道夫受体的结构。", "一级：生物物理与生物化学，二级：分子生物物理", "2019", None,
     "一级：C05，二级：C0501", "何宁", "一级：C05，二级：C0501", 58, False,
     "中国科学院上海生命科学研究院", "清道夫受体；脂代谢", "scavenger receptor; lipid metabolism"],
    [202001, "膜蛋白动态结构", None, 202212, None, "优秀青年基金项目", "生命科学部", "32022001", None, None,
     None, "2019", None, "一级：C05，二级：C0501", "安敏", "一级：C05，二级：C0501", 120, False,
     "清华大学", None, None],
]


# Helpers ------------------------------------------------------------------------------
def read(path: Path, encoding: str | None = None) -> tuple[list[MappedRecord], list[InputError]]:
    return read_records(nsfc_projects, path, MINT, encoding=encoding)


def expected(name: str) -> Graph:
    return Graph().parse(DATA / name, format="turtle")


def project(number: str) -> URIRef:
    return MINT.project(number)


def write_xlsx(path: Path, headers: list[str] = XLSX_HEADERS, rows: list[list] = XLSX_ROWS) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def xlsx_export(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "C0501.2019.xlsx")


# The dailycafi scraper's CSV ------------------------------------------------------------
def test_dailycafi_csv_maps_every_row_to_the_expected_graph():
    records, errors = read(DATA / "dailycafi_C0501_2022.csv")
    assert errors == []
    assert [r.key for r in records] == ["31870719", "31900512", "U1832123", "31871234"]
    assert all(r.public and r.kind == V.FundedProject for r in records)
    assert_same_graph(graph_of(records), expected("dailycafi_C0501_2022.ttl"))


def test_scraper_numbering_is_removed_from_titles_but_a_number_in_the_title_is_kept():
    graph = graph_of(read(DATA / "dailycafi_C0501_2022.csv")[0])
    assert graph.value(project("31870719"), V.title) == Literal("膜转运蛋白复合体的冷冻电镜结构研究", lang="zh")
    # Row 12 reads "12.3.5亿年前…": the scraper's "12." goes, the title's "3.5" stays.
    assert graph.value(project("31871234"), V.title) == Literal("3.5亿年前古菌膜脂合成酶的结构演化", lang="zh")


@pytest.mark.parametrize("title, index, clean", [
    ("7.膜蛋白结构", None, "膜蛋白结构"),
    ("１２．膜蛋白结构", None, "膜蛋白结构"),
    ("3.5 GHz radar imaging of proteins", None, "3.5 GHz radar imaging of proteins"),
    ("2019年度结构生物学研究", None, "2019年度结构生物学研究"),
    ("12.3.5亿年前古菌", "12", "3.5亿年前古菌"),
])
def test_title_cleaning(title, index, clean):
    assert nsfc_projects._clean_title(title, index) == clean


def test_keywords_separated_by_fullwidth_semicolons_and_spaces_are_one_literal_each():
    graph = graph_of(read(DATA / "dailycafi_C0501_2022.csv")[0])
    keywords = set(graph.objects(project("31870719"), V.keyword))
    assert keywords == {Literal(k, lang="zh") for k in ("冷冻电镜", "膜蛋白", "单颗粒三维重构", "转运复合体")}
    # "单分子力谱；蛋白质折叠 ; 叶绿体": mixed separators and stray spaces
    assert set(graph.objects(project("31900512"), V.keyword)) == {
        Literal(k, lang="zh") for k in ("单分子力谱", "蛋白质折叠", "叶绿体")}


def test_float_amounts_are_decimals_in_wan_yuan():
    graph = graph_of(read(DATA / "dailycafi_C0501_2022.csv")[0])
    amount = graph.value(project("31870719"), V.amountWan)
    assert amount.datatype == XSD.decimal and str(amount) == "59.0"


@pytest.mark.parametrize("raw, canonical", [("65.0", "65.0"), ("59", "59.0"), ("65.50", "65.5"), (" 1,200 ", "1200.0"), ("0.5", "0.5")])
def test_amounts_are_written_in_one_canonical_form(raw: str, canonical: str):
    # "59.0" in one export and "59" in another must be the same literal on the same project.
    assert nsfc_projects._canonical_decimal(raw) == canonical


def test_u_prefixed_joint_fund_numbers_are_kept():
    graph = graph_of(read(DATA / "dailycafi_C0501_2022.csv")[0])
    assert graph.value(project("U1832123"), V.approvalNumber) == Literal("U1832123")
    assert graph.value(project("U1832123"), V.projectType) == V.concept("TypeJointFund")


def test_end_year_alone_gives_a_year_precision_end_date():
    graph = graph_of(read(DATA / "dailycafi_C0501_2022.csv")[0])
    assert graph.value(project("31870719"), V.endDate) == Literal("2022", datatype=XSD.gYear)
    assert graph.value(project("31870719"), V.approvalYear) == Literal(2018, datatype=XSD.integer)


# suqingdong/nsfc's TSV -------------------------------------------------------------------
def test_suqingdong_tsv_maps_to_the_expected_graph():
    records, errors = read(DATA / "suqingdong_C050101_2015.tsv")
    assert errors == []
    assert len(records) == 3
    assert_same_graph(graph_of(records), expected("suqingdong_C050101_2015.ttl"))


def test_periods_give_month_precision_start_and_end():
    graph = graph_of(read(DATA / "suqingdong_C050101_2015.tsv")[0])
    assert graph.value(project("31570701"), V.startDate) == Literal("2016-01", datatype=XSD.gYearMonth)
    assert graph.value(project("31570701"), V.endDate) == Literal("2018-12", datatype=XSD.gYearMonth)


def test_six_character_codes_hang_under_their_parents_and_department():
    graph = graph_of(read(DATA / "suqingdong_C050101_2015.tsv")[0])
    code = MINT.application_code("C050101")
    assert graph.value(project("31870719"), V.applicationCode) == code
    assert graph.value(project("31870719"), V.department) == V.concept("DeptC")
    chain = [code]
    while (chain[-1], SKOS.broader, None) in graph:
        chain.append(graph.value(chain[-1], SKOS.broader))
    assert chain == [code, MINT.application_code("C0501"), MINT.application_code("C05"), V.concept("DeptC")]
    for level in chain[:-1]:
        assert (level, RDF.type, V.ApplicationCode) in graph
        assert (level, SKOS.inScheme, V.ApplicationCodeScheme) in graph
    assert graph.value(code, SKOS.notation) == Literal("C050101")


def test_pi_with_an_nsfc_id_and_title_and_the_institution_id():
    graph = graph_of(read(DATA / "suqingdong_C050101_2015.tsv")[0])
    pi = MINT.person("nsfc", "100233415")
    institution = MINT.institution("浙江大学")
    assert graph.value(project("31870719"), V.principalInvestigator) == pi
    assert (pi, RDF.type, V.Researcher) in graph
    assert graph.value(pi, V.name) == Literal("张明", lang="zh")
    assert graph.value(pi, V.jobTitle) == Literal("教授", lang="zh")
    assert graph.value(pi, V.currentInstitution) == institution
    assert graph.value(project("31870719"), V.hostedBy) == institution
    assert (institution, RDF.type, V.SupportingInstitution) in graph
    assert graph.value(institution, V.institutionId) == Literal("100152")


def test_pi_without_an_id_is_a_name_mention_at_the_institution():
    graph = graph_of(read(DATA / "suqingdong_C050101_2015.tsv")[0])
    assert graph.value(project("31570701"), V.principalInvestigator) == MINT.person_by_name("廖静", "南京理工大学")


def test_the_same_project_in_two_files_is_one_project():
    csv_graph = graph_of(read(DATA / "dailycafi_C0501_2022.csv")[0])
    tsv_graph = graph_of(read(DATA / "suqingdong_C050101_2015.tsv")[0])
    both = csv_graph + tsv_graph
    assert len(set(both.subjects(RDF.type, V.FundedProject))) == 6
    assert set(both.objects(project("31870719"), V.title)) == {Literal("膜转运蛋白复合体的冷冻电镜结构研究", lang="zh")}
    assert set(both.objects(project("31870719"), V.hostedBy)) == {MINT.institution("浙江大学")}


def test_utf8_lines_pasted_into_a_gbk_export_are_refused_not_loaded_as_mojibake(tmp_path: Path):
    """GB18030 decodes nearly any bytes: the UTF-8 row would have loaded as 鑶滆浆... text."""
    path = tmp_path / "mixed.csv"
    header_and_gbk = "批准号,项目名称,依托单位\n31870719,膜转运蛋白复合体的冷冻电镜结构研究,清华大学\n".encode("gb18030")
    utf8_row = "31900512,叶绿体蛋白质折叠的单分子力谱研究,中国科学院植物研究所\n".encode("utf-8")
    path.write_bytes(header_and_gbk + utf8_row)
    with pytest.raises(InputError) as caught:
        read(path)
    assert caught.value.location.line == 3 and "UTF-8 while the file's first lines are GB18030" in caught.value.message
    records, errors = read(path, encoding="gb18030")   # declared: the user has the last word
    assert len(records) == 2 and errors == []


def test_a_gb18030_tsv_is_read_without_being_told_its_encoding():
    raw = (DATA / "suqingdong_C050101_2015_gb18030.tsv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    records, errors = read(DATA / "suqingdong_C050101_2015_gb18030.tsv")
    assert errors == []
    assert_same_graph(graph_of(records), expected("suqingdong_C050101_2015.ttl"))


# XLSX with English keys ----------------------------------------------------------------
def test_xlsx_with_english_keys_maps_to_the_expected_graph(xlsx_export: Path):
    records, errors = read(xlsx_export)
    assert errors == []
    assert [r.key for r in records] == ["31950410540", "32071235", "32022001"]
    assert_same_graph(graph_of(records), expected("suqingdong_C0501_2019_xlsx.ttl"))


def test_xlsx_quirks_eleven_digit_numbers_hierarchies_yyyymm_and_integer_money(xlsx_export: Path):
    graph = graph_of(read(xlsx_export)[0])
    international = project("31950410540")
    assert graph.value(international, V.approvalNumber) == Literal("31950410540")
    assert graph.value(international, V.applicationCode) == MINT.application_code("C050101")
    assert graph.value(international, V.startDate) == Literal("2020-01", datatype=XSD.gYearMonth)
    assert graph.value(international, V.endDate) == Literal("2021-12", datatype=XSD.gYearMonth)
    assert graph.value(international, V.amountWan) == Literal("34.0", datatype=XSD.decimal)
    assert graph.value(international, V.concluded) == Literal(False)
    assert graph.value(international, V.title).language == "en"
    assert graph.value(project("32071235"), V.concludingAbstract) == Literal("解析了两种清道夫受体的结构。", lang="zh")
    assert graph.value(project("32022001"), V.projectType) == V.concept("TypeExcellentYoung")


def test_xlsx_with_a_renamed_column_is_refused(tmp_path: Path):
    headers = ["project_id", "title", "funding"]
    path = write_xlsx(tmp_path / "renamed.xlsx", headers, [["32071235", "糖脂代谢研究", 58]])
    with pytest.raises(InputError) as caught:
        list(nsfc_projects.read(IngestContext(path=path, source_id=path.name, minter=MINT)))
    assert caught.value.location.field == "funding"


# JSON lines with Chinese headers ----------------------------------------------------------
def test_jsonl_with_chinese_headers_maps_to_the_expected_graph():
    records, errors = read(DATA / "projects_zh.jsonl")
    assert errors == []
    assert_same_graph(graph_of(records), expected("projects_zh.ttl"))


def test_review_status_decides_visibility():
    records = {r.key: r for r in read(DATA / "projects_zh.jsonl")[0]}
    assert records["32071234"].public is True
    assert records["T2221001"].public is False      # 待审核: the pipeline writes it to the restricted graph
    assert (project("T2221001"), V.reviewStatus, V.Pending) in records["T2221001"].triples
    # The people and institution of a restricted project are restricted with it.
    subjects = {s for s, _, _ in records["T2221001"].triples}
    assert MINT.institution("北京大学") in subjects
    assert MINT.person_by_name("何勇", "北京大学") in subjects


def test_members_are_name_mentions_split_on_any_separator():
    graph = graph_of(read(DATA / "projects_zh.jsonl")[0])
    members = set(graph.objects(project("T2221001"), V.member))
    assert members == {MINT.person_by_name(n, "北京大学") for n in ("赵一", "钱二", "孙三")}
    for member in members:
        assert (member, RDF.type, V.Researcher) in graph
    # a JSON list works as well as a separated string
    assert set(graph.objects(project("32071234"), V.member)) == {
        MINT.person_by_name(n, "中国科学院生物物理研究所") for n in ("周洁", "吴昊")}


def test_popularization_field_url_or_text():
    graph = graph_of(read(DATA / "projects_zh.jsonl")[0])
    assert graph.value(project("32071234"), V.popularizationReport) == Literal("https://www.ibp.ac.cn/kepu/autophagy")
    assert graph.value(project("T2221001"), V.popularizationReport) == Literal("在全国科普日举办蛋白质结构互动展览", lang="zh")


def test_t_prefixed_number_and_interdisciplinary_code():
    graph = graph_of(read(DATA / "projects_zh.jsonl")[0])
    assert graph.value(project("T2221001"), V.department) == V.concept("DeptT")
    assert graph.value(MINT.application_code("T01"), SKOS.broader) == V.concept("DeptT")
    # a compact "202301-202412" period
    assert graph.value(project("T2221001"), V.startDate) == Literal("2023-01", datatype=XSD.gYearMonth)


@pytest.mark.parametrize("fields, start, end", [
    ('"起止年月": "2016-01至2018-12"', "2016-01", "2018-12"),
    ('"起止年月": "2016-01~2018-12"', "2016-01", "2018-12"),
    ('"起止年月": "201601-201812"', "2016-01", "2018-12"),
    ('"start_time": "201601", "end_time": "2018-12"', "2016-01", "2018-12"),
])
def test_period_spellings(tmp_path: Path, fields: str, start: str, end: str):
    path = tmp_path / "one.jsonl"
    path.write_text('{"批准号": "31570701", "项目名称": "蛋白质系综结构", ' + fields + "}\n", encoding="utf-8")
    graph = graph_of(read(path)[0])
    assert graph.value(project("31570701"), V.startDate) == Literal(start, datatype=XSD.gYearMonth)
    assert graph.value(project("31570701"), V.endDate) == Literal(end, datatype=XSD.gYearMonth)


def test_every_fixture_conforms_to_the_shapes(xlsx_export: Path):
    from kg.validation import format_violations, validate_graph

    for path in (DATA / "dailycafi_C0501_2022.csv", DATA / "suqingdong_C050101_2015.tsv",
                 DATA / "projects_zh.jsonl", xlsx_export):
        assert format_violations(validate_graph(graph_of(read(path)[0]))) == [], path.name


# Errors ------------------------------------------------------------------------------------
def test_bad_rows_are_reported_with_file_line_and_field_and_good_rows_still_map():
    records, errors = read(DATA / "bad_rows.csv")
    assert [r.key for r in records] == ["31870719"]
    where = [(e.location.line, e.location.field) for e in errors]
    assert where == [(3, "批准号"), (4, "起止年月"), (5, "资助经费(万元)"), (6, "项目类别")]
    for error in errors:
        assert error.location.file.endswith("bad_rows.csv")
        assert "bad_rows.csv" in error.message and f"line {error.location.line}" in error.message
    assert "3187O719" in errors[0].message
    assert errors[1].value == "2019年上半年"
    assert errors[2].value == "五十八"
    assert errors[3].value == "超级项目"


def test_an_unknown_column_refuses_the_whole_file():
    stream = nsfc_projects.read(IngestContext(path=DATA / "renamed_column.csv", source_id="renamed_column.csv", minter=MINT))
    with pytest.raises(InputError) as caught:
        next(stream)
    assert caught.value.location.field == "项目经费"
    assert caught.value.location.line == 1      # the header line names the column
    assert "unknown column" in caught.value.message


def test_a_nameless_index_column_is_not_an_unknown_column(tmp_path: Path):
    path = tmp_path / "pandas_export.csv"
    path.write_text(",批准号,项目名称\n0,31870719,膜转运蛋白复合体的冷冻电镜结构研究\n", encoding="utf-8")
    records, errors = read(path)
    assert errors == [] and [r.key for r in records] == ["31870719"]


@pytest.mark.parametrize("line, field, problem", [
    ('{"项目名称": "没有批准号的项目"}', "approval_number", "missing"),
    ('{"批准号": "31570701"}', "title", "missing"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "批准年度": "二〇一五"}', "批准年度", "year"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "批准年度": 1976}', "批准年度", "1986"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "是否结题": "也许"}', "是否结题", "concluded"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "申请代码": "X99"}', "申请代码", "application code"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "审核状态": "不知道"}', "审核状态", "review status"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "批准金额(万元)": "-5"}', "批准金额(万元)", "between 0"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "批准金额(万元)": 580000}', "批准金额(万元)", "between 0 and 100000"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "开始年月": "2019-01", "结束年月": "201612"}', "结束年月", "ends (2016-12) before it starts"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "批准年度": 2019, "结题年度": 2016}', "结题年度", "before its approval year"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "title": "另一个项目"}', "title", "'项目名称' and 'title'"),
    ('{"批准号": "31570701", "项目名称": {"zh": "蛋白质"}}', "项目名称", "found a JSON object"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "关键词": [{"zh": "蛋白"}]}', "关键词", "found a JSON object"),
    ('{"批准号": "31570701", "项目名称": "蛋白质", "开始年月": "2019-01", "结题年度": 2016}', "结题年度", "ends (2016) before it starts"),
    ('{"批准号": "31570701", "项目名称": "蛋白质A", "项目名称": "蛋白质B"}', None, "gives the key '项目名称' twice"),
])
def test_record_errors_name_the_field(tmp_path: Path, line: str, field: str, problem: str):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    records, errors = read(path)
    assert records == [] and len(errors) == 1
    assert errors[0].location.line == 1 and errors[0].location.field == field
    assert problem in errors[0].message


def test_the_same_title_under_two_headers_is_one_value_not_a_conflict(tmp_path: Path):
    path = tmp_path / "both.jsonl"
    path.write_text('{"批准号": "31570701", "项目名称": "蛋白质", "title": "蛋白质"}\n', encoding="utf-8")
    records, errors = read(path)
    assert errors == [] and [r.key for r in records] == ["31570701"]


# Nothing a file holds is dropped without a word ------------------------------------------
def test_a_column_given_twice_refuses_the_file(tmp_path: Path):
    """csv would keep the second 项目名称 of each row and drop the first without a word."""
    path = tmp_path / "twice.csv"
    path.write_text("批准号,项目名称,依托单位,项目名称\n31870719,膜转运蛋白的结构,清华大学,膜转运蛋白复合体\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert caught.value.location.line == 1 and caught.value.location.field == "项目名称"
    assert "appears twice (columns 2 and 4)" in caught.value.message
    xlsx = write_xlsx(tmp_path / "twice.xlsx", ["project_id", "title", "Title "], [["32071235", "糖脂代谢研究", "另一个"]])
    with pytest.raises(InputError, match="'Title' appears twice"):
        read(xlsx)


def test_an_xlsx_value_beyond_the_header_is_a_row_error_and_the_other_rows_map(tmp_path: Path):
    path = write_xlsx(tmp_path / "wide.xlsx", ["project_id", "title"],
                      [["32071235", "糖脂代谢研究"], ["32071236", "膜蛋白动态结构", "清华大学"]])
    records, errors = read(path)
    assert [r.key for r in records] == ["32071235"]
    assert len(errors) == 1 and errors[0].location.line == 3 and "column C, which has no header" in errors[0].message


def test_a_value_under_a_blank_header_inside_the_table_is_a_row_error(tmp_path: Path):
    """Only a nameless FIRST column is a row index; a blank header cell further on would
    otherwise drop the column's values (here the institution) without a word."""
    path = tmp_path / "gap.csv"
    path.write_text(",批准号,,项目名称\n0,31870719,,膜转运蛋白的结构\n1,31870720,清华大学,膜蛋白动态结构\n",
                    encoding="utf-8")
    records, errors = read(path)
    assert [r.key for r in records] == ["31870719"]
    assert len(errors) == 1 and errors[0].location.line == 3
    assert "column 3, which has no header (its header cell is blank)" in errors[0].message
    xlsx = write_xlsx(tmp_path / "gap.xlsx", [None, "project_id", None, "title"],
                      [[0, "32071235", None, "糖脂代谢研究"], [1, "32071236", "清华大学", "膜蛋白动态结构"]])
    records, errors = read(xlsx)
    assert [r.key for r in records] == ["32071235"]
    assert len(errors) == 1 and errors[0].location.line == 3 and "column C, which has no header" in errors[0].message


def test_an_xlsx_that_states_too_small_a_size_is_still_read_whole(tmp_path: Path):
    """Read-only openpyxl trusts the <dimension> a writer stated: rows and columns past it
    would have been cut off without a word."""
    import re
    import zipfile

    honest = write_xlsx(tmp_path / "honest.xlsx", ["project_id", "title"],
                        [["32071235", "糖脂代谢研究"], ["32071236", "膜蛋白动态结构", "清华大学"], ["32071237", "冷冻电镜"]])
    understated = tmp_path / "understated.xlsx"
    with zipfile.ZipFile(honest) as source, zipfile.ZipFile(understated, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', data)
            target.writestr(item, data)
    for path in (honest, understated):
        records, errors = read(path)
        assert [r.key for r in records] == ["32071235", "32071237"], path.name
        assert [e.location.line for e in errors] == [3] and "column C" in errors[0].message


def test_more_rows_of_the_table_on_a_second_sheet_refuse_the_workbook(tmp_path: Path):
    from openpyxl import load_workbook

    path = write_xlsx(tmp_path / "two_years.xlsx")
    workbook = load_workbook(path)
    notes = workbook.create_sheet("说明")
    notes.append(["本表由科研处导出"])
    notes.append(["金额单位：万元"])
    workbook.save(path)
    records, errors = read(path)    # a sheet of notes is not this table: the export maps as before
    assert errors == [] and len(records) == len(XLSX_ROWS)
    codes = workbook.create_sheet("代码表")    # shares one column with the table: a code list
    codes.append(["subject_code", "学科名称"])
    codes.append(["C05", "生物物理、生物化学与分子生物学"])
    codes.append(["C0501", "分子生物物理"])
    workbook.save(path)
    records, errors = read(path)
    assert errors == [] and len(records) == len(XLSX_ROWS)
    more = workbook.create_sheet("2020")
    more.append(["2020年度资助项目"])              # a title row first, then the table's header
    more.append(["project_id", "title", "person"])
    more.append(["32171235", "二〇二〇年的项目", "王伟"])
    workbook.save(path)
    with pytest.raises(InputError, match="the sheet '2020' holds more rows of this table"):
        read(path)


def test_a_project_given_twice_with_other_values_is_refused_and_an_exact_repeat_is_loaded_once(tmp_path: Path):
    path = tmp_path / "repeats.csv"
    path.write_text("批准号,项目名称,资助经费(万元)\n"
                    "31870719,膜转运蛋白复合体的结构,58\n"
                    "31870719,膜转运蛋白复合体的结构,58.0\n"       # the same values: one project
                    "31870720,冷冻电镜方法,60\n"
                    "31870719,膜转运蛋白复合体的结构,85\n",        # another amount: which one is right?
                    encoding="utf-8")
    records, errors = read(path)
    assert [r.key for r in records] == ["31870719", "31870720"]
    assert len(errors) == 1 and errors[0].location.line == 5 and errors[0].location.record == "31870719"
    assert "already given on line 2, with other values" in errors[0].message


# Sniffing --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dailycafi_C0501_2022.csv", "suqingdong_C050101_2015.tsv",
                                  "suqingdong_C050101_2015_gb18030.tsv", "projects_zh.jsonl", "bad_rows.csv"])
def test_sniff_recognises_project_exports(name: str):
    path = DATA / name
    assert nsfc_projects.MODULE.sniff(path, path.read_bytes()[:16384])


def test_sniff_rejects_other_tables_and_suffixes(tmp_path: Path, xlsx_export: Path):
    assert nsfc_projects.MODULE.sniff(xlsx_export, xlsx_export.read_bytes()[:16384])
    people = "person_id,name_zh,orcid\np1,张明,\n".encode("utf-8")
    assert not nsfc_projects.MODULE.sniff(tmp_path / "people.csv", people)
    works = '{"work_id": "w1", "title": "x", "grant_numbers": "31870719"}\n'.encode("utf-8")
    assert not nsfc_projects.MODULE.sniff(tmp_path / "works.jsonl", works)
    assert not nsfc_projects.MODULE.sniff(tmp_path / "projects.txt", "批准号,项目名称\n".encode("utf-8"))


def test_module_contract():
    assert nsfc_projects.MODULE.name == "nsfc-projects"
    assert nsfc_projects.MODULE.description


# The real third-party exports (skipped when ../shared/realdata is absent) --------------------
def real(path: str) -> Path:
    file = REAL_PROJECTS / path
    if not file.exists():
        pytest.skip(f"{file} is not present")
    return file


def test_real_suqingdong_tsv_maps_all_46_projects():
    records, errors = read(real("suqingdong_demo_C050101_2015.tsv"))
    assert errors == [] and len(records) == 46
    graph = graph_of(records)
    p = project("31500595")
    assert graph.value(p, V.title) == Literal("脱敏态GluA2配体结合域LBD二聚体系综结构及其调控的研究", lang="zh")
    assert graph.value(p, V.startDate) == Literal("2016-01", datatype=XSD.gYearMonth)
    assert graph.value(p, V.endDate) == Literal("2018-12", datatype=XSD.gYearMonth)
    assert graph.value(p, V.applicationCode) == MINT.application_code("C050101")
    assert graph.value(p, V.projectType) == V.concept("TypeYouth")
    assert graph.value(p, V.principalInvestigator) == MINT.person("nsfc", "100145756")
    assert graph.value(p, V.amountWan) == Literal("20.0", datatype=XSD.decimal)
    assert graph.value(p, V.concluded) == Literal(True)


def test_real_suqingdong_xlsx_maps_all_85_projects():
    records, errors = read(real("suqingdong_C0501_2019.xlsx"))
    assert errors == [] and len(records) == 85
    graph = graph_of(records)
    p = project("31950410540")
    assert graph.value(p, V.projectType) == V.concept("TypeInternational")
    assert graph.value(p, V.applicationCode) == MINT.application_code("C050101")
    assert graph.value(p, V.startDate) == Literal("2020-01", datatype=XSD.gYearMonth)
    assert graph.value(p, V.amountWan) == Literal("34.0", datatype=XSD.decimal)
    assert graph.value(p, V.hostedBy) == MINT.institution("香港中文大学（深圳）")
    assert len(set(graph.subjects(RDF.type, V.FundedProject))) == 85


def test_real_dailycafi_csvs_map_every_row():
    files = sorted(real("dailycafi").glob("*/*/*.csv"))
    rows = 0
    graph = Graph()
    for path in files:
        records, errors = read(path)
        assert errors == [], path
        rows += len(records)
        for record in records:
            for triple in record.triples:
                graph.add(triple)
    # 1,836 rows, 1,834 unique approval numbers: the scraper lists two projects twice, the
    # same values but for its row numbering, and each is loaded once.
    assert rows == 1834
    assert len(set(graph.subjects(RDF.type, V.FundedProject))) == 1834
    p = project("31570119")
    assert graph.value(p, V.title) == Literal("微生物修复石油污染的厌氧解烃分子机制及重要功能基因研究", lang="zh")
    assert graph.value(p, V.amountWan) == Literal("62.0", datatype=XSD.decimal)
    assert Literal("石油烃的厌氧生物降解", lang="zh") in set(graph.objects(p, V.keyword))
    assert graph.value(p, V.applicationCode) == MINT.application_code("C0106")


# End to end: into a knowledge graph, then a question a user asks ---------------------------
def test_ingested_projects_answer_a_sparql_question(tmp_path: Path):
    pipeline = pytest.importorskip("ingest.pipeline", reason="ingest/pipeline.py is not importable yet",
                                   exc_type=ImportError)
    from kg.config import Settings
    from kg.store import KnowledgeGraph, prefix_block

    with KnowledgeGraph(Settings(data_dir=tmp_path / "kg", base_iri=BASE)) as graph:
        pipeline.ingest_paths(graph, [DATA / "suqingdong_C050101_2015.tsv", DATA / "projects_zh.jsonl"])
        # "Which Life Sciences projects at 浙江大学 started in 2019, and who leads them?"
        rows = graph.select(prefix_block() + """
            SELECT ?number ?pi WHERE {
              ?p a sp:FundedProject ; sp:approvalNumber ?number ; sp:department sp:DeptC ;
                 schema:startDate ?start ; sp:hostedBy/schema:name "浙江大学"@zh ;
                 sp:principalInvestigator/schema:name ?pi .
              FILTER(STRSTARTS(STR(?start), "2019"))
            }""")
        assert [(str(r["number"]), str(r["pi"])) for r in rows] == [("31870719", "张明")]
