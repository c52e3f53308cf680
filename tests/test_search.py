"""Search, talent lookup and unpopularized results, on both engines.

The story: a funder's graph holds a handful of physics, life-science, IT and medical
projects (tests/data/search/), their researchers (two of them called 王伟), OAR outputs
with English titles and a few popular-science works, one of them still under review, and
one confidential project. Staff and the public search it in Chinese, pinyin and English.
Every expected answer is computed from the graph, not typed in.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kg import concepts
from kg import vocab as V
from kg.config import Settings
from kg.errors import QueryBoundExceeded, QueryError, QueryTimeout
from kg.iri import Minter
from kg.nquads import NQuadsWriter
from kg.publish import publish
from kg.store import KnowledgeGraph, prefix_block
from kg.views import open_view
from search import (IndexNotReady, SearchQuery, TalentQuery, build_index, check_index, open_index, update_index)
from search.snippets import make_snippet

DATA = Path(__file__).resolve().parent / "data" / "search"
SOURCES = [DATA / name for name in ("projects.jsonl", "researchers.csv", "outputs.jsonl", "works.csv")]
LATER_WORKS = DATA / "later" / "works_more.csv"
MINT = Minter(Settings().base_iri)
WANG_WEI = str(MINT.person("nsfc", "P1001"))  # 王伟 of Tsinghua, quantum computing, in the talent pool
OTHER_WANG_WEI = str(MINT.person("nsfc", "P3001"))  # 王伟 of Nanjing, gravitational waves
QUANTUM_PROJECT = str(MINT.project("12374101"))  # 量子计算中的拓扑保护机制研究, popularized by a video
OBLIGED_PROJECT = str(MINT.project("11927801"))  # a major project with outputs and no work yet
CONFIDENTIAL_PROJECT = str(MINT.project("51975107"))


def make_graph(data_dir: Path, extra: list[Path] = ()) -> Settings:
    settings = Settings(data_dir=data_dir)
    with KnowledgeGraph(settings) as kg:
        ingest_paths(kg, SOURCES + list(extra))
        publish(kg)
    return settings


@pytest.fixture(scope="session")
def search_settings(tmp_path_factory) -> Settings:
    """The story's graph, ingested and published once (read-only use)."""
    return make_graph(tmp_path_factory.mktemp("search") / "scipop-data")


@pytest.fixture(scope="session", params=["whoosh", "tantivy"])
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def index(search_settings, engine):
    """The public index of the story's graph, per engine."""
    with open_view(search_settings, "public") as kg:
        build_index(kg, search_settings, "public", engine)
    opened = open_index(search_settings, "public", engine)
    yield opened
    opened.close()


def public_rows(settings: Settings, sparql: str) -> list[dict]:
    with open_view(settings, "public") as kg:
        return kg.select(prefix_block() + sparql)


def iris(results) -> list[str]:
    return [hit.iri for hit in results.hits]


def all_hits(index, query: SearchQuery) -> list:
    query.per_page = 100
    return index.search(query).hits


# Names -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["王伟", "wang wei", "wangwei", "Wei Wang", "WANG Wei", "Wang W"])
def test_a_researcher_is_found_by_characters_pinyin_and_initials(index, typed):
    found = iris(index.search(SearchQuery(text=typed, kind="researcher")))
    assert WANG_WEI in found and OTHER_WANG_WEI in found


def test_a_name_search_also_finds_the_projects_the_person_leads(index):
    found = iris(index.search(SearchQuery(text="Wei Wang", kind="project")))
    assert QUANTUM_PROJECT in found and OBLIGED_PROJECT in found


def test_a_compound_surname_and_a_surname_read_differently_are_found(index):
    assert str(MINT.person("nsfc", "P4001")) in iris(index.search(SearchQuery(text="ouyang jianhua")))
    assert str(MINT.person("nsfc", "P5001")) in iris(index.search(SearchQuery(text="Zeng L", kind="researcher")))


