"""Gap and compliance reports on a small hand-written world (tests/data/reports/README.md).

Every expected number below is counted by hand from the fixture's table.
"""
from __future__ import annotations

import pytest

from ingest.pipeline import ingest_paths
from kg import derive, reports
from kg import vocab as V
from kg.curation import flag_representative
from kg.errors import ScipopError
from kg.nquads import term_nt
from reports_world import BASE, FIXTURE, fresh, staff, world  # noqa: F401


def rows_by_group(report) -> dict[str, list]:
    return {row[0]: row[2:] for row in report.rows}


# ---------------------------------------------------------------------------- gaps
def test_the_liaison_officer_sees_unpopularized_results_per_department(staff):
    report = reports.gap_report(staff, by="department")
    assert report.columns == reports.GAP_COLUMNS
    # projects, with results, unpopularized, %, outputs, unpopularized outputs
    assert rows_by_group(report) == {
        "A": [1, 1, 1, 100.0, 1, 1],      # 11930005: W3 is still under review, so it does not count
        "C": [3, 2, 1, 50.0, 3, 3],       # 32230001 unpopularized; W1 names 32270002, not its output O3
        "F": [2, 1, 0, 0.0, 2, 1],        # 61970003 popularized (W2 on O4, and a 科普 field); O5 is not
    }
    labels = {row[0]: row[1] for row in report.rows}
    assert labels["C"] == "生命科学部"
    assert [row[0] for row in report.rows] == ["A", "C", "F"]  # most unpopularized projects first, then by key


def test_gaps_follow_the_obligation_tiers_of_the_project_types(staff):
    by_tier = rows_by_group(reports.gap_report(staff, by="tier", lang="en"))
    assert by_tier == {
        "obliged": [2, 1, 1, 100.0, 2, 2],     # 重大项目 32230001, 创新研究群体 61921004 (no results)
        "encouraged": [3, 2, 0, 0.0, 3, 2],    # 面上 32270002 and 61970003, 青年 32270006 (no results)
        "other": [1, 1, 1, 100.0, 1, 1],       # 重点项目 11930005
    }


def test_gaps_by_code_institution_type_and_year(staff):
    assert rows_by_group(reports.gap_report(staff, by="code"))["C05"] == [2, 2, 1, 50.0, 3, 3]
    by_institution = {row[1]: row[2:] for row in reports.gap_report(staff, by="institution").rows}
    assert by_institution == {"北京大学": [3, 3, 2, 66.7, 4, 4], "兰州大学": [3, 1, 0, 0.0, 2, 1]}
    by_type = rows_by_group(reports.gap_report(staff, by="type"))
    assert by_type["general"] == [2, 2, 0, 0.0, 3, 2]
    assert by_type["major"] == [1, 1, 1, 100.0, 2, 2]
    by_year = rows_by_group(reports.gap_report(staff, by="year"))
    assert by_year == {"2019": [3, 2, 1, 50.0, 3, 2], "2022": [3, 2, 1, 50.0, 3, 3]}


def test_a_year_keeps_only_the_projects_approved_that_year(staff):
    report = reports.gap_report(staff, by="department", year=2019)
    assert rows_by_group(report) == {"A": [1, 1, 1, 100.0, 1, 1], "F": [2, 1, 0, 0.0, 2, 1]}
    assert "2019" in report.title


def test_drilling_down_lists_each_item_with_the_links_that_exist_and_are_missing(staff):
    report = reports.gap_items(staff, by="department", value="生命科学部", lang="en")
    items = {(r["kind"], r["id"]): r for r in report.records()}
    assert set(items) == {("project", "32230001"), ("output", "10.1038/rep.2023.0001"),
                          ("output", "10.1016/rep.2024.0002"), ("output", "10.1093/rep.2024.0003")}
    project = items["project", "32230001"]
    assert project["tier"] == "obliged" and project["institution"] == "北京大学" and project["approval_year"] == 2022
    assert "2 research outputs linked" in project["why"]
    assert "no approved popular-science work" in project["why"]
    assert "no popularization field" in project["why"]
    output = items["output", "10.1093/rep.2024.0003"]
    assert output["why"].startswith("result of project 32270002 (link: ")
    assert "confidence 0.98" in output["why"]


