"""Entity page summaries published with each view (kg/pages.py) and the home page's counts."""
from __future__ import annotations

import sqlite3

import pytest

from kg.errors import NotFound
from kg.pages import PAGES_FILE, open_pages, summarized_live
from kg.publish import view_settings
from kg.stats import graph_stats
from kg.store import prefix_block
from kg.views import open_view
from webapp import entity_data
from webapp.api import to_json
from web_fixtures import app, client, published_demo  # noqa: F401


def _summaries(settings, view: str) -> list[tuple[str, str]]:
    path = view_settings(settings, view).data_dir / PAGES_FILE
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT iri, summary FROM pages").fetchall()


def test_both_views_publish_institution_and_code_summaries(published_demo):  # noqa: F811
    for view in ("public", "full"):
        kinds = {iri.split("/")[3] for iri, _ in _summaries(published_demo.settings, view)}
        assert kinds == {"org", "code"}
    public = {iri for iri, _ in _summaries(published_demo.settings, "public")}
    assert published_demo.org_iri in public and published_demo.code_iri in public


def test_public_summaries_name_no_restricted_record(published_demo):  # noqa: F811
    iri = published_demo.restricted_iri
    with open_view(published_demo.settings, "full") as full:
        labels = [str(r["l"]) for r in full.select(prefix_block() + """SELECT DISTINCT ?l WHERE {
            <%s> dcterms:title|schema:name ?l }""" % iri)]
    public_text = "\n".join(summary for _, summary in _summaries(published_demo.settings, "public"))
    assert iri not in public_text
    with open_view(published_demo.settings, "public") as public:
        for label in labels:
            if len(label) >= 4 and not public.select(prefix_block() + "SELECT ?s WHERE { ?s ?p ?o FILTER(STR(?o) = %s) } "
                                                     "LIMIT 1" % _quoted(label)):
                assert label not in public_text


def test_a_summary_shows_what_the_queries_show(published_demo):  # noqa: F811
    """Published summaries (institution, code) and live ones (project, output, work) alike."""
    base = published_demo.settings.base_iri
    pages = open_pages(view_settings(published_demo.settings, "public").data_dir)
    demo = published_demo
    with open_view(published_demo.settings, "public") as kg:
        for iri in (demo.org_iri, demo.code_iri, demo.project_iri, demo.output_iri, demo.work_iri):
            for lang in ("zh", "en"):
                published = to_json(entity_data.load_entity(kg, iri, lang, base, pages))
                queried = to_json(entity_data.load_by_queries(kg, iri, lang, base))
                assert published["properties"] == queried["properties"]
                assert published["sources"] == queried["sources"] and published["status"] == queried["status"]
                for name, rows in queried["sections"].items():
                    if isinstance(rows, list):
                        # Rows with equal sort keys may come in either order.
                        assert sorted(map(repr, published["sections"][name])) == sorted(map(repr, rows)), name
                    else:
                        assert published["sections"][name] == rows, name


def test_project_output_and_work_pages_are_summarized_live(published_demo):  # noqa: F811
    with open_view(published_demo.settings, "public") as kg:
        assert all(summarized_live(kg, kind) for kind in ("project", "output", "work"))
        assert not summarized_live(kg, "person") and not summarized_live(kg, "org")


def test_a_hidden_record_has_no_live_summary(published_demo):  # noqa: F811
    base = published_demo.settings.base_iri
    with open_view(published_demo.settings, "public") as kg:
        with pytest.raises(NotFound):
            entity_data.load_entity(kg, published_demo.restricted_iri, "en", base)


def test_the_institution_page_is_served_from_its_summary(client, published_demo):  # noqa: F811
    path = "/" + published_demo.org_iri[len(published_demo.settings.base_iri):]
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'class="linklist"' in page.get_data(as_text=True)


def test_home_counts_people_not_their_iris(client, published_demo):  # noqa: F811
    with open_view(published_demo.settings, "public") as kg:
        people = graph_stats(kg).people
    assert client.get("/api/stats").get_json()["classes"]["Researcher"] == people


