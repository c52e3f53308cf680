"""Recommendations for the special popularization fund, the collaboration network behind the capacity
factor, and curation, on the hand-written world of tests/data/reports.

Scores are computed by hand from the factor definitions (kg/recommend.py, docs/indicators.md):
score = 0.35 significance + 0.2 gap + 0.1 tier + 0.15 timeliness + 0.2 capacity.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kg import recommend as R
from kg import rollup
from kg import vocab as V
from kg.capacity import Capacity
from kg.curation import decisions, flag_representative, record_selection
from kg.errors import NotFound, ScipopError
from kg.network import build_network
from kg.nquads import term_nt
from reports_world import BASE, FIXTURE, fresh, load, staff, world  # noqa: F401

SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"


def scores(result) -> dict[str, float]:
    return {item.id: round(item.score, 6) for item in result.items}


def by_id(result) -> dict[str, dict]:
    return {item["iri"].rsplit("/", 1)[-1]: item for item in result.to_json()}


# ---------------------------------------------------------------------------- the ranking
def test_the_centre_gets_a_ranked_list_with_each_factors_share(staff):
    result = R.recommend(staff, top=10, lang="en")
    # 32230001: 0.35·0.7·900/1000 + 0.2·1 (no work at all) + 0.1·1 (obliged) + 0 + 0.2·1 (PI 张明 made W4)
    # 11930005: 0.35·0.7·0.6 + 0.2·1 (W3 is pending) + 0.1·0.25 (重点: other tier) + 0.2·1
    # 32270002: 0.35·0.7·0.05 + 0.2·0.5 (project popularized, O3 not) + 0.1·0.5 + 0.2·1 (王芳 made W1)
    # 61970003: 0.35·0.7·0.005 (O5, its unpopularized result) + 0.2·0.5 + 0.1·0.5 + 0.2·1 (赵强 made W2)
    assert scores(result) == {"32230001": 0.7205, "11930005": 0.572, "32270002": 0.36225, "61970003": 0.351225}
    assert [item.id for item in result.items] == ["32230001", "11930005", "32270002", "61970003"]
    first = result.to_json()[0]
    assert set(first) >= {"iri", "label", "department", "score", "factors", "reasons"}
    assert first["iri"] == BASE + "project/32230001" and first["label"] == "Mechanisms by which gut microbiota regulate host metabolism"
    assert first["department"] == "C"
    assert first["factors"] == {"significance": 0.2205, "gap": 0.2, "tier": 0.1, "timeliness": 0.0, "capacity": 0.2}
    assert first["result"]["doi"] == "10.1038/rep.2023.0001" and first["result"]["citations"] == 900
    assert any("cited 900 times" in r for r in first["reasons"])
    # An English list names people by their English name when the record has one.
    assert "capacity: the PI Ming Zhang created 1 approved popular-science work" in first["reasons"]
    # Projects without any known output and without a flag are not candidates (61921004, 32270006).
    assert result.candidates == 4


def test_a_small_pool_grows_until_the_list_is_full(staff):
    small = R.recommend(staff, top=4, pool=1)  # the most-cited output brings one project; 4 outputs bring four
    assert small.to_json() == R.recommend(staff, top=4).to_json()
    assert any("成果所属项目" in note and "被引至少" in note for note in small.notes)  # says where it stopped looking


def test_a_chinese_list_gives_its_reasons_and_notes_in_chinese(staff):
    """The centre's staff read the list in Chinese: titles, reasons and notes; factor names and scores stay."""
    first = R.recommend(staff, top=4).to_json()[0]
    assert first["label"] == "肠道菌群调控宿主代谢的机制"
    assert "科普能力：项目负责人 张明 创作了 1 项已审核通过的科普作品" in first["reasons"]
    assert any(r.startswith("重要性：代表性成果被引 900 次") for r in first["reasons"])
    assert any(r.startswith("空缺：没有已审核通过的作品普及该项目") for r in first["reasons"])
    assert "科普义务类别：应当开展科普（1）" in first["reasons"]
    chinese_notes = R.recommend(staff, top=4).notes
    assert chinese_notes[0].startswith("得分 = 0.35×重要性 + 0.2×科普空缺")
    assert "前 4 个中每个科学部最多 2 个" in chinese_notes[1]     # the cap itself, not a formula in code
    english = R.recommend(staff, top=4, lang="en")
    assert english.to_json()[0]["factors"] == first["factors"] and english.notes[0].startswith("score = ")
    assert "at most 2 of the top 4 per department" in english.notes[1]


