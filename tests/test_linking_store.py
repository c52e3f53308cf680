"""End to end: the small world of tests/data/linking/world ingested through ingest_paths, linked,
and asked what users ask: who is who, why, and do curators' decisions hold."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from cli import main
from ingest.pipeline import ingest_paths
from kg import vocab as V
from kg.config import Settings
from kg.iri import Minter
from kg.errors import NotFound
from kg.linking import explain_link, run_linking
from kg.linking.curation import load_decisions, record_decision
from kg.store import KnowledgeGraph
from kg.validation import validate_graph

WORLD = Path(__file__).resolve().parent / "data" / "linking" / "world"


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory) -> Path:
    """The world ingested and linked once; tests that write work on a copy (see `world_copy`)."""
    data_dir = tmp_path_factory.mktemp("linking") / "scipop-data"
    with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
        ingest_paths(kg, [WORLD])
        with kg.write():
            run_linking(kg)
    return data_dir


@pytest.fixture
def world(world_dir):
    with KnowledgeGraph(Settings(data_dir=world_dir), read_only=True) as kg:
        yield kg


@pytest.fixture
def world_copy(world_dir, tmp_path):
    target = tmp_path / "scipop-data"
    shutil.copytree(world_dir, target)
    with KnowledgeGraph(Settings(data_dir=target)) as kg:
        yield kg


def people(kg: KnowledgeGraph) -> dict[str, str]:
    """Every person IRI -> the identity it resolves to, the way downstream queries resolve it."""
    rows = kg.select("""SELECT DISTINCT ?x ?person WHERE { ?x a sp:Researcher .
        OPTIONAL { ?x owl:sameAs ?c } BIND(COALESCE(?c, ?x) AS ?person) }""")
    return {str(r["x"]): str(r["person"]) for r in rows}


def same_as_graph(kg: KnowledgeGraph, prefix: str) -> Graph:
    graph = Graph()
    for s, p, o in kg.triples_of(kg.minter.links_graph()):
        if p == V.sameAs and str(s).startswith(prefix):
            graph.add((s, p, o))
    return graph


def test_each_researcher_is_one_identity_across_sources(world):
    m = world.minter
    nsfc, orcid, openalex = (lambda i: m.person("nsfc", i)), (lambda i: m.person("orcid", i)), (lambda i: m.person("openalex", i))
    by_name = m.person_by_name
    expected = {
        nsfc("100000001"): [by_name("王伟", "清华大学"), openalex("A5090000001"), by_name("王伟"),
                            by_name("Wei Wang", "Department of Computer Science and Technology, Tsinghua University, Beijing 100084, China")],
        nsfc("100000002"): [by_name("王伟", "浙江大学"), openalex("A5090000007")],
        nsfc("100000003"): [openalex("A5090000004"), by_name("Zeng, Zhiqiang")],
        nsfc("100000004"): [by_name("单田芳", "南京大学"), openalex("A5090000003")],
        nsfc("100000005"): [orcid("0000-0002-1694-233X"), by_name("李娜", "中山大学"), by_name("李娜"), openalex("A5090000008")],
        nsfc("100000007"): [by_name("欧阳晓明", "华中科技大学"), openalex("A5090000006"), by_name("Ouyang, Xiaoming")],
        nsfc("100000008"): [by_name("张敏", "华中科技大学"), openalex("A5090000005"), openalex("A5090000010"),
                            by_name("Zhang, Min")],
        by_name("Hao Chen", "Department of Computer Science and Technology, Tsinghua University, Beijing 100084, China"):
            [openalex("A5090000002")],
    }
    want = Graph()
    for canonical, members in expected.items():
        for member in members:
            want.add((member, V.sameAs, canonical))
    assert isomorphic(same_as_graph(world, m.base + "person/"), want)


def test_common_names_and_pinyin_look_alikes_stay_apart(world):
    resolved = people(world)
    m = world.minter
    wang_wei_tsinghua, wang_wei_zju, wang_wei_other = (str(m.person("nsfc", i)) for i in ("100000001", "100000002", "100000006"))
    assert len({resolved[wang_wei_tsinghua], resolved[wang_wei_zju], resolved[wang_wei_other]}) == 3
    assert resolved[str(m.person_by_name("陈浩"))] != resolved[str(m.person("openalex", "A5090000002"))]


def test_institutions_in_both_languages_and_as_affiliation_strings_are_one(world):
    m = world.minter
    want = Graph()
    for name in ("清华大学", "Department of Computer Science and Technology, Tsinghua University, Beijing 100084, China"):
        want.add((m.institution(name), V.sameAs, m.institution("", "03cve4549")))
    for zh, ror in (("浙江大学", "00a2xv884"), ("南京大学", "01rxvg760"), ("华中科技大学", "00p991c53")):
        want.add((m.institution(zh), V.sameAs, m.institution("", ror)))
    want.add((m.institution("Sun Yat-sen University"), V.sameAs, m.institution("中山大学")))
    assert isomorphic(same_as_graph(world, m.base + "org/"), want)


def test_a_paper_harvested_twice_without_doi_is_one_output(world):
    rows = world.select("""SELECT ?o ?c WHERE { ?o a sp:ResearchOutput ; dcterms:title ?t ; owl:sameAs ?c .
                           FILTER(CONTAINS(LCASE(STR(?t)), "zebrafish")) }""")
    assert len(rows) == 1
    canonical = rows[0]["c"]
    assert world.select(f"SELECT ?t WHERE {{ <{canonical}> dcterms:title ?t }}")


def test_a_project_counts_a_paper_harvested_twice_as_one_output(world_copy):
    from kg import derive

    project = world_copy.minter.project("32071234")
    with world_copy.write():
        derive.refresh(world_copy)
    records = world_copy.select(f"SELECT DISTINCT ?o WHERE {{ ?o sp:resultOf <{project}> ; a sp:ResearchOutput }}")
    identities = world_copy.select(f"""SELECT DISTINCT ?c WHERE {{ ?o sp:resultOf <{project}> ; a sp:ResearchOutput .
        OPTIONAL {{ ?o owl:sameAs ?s }} BIND(COALESCE(?s, ?o) AS ?c) }}""")
    assert len(records) == len(identities) + 1   # the zebrafish paper, from OpenAlex and from OAI-PMH
    counted = world_copy.select(f"SELECT ?n WHERE {{ <{project}> sp:outputCount ?n }}")
    assert [int(row["n"]) for row in counted] == [len(identities)]


def test_every_merge_has_a_decision_with_method_confidence_and_evidence_that_fits_the_shapes(world):
    links = Graph()
    for triple in world.triples_of(world.minter.links_graph()):
        links.add(triple)
    decisions = set(links.subjects(V.linkRelation, V.sameAs))
    same_as = list(links.triples((None, V.sameAs, None)))
    assert len(decisions) == len(same_as)     # one decision per joined IRI (a tree per identity)
    for decision in decisions:
        assert (decision, V.linkMethod, None) in links and links.value(decision, V.evidence)
        assert 0.9 <= float(links.value(decision, V.confidence)) <= 1.0
    assert validate_graph(links) == []


def test_explain_link_walks_the_decisions_from_the_paper_author_to_the_pi(world):
    m = world.minter
    lines = explain_link(world, str(m.person("openalex", "A5090000001")), str(m.person("nsfc", "100000001")))
    text = "\n".join(lines)
    assert "Same entity" in text and "61772368" in text and "Wei Wang" in text
    assert any(line.lstrip().startswith("1.") for line in lines)


def test_a_researcher_page_says_in_its_language_how_each_other_record_was_joined(world_dir, tmp_path):
    """The researcher page lists the same person's records in other sources: each with the
    linking method in the page's language, the confidence and the evidence (as an output's
    link to its project shows), not explain-link's English transcript of raw IRIs."""
    from kg.concepts import pref_label
    from kg.publish import publish
    from web import create_app

    target = tmp_path / "scipop-data"
    shutil.copytree(world_dir, target)
    settings = Settings(data_dir=target)
    with KnowledgeGraph(settings) as kg:
        publish(kg)
    app = create_app({"settings": settings, "SCIPOP_SECRET_KEY": "test-secret-key-for-the-web-tests-only",
                      "SCIPOP_SPARQL_WORKERS": 1})
    try:
        pi = Minter(settings.base_iri).person("nsfc", "100000001")
        page = app.test_client().get(urlsplit(str(pi)).path + "?lang=zh", headers={"Accept": "text/html"})
        text = page.get_data(as_text=True)
    finally:
        app.extensions["scipop"].sparql.close()
    assert page.status_code == 200
    records = text[text.index("其他来源中的同一人"):]
    assert pref_label(V.MethodGrantTeam, "zh") in records and "置信度" in records and "61772368" in records
    assert "Same entity" not in text and "&lt;http" not in text