def test_a_chinese_drill_down_explains_each_item_in_chinese(staff):
    """Liaison officers read the drill-down in Chinese: title, reasons, link method and notes."""
    report = reports.gap_items(staff, by="department", value="C")
    assert report.title == "未科普项目与成果：生命科学部"
    items = {(r["kind"], r["id"]): r for r in report.records()}
    assert items["project", "32230001"]["why"] == ("关联 2 项研究成果（sp:resultOf）；没有已审核通过的科普作品普及该项目"
                                                   "或其任何成果；结题报告未填写科普情况")
    output = items["output", "10.1093/rep.2024.0003"]["why"]
    assert output.startswith("项目 32270002 的成果（关联来源：") and "置信度 0.98" in output
    assert report.notes[0] == ("最多列出 50 个项目和 50 项研究成果；该组共有 1 个项目成果未科普，"
                               "3 项研究成果未被已审核通过的作品普及。")
    assert reports.gap_items(staff, by="code", value="c05", year=2022).title == \
        "未科普项目与成果：申请代码 C05（2022年批准项目）"
    summary = reports.gap_report(staff, by="department", year=2019)
    assert summary.title == "未科普成果（按科学部，2019年批准项目）"
    assert {row[0]: row[1] for row in summary.rows}["A"] == "数学物理科学部"


def test_a_work_under_review_is_named_but_does_not_close_the_gap(staff):
    report = reports.gap_items(staff, by="department", value="A", lang="en")
    project = next(r for r in report.records() if r["kind"] == "project")
    assert project["id"] == "11930005"
    assert "1 popular-science work under review (not yet approved)" in project["why"]
    chinese = next(r for r in reports.gap_items(staff, by="department", value="A").records() if r["kind"] == "project")
    assert chinese["why"].endswith("；1 项科普作品审核中（尚未通过）")


def test_drill_downs_by_code_institution_and_year_find_the_same_items(staff):
    code = {r["id"] for r in reports.gap_items(staff, by="code", value="C05").records()}
    assert code == {"32230001", "10.1038/rep.2023.0001", "10.1016/rep.2024.0002", "10.1093/rep.2024.0003"}
    lzu = {r["id"] for r in reports.gap_items(staff, by="institution", value="兰州大学").records()}
    assert lzu == {"10.1109/rep.2022.0005"}  # 61970003 is popularized; O5 itself is not
    year = {r["id"] for r in reports.gap_items(staff, by="year", value="2019").records()}
    assert year == {"11930005", "10.1103/rep.2021.0006", "10.1109/rep.2022.0005"}


def test_a_limited_drill_down_says_how_many_there_are_in_all(staff):
    report = reports.gap_items(staff, by="department", value="C", limit=1, lang="en")
    assert sum(1 for r in report.records() if r["kind"] == "output") == 1
    assert report.notes[0] == ("At most 1 project and 1 research output are listed; the group has 1 project with "
                               "unpopularized results and 3 research outputs that no approved work popularizes.")


def test_an_unknown_group_or_grouping_is_a_user_mistake_with_a_fix(staff):
    with pytest.raises(ScipopError) as error:
        reports.gap_items(staff, by="department", value="Z")
    assert "--by department" in error.value.hint
    with pytest.raises(ScipopError):
        reports.gap_report(staff, by="colour")


# ---------------------------------------------------------------------------- compliance
def test_compliance_checks_the_obliged_tier_and_reports_the_encouraged_tier_apart(staff):
    report = reports.compliance_report(staff, lang="en")
    summary = {row[2]: row[3:] for row in report.rows}
    # projects, not popularized, %, results unpopularized, concluded, concluded without the 科普 field
    assert summary == {"obliged": [2, 2, 100.0, 1, 1, 1], "encouraged": [3, 1, 33.3, 0, 2, 1]}
    obliged, encouraged = report.parts
    assert obliged.key == "compliance-obliged" and encouraged.key == "compliance-encouraged"
    listed = {r["id"]: r for r in obliged.records()}
    assert set(listed) == {"32230001", "61921004"}
    assert listed["32230001"]["not_popularized"] is True and listed["32230001"]["concluded_without_field"] is False
    assert listed["61921004"]["concluded_without_field"] is True
    assert "no research outputs linked" in listed["61921004"]["why"]
    assert "the concluding report has no popularization field" in listed["61921004"]["why"]
    # 61970003 is popularized and its report has the field: it fails nothing; 11930005 is tier 'other'.
    assert {r["id"] for r in encouraged.records()} == {"32270002", "32270006"}
    popularized_but_silent = next(r for r in encouraged.records() if r["id"] == "32270002")
    assert popularized_but_silent["not_popularized"] is False
    assert popularized_but_silent["concluded_without_field"] is True