# Languages ---------------------------------------------------------------------------------------
def test_chinese_and_english_queries_find_the_same_projects(index):
    chinese = set(iris(index.search(SearchQuery(text="量子计算", kind="project"))))
    english = set(iris(index.search(SearchQuery(text="quantum computing", kind="project"))))
    assert QUANTUM_PROJECT in chinese
    assert chinese == english


def test_a_chinese_query_finds_outputs_with_english_titles(index):
    titles = [hit.label for hit in index.search(SearchQuery(text="量子计算", kind="output")).hits]
    assert titles and all("quantum computing" in t.lower() for t in titles)


def test_a_mixed_query_needs_both_languages_to_match(index):
    found = iris(index.search(SearchQuery(text="拓扑 quantum", kind="project")))
    assert found == [QUANTUM_PROJECT]


def test_identifiers_find_their_record(index):
    assert iris(index.search(SearchQuery(text="11927801"))) == [OBLIGED_PROJECT]
    doi = index.search(SearchQuery(text="10.5555/scipop.2024.0001")).hits
    assert [hit.fields["doi"] for hit in doi] == ["10.5555/scipop.2024.0001"]


def test_snippets_mark_the_matches(index):
    hit = index.search(SearchQuery(text="量子计算", kind="project")).hits[0]
    assert "<mark>量子计算</mark>" in hit.snippet
    english = index.search(SearchQuery(text="decoherence", kind="output")).hits[0]
    assert "<mark>Decoherence</mark>" in english.snippet


def test_snippets_escape_html():
    assert make_snippet("<b>量子</b> & more", ["量子"]) == "&lt;b&gt;<mark>量子</mark>&lt;/b&gt; &amp; more"


# Facets, counts, paging ----------------------------------------------------------------------------
def test_facet_counts_match_the_graph(index, search_settings):
    results = index.search(SearchQuery(kind="project"))
    rows = public_rows(search_settings, "SELECT ?p ?d WHERE { ?p a sp:FundedProject ; sp:department ?d }")
    expected: dict[str, int] = {}
    for row in {(r["p"], r["d"]) for r in rows}:
        key = concepts.notation(row[1])
        expected[key] = expected.get(key, 0) + 1
    projects = {r["p"] for r in public_rows(search_settings, "SELECT ?p WHERE { ?p a sp:FundedProject }")}
    assert results.total == len(projects)
    assert results.facets["department"] == expected


def test_filters_narrow_and_agree_with_the_facets(index):
    everything = index.search(SearchQuery(kind="project"))
    for department, count in everything.facets["department"].items():
        narrowed = index.search(SearchQuery(kind="project", filters={"department": [department]}))
        assert narrowed.total == count
        assert {hit.fields["department"] for hit in narrowed.hits} == {department}