def test_explain_link_says_why_two_wang_wei_are_not_one(world):
    m = world.minter
    lines = explain_link(world, str(m.person("nsfc", "100000001")), str(m.person("nsfc", "100000006")))
    assert lines[-2].startswith("Different entities")
    assert "name alone" in lines[-1]
    with pytest.raises(NotFound):
        explain_link(world, str(m.person("nsfc", "999")), str(m.person("nsfc", "100000006")))


def test_records_under_review_never_reach_the_links_graph(world):
    """The pending registry row of 胡思远 is not read: no identity and no evidence text rests on it."""
    m = world.minter
    pending = m.person("nsfc", "100000010")
    links_text = " ".join(str(o) for s, p, o in world.triples_of(m.links_graph()) if isinstance(o, Literal))
    assert "胡思远" not in links_text
    assert not any(pending in (s, o) for s, p, o in world.triples_of(m.links_graph()))


def test_a_curator_split_wins_and_survives_a_reingest(world_copy):
    kg = world_copy
    author, pi = str(kg.minter.person("openalex", "A5090000001")), str(kg.minter.person("nsfc", "100000001"))
    with kg.write():
        record_decision(kg, author, pi, same=False, curator="Zhao Min", note="a student of the same name")
        run_linking(kg)
    assert people(kg)[author] != people(kg)[pi]
    ingest_paths(kg, [WORLD / "openalex.jsonl"])           # the source comes again
    with kg.write():
        run_linking(kg)
    assert people(kg)[author] != people(kg)[pi]
    assert any(d.curator == "Zhao Min" and not d.same for d in load_decisions(kg))
    assert "curator Zhao Min split them" in "\n".join(explain_link(kg, author, pi))