def test_the_same_graph_and_arguments_give_the_same_list(staff):
    assert R.recommend(staff, top=3).to_json() == R.recommend(staff, top=3).to_json()


def test_filters_by_department_and_year(staff):
    assert [i.id for i in R.recommend(staff, top=5, department="生命科学部").items] == ["32230001", "32270002"]
    assert [i.id for i in R.recommend(staff, top=5, year=2019).items] == ["11930005", "61970003"]


def test_a_theme_lifts_the_projects_that_fit_it(staff):
    plain = scores(R.recommend(staff, top=4))
    themed = R.recommend(staff, top=4, theme="类脑计算与芯片 neuromorphic chips", lang="en")
    assert themed.items[2].id == "61970003"  # overtakes 32270002 only because of the theme
    fit = by_id(themed)["61970003"]
    assert fit["factors"]["timeliness"] == 0.15  # the best-fitting candidate gets the whole weight
    assert scores(themed)["61970003"] > plain["61970003"]
    assert scores(themed)["32270002"] == plain["32270002"]
    assert any("shares" in r and "类脑" in r for r in fit["reasons"])


def test_weights_are_configurable_and_checked(staff):
    weights = R.parse_weights("significance=0,capacity=0.5")
    assert weights == {**R.DEFAULT_WEIGHTS, "significance": 0.0, "capacity": 0.5}
    result = R.recommend(staff, top=4, weights=weights)
    # Without significance, 32230001 (obliged, no work) still leads; 32270002 and 61970003 tie and the IRI decides.
    assert [i.id for i in result.items] == ["32230001", "11930005", "32270002", "61970003"]
    assert scores(result)["32270002"] == scores(result)["61970003"] == 0.65  # 0.2·0.5 + 0.1·0.5 + 0.5·1
    for bad in ("charm=1", "gap=lots", "gap=-1"):
        with pytest.raises(ScipopError):
            R.parse_weights(bad)


def test_the_top_list_is_diverse_across_departments():
    ranked = [R.Candidate(iri=f"p{i:02d}", department="C", score=1 - i / 100) for i in range(9)]
    ranked += [R.Candidate(iri=f"q{i:02d}", department=d, score=0.5 - i / 100) for i, d in enumerate("FFFHH")]
    chosen = R.diversify(ranked, 6)  # at most ceil(6/3) = 2 per department
    assert [c.iri for c in chosen] == ["p00", "p01", "q00", "q01", "q03", "q04"]
    only_two = [c for c in ranked if c.department in "CF"]
    chosen = R.diversify(only_two, 6)  # two departments cannot fill six places two each: the best C's fill up
    assert [c.iri for c in chosen] == ["p00", "p01", "p02", "p03", "q00", "q01"]


# ---------------------------------------------------------------------------- scores move the expected way
def _scored(**change) -> R.Candidate:
    """A middling candidate (500 citations, encouraged tier, result not popularized, a popularizer one hop away,
    half the best theme fit), scored with the default weights after `change`."""
    facts = dict(citations=500, status=V.ResultsUnpopularized, popularized=False, tier=V.TierEncouraged,
                 capacity=Capacity("hops", 1, ("a", "b"), 1), fit=0.5)
    facts.update(change)
    c = R.Candidate(iri="p", department="C", tier=facts["tier"], status=facts["status"], outputs=1,
                    result={"iri": "o", "citations": facts["citations"], "venue": "", "popularized": facts["popularized"]})
    R._score(c, R.DEFAULT_WEIGHTS, {}, facts["capacity"], {"theme"}, facts["fit"], 1.0)
    return c