def test_pages_cover_every_hit_once(index):
    whole = index.search(SearchQuery(per_page=100))
    seen: list[str] = []
    for page in range(1, whole.total // 5 + 2):
        part = index.search(SearchQuery(page=page, per_page=5))
        assert part.total == whole.total
        seen += iris(part)
    assert len(seen) == len(set(seen)) == whole.total


def test_recent_first(index):
    years = [hit.fields["year"] for hit in all_hits(index, SearchQuery(kind="output", sort="recent"))]
    assert years == sorted(years, reverse=True)


# Unpopularized results ----------------------------------------------------------------------------
def test_unpopularized_results_are_what_the_derived_facts_say(index, search_settings):
    expected = {r["x"] for r in public_rows(search_settings, """
        SELECT ?x WHERE { { ?x sp:popularizationStatus sp:ResultsUnpopularized }
                          UNION { ?x a sp:ResearchOutput ; sp:isPopularized false } }""")}
    results = index.unpopularized(SearchQuery(per_page=100))
    assert set(iris(results)) == {str(x) for x in expected}
    assert results.total == len(expected)


def test_obliged_projects_without_popularization_come_most_cited_first(index):
    results = index.unpopularized(SearchQuery(kind="project", filters={"tier": ["obliged"]}))
    assert OBLIGED_PROJECT in iris(results)
    assert all(hit.fields["tier"] == "obliged" and hit.fields["popularized"] == "no" for hit in results.hits)
    citations = [hit.fields["citations"] for hit in results.hits]
    assert citations == sorted(citations, reverse=True)
    outputs = index.unpopularized(SearchQuery(kind="output", filters={"tier": ["obliged"]}))
    assert sum(outputs.facets["tier"].values()) == outputs.total


# Talent -------------------------------------------------------------------------------------------
def test_talent_ranks_a_popularizer_first_with_evidence(index):
    hits = index.talent(TalentQuery(topic="量子计算", department="A"))
    best = hits[0]
    assert best.iri == WANG_WEI and best.in_pool and best.popularization > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    projects = [e for e in best.evidence if e.get("iri") == QUANTUM_PROJECT]
    assert projects and projects[0]["works"], "the matching project and the video that popularized it"


def test_every_talent_hit_says_why_it_matched(index):
    """Everyone listed comes with evidence: a researcher whose match rests on the expertise
    declared in the registry (no project or output of theirs matches) shows that expertise."""
    hits = index.talent(TalentQuery(topic="量子计算"))
    assert hits and all(hit.evidence for hit in hits)
    declared_only = [h for h in hits if all(e.get("relation") == "declared expertise" for e in h.evidence)]
    assert declared_only, "the story has a researcher known for quantum computing only from the registry"
    assert all(any("量子" in e["label"] for e in h.evidence) for h in declared_only)
    wang = next(h for h in hits if h.iri == WANG_WEI)
    assert {"relation": "declared expertise", "label": "量子计算"} in wang.evidence


@pytest.mark.parametrize("query, check", [
    (TalentQuery(topic="量子计算", title="教授"), lambda hit, index: hit.iri == WANG_WEI),
    (TalentQuery(topic="quantum", in_pool=True), lambda hit, index: hit.in_pool),
    (TalentQuery(topic="量子计算", region="Beijing"),
     lambda hit, index: index.document(hit.iri).fields["region"] == "北京"),
    (TalentQuery(topic="量子计算", institution="清华大学"), lambda hit, index: hit.institution == "清华大学"),
])
def test_talent_filters(index, query, check):
    hits = index.talent(query)
    assert hits and all(check(hit, index) for hit in hits)


def test_who_could_popularize_an_obliged_project(index):
    hits = index.who_could_popularize(OBLIGED_PROJECT)
    assert hits[0].iri == WANG_WEI
    assert hits[0].evidence[0]["relation"] == "on this record"
    assert all(hit.popularization > 0 for hit in hits)


# Visibility ---------------------------------------------------------------------------------------
def test_the_public_index_holds_no_restricted_record(index, search_settings, engine):
    assert index.search(SearchQuery(text="51975107")).total == 0
    assert index.search(SearchQuery(text="量子计算机离我们还有多远", kind="work")).total == 0
    with open_view(search_settings, "full") as kg:
        build_index(kg, search_settings, "full", engine)
    with open_index(search_settings, "full", engine) as staff:
        assert iris(staff.search(SearchQuery(text="51975107"))) == [CONFIDENTIAL_PROJECT]
        assert staff.search(SearchQuery(text="量子计算机离我们还有多远", kind="work")).total == 1


def test_the_public_index_is_never_built_from_the_full_graph(search_settings, engine, tmp_path):
    with open_view(search_settings, "full") as kg:
        with pytest.raises(Exception, match="restricted"):
            build_index(kg, Settings(data_dir=tmp_path), "public", engine)


# Bounds -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query, error", [
    (SearchQuery(text="量子" * 200), QueryBoundExceeded),
    (SearchQuery(text="*a*"), QueryError),
    (SearchQuery(text="qu*"), QueryBoundExceeded),
    (SearchQuery(text="quan?um"), QueryError),
    (SearchQuery(text='"topological protection'), QueryError),
    (SearchQuery(text="(quantum"), QueryError),
    (SearchQuery(text="year:[2010 TO *]"), QueryError),
    (SearchQuery(text="OR quantum"), QueryError),
    (SearchQuery(filters={"year": ["2015-"]}), QueryBoundExceeded),
    (SearchQuery(filters={"year": ["1900-2020"]}), QueryBoundExceeded),
    (SearchQuery(filters={"colour": ["red"]}), QueryError),
    (SearchQuery(filters={"department": ["Z"]}), QueryError),
    (SearchQuery(kind="planet"), QueryError),
    (SearchQuery(per_page=1000), QueryBoundExceeded),
    (SearchQuery(page=1000), QueryBoundExceeded),
    (SearchQuery(sort="random"), QueryError),
])
def test_bad_queries_get_a_friendly_error(index, query, error):
    with pytest.raises(error) as raised:
        index.search(query)
    assert raised.value.hint