def test_the_compliance_report_reads_in_chinese(staff):
    report = reports.compliance_report(staff, by="department")
    assert report.title == "科普义务履行情况（按科学部）"
    obliged = report.parts[0]
    assert obliged.title == "应当开展科普：未通过检查的项目"
    why = {r["id"]: r["why"] for r in obliged.records()}["61921004"]
    assert why == ("科普义务类别：应当开展科普（项目类型：创新研究群体项目）；未关联研究成果，也没有已审核通过的作品普及该项目；"
                   "已结题；结题报告未填写科普情况")
    assert reports.compliance_report(staff, by="department", year=2019).title == "科普义务履行情况（按科学部，2019年批准项目）"


def test_compliance_by_department_and_year(staff):
    report = reports.compliance_report(staff, by="department", year=2019)
    assert {(row[0], row[2]): row[3:] for row in report.rows} == {
        ("F", "obliged"): [1, 1, 100.0, 0, 1, 1],
        ("F", "encouraged"): [1, 0, 0.0, 0, 1, 0],
    }
    assert {r["id"] for r in report.parts[0].records()} == {"61921004"}


def test_the_materialized_item_lists_are_the_ones_the_store_gives(staff):
    """The default lists come from kg.rollup's compliance-items table; an export (limit 0) queries the store."""
    for tier in (V.TierObliged, V.TierEncouraged):
        for year in (None, 2019, 2022):
            for lang in ("zh", "en"):
                materialized = reports.compliance_items(staff, tier, year=year, lang=lang)
                assert materialized.notes[0].startswith({"en": "At most 50 projects are listed, the first by approval "
                                                               "number", "zh": "最多列出 50 个项目"}[lang])
                assert materialized.rows == reports.compliance_items(staff, tier, year=year, limit=0, lang=lang).rows


# ---------------------------------------------------------------------------- curation in reports
def test_curation_decisions_show_who_and_when_in_the_reports(fresh):
    from datetime import datetime, timezone

    flag_representative(fresh, "32230001", "C", "刘主任", at=datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc))
    item = next(r for r in reports.gap_items(fresh, by="department", value="C", lang="en").records()
                if r["kind"] == "project")
    assert item["curation"] == "representative achievement of department C (刘主任, 2025-03-01)"
    chinese = next(r for r in reports.gap_items(fresh, by="department", value="C").records() if r["kind"] == "project")
    assert chinese["curation"] == "生命科学部代表性成果（刘主任，2025-03-01）"
    obliged = reports.compliance_report(fresh, lang="en").parts[0]
    assert next(r for r in obliged.records() if r["id"] == "32230001")["curation"].startswith("representative")
    log = reports.curation_report(fresh)
    assert log.records() == [{"at": "2025-03-01T09:30:00+00:00", "kind": "representative",
                              "iri": BASE + "project/32230001", "id": "32230001", "title": "肠道菌群调控宿主代谢的机制",
                              "department": "C", "decision": None, "by": "刘主任"}]


# ---------------------------------------------------------------------------- identity and new works
def test_reports_follow_new_works_and_identity_links_after_the_derived_facts_are_refreshed(fresh):
    """A new approved work on O1 closes 32230001's gap; reports read the refreshed aggregate tables."""
    ingest_paths(fresh, [FIXTURE / "later" / "works-later.csv"])
    assert rows_by_group(reports.gap_report(fresh, by="department"))["C"] == [3, 2, 0, 0.0, 3, 2]
    obliged = {row[2]: row[3:] for row in reports.compliance_report(fresh).rows}["obliged"]
    assert obliged == [2, 1, 50.0, 0, 1, 1]