@pytest.mark.parametrize("factor, change, delta", [
    ("significance", {"citations": 900}, 0.35 * 0.7 * 0.4),               # more citations: up
    ("significance", {"citations": 100}, -0.35 * 0.7 * 0.4),
    ("gap", {"status": V.Popularized, "popularized": True}, -0.2),       # project and result popularized: down
    ("tier", {"tier": V.TierObliged}, 0.1 * 0.5),                         # obliged 1 > encouraged 0.5 > other 0.25
    ("tier", {"tier": V.TierOther}, -0.1 * 0.25),
    ("timeliness", {"fit": 1.0}, 0.15 * 0.5),                             # fits the theme best: up
    ("capacity", {"capacity": Capacity("pi", 0, ("a",), 2)}, 0.2 * 0.5),  # the PI is a popularizer: up
    ("capacity", {"capacity": None}, -0.2 * 0.5),                         # nobody within two hops: down
])
def test_one_factor_changed_alone_moves_the_score_its_way_by_its_weight(factor, change, delta):
    before, after = _scored(), _scored(**change)
    assert after.score - before.score == pytest.approx(delta)
    assert {f for f in R.FACTORS if after.factors[f] != before.factors[f]} == {factor}


def test_a_departments_flag_raises_significance_and_shows_who_and_when(fresh):
    before = scores(R.recommend(fresh, top=4))["61970003"]
    flag_representative(fresh, "61970003", "F", "信息科学部 李老师", at=datetime(2025, 4, 2, tzinfo=timezone.utc))
    result = R.recommend(fresh, top=4, lang="en")
    assert round(scores(result)["61970003"] - before, 6) == round(0.35 * 0.3, 6)
    item = by_id(result)["61970003"]
    assert item["curation"] == "representative achievement of department F (信息科学部 李老师, 2025-04-02)"
    assert any("representative achievement of department F" in r for r in item["reasons"])


def test_a_new_approved_work_on_the_result_closes_the_gap_and_lowers_the_score(fresh):
    before = by_id(R.recommend(fresh, top=4))["32230001"]
    ingest_paths(fresh, [FIXTURE / "later" / "works-later.csv"])  # W5 popularizes O1, 32230001's top result
    after = by_id(R.recommend(fresh, top=4))["32230001"]
    assert before["factors"]["gap"] == 0.2
    # The project is now popularized; its representative result becomes O2 (10 citations, not popularized).
    assert after["factors"]["gap"] == 0.1
    assert after["result"]["doi"] == "10.1016/rep.2024.0002"
    assert after["score"] < before["score"]


def test_capacity_falls_with_distance_to_an_experienced_popularizer(fresh):
    """Who could popularize a result: a co-member of 张明 is one hop from him; the co-author Hua Li has no
    path until the linking step says that OpenAlex author A9000000004 is 赵强, a popularizer."""
    net = build_network(fresh)
    zhang, zhao = fresh.minter.person("nsfc", "100001"), fresh.minter.person("nsfc", "100003")
    li_hua = fresh.minter.person_by_name("李华", "北京大学")
    assert set(net.popularizers) == {str(zhang), str(fresh.minter.person("nsfc", "100002")), str(zhao)}
    reach = net.nearest_popularizer([str(li_hua)])
    assert (reach.distance, reach.popularizer, reach.path) == (1, str(zhang), (str(li_hua), str(zhang)))
    hua_li = BASE + "person/openalex-A9000000002"  # Hua Li, co-author of O1, O2 and O4: no path yet
    assert net.nearest_popularizer([hua_li]).distance is None
    with fresh.write():  # the linking step: OpenAlex author A9000000004 is 赵强
        fresh.update(f"INSERT DATA {{ GRAPH {term_nt(fresh.minter.links_graph())} {{ "
                     f"<{BASE}person/openalex-A9000000004> {SAME_AS} {term_nt(zhao)} }} }}")
    linked = build_network(fresh)
    reach = linked.nearest_popularizer([hua_li])
    assert (reach.distance, reach.popularizer) == (1, str(zhao))
    # Ten people now (A9000000004 became 赵强); four of them have two collaborators, the most.
    top = linked.degree_centrality(top=4)
    assert {person for person, _ in top} == {str(zhang), str(li_hua), str(fresh.minter.person_by_name("赵强", "北京大学")),
                                             hua_li}
    assert [value for _, value in top] == pytest.approx([2 / 9] * 4)
    # {张明, 李华, 赵强 (mention)}, {Ming Zhang (OpenAlex), Hua Li, 赵强}, and four loners
    assert sorted(len(c) for c in linked.components()) == [1, 1, 1, 1, 3, 3]