def test_a_whoosh_search_past_its_time_limit_is_stopped_and_worth_retrying(index, engine, monkeypatch):
    """The time limit is the server's bound, not a request too large to receive (413): the same
    error as a SPARQL query past its limit, which the web answers 503 with Retry-After."""
    if engine != "whoosh":
        pytest.skip("tantivy-py has no per-search time limit; its bound is the query tree")
    import search.whoosh_engine
    monkeypatch.setattr(search.whoosh_engine, "TIME_LIMIT_SECONDS", -1.0)   # past it at the first match
    with pytest.raises(QueryTimeout) as raised:
        index.search(SearchQuery(text="quantum"))
    assert raised.value.status == 503 and raised.value.code == "query_timeout" and raised.value.hint


@pytest.mark.parametrize("word, example", [("qu*", "qux*"), ("q*", "qxx*"), ("*", "quant*")])
def test_a_too_short_wildcard_suggests_one_long_enough(index, word, example):
    with pytest.raises(QueryError) as raised:
        index.search(SearchQuery(text=word))
    assert example in raised.value.hint
    index.search(SearchQuery(text=example))   # the suggestion itself is accepted


def test_a_bounded_prefix_and_a_bounded_year_range_work(index):
    assert QUANTUM_PROJECT in iris(index.search(SearchQuery(text="topolog*", kind="project")))
    years = index.search(SearchQuery(kind="output", filters={"year": ["2021-2022"]}, per_page=100))
    assert years.total and all(2021 <= hit.fields["year"] <= 2022 for hit in years.hits)
    # As a Chinese input method types them (found by audit: full-width digits matched nothing).
    for typed in ("２０２１－２０２２", "２０２１～２０２２"):
        wide = index.search(SearchQuery(kind="output", filters={"year": [typed]}, per_page=100))
        assert iris(wide) == iris(years), typed
    one = index.search(SearchQuery(kind="output", filters={"year": ["２０２１"]}, per_page=100))
    assert one.total and all(hit.fields["year"] == 2021 for hit in one.hits)


# Identity -----------------------------------------------------------------------------------------
def test_linked_mentions_become_one_researcher(engine, tmp_path):
    """Once the linking step says the OpenAlex 'Wei Wang' is 王伟, his outputs count as 王伟's."""
    settings = Settings(data_dir=tmp_path / "scipop-data")
    author = MINT.person("openalex", "A5100000001")
    with KnowledgeGraph(settings) as kg:
        ingest_paths(kg, SOURCES)
        links = tmp_path / "links.nq"
        with open(links, "w", encoding="utf-8") as handle:
            NQuadsWriter(handle).write([(author, V.sameAs, MINT.person("nsfc", "P1001"))], kg.minter.links_graph())
        with kg.write():
            kg.load_nquads(links)
        build_index(kg, settings, "full", engine)
        outputs = {r["o"] for r in kg.select(prefix_block() + f"SELECT ?o WHERE {{ ?o sp:authorship/sp:author <{author}> }}")}
    with open_index(settings, "full", engine, check_fresh=False) as linked:
        assert linked.document(str(author)) is None
        assert outputs and linked.document(WANG_WEI).fields["outputs"] == len(outputs)