def test_the_public_view_leaves_out_restricted_projects(fresh):
    from kg.publish import publish
    from kg.views import open_view

    publish(fresh)
    with open_view(fresh.settings, "public") as public:
        # 32270006 is pending review: the public view does not hold it, so C has two projects.
        assert rows_by_group(reports.gap_report(public, by="department"))["C"] == [2, 2, 1, 50.0, 3, 3]
        encouraged = reports.compliance_report(public).parts[1]
        assert {r["id"] for r in encouraged.records()} == {"32270002"}
        assert "32270006" not in str(reports.gap_report(public, by="institution").to_json())


def gap_observations(kg) -> dict[tuple[str, str, int], list[int]]:
    """What a SPARQL user reads from the derived gap observations: (department, type, year) ->
    [projects, popularized, with unpopularized results, without known results]."""
    from kg.concepts import notation
    from kg.store import prefix_block

    rows = kg.select(prefix_block() + """SELECT ?d ?t ?y ?n ?p ?u ?x WHERE {
        ?o a sp:GapObservation ; sp:gapDepartment ?d ; sp:gapProjectType ?t ; sp:gapApprovalYear ?y ;
           sp:projectCount ?n ; sp:popularizedProjectCount ?p ; sp:unpopularizedProjectCount ?u ;
           sp:noResultsProjectCount ?x }""")
    return {(notation(r["d"]), notation(r["t"]), int(r["y"])): [int(r[k]) for k in "npux"] for r in rows}


def test_gap_observations_count_each_project_under_its_department_type_and_year(fresh):
    from kg.publish import publish
    from kg.views import open_view

    staff_counts = {
        ("C", "major", 2022): [1, 0, 1, 0],                      # 32230001: O1, O2, no work
        ("C", "general", 2022): [1, 1, 0, 0],                    # 32270002: W1
        ("C", "youth", 2022): [1, 0, 0, 1],                      # 32270006: pending review, no results
        ("F", "general", 2019): [1, 1, 0, 0],                    # 61970003: W2 on O4
        ("F", "innovative-research-group", 2019): [1, 0, 0, 1],  # 61921004
        ("A", "key", 2019): [1, 0, 1, 0],                        # 11930005: W3 is still under review
    }
    assert gap_observations(fresh) == staff_counts
    publish(fresh)
    with open_view(fresh.settings, "public") as public:
        # The public view counts what it holds: the restricted 32270006 is in no observation.
        assert gap_observations(public) == {k: v for k, v in staff_counts.items() if k != ("C", "youth", 2022)}
    # A new approved work on O1 closes 32230001's gap: the observation follows the refresh.
    ingest_paths(fresh, [FIXTURE / "later" / "works-later.csv"])
    assert gap_observations(fresh)[("C", "major", 2022)] == [1, 1, 0, 0]


def talent_observations(kg) -> dict[str, list[int]]:
    """What a SPARQL user reads from the derived talent-pool observations: expertise ->
    [members, members with works, works by members]."""
    from kg.store import prefix_block

    rows = kg.select(prefix_block() + """SELECT ?e ?m ?w ?n WHERE {
        ?o a sp:TalentPoolObservation ; sp:observedExpertise ?e ; sp:memberCount ?m ;
           sp:memberWithWorksCount ?w ; sp:memberWorkCount ?n }""")
    return {str(r["e"]): [int(r[k]) for k in "mwn"] for r in rows}


def test_talent_observations_count_members_and_their_works_per_field(fresh):
    from kg.publish import publish
    from kg.views import open_view

    # 张明 (肠道菌群；量子模拟) created W3 (pending review) and W4; 赵强 (类脑计算) created W2.
    # 王芳, 孙丽 and 周杰 state expertise but are not in the talent pool.
    assert talent_observations(fresh) == {"肠道菌群": [1, 1, 2], "量子模拟": [1, 1, 2], "类脑计算": [1, 1, 1]}
    publish(fresh)
    with open_view(fresh.settings, "public") as public:
        # W3 is still under review: the public view does not hold it, nor count it.
        assert talent_observations(public) == {"肠道菌群": [1, 1, 1], "量子模拟": [1, 1, 1], "类脑计算": [1, 1, 1]}
    # 张明's new video W5 is counted once the refresh after its ingest has run.
    ingest_paths(fresh, [FIXTURE / "later" / "works-later.csv"])
    assert talent_observations(fresh)["肠道菌群"] == [1, 1, 3]