def test_network_summaries(staff):
    net = build_network(staff)
    components = net.components()
    assert sum(len(c) for c in components) == net.graph.number_of_nodes()
    assert [len(c) for c in components] == sorted((len(c) for c in components), reverse=True)
    between = dict(net.betweenness(top=50))
    # Hua Li is the only link between the authors of O1 and O4; 张明, 李华 and 赵强 form a triangle.
    assert between[BASE + "person/openalex-A9000000002"] == pytest.approx(1 / 45)  # one pair of 11·10/2 - 10
    assert between[str(staff.minter.person("nsfc", "100001"))] == 0.0
    assert net.people_of(BASE + "project/32230001") == tuple(sorted({
        str(staff.minter.person("nsfc", "100001")), str(staff.minter.person_by_name("李华", "北京大学")),
        str(staff.minter.person_by_name("赵强", "北京大学"))}))


# ---------------------------------------------------------------------------- curation
def test_the_centres_decisions_are_kept_and_decided_projects_leave_the_list(fresh):
    record_selection(fresh, "11930005", "rejected", "科普中心 王主任", at=datetime(2025, 5, 1, tzinfo=timezone.utc))
    record_selection(fresh, "32230001", "selected", "科普中心 王主任", at=datetime(2025, 5, 2, tzinfo=timezone.utc))
    assert [i.id for i in R.recommend(fresh, top=4).items] == ["32270002", "61970003"]
    every = R.recommend(fresh, top=4, include_decided=True, lang="en")
    assert by_id(every)["11930005"]["curation"] == "rejected for the special fund (科普中心 王主任, 2025-05-01)"
    record_selection(fresh, "11930005", "selected", "科普中心 赵副主任", at=datetime(2025, 6, 1, tzinfo=timezone.utc))
    history = [(d.project.rsplit("/", 1)[-1], d.selected, d.curator) for d in decisions(fresh)]
    assert history == [("11930005", False, "科普中心 王主任"), ("32230001", True, "科普中心 王主任"),
                       ("11930005", True, "科普中心 赵副主任")]
    latest = by_id(R.recommend(fresh, top=4, include_decided=True, lang="en"))["11930005"]["curation"]
    assert latest.startswith("selected for the special fund (科普中心 赵副主任")


def test_selection_decisions_stay_out_of_the_public_view(fresh):
    from kg.publish import publish
    from kg.views import open_view

    flag_representative(fresh, "32230001", "C", "刘主任")
    record_selection(fresh, "32230001", "rejected", "王主任")
    publish(fresh)
    with open_view(fresh.settings, "public") as public:
        assert [d.kind for d in decisions(public)] == ["representative"]
    with open_view(fresh.settings, "full") as full:
        assert sorted(d.kind for d in decisions(full)) == ["representative", "selection"]


def test_curation_mistakes_are_refused_with_a_fix(fresh):
    with pytest.raises(NotFound):
        flag_representative(fresh, "99999999", "C", "刘主任")
    with pytest.raises(ScipopError) as error:
        flag_representative(fresh, "32230001", "F", "刘主任")
    assert "belongs to department C" in error.value.message and "--department C" in error.value.hint
    with pytest.raises(ScipopError):
        record_selection(fresh, "32230001", "maybe", "王主任")
    with pytest.raises(ScipopError):
        record_selection(fresh, "32230001", "selected", "  ")
    flag_representative(fresh, "32230001", "T", "交叉科学部 陈老师")  # the interdisciplinary department spans all
    assert [d.department for d in decisions(fresh)] == ["T"]


# ---------------------------------------------------------------------------- the command line
def cli(runner, data_dir: Path, *args: str):
    from cli import main

    return runner.invoke(main, ["--data-dir", str(data_dir), "--quiet", *args])