def test_a_coauthor_known_only_from_author_lists_is_found_through_the_outputs(index):
    """No researcher document for an OpenAlex author with no NSFC role, work, expertise or ORCID iD."""
    coauthor = str(MINT.person("openalex", "A5100000005"))  # Le Zeng, on one output only
    assert index.document(coauthor) is None
    assert coauthor not in iris(index.search(SearchQuery(text="Le Zeng", kind="researcher")))
    output = str(MINT.output(doi="10.5555/scipop.2021.0002"))
    assert output in iris(index.search(SearchQuery(text="Le Zeng", kind="output")))


# Keeping the index in step with the graph -----------------------------------------------------------
@pytest.fixture
def working_copy(search_settings, tmp_path) -> Settings:
    """A private copy of the story's data directory, for tests that change the graph."""
    target = tmp_path / "scipop-data"
    shutil.copytree(search_settings.data_dir, target, ignore=shutil.ignore_patterns("index"))
    return Settings(data_dir=target)


def test_an_ingest_is_followed_by_an_update_of_only_what_changed(working_copy, engine):
    settings = working_copy
    with open_view(settings, "full") as kg:
        build_index(kg, settings, "full", engine)
        assert check_index(kg, settings, "full", engine) == []
    with KnowledgeGraph(settings) as kg:
        ingest_paths(kg, [LATER_WORKS])  # a video now popularizes the obliged project
        publish(kg)
    new_work = str(MINT.work(LATER_WORKS.name, "SW101"))
    with open_view(settings, "full") as kg:
        differences = check_index(kg, settings, "full", engine)
        assert f"stale {OBLIGED_PROJECT}" in differences
        assert any(line.startswith("missing ") and "SW101" in line for line in differences)
        stats = update_index(kg, settings, "full", {new_work}, engine)
        assert 0 < stats.documents < 10
        assert check_index(kg, settings, "full", engine) == []
    with open_index(settings, "full", engine) as updated:
        assert updated.document(OBLIGED_PROJECT).fields["popularized"] == "yes"
        assert OBLIGED_PROJECT not in iris(updated.unpopularized(SearchQuery(per_page=100)))


def test_a_stale_index_is_refused_until_updated(working_copy, engine):
    settings = working_copy
    with open_view(settings, "public") as kg:
        build_index(kg, settings, "public", engine)
    with KnowledgeGraph(settings) as kg:
        ingest_paths(kg, [LATER_WORKS])
        publish(kg)
    with pytest.raises(IndexNotReady, match="out-of-date") as raised:
        open_index(settings, "public", engine)
    assert "scipop index" in raised.value.hint
    with open_index(settings, "public", engine, auto_build=True) as fresh:
        assert fresh.document(OBLIGED_PROJECT).fields["popularized"] == "yes"


def test_a_failed_build_leaves_the_previous_index_serving(working_copy, engine):
    settings = working_copy
    with KnowledgeGraph(settings, read_only=True) as kg:
        first = build_index(kg, settings, "full", engine)

        def interrupted(count: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            build_index(kg, settings, "full", engine, progress=interrupted)
    root = settings.index_dir / "full" / engine
    assert not [p for p in root.iterdir() if p.name.startswith(".building")]
    with open_index(settings, "full", engine, check_fresh=False) as current:
        assert current.meta["built_at"] and current.search(SearchQuery()).total == first.documents


def test_suggest_completes_indexed_title_words(index):
    words = index.suggest("topolog")
    assert words and all(word.startswith("topolog") for word in words)
    assert index.suggest("") == []