def test_without_materialized_tables_reports_compute_the_same_counts(fresh):
    """A store whose derived graph predates the aggregate tables still answers, from the derived facts."""
    with fresh.write():
        for name in ("gaps-department", "compliance-all"):
            fresh.update(f"DELETE WHERE {{ GRAPH ?g {{ {term_nt(fresh.minter.derived_table(name))} ?p ?o }} }}")
    # Such a store predates the derived graph's state file too: with the file, the refresh would
    # trust the graph to hold the facts last written (a hand-made update needs the file deleted).
    (fresh.settings.data_dir / derive.DERIVED_STATE).unlink()
    assert rows_by_group(reports.gap_report(fresh, by="department"))["C"] == [3, 2, 1, 50.0, 3, 3]
    assert {row[2]: row[3:] for row in reports.compliance_report(fresh).rows}["obliged"] == [2, 2, 100.0, 1, 1, 1]
    with fresh.write():
        derive.refresh(fresh)
    assert fresh.count_triples(fresh.minter.derived_graph()) > 0
    assert V.aggregateTable in {row["p"] for row in fresh.select(
        f"SELECT DISTINCT ?p WHERE {{ {term_nt(fresh.minter.derived_table('gaps-department'))} ?p ?o }}")}


def test_a_refresh_rewrites_only_the_derived_facts_that_moved_and_names_their_entities(fresh):
    """The new work W5 popularizes the paper 10.1038/rep.2023.0001 of project 32230001: the
    refresh changes that paper's and that project's facts (and the tables), leaves the derived
    graph exactly as computed from scratch, and names in the change journal what it changed —
    not the projects the work does not touch, whose facts it leaves alone."""
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from kg.changes import JOURNAL
    from kg.iri import Minter

    ingest_paths(fresh, [FIXTURE / "later" / "works-later.csv"], refresh_derived=False)
    journal = fresh.settings.data_dir / JOURNAL
    before = journal.read_text(encoding="utf-8").splitlines()
    derived = fresh.minter.derived_graph()
    untouched = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{derived}> {{ ?s ?p ?o }} }}"
    with fresh.write():
        derive.refresh(fresh)
    noted = set(journal.read_text(encoding="utf-8").splitlines()[len(before):])
    minter = Minter(fresh.settings.base_iri)
    paper, project = str(minter.output(doi="10.1038/rep.2023.0001")), str(minter.project("32230001"))
    assert {paper, project} <= noted
    assert str(minter.project("32230002")) not in noted and "*" not in noted
    expected, stored = Graph(), Graph()
    for triple in derive.compute(fresh):
        expected.add(plain_strings(triple))
    for row in fresh.query(untouched):
        if row[1] != V.contentDigest:   # the graph's digest of itself (kg.graphstate)
            stored.add(plain_strings(tuple(row)))
    assert len(stored) == len(expected) and isomorphic(stored, expected)


def plain_strings(triple: tuple) -> tuple:
    """The triple with xsd:string literals written plainly (the store gives them the datatype)."""
    from rdflib import Literal
    from rdflib.namespace import XSD

    return tuple(Literal(str(t)) if isinstance(t, Literal) and t.datatype == XSD.string else t for t in triple)


def test_every_report_text_says_the_same_things_in_both_languages():
    """A placeholder missing from one language would drop a number from that language's report;
    a Chinese text left in English (or the reverse) would show the wrong language on a page."""
    import re
    import string

    from kg.texts import COLUMNS, TEXTS

    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, (english, chinese) in TEXTS.items():
        assert placeholders(english) == placeholders(chinese), key
        assert re.search(r"[\u4e00-\u9fff]", chinese) or key in ("separator", "list") or chinese.startswith("{"), key
    for key, (english, chinese) in COLUMNS.items():
        assert english and chinese, key