def _quoted(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def test_project_pages_link_to_who_could_popularize_them(client, published_demo):  # noqa: F811
    from urllib.parse import quote

    base = published_demo.settings.base_iri
    page = client.get("/" + published_demo.project_iri[len(base):], headers={"Accept": "text/html"})
    assert "/talent?for=" in page.get_data(as_text=True)
    ranking = client.get("/talent?for=" + quote(published_demo.project_iri, safe=""))
    assert ranking.status_code == 200
    assert 'class="hits talent"' in ranking.get_data(as_text=True)


def test_who_could_popularize_says_why_in_the_pages_language(client, published_demo):  # noqa: F811
    """Found by audit: each reason without a record of its own (a shared team, the same
    topic) showed as the word None, and evidence kinds as raw codes."""
    from urllib.parse import quote

    target = quote(published_demo.project_iri, safe="")
    reasons = {"en": ("collaborates with its team (", "works on the same topic (fit "),
               "zh": ("与其团队合作（共同记录", "研究相同主题（相关度")}
    for lang, said in reasons.items():
        page = client.get(f"/talent?for={target}&limit=50&lang={lang}").get_data(as_text=True)
        assert "<li>None</li>" not in page and "talent.reason." not in page
        assert any(reason in page for reason in said), lang
        assert '<span class="meta">work</span>' not in page and '<span class="meta">project</span>' not in page


def test_who_could_popularize_a_hidden_record_answers_like_a_missing_one(client, published_demo):  # noqa: F811
    from urllib.parse import quote

    hidden = client.get("/talent?for=" + quote(published_demo.restricted_iri, safe=""))
    missing = client.get("/talent?for=" + quote(published_demo.settings.base_iri + "project/00000000", safe=""))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data() == missing.get_data()


def test_the_people_count_reads_the_indexes_as_the_sparql_definition_counts(published_demo):  # noqa: F811
    from kg.stats import PEOPLE, people_count

    for view in ("public", "full"):
        with open_view(published_demo.settings, view) as kg:
            assert people_count(kg) == int(next(iter(kg.query(PEOPLE)))[0])


def test_the_language_switch_keeps_a_dois_and_a_works_percent_encoding(client, published_demo):  # noqa: F811
    """Found by audit: the 中文/English link of every DOI output and work page was a 404,
    because it was built from the decoded path (/output/doi/10.1093/x for …10.1093%2Fx)."""
    import re

    with open_view(published_demo.settings, "public") as kg:
        encoded = [str(r["x"]) for r in kg.select(prefix_block() + """SELECT ?x WHERE {
            { SELECT ?x WHERE { ?x a sp:ResearchOutput FILTER(CONTAINS(STR(?x), "/doi/")) } LIMIT 1 }
            UNION { SELECT ?x WHERE { ?x a sp:PopularScienceWork FILTER(CONTAINS(STR(?x), "%2F")) } LIMIT 1 } }""")]
    assert len(encoded) == 2 and all("%2F" in iri for iri in encoded)
    for iri in encoded:
        path = "/" + iri.split("/", 3)[3]
        page = client.get(path, query_string={"lang": "zh"}, headers={"Accept": "text/html"})
        assert page.status_code == 200, path
        switch = re.search(r'href="([^"]*[?&]lang=en[^"]*)"', page.get_data(as_text=True)).group(1)
        assert switch.startswith(path + "?"), switch
        assert client.get(switch.replace("&amp;", "&"), headers={"Accept": "text/html"}).status_code == 200, switch


def test_an_institution_lists_each_linked_person_once(demo_data_dir, tmp_path):
    """Found by audit: 暨南大学 listed 吕荣辉 and LYU Ronghui (one person once linked) as two."""
    import shutil

    from kg.config import Settings
    from kg.linking.run import run_linking
    from kg.pages import summarize
    from kg.store import KnowledgeGraph

    data_dir = tmp_path / "scipop-data"
    shutil.copytree(demo_data_dir, data_dir)
    with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
        with kg.write():
            run_linking(kg)
        org = kg.select(prefix_block() + """SELECT ?org (COUNT(DISTINCT ?a) AS ?n) WHERE {
            ?a schema:affiliation ?org ; owl:sameAs ?c . ?c schema:affiliation ?org }
            GROUP BY ?org ORDER BY DESC(?n) ?org LIMIT 1""")[0]["org"]
        expected = {str(r["person"]) for r in kg.select(prefix_block() + """SELECT DISTINCT ?person WHERE {
            ?x schema:affiliation <%s> OPTIONAL { ?x owl:sameAs ?same } BIND(COALESCE(?same, ?x) AS ?person) }""" % org)}
        page = summarize(kg, str(org), "org")["sections"]
    listed = [row["iri"] for row in page["people"]]
    assert len(listed) == len(set(listed)) and set(listed) <= expected
    assert page["people_total"] == len(expected)
