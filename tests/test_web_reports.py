"""The reports and recommendation pages over the published demo graph: the same functions as the CLI
(kg.reports, kg.indicators, kg.recommend), with charts, drill-downs and CSV/XLSX/JSON downloads."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from kg import recommend
from kg.indicators import indicator_report
from kg.views import open_view
from web_fixtures import app, client, published_demo  # noqa: F401

HTML = {"Accept": "text/html"}


def test_the_indicator_page_shows_the_cli_numbers_with_charts(client, published_demo):
    page = client.get("/reports/indicators?by=department&lang=en", headers=HTML).get_data(as_text=True)
    assert page.count("<svg") >= 3  # coverage and works per department, popularized projects per year
    api = client.get("/api/reports/indicators?by=department&lang=en").get_json()
    with open_view(published_demo.settings, "public") as kg:
        expected = indicator_report(kg, by="department", lang="en").to_json()
    assert api == expected


def test_reports_kept_for_reuse_are_bounded_whatever_years_clients_ask_for(app, client, monkeypatch):
    """Found by review: every year (and drill-down group) a client named kept one more
    computed report until the next publication."""
    from webapp import state

    monkeypatch.setattr(state, "MAX_FACTS", 3)
    answers = {year: client.get(f"/api/reports/compliance?by=department&year={year}").get_json()
               for year in range(3000, 3010)}
    kept = app.extensions["scipop"].views.publication().facts
    assert len(kept) == 3
    assert client.get("/api/reports/compliance?by=department&year=3009").get_json() == answers[3009]
    assert client.get("/api/reports/compliance?by=department&year=3000").get_json() == answers[3000]


def test_reports_download_as_xlsx_with_every_table(client):
    response = client.get("/api/reports/compliance?by=department&format=xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["compliance", "compliance-obliged", "compliance-encouraged", "notes"]
    assert client.get("/api/reports/gaps?format=pdf").status_code == 400


def test_a_gap_group_drills_down_to_its_items(client):
    page = client.get("/reports/gaps?by=department", headers=HTML).get_data(as_text=True)
    assert "drill=C" in page
    items = client.get("/api/reports/gaps?by=department&drill=C").get_json()
    assert items["key"] == "gap-items" and all(row["why"] for row in items["rows"])
    assert client.get("/api/reports/compliance?drill=C").status_code == 400


def test_a_drill_down_download_lists_every_item_the_page_only_begins(client):
    """Found by audit: the CSV of a drill-down stopped at the page's 50 items, without a word."""
    import csv
    import io

    groups = client.get("/api/reports/gaps?by=department").get_json()["rows"]
    big = max(groups, key=lambda row: row["outputs_unpopularized"])
    assert big["outputs_unpopularized"] > 50   # more than the page lists
    page = client.get(f"/api/reports/gaps?by=department&drill={big['group']}").get_json()
    assert len(page["rows"]) < big["projects_unpopularized"] + big["outputs_unpopularized"]
    body = client.get(f"/api/reports/gaps?by=department&drill={big['group']}&format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]
    assert len(rows) == big["projects_unpopularized"] + big["outputs_unpopularized"]


def test_the_recommendation_page_is_the_cli_ranking(client, published_demo):
    api = client.get("/api/recommend?top=5&department=C").get_json()
    with open_view(published_demo.settings, "public") as kg:
        expected = recommend.recommend(kg, top=5, department="C").to_json()
    assert api["items"] == expected
    assert set(api["items"][0]["factors"]) == set(recommend.FACTORS)
    page = client.get("/recommend?top=5&theme=量子", headers=HTML).get_data(as_text=True)
    assert "timeliness" in page and "results-table" in page
    assert client.get("/api/recommend?top=0").status_code == 400
    assert client.get("/api/recommend?department=Z").status_code == 400


def test_report_pages_read_in_the_pages_language_and_downloads_keep_their_column_keys(client):
    """A liaison officer reads the reports in Chinese: title, column headings, groupings, notes and
    reasons; a reviewer in English. Scripts select CSV columns by key, so the keys stay in both."""
    zh = client.get("/reports/gaps?by=department&lang=zh", headers=HTML).get_data(as_text=True)
    assert "未科普成果（按科学部）" in zh and "成果未科普项目数</th>" in zh and "未科普比例 = " in zh
    assert ">依托单位</option>" in zh and ">科普义务履行</a>" in zh and "成果未科普的项目数" in zh  # chart title
    assert "Unpopularized results by" not in zh
    en = client.get("/reports/gaps?by=department&lang=en", headers=HTML).get_data(as_text=True)
    assert "Unpopularized results by department" in en and "Projects with unpopularized results</th>" in en
    assert ">supporting institution</option>" in en
    drill = client.get("/reports/gaps?by=department&drill=C&lang=zh", headers=HTML).get_data(as_text=True)
    assert "未科普项目与成果：生命科学部" in drill and "列入原因</th>" in drill and "← 按科学部的全部分组" in drill
    assert "没有已审核通过的科普作品普及" in drill
    for lang in ("zh", "en"):
        csv = client.get(f"/api/reports/gaps?by=department&format=csv&lang={lang}").get_data(as_text=True)
        assert csv.lstrip("\ufeff").startswith("group,label,projects,projects_with_results,")
    compliance = client.get("/reports/compliance?lang=zh", headers=HTML).get_data(as_text=True)
    assert "科普义务履行情况（按科学部）" in compliance and "应当开展科普：未通过检查的项目" in compliance
    # Code cells read as words on the page: tiers, kinds, yes/no (the downloads keep the codes).
    assert '<td class="col-tier">鼓励开展科普</td>' in compliance and '<td class="col-not_popularized">是</td>' in compliance
    assert ">obliged</td>" not in compliance and ">True</td>" not in compliance
    assert '<td class="col-kind">研究成果</td>' in drill
    # On the page an item's identifier links to its record; the IRI column is left to the downloads.
    assert re.search(r'<td class="col-id"><a href="/project/\d+">\d+</a></td>', drill) and "col-iri" not in drill
    indicators = client.get("/reports/indicators?lang=zh", headers=HTML).get_data(as_text=True)
    assert "科普指标（按科学部和批准年度）" in indicators and "覆盖率 %</th>" in indicators


def test_the_recommendation_page_gives_its_reasons_in_the_pages_language(client):
    zh = client.get("/recommend?top=3&lang=zh", headers=HTML).get_data(as_text=True)
    assert "<h1>科普专项推荐</h1>" in zh and ">时效性</th>" in zh and "科普能力：" in zh and "得分 = " in zh
    en = client.get("/recommend?top=3&lang=en", headers=HTML).get_data(as_text=True)
    assert "<h1>Special-fund recommendations</h1>" in en and ">Timeliness</th>" in en and "capacity: " in en
    assert client.get("/api/recommend?top=3&lang=zh").get_json()["notes"][0].startswith("得分 = ")