def test_a_curator_merge_from_a_csv_file_joins_what_the_evidence_could_not(world_copy, tmp_path, runner):
    kg = world_copy
    repository, openalex = str(kg.minter.person_by_name("陈浩")), str(kg.minter.person("openalex", "A5090000002"))
    sheet = tmp_path / "curation.csv"
    sheet.write_text(f"action,a,b,curator,note\nmerge,{repository},{openalex},Li Lei,same lab page\n", encoding="utf-8")
    data_dir = str(kg.settings.data_dir)
    kg.close()
    result = runner.invoke(main, ["--data-dir", data_dir, "--quiet", "link", "--curation", str(sheet), "--no-publish",
                                  "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["curator_decisions"] == 1 and summary["methods"]["curator"] == 1
    with KnowledgeGraph(Settings(data_dir=Path(data_dir))) as again:
        ingest_paths(again, [WORLD / "oai_pmh.xml"])
        with again.write():
            run_linking(again)
        assert people(again)[repository] == people(again)[openalex]


@pytest.mark.parametrize("sheet_text, encoding, said", [
    # Excel on Chinese Windows saves CSV as GBK unless told otherwise.
    ("action,a,b,curator,note\nmerge,{a},{b},李雷,同一实验室\n", "gbk", "line 2: is not UTF-8 text. Fix: Save it as UTF-8"),
    ("action,a,b,curator,note\njoin,{a},{b},Li Lei,\n", "utf-8", "line 2, field 'action': the action is not merge or split"),
])
def test_a_curation_sheet_that_cannot_be_read_is_refused_with_the_fix(world_copy, tmp_path, runner, sheet_text,
                                                                       encoding, said):
    """Never a traceback, and never advice the command cannot take (`link` has no --skip-invalid)."""
    kg = world_copy
    a, b = str(kg.minter.person_by_name("陈浩")), str(kg.minter.person("openalex", "A5090000002"))
    sheet = tmp_path / "curation.csv"
    sheet.write_bytes(sheet_text.format(a=a, b=b).encode(encoding))
    data_dir = str(kg.settings.data_dir)
    kg.close()
    result = runner.invoke(main, ["--data-dir", data_dir, "--quiet", "link", "--curation", str(sheet), "--no-publish"])
    assert result.exit_code == 2 and said in result.output and "Traceback" not in result.output, result.output
    assert "--skip-invalid" not in result.output


def test_the_cli_links_explains_and_records_curator_decisions(world_copy, runner):
    kg = world_copy
    data_dir = str(kg.settings.data_dir)
    a, b = str(kg.minter.person("nsfc", "100000001")), str(kg.minter.person("openalex", "A5090000001"))
    kg.close()
    explained = runner.invoke(main, ["--data-dir", data_dir, "explain-link", a, b])
    assert explained.exit_code == 0 and "Same entity" in explained.output
    split = runner.invoke(main, ["--data-dir", data_dir, "--quiet", "curate", "split", a, b, "--by", "Zhao Min", "--relink"])
    assert split.exit_code == 0, split.output
    explained = runner.invoke(main, ["--data-dir", data_dir, "explain-link", a, b, "--format", "json"])
    assert "Different entities" in "\n".join(json.loads(explained.output)["lines"])
    missing = runner.invoke(main, ["--data-dir", data_dir, "curate", "merge", a, "https://example.org/nobody", "--by", "Zhao Min"])
    assert missing.exit_code == 2 and "Error:" in missing.output
    nameless = runner.invoke(main, ["--data-dir", data_dir, "curate", "merge", a, b, "--by", " "])
    assert nameless.exit_code == 2 and "curator's name" in nameless.output


def test_linking_again_rewrites_only_what_changed(world_copy):
    """A second run over unchanged sources touches only the run's stamp; without its state file it reloads all."""
    kg = world_copy
    before = {t for t in kg.triples_of(kg.minter.links_graph()) if t[1] != V.generatedAtTime}
    with kg.write():
        again = run_linking(kg)
    assert (again.quads_removed, again.quads_added) == (1, 1)
    (kg.settings.data_dir / "links.nq").unlink()
    with kg.write():
        reloaded = run_linking(kg)
    after = {t for t in kg.triples_of(kg.minter.links_graph()) if t[1] != V.generatedAtTime}
    assert reloaded.quads_added == len(after) + 1 and after == before


def test_linking_again_reads_from_the_store_only_the_files_ingested_since(world_copy, tmp_path):
    """Each source graph's rows are kept under its file's fingerprint (sha256 and load time):
    a re-link reads no source graph from the store; after a re-ingest, only that file's."""
    from kg.linking.read import CACHE_DIR
    from kg.linking.run import READS

    kg = world_copy
    before = {t for t in kg.triples_of(kg.minter.links_graph()) if t[1] != V.generatedAtTime}
    with kg.write():
        again = run_linking(kg)
    assert again.reads_from_store == 0 and again.reads_cached > 0
    copy = tmp_path / "again" / WORLD.name        # ingested as the same source (same graph) again:
    copy.mkdir(parents=True)                        # a new load time, so a new fingerprint
    shutil.copy(WORLD / "oai_pmh.xml", copy)
    ingest_paths(kg, [copy])
    with kg.write():
        third = run_linking(kg)
    assert third.reads_from_store == len(READS) and third.reads_cached == again.reads_cached - len(READS)
    after = {t for t in kg.triples_of(kg.minter.links_graph()) if t[1] != V.generatedAtTime}
    assert after == before
    # The re-ingested file's old rows are gone: one file per (graph, read) in use.
    assert len(list((kg.settings.data_dir / CACHE_DIR).iterdir())) == third.reads_cached + third.reads_from_store


def test_kept_reads_give_the_rows_of_the_store_and_a_damaged_file_is_read_again(world, tmp_path):
    from kg.catalog import source_fingerprints
    from kg.linking.read import GraphReader, InputCache
    from kg.linking.run import READS

    plain = GraphReader(world)
    expected = {read: sorted(plain.rows(*read)) for read in READS}
    directory = tmp_path / "inputs"
    for attempt in range(3):
        cache = InputCache(directory, source_fingerprints(world))
        reader = GraphReader(world, cache)
        reader.plan(READS)
        try:
            assert {read: sorted(reader.rows(*read)) for read in READS} == expected
        finally:
            reader.close()
        if attempt == 0:
            assert cache.hits == 0 and cache.misses > 0
            damaged = sorted(directory.iterdir())[0]
            damaged.write_bytes(b"not a pickle")
        elif attempt == 1:
            assert cache.misses == 1     # the damaged file, read again and kept
        else:
            assert cache.misses == 0


def test_reads_announced_ahead_give_the_same_rows_in_any_order_and_leave_no_files(world):
    from kg.linking.read import GraphReader
    from kg.linking.run import READS

    plain = GraphReader(world)
    expected = {read: sorted(plain.rows(*read)) for read in READS}
    ahead = GraphReader(world)
    ahead.plan(READS)
    try:
        # Asked out of order (the third before the second), and the last never asked for.
        for read in [READS[0], READS[2], READS[1]] + READS[3:-1]:
            assert sorted(ahead.rows(*read)) == expected[read], read
    finally:
        ahead.close()
    assert not list(world.settings.data_dir.glob("*.tsv"))


def test_reads_ahead_stop_while_their_unused_results_pass_the_byte_bound(world, tmp_path, monkeypatch):
    """The threads read on while the caller splits a result, but not past READ_AHEAD_BYTES of
    results done and waiting (one huge source file must not fill memory): here a bound of
    one byte, so once a result waits only the reads already running end."""
    import time

    from kg.catalog import source_fingerprints
    from kg.linking import read
    from kg.linking.run import READS

    monkeypatch.setattr(read, "READ_AHEAD_BYTES", 1)
    expected = {r: sorted(read.GraphReader(world).rows(*r)) for r in READS}
    reader = read.GraphReader(world, read.InputCache(tmp_path / "inputs", source_fingerprints(world)))
    reader.plan(READS)
    try:
        time.sleep(1)   # the reads started by plan() end; a bound that did not hold would start more
        with reader._lock:
            done = [future for future in reader._pending.values() if future.done()]
            assert 1 <= len(done) <= read.READ_THREADS and len(reader._pending) <= read.READ_THREADS
        assert {r: sorted(reader.rows(*r)) for r in READS} == expected   # and every read still comes
    finally:
        reader.close()


def test_the_reads_announced_are_the_reads_linking_makes_in_that_order(world_copy, monkeypatch):
    from kg.linking import read, run

    asked = []
    rows = read.GraphReader.rows
    monkeypatch.setattr(read.GraphReader, "rows", lambda self, v, p: asked.append((v, p)) or rows(self, v, p))
    with world_copy.write():
        run_linking(world_copy)
    assert [a for a in asked if "VALUES" not in a[1]] == run.READS


def test_a_linking_step_that_fails_leaves_the_store_as_it_was(world_copy, monkeypatch):
    """The write is rolled back, which restores the checkpoint: only possible once linking's
    reader has let go of the open store (the failure's traceback keeps the reader alive)."""
    from kg.linking import run

    kg = world_copy
    before = set(kg.triples_of(kg.minter.links_graph()))
    count = kg.count_triples()

    def fail(*args, **kwargs):
        raise RuntimeError("person resolution failed")

    monkeypatch.setattr(run, "resolve_persons", fail)
    with pytest.raises(RuntimeError, match="person resolution failed"):
        with kg.write():
            run_linking(kg)
    assert kg.count_triples() == count and set(kg.triples_of(kg.minter.links_graph())) == before


def _count_loads(kg, monkeypatch) -> list[list[int]]:
    """The lines of each bulk load the store makes from now on (part files are gone at the end)."""
    loaded = []
    load_parts = kg.load_parts

    def load_and_count(parts):
        parts = list(parts)
        loaded.append([part.read_text(encoding="utf-8").count("\n") for part in parts])
        load_parts(parts)

    monkeypatch.setattr(kg, "load_parts", load_and_count)
    return loaded


def _parts_seen_during_resolution(kg, monkeypatch) -> list[int]:
    """How many part files exist each time person resolution hands decisions on."""
    from kg.linking import run
    from kg.linking.links_graph import PARTS_DIR

    seen = []
    resolve = run.resolve_persons

    def watched(data, progress=None, decided=None):
        def decided_and_seen(decisions):
            decided(decisions)
            seen.append(len(list((kg.settings.data_dir / PARTS_DIR).glob("part-*.nq"))))
        return resolve(data, progress, decided_and_seen)

    monkeypatch.setattr(run, "resolve_persons", watched)
    return seen


def test_a_first_link_loads_what_it_decides_as_it_goes_and_keeps_it_for_the_next_run(world_copy, monkeypatch):
    """Without a state file the links graph is loaded whole, in parts handed to a background
    load while persons are still being resolved, a bulk load per part. The graph is the same
    as the last run's, its state file loaded in one piece gives the same quads, no part file
    is left, and the next run follows the state file."""
    from kg.linking import links_graph
    from kg.linking.links_graph import PARTS_DIR, STATE_FILE

    kg = world_copy
    # Parts of a few lines: the small world then makes many (at scale, half a million lines each).
    monkeypatch.setattr(links_graph, "PART_LINES", 40)
    loaded = _count_loads(kg, monkeypatch)
    links = kg.minter.links_graph()
    before = {t for t in kg.triples_of(links) if t[1] != V.generatedAtTime}
    (kg.settings.data_dir / STATE_FILE).unlink()
    handed_on_during_resolution = _parts_seen_during_resolution(kg, monkeypatch)
    with kg.write():
        first = run_linking(kg)
    assert max(handed_on_during_resolution) > 2   # the stamp, the institutions, decisions…
    assert len(loaded) > 2 and all(len(lines) == 1 for lines in loaded)   # one bulk load per part …
    assert all(lines == [40] for lines in loaded[:-1]) and 0 < loaded[-1][0] <= 40   # … of PART_LINES lines
    after = {t for t in kg.triples_of(links) if t[1] != V.generatedAtTime}
    assert after == before and first.quads_added == len(after) + 1
    state = ox.Store()   # in memory: it writes literals in the same canonical form as the store
    state.load(path=str(kg.settings.data_dir / STATE_FILE), format=ox.RdfFormat.N_QUADS)
    assert set(state) == set(kg.backend.ox.quads_for_pattern(None, None, None, ox.NamedNode(str(links))))
    assert not (kg.settings.data_dir / PARTS_DIR).exists()
    monkeypatch.undo()
    with kg.write():
        again = run_linking(kg)
    assert (again.quads_removed, again.quads_added) == (1, 1)   # the state file is followed: only the stamp


def test_a_followed_link_writes_its_lines_out_as_it_goes_and_loads_only_the_changes(world_copy, monkeypatch):
    """A run that follows the state file holds no line until the end (at 200,000 projects
    that cost 0.76 GB): its lines go to part files during resolution, none of them is loaded,
    and at the end only the lines that changed are deleted and loaded."""
    from kg.linking import links_graph
    from kg.linking.links_graph import PARTS_DIR, STATE_FILE

    kg = world_copy
    monkeypatch.setattr(links_graph, "PART_LINES", 40)
    links = kg.minter.links_graph()
    before = {t for t in kg.triples_of(links) if t[1] != V.generatedAtTime}
    state_before = (kg.settings.data_dir / STATE_FILE).read_text(encoding="utf-8").splitlines()
    loaded = _count_loads(kg, monkeypatch)
    parts_during_resolution = _parts_seen_during_resolution(kg, monkeypatch)
    with kg.write():
        again = run_linking(kg)
    assert max(parts_during_resolution) > 2 and loaded == [[1]]   # parts written, not loaded: one load, of the stamp
    assert (again.quads_removed, again.quads_added) == (1, 1)      # only the run's stamp
    assert {t for t in kg.triples_of(links) if t[1] != V.generatedAtTime} == before
    state = (kg.settings.data_dir / STATE_FILE).read_text(encoding="utf-8").splitlines()
    # The same lines in the same order, under the new run's stamp (the comment and the stamp's quad).
    assert state[2:] == state_before[2:] and state[:2] != state_before[:2]
    assert not (kg.settings.data_dir / PARTS_DIR).exists()


def test_a_state_file_that_repeats_a_line_loses_no_statement_on_the_next_link(world_copy):
    """A damaged state file (a line written twice) under the right stamp: the run follows it,
    and the repeated statement, still made, stays in the links graph."""
    from kg.linking.links_graph import STATE_FILE

    kg = world_copy
    links, state = kg.minter.links_graph(), kg.settings.data_dir / STATE_FILE
    before = {t for t in kg.triples_of(links) if t[1] != V.generatedAtTime}
    lines = state.read_text(encoding="utf-8").splitlines(keepends=True)
    same_as = next(line for line in lines if str(V.sameAs) in line)
    state.write_text("".join(lines + [same_as]), encoding="utf-8")
    with kg.write():
        again = run_linking(kg)
    assert (again.quads_removed, again.quads_added) == (1, 1)      # only the run's stamp
    assert {t for t in kg.triples_of(links) if t[1] != V.generatedAtTime} == before


def _fail_resolution(monkeypatch) -> None:
    """Person resolution hands its decisions on, then fails."""
    from kg.linking import run

    resolve = run.resolve_persons

    def fail(data, progress=None, decided=None):
        resolve(data, progress, decided)
        raise RuntimeError("person resolution failed")

    monkeypatch.setattr(run, "resolve_persons", fail)


def _what_linking_leaves(kg: KnowledgeGraph) -> tuple:
    """The triple count, the links graph, the state file and the data directory's files."""
    from kg.linking.links_graph import STATE_FILE

    return (kg.count_triples(), set(kg.triples_of(kg.minter.links_graph())),
            (kg.settings.data_dir / STATE_FILE).read_bytes(), sorted(p.name for p in kg.settings.data_dir.iterdir()))


def _linking_fails_and_leaves_all_as_it_was(kg: KnowledgeGraph) -> None:
    from kg.linking.links_graph import PARTS_DIR

    before = _what_linking_leaves(kg)
    with pytest.raises((RuntimeError, OSError), match="person resolution failed|disk full"):
        with kg.write():
            run_linking(kg)
    assert _what_linking_leaves(kg) == before   # no parts, no .tmp
    assert not (kg.settings.data_dir / PARTS_DIR).exists()


@pytest.mark.parametrize("failing", ["resolution", "delete", "load"])
def test_a_followed_link_that_fails_leaves_the_store_and_its_state_as_they_were(world_copy, monkeypatch, failing):
    """A run that follows the state file and fails, during resolution or while it deletes
    and loads the changes, leaves the links graph, the state file and the data directory
    as they were, and the next run follows the state file again."""
    kg = world_copy
    if failing == "resolution":
        _fail_resolution(monkeypatch)
    else:
        method = {"delete": "delete_lines", "load": "load_lines"}[failing]
        original = getattr(kg, method)

        def fail(*args):
            original(*args)
            raise OSError("disk full")

        monkeypatch.setattr(kg, method, fail)
    _linking_fails_and_leaves_all_as_it_was(kg)
    monkeypatch.undo()
    with kg.write():
        again = run_linking(kg)
    assert (again.quads_removed, again.quads_added) == (1, 1)


@pytest.mark.parametrize("failing", ["resolution", "load", "load midway"])
def test_a_first_link_that_fails_midway_leaves_the_store_and_its_state_as_they_were(world_copy, monkeypatch, failing):
    """A state file written for another stamp (a restored store) makes the run load the
    graph whole. When person resolution fails after handing its decisions on, or the load
    itself fails, the write is rolled back, and the old state file, the links graph and
    the data directory are as they were."""
    from kg.linking.links_graph import STATE_FILE

    kg = world_copy
    state = kg.settings.data_dir / STATE_FILE
    stamp, rest = state.read_text(encoding="utf-8").split("\n", 1)
    state.write_text("# 2001-01-01T00:00:00.000000Z\n" + rest, encoding="utf-8")
    if failing == "resolution":
        _fail_resolution(monkeypatch)
    elif failing == "load":
        def fail(parts):
            next(iter(parts))
            raise OSError("disk full")

        monkeypatch.setattr(kg, "load_parts", fail)
    else:   # parts of a few lines: two are loaded, the third fails
        from kg.linking import links_graph

        monkeypatch.setattr(links_graph, "PART_LINES", 40)
        load_parts, loads = kg.load_parts, []

        def fail(parts):
            loads.append(parts)
            if len(loads) == 3:
                raise OSError("disk full")
            load_parts(parts)

        monkeypatch.setattr(kg, "load_parts", fail)
    _linking_fails_and_leaves_all_as_it_was(kg)


def test_a_background_load_that_fails_loads_nothing_after_and_says_why(world_copy, monkeypatch):
    """The first link's parts are bulk-loaded one by one in a thread. When one load fails,
    no later part is loaded, the thread ends, and the next part handed on (or the wait for
    the end) raises the load's own error."""
    from kg.linking.links_graph import _BackgroundLoad

    kg = world_copy
    parts = []
    for n in range(3):
        part = kg.settings.data_dir / f"part-{n}.nq"
        part.write_text(f'<https://example.org/s{n}> <https://example.org/p> "o" <https://example.org/g> .\n',
                        encoding="utf-8")
        parts.append(part)
    loaded = []

    def load_parts(given):
        loaded.append([p.name for p in given])
        if len(loaded) == 2:
            raise OSError("disk full")

    monkeypatch.setattr(kg, "load_parts", load_parts)
    load = _BackgroundLoad(kg)
    load.add(parts[0])
    load.add(parts[1])
    load._loader.join(timeout=30)   # the second load failed: the thread has ended
    with pytest.raises(OSError, match="disk full"):
        load.add(parts[2])
    with pytest.raises(OSError, match="disk full"):
        load.finish()
    assert loaded == [["part-0.nq"], ["part-1.nq"]] and not load._loader.is_alive()


def _world_export(folder: Path, file: str, record_id: str, status: str) -> Path:
    """A copy of one world file, as the same source (world/<file>), with one record's review status changed."""
    export = folder / WORLD.name
    export.mkdir(parents=True)
    rows = (WORLD / file).read_text(encoding="utf-8").splitlines()
    (export / file).write_text("\n".join(
        row.replace(",approved", f",{status}") if row.startswith(record_id + ",") else row for row in rows) + "\n",
        encoding="utf-8")
    return export


def _public_links(kg: KnowledgeGraph) -> set:
    """The links graph of the current public view, and what it must hold: the working store's
    links graph without statements naming a withheld entity, nor decisions about one."""

    from kg.publish import _decisions_naming, restricted_only_entities
    from kg.views import open_view

    graph = ox.NamedNode(str(kg.minter.links_graph()))
    hidden = restricted_only_entities(kg)
    withheld, = _decisions_naming(kg, hidden)
    expected = {(q.subject, q.predicate, q.object) for q in kg.backend.ox.quads_for_pattern(None, None, None, graph)
                if q.subject.value not in hidden and q.subject.value not in withheld
                and not (isinstance(q.object, ox.NamedNode) and q.object.value in hidden)}
    with open_view(kg.settings, "public") as public:
        found = {(q.subject, q.predicate, q.object) for q in public.backend.ox.quads_for_pattern(None, None, None, graph)}
    return found, expected


def test_publishing_after_a_relink_follows_the_journal_for_the_links_graph(world_copy):
    """A re-link changes a few links; the next publication changes the same statements in the
    public view's links graph, found from the change journal, instead of copying the graph again."""
    from kg.publish import publish

    kg = world_copy
    m = kg.minter
    publish(kg)
    with kg.write():
        record_decision(kg, str(m.person("nsfc", "100000002")), str(m.person("openalex", "A5090000007")),
                        same=False, curator="Zhao Min", note="two people")
        summary = run_linking(kg)
    assert summary.quads_removed > 1   # more than the stamp changed
    followed = publish(kg)
    found, expected = _public_links(kg)
    assert found == expected and len(found) > 50
    assert (m.person("openalex", "A5090000007"), V.sameAs, m.person("nsfc", "100000002")) not in {
        (URIRef(s.value), URIRef(p.value), URIRef(o.value)) for s, p, o in found}

    # Without the journal the graph is copied again, with the same result.
    (kg.settings.data_dir / "changes.log").unlink()
    with kg.write():
        record_decision(kg, str(m.person("nsfc", "100000002")), str(m.person("openalex", "A5090000007")),
                        same=True, curator="Zhao Min", note="one person after all")
        run_linking(kg)
    copied = publish(kg)
    assert copied.copied_graphs == followed.copied_graphs + 1
    found, expected = _public_links(kg)
    assert found == expected


def test_a_work_withheld_after_linking_is_not_named_by_public_link_evidence(world_copy, tmp_path):
    """`scipop ingest` publishes without linking: a work put back under review by a new export
    must not reach the public through the evidence of a decision made when it was approved."""
    from kg.publish import publish
    from kg.views import open_view

    kg = world_copy
    publish(kg)
    text = next(str(o) for _, _, o in kg.triples_of(kg.minter.links_graph())
                if "LKW001" in str(o) and "popular-science work" in str(o))
    label = text.split("popular-science work ", 1)[1].split(" ", 1)[0]
    ingest_paths(kg, [_world_export(tmp_path, "works.csv", "LKW001", "pending")])
    publish(kg)
    with open_view(kg.settings, "public") as public:
        evidence = [str(o) for _, _, o in public.triples_of(kg.minter.links_graph()) if _ == V.evidence]
        assert evidence and not any(label in text for text in evidence)
        # Decisions that do not name it stay.
        assert any("popular-science work" not in text for text in evidence)
    with open_view(kg.settings, "full") as full:
        assert any(label in str(o) for _, p, o in full.triples_of(kg.minter.links_graph()) if p == V.evidence)


def test_a_links_graph_written_past_the_journal_is_copied_again(world_copy):
    """A links graph the journal did not see change (here a re-link noted in another journal;
    a store restored from a backup is the same) carries another run's stamp: the public view
    copies the graph instead of following the journal."""
    from kg.publish import publish

    kg = world_copy
    m = kg.minter
    publish(kg)
    journal = kg.settings.data_dir / "changes.log"
    kept = journal.read_bytes()
    journal.unlink()
    with kg.write():
        record_decision(kg, str(m.person("nsfc", "100000002")), str(m.person("openalex", "A5090000007")),
                        same=False, curator="Zhao Min", note="two people")
        assert run_linking(kg).quads_removed > 1
    journal.write_bytes(kept)   # the old journal back: it names nothing the re-link changed
    publish(kg)
    found, expected = _public_links(kg)
    assert found == expected
    with kg.write():
        kg.drop_graph(m.links_graph())   # and a links graph dropped by hand
    publish(kg)
    found, expected = _public_links(kg)
    assert found == expected == set()


def test_a_researcher_withheld_after_linking_leaves_no_public_decision_about_them(world_copy, tmp_path):
    """A registry record put back under review: the decisions that merged that researcher's
    IRI lose not just the statements naming it but their evidence and method too."""

    from kg.publish import publish, restricted_only_entities
    from kg.views import open_view

    kg = world_copy
    person = kg.minter.person("nsfc", "100000004")
    ingest_paths(kg, [_world_export(tmp_path, "researchers.csv", "100000004", "pending")])
    assert str(person) in restricted_only_entities(kg)
    graph = ox.NamedNode(str(kg.minter.links_graph()))
    about = [q.subject for q in kg.backend.ox.quads_for_pattern(None, None, ox.NamedNode(str(person)), graph)
             if q.predicate.value in (str(V.linkSubject), str(V.linkObject))]
    assert about   # linking merged it while it was approved
    publish(kg)
    with open_view(kg.settings, "public") as public:
        store = public.backend.ox
        for node in about:
            assert not list(store.quads_for_pattern(node, None, None, None))
        assert not list(store.quads_for_pattern(None, None, ox.NamedNode(str(person)), None))


def test_decisions_withheld_with_a_researcher_come_back_when_the_record_is_approved_again(world_copy, tmp_path,
                                                                                          monkeypatch):
    """The public links graph follows the journal through it: the record's decisions are
    withheld while it is under review and are back, whole, once it is approved again."""
    from kg import publish as publishing

    kg = world_copy
    publishing.publish(kg)
    for status in ("pending", "approved"):
        ingest_paths(kg, [_world_export(tmp_path / status, "researchers.csv", "100000004", status)])
        followed = []
        monkeypatch.setattr(publishing, "_follow_noted", lambda *args, real=publishing._follow_noted: (
            followed.append(args[3]), real(*args)))
        publishing.publish(kg)
        assert followed   # the links graph followed the journal instead of being copied
        found, expected = _public_links(kg)
        assert found == expected
        hidden_decisions, = publishing._decisions_naming(kg, {str(kg.minter.person("nsfc", "100000004"))})
        assert hidden_decisions
        shown = {s.value for s, _, _ in found}
        assert shown.isdisjoint(hidden_decisions) if status == "pending" else hidden_decisions <= shown