def test_recommend_command_prints_json_with_factors(runner, world):
    result = cli(runner, world, "recommend", "--top", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [i["iri"].rsplit("/", 1)[-1] for i in items] == ["32230001", "11930005"]
    assert set(items[1]["factors"]) == set(R.FACTORS)
    assert abs(sum(items[1]["factors"].values()) - items[1]["score"]) < 1e-3
    table = cli(runner, world, "recommend", "--top", "1", "--theme", "肠道菌群")
    assert table.exit_code == 0 and "32230001" in table.output and "时效性 0.150" in table.output
    english = cli(runner, world, "recommend", "--top", "1", "--theme", "肠道菌群", "--lang", "en")
    assert "timeliness 0.150" in english.output and "- timeliness: shares" in english.output
    bad = cli(runner, world, "recommend", "--weights", "charm=1")
    assert bad.exit_code == 2 and "is not a factor" in bad.output
    none = cli(runner, world, "recommend", "--year", "1990")   # --quiet, and nothing to recommend
    assert none.exit_code == 0 and "No project matches these criteria." in none.output


def test_curate_commands_record_who_and_the_report_shows_it(runner, tmp_path):
    data_dir = load(tmp_path / "scipop-data")
    result = cli(runner, data_dir, "curate", "representative", "32230001", "--department", "C", "--by", "刘主任",
                 "--no-publish")
    assert result.exit_code == 0, result.output
    result = cli(runner, data_dir, "curate", "select", "32230001", "--decision", "selected", "--by", "王主任",
                 "--no-publish")
    assert result.exit_code == 0, result.output
    log = cli(runner, data_dir, "report", "curation", "--format", "json")
    rows = json.loads(log.output)["rows"]
    assert [(r["kind"], r["by"], r["decision"]) for r in rows] == [("representative", "刘主任", None),
                                                                  ("selection", "王主任", "selected")]
    assert all(r["at"][:4].isdigit() for r in rows)
    wrong = cli(runner, data_dir, "curate", "representative", "32230001", "--department", "F", "--by", "刘主任",
                "--no-publish")
    assert wrong.exit_code == 2 and "Fix:" in wrong.output


def test_a_store_without_the_materialized_tables_gives_the_same_list(fresh):
    expected = R.recommend(fresh, top=4).to_json()
    with fresh.write():
        for name in rollup.RECOMMEND_TABLES:
            fresh.update(f"DELETE WHERE {{ GRAPH ?g {{ {term_nt(fresh.minter.derived_table(name))} ?p ?o }} }}")
    assert R.recommend(fresh, top=4).to_json() == expected
    assert R.recommend(fresh, top=4, network=build_network(fresh)).to_json() == expected


def test_a_large_graph_builds_its_network_in_a_second_process_with_the_same_tables(fresh, monkeypatch):
    """From NETWORK_APART_FROM projects on, a derive builds the collaboration network in a child
    process, from a checkpoint of the store it is writing, while it computes the facts: the same
    derived graph."""
    from kg import derive

    here = derive.compute(fresh)
    monkeypatch.setattr(derive, "NETWORK_APART_FROM", 1)
    with derive._network_apart(fresh, 1) as made:
        made_apart = made()   # by a child process
    assert made_apart == rollup.network_facts(fresh) and made_apart.capacity
    apart = derive.compute(fresh)
    assert sorted(map(str, apart)) == sorted(map(str, here))
    assert not (fresh.settings.data_dir / derive.NETWORK_SNAPSHOT).exists()   # the child's checkpoint is gone
    tables = [str(o) for s, p, o in apart if p == V.aggregateTable and "recommend-candidates" in str(s)]
    assert any('"candidates":[[' in text for text in tables)


def test_each_projects_capacity_is_kept_in_the_shard_its_iri_names(fresh):
    """At 200,000 projects one table of every project's capacity outgrew a statement (Oxigraph
    parses at most 16 MB a line): it is kept in shards, and a request reads only its projects'."""
    names = [rollup.capacity_shard(i) for i in range(rollup.CAPACITY_SHARDS)]
    shards = {name: rollup.read_table(fresh, name) for name in names}
    assert all(table is not None for table in shards.values())
    kept = {p: c for name, table in shards.items() for p, c in table["projects"].items()
            if rollup.capacity_name(p) == name}
    assert kept == rollup.network_facts(fresh).capacity and kept
    assert sum(len(table["projects"]) for table in shards.values()) == len(kept)   # each in its own shard only


def test_a_flagged_project_outside_the_pool_gets_its_capacity_from_its_shard(fresh):
    flag_representative(fresh, "61970003", "F", "信息科学部 李老师")   # outside a pool of the top output alone
    from_shards = by_id(R.recommend(fresh, top=2, pool=1))
    assert from_shards["61970003"]["factors"]["capacity"] == 0.2       # its PI created an approved work
    assert from_shards == by_id(R.recommend(fresh, top=2, pool=1, network=build_network(fresh)))
