"""The public view physically lacks restricted records; staff see everything; readers never see half."""
from __future__ import annotations

import json
import os

import pytest
from rdflib.compare import isomorphic

from ingest.pipeline import ingest_paths
from kg import derive
from kg import vocab as V
from kg.curation import flag_representative
from kg.errors import NotFound
from kg.publish import current_stamp, publish
from kg.store import PUBLIC_VIEW_SNAPSHOT, prefix_block
from kg.views import open_view

from conftest import DATA, derived_facts

CANARY = "CANARY-7f3a9c"
pytestmark = pytest.mark.embedded_only  # checkpoints and publications belong to the embedded store


def _ingest_review_mix(kg, tmp_path, **options):
    """Projects, works and people, some approved, some under review or confidential."""
    works = tmp_path / "works.csv"
    works.write_text(
        "work_id,title,kind,grant_numbers,review_status\n"
        "w1,膜蛋白的故事,video,31870719,approved\n"
        f"w2,{CANARY} 未审核的视频,video,31870719,pending\n"
        f"w3,{CANARY} 涉密展览,exhibition,31900512,confidential\n", encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text(
        "person_id,name_zh,name_en,email,review_status\n"
        "100200300,孙飞,Fei Sun,sunfei@example.org,approved\n"
        f"100200301,{CANARY}李娜,Na Li,lina@example.org,pending\n", encoding="utf-8")
    ingest_paths(kg, [DATA / "projects" / "dailycafi_C0501_2022.csv", DATA / "projects" / "projects_zh.jsonl", works, people],
                 **options)


@pytest.fixture(params=["after the derive", "while deriving"])
def published(kg, tmp_path, request, monkeypatch):
    """The first publication, made both ways: the public view after the working store's
    derive, or by a second process while it derives (what `build` and `link` do on a large graph)."""
    from kg import publish as publishing

    _ingest_review_mix(kg, tmp_path)
    if request.param == "while deriving":
        monkeypatch.setattr(publishing, "PUBLIC_APART_FROM", 1)
        return publish(kg, derive_first=True)
    return publish(kg)


def _manifest(publication) -> dict:
    return json.loads((publication.path / "manifest.json").read_text(encoding="utf-8"))


def _all_text(graph) -> str:
    rows = graph.query("SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }")
    return "\n".join(" ".join(str(t) for t in row if t is not None) for row in rows)


def test_the_public_view_lacks_every_restricted_statement(published, settings):
    with open_view(settings, "public") as public:
        text = _all_text(public)
        assert CANARY not in text
        assert "lina@example.org" not in text and "sunfei@example.org" not in text
        assert not any(str(g).endswith("/restricted") for g in public.graph_names())
        # The pending project T2221001 does not exist for the public, not even as a link target.
        assert "T2221001" not in text
        statuses = {r["s"] for r in public.select(prefix_block() + "SELECT DISTINCT ?s WHERE { ?x sp:reviewStatus ?s }")}
        assert statuses == {V.Approved}


def test_a_first_publication_withholds_what_approved_records_say_of_withheld_ones(kg, settings, tmp_path):
    """An approved work names a researcher still under review: the first public view keeps
    the work, but nothing that names the researcher."""
    people = tmp_path / "people.csv"
    people.write_text("person_id,name_zh,name_en,email,review_status\n"
                      f"100200301,{CANARY}李娜,Na Li,lina@example.org,pending\n", encoding="utf-8")
    works = tmp_path / "named-works.csv"
    works.write_text("work_id,title,kind,creators,creator_ids,grant_numbers,review_status\n"
                     "w20,细胞里的钟,video,李娜,100200301,31870719,approved\n", encoding="utf-8")
    ingest_paths(kg, [DATA / "projects" / "dailycafi_C0501_2022.csv", people, works])
    person = kg.minter.person("nsfc", "100200301")
    assert kg.select(f"SELECT ?w WHERE {{ ?w ?p <{person}> }}")   # the working store links them
    publish(kg)
    _assert_public_view_keeps_works_but_never_names(settings, person)


def test_a_project_under_review_is_withheld_even_where_an_approved_work_cites_it(kg, settings, tmp_path):
    """A pending project has derived facts in the working store (its counts), which are no
    approved record of it: an approved work citing its grant number must not name it in the
    public view."""
    pending = tmp_path / "pending.csv"
    pending.write_text("approveText,title,searchYear,searchFund,searchCode,personText,money,approveYear,endYear,"
                       "organization,keywords,review_status\n"
                       f'"39999901","{CANARY} 涉密的项目","2022","面上项目","C0501","王秘密","59.0","2018","2022",'
                       '"秘密研究所","秘密","pending"\n', encoding="utf-8")
    works = tmp_path / "works.csv"
    works.write_text("work_id,title,kind,grant_numbers,review_status\nw9,公开的视频,video,39999901,approved\n",
                     encoding="utf-8")
    ingest_paths(kg, [DATA / "projects" / "dailycafi_C0501_2022.csv", pending, works])
    project = kg.minter.project("39999901")
    assert kg.select(f"SELECT ?w WHERE {{ ?w <{V.popularizes}> <{project}> }}")   # the working store links them
    publish(kg)
    _assert_public_view_keeps_works_but_never_names(settings, project)


def _assert_public_view_keeps_works_but_never_names(settings, withheld) -> None:
    with open_view(settings, "public") as public:
        assert public.select(f"SELECT ?w WHERE {{ ?w a <{V.PopularScienceWork}> }}")
        assert not public.select(f"SELECT ?s ?p WHERE {{ ?s ?p <{withheld}> }}")
        assert not public.select(f"SELECT ?p ?o WHERE {{ <{withheld}> ?p ?o }}")
        assert CANARY not in _all_text(public)


def test_the_public_store_files_hold_no_byte_of_a_restricted_record(published, settings):
    """Physically lacks: not only unreachable by SPARQL. A store seeded from a copy of the
    working store, with the restricted statements deleted afterwards, still held their text
    in its files (deletions are markers; Oxigraph keeps the strings)."""
    store = published.view_dir("public") / "store"
    files = [path for path in store.rglob("*") if path.is_file()]
    assert files
    leaking = [path.name for path in files if CANARY.encode() in path.read_bytes()]
    assert leaking == []
    assert any(CANARY.encode() in path.read_bytes()
               for path in (published.view_dir("full") / "store").rglob("*") if path.is_file())


def test_staff_see_everything(published, settings):
    with open_view(settings, "full") as full:
        text = _all_text(full)
        assert CANARY in text and "lina@example.org" in text and "T2221001" in text


def test_derived_facts_of_the_public_view_count_only_public_works(published, settings, kg):
    project = kg.minter.project("31870719")
    with open_view(settings, "public") as public:
        assert public.dataset.value(project, V.popularizationStatus) == V.Popularized
        assert int(public.dataset.value(project, V.workCount)) == 1


def test_the_first_public_view_holds_only_facts_derived_from_public_records(published, settings, kg):
    """The working store's derived facts count records under review: the public view's are
    computed from its own records."""
    with open_view(settings, "public") as public:
        stored = derived_facts(public)
        expected = {tuple(str(t) for t in triple) for triple in derive.compute(public)}
    with kg.write():
        derive.refresh(kg)
    working = derived_facts(kg)
    assert stored == expected
    assert working != stored   # the working store's facts differ (they count the records under review)


def test_a_first_derive_loads_its_facts_as_written_and_says_anything_may_have_changed(kg, tmp_path):
    """A build derives once, into a store without derived facts: there is nothing to compare
    the new facts with, so they are loaded as written and the change journal says 'anything'.
    A derive after a small ingest still notes only the entities whose facts changed."""
    from kg.changes import EVERYTHING, journal_position, journal_since

    _ingest_review_mix(kg, tmp_path, refresh_derived=False)
    journal = kg.settings.data_dir / "changes.log"
    assert not journal.exists()   # ingest notes nothing: source graphs are told apart by their fingerprints
    with kg.write():
        derive.refresh(kg)
    stored = derived_facts(kg)
    assert stored == {tuple(str(t) for t in triple) for triple in derive.compute(kg)}
    header, *noted_first = journal.read_text(encoding="utf-8").splitlines()
    assert header.startswith("# ") and noted_first == [EVERYTHING]

    position = journal_position(kg.settings)
    more = tmp_path / "more-works.csv"
    more.write_text("work_id,title,kind,grant_numbers,review_status\n"
                    "w9,叶绿体的一天,article,31900512,approved\n", encoding="utf-8")
    ingest_paths(kg, [more])   # derives again, over the facts of the first derive
    noted = journal_since(kg.settings, position)
    project = next(str(row[0]) for row in kg.query(prefix_block() + 'SELECT ?p WHERE { ?p sp:approvalNumber "31900512" }'))
    assert noted is not None and project in noted
    assert len(noted) < len(stored) / 10   # the work's project and what counts it, not every fact


def _digest_stated(kg) -> str:
    graph = kg.minter.derived_graph()
    return str(kg.dataset.value(graph, V.contentDigest))


def _forbid_reading_back_derived_facts(monkeypatch) -> None:
    def store_read(*args):
        raise AssertionError("the old facts were read back from the store")

    monkeypatch.setattr(derive, "_statements", store_read)


def test_a_refresh_compares_with_the_facts_last_written_and_writes_nothing_when_they_stand(kg, tmp_path, monkeypatch):
    """After a small ingest the derived facts are compared with the file they were last
    written from (not read back from the store), and a refresh that finds the same facts
    writes nothing: not the graph, not the file, not the change journal."""
    from kg.changes import JOURNAL

    _ingest_review_mix(kg, tmp_path)
    state = kg.settings.data_dir / derive.DERIVED_STATE
    assert state.read_text(encoding="utf-8").startswith(f"# {_digest_stated(kg)}\n")

    _forbid_reading_back_derived_facts(monkeypatch)
    more = tmp_path / "more-works.csv"
    more.write_text("work_id,title,kind,grant_numbers,review_status\n"
                    "w9,叶绿体的一天,article,31900512,approved\n", encoding="utf-8")
    ingest_paths(kg, [more])   # derives again, following the file
    assert derived_facts(kg) == {tuple(str(t) for t in triple) for triple in derive.compute(kg)}
    assert state.read_text(encoding="utf-8").startswith(f"# {_digest_stated(kg)}\n")

    journal, file = (kg.settings.data_dir / JOURNAL).read_bytes(), state.stat()
    with kg.write():
        derive.refresh(kg)
    assert (kg.settings.data_dir / JOURNAL).read_bytes() == journal
    assert (state.stat().st_ino, state.stat().st_mtime_ns) == (file.st_ino, file.st_mtime_ns)


def test_a_file_written_by_a_refresh_that_was_rolled_back_is_not_trusted(kg, tmp_path):
    """A refresh replaces the file before its write commits. Should the write then be rolled
    back, the store keeps the facts (and the digest) of the refresh before, and the file
    names facts the store never held: the next refresh compares with the store instead."""
    _ingest_review_mix(kg, tmp_path)
    state = kg.settings.data_dir / derive.DERIVED_STATE
    works = tmp_path / "works-2.csv"
    works.write_text("work_id,title,kind,grant_numbers,review_status\n"
                     "w9,叶绿体的一天,article,31900512,approved\n", encoding="utf-8")
    ingest_paths(kg, [works], refresh_derived=False)
    with pytest.raises(RuntimeError, match="after the refresh"):
        with kg.write():
            derive.refresh(kg)
            raise RuntimeError("a failure after the refresh")
    assert not state.read_text(encoding="utf-8").startswith(f"# {_digest_stated(kg)}\n")   # rolled back

    more = tmp_path / "works-3.csv"
    more.write_text("work_id,title,kind,grant_numbers,review_status\n"
                    "w10,细胞膜上的门,video,31870719,approved\n", encoding="utf-8")
    ingest_paths(kg, [more])
    assert derived_facts(kg) == {tuple(str(t) for t in triple) for triple in derive.compute(kg)}
    assert state.read_text(encoding="utf-8").startswith(f"# {_digest_stated(kg)}\n")


def test_a_seeded_public_view_follows_its_seeds_file(published, kg, settings, tmp_path, monkeypatch):
    """The public view of the next publication starts from the last one's store, and takes
    that store's file of derived facts along: its own facts are the ones it computes."""
    _forbid_reading_back_derived_facts(monkeypatch)   # the public view is made in this process here
    more = tmp_path / "more-works.csv"
    more.write_text("work_id,title,kind,grant_numbers,review_status\n"
                    "w9,叶绿体的一天,article,31900512,approved\n", encoding="utf-8")
    ingest_paths(kg, [more])
    second = publish(kg)
    assert _manifest(second).get("seeded_from") == published.stamp
    state = second.path / "public" / derive.DERIVED_STATE
    with open_view(settings, "public") as public:
        assert derived_facts(public) == {tuple(str(t) for t in triple) for triple in derive.compute(public)}
        assert state.read_text(encoding="utf-8").startswith(f"# {_digest_stated(public)}\n")
    assert (published.path / "public" / derive.DERIVED_STATE).exists()   # the seed's own file stays


def test_a_seeded_public_view_whose_withheld_set_changed_derives_from_its_own_records(published, kg, settings,
                                                                                       tmp_path, monkeypatch):
    """The approved work w1 goes back under review: the next public view withholds it, and its
    derived facts (which counted w1) are recomputed over the seed's, following the seed's file."""
    _forbid_reading_back_derived_facts(monkeypatch)
    works = tmp_path / "works.csv"   # the same source file as before, w1 now pending
    works.write_text(works.read_text(encoding="utf-8").replace("w1,膜蛋白的故事,video,31870719,approved",
                                                               "w1,膜蛋白的故事,video,31870719,pending"),
                     encoding="utf-8")
    ingest_paths(kg, [works])
    second = publish(kg)
    assert _manifest(second).get("seeded_from") == published.stamp
    assert len(_manifest(second)["hidden_entities"]) > len(_manifest(published)["hidden_entities"])
    with open_view(settings, "public") as public:
        assert derived_facts(public) == {tuple(str(t) for t in triple) for triple in derive.compute(public)}
        assert public.dataset.value(kg.minter.project("31870719"), V.popularizationStatus) != V.Popularized


def test_a_publication_says_where_its_time_went(published):
    """An operator whose publish took an hour asks which step took it: each step, in the order
    it ran, the public view's apart (made by a second process while deriving, so overlapping)."""
    phases = published.phases
    assert list(phases.public_view) == ["withheld set", "copy", "derive", "count", "pages"]   # first: no seed
    if phases.meanwhile:
        assert list(phases.seconds) == ["derive", "staff copy", "staff pages", "waiting for the public view"]
        assert sum(phases.seconds.values()) <= published.seconds
    else:
        assert list(phases.seconds) == ["staff copy", "staff pages"]
        assert sum(phases.seconds.values()) + sum(phases.public_view.values()) <= published.seconds
    assert min(list(phases.seconds.values()) + list(phases.public_view.values())) >= 0


def test_a_new_publication_replaces_the_current_one(published, kg, settings):
    first = current_stamp(settings)
    second = publish(kg)
    assert current_stamp(settings) == second.stamp != first
    with open_view(settings, "public") as public:
        assert public.count_triples() == second.public_triples


def test_nothing_to_read_before_the_first_publication(settings, kg):
    with pytest.raises(NotFound, match="Nothing has been published"):
        open_view(settings, "public")


def _public_quads_of(settings) -> set:
    with open_view(settings, "public") as public:
        return {tuple(row) for row in public.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")}


def test_a_small_ingest_republishes_only_what_changed(published, kg, settings, tmp_path):
    more = tmp_path / "more-works.csv"
    more.write_text("work_id,title,kind,grant_numbers,review_status\n"
                    "w9,叶绿体的一天,article,31900512,approved\n", encoding="utf-8")
    ingest_paths(kg, [more])
    incremental = publish(kg)
    # the new file, plus the fixed graphs (catalog, ontology), but none of the unchanged sources
    assert incremental.copied_graphs <= 4
    seeded = _public_quads_of(settings)

    (incremental.path / "manifest.json").unlink()  # no manifest: the next publish copies everything
    full = publish(kg)
    assert full.copied_graphs > incremental.copied_graphs and "seeded_from" not in _manifest(full)
    assert _public_quads_of(settings) == seeded
    with open_view(settings, "public") as public:
        assert public.dataset.value(kg.minter.project("31900512"), V.popularizationStatus) == V.Popularized


def test_a_change_in_what_is_withheld_is_followed_without_copying_everything(published, kg, settings, tmp_path):
    # Most new files bring a record under review; the withheld set then changes, and the
    # public view must still equal a publication made from scratch.
    person = kg.minter.person("nsfc", "100200301")  # pending in people.csv: withheld so far
    named = tmp_path / "named-works.csv"
    named.write_text("work_id,title,kind,creators,creator_ids,grant_numbers,review_status\n"
                     "w20,细胞里的钟,video,李娜,100200301,31870719,approved\n", encoding="utf-8")
    ingest_paths(kg, [named])
    publish(kg)
    with open_view(settings, "public") as public:
        assert not public.select(f"SELECT ?w WHERE {{ ?w ?p <{person}> }}")  # the work names a withheld person

    approved = tmp_path / "people-approved.csv"
    approved.write_text("person_id,name_zh,name_en,review_status\n100200301,李娜,Na Li,approved\n", encoding="utf-8")
    pending = tmp_path / "more-pending-works.csv"
    pending.write_text("work_id,title,kind,grant_numbers,review_status\n"
                       f"w21,{CANARY} 待审的讲座,lecture,31900512,pending\n", encoding="utf-8")
    ingest_paths(kg, [approved, pending])
    incremental = publish(kg)
    seeded = _public_quads_of(settings)
    with open_view(settings, "public") as public:
        assert public.select(f"SELECT ?w WHERE {{ ?w ?p <{person}> }}")  # public now: the unchanged file's link is back
        assert CANARY not in _all_text(public)

    assert "seeded_from" in _manifest(incremental)
    (incremental.path / "manifest.json").unlink()
    full = publish(kg)
    assert "seeded_from" not in _manifest(full)
    assert _public_quads_of(settings) == seeded


def _claims_of_the_pending_project(kg, tmp_path) -> None:
    """Approved records around the project under review (T2221001): a work that states its
    number, a researcher whose ORCID record claims it, a paper whose funder award names it
    with an approved project, and a department that flags it."""
    works = tmp_path / "citing-works.csv"
    works.write_text("work_id,title,kind,grant_numbers,review_status\n"
                     "w30,蛋白质结构互动展览,exhibition,T2221001,approved\n", encoding="utf-8")
    orcid = tmp_path / "orcid_0000-0002-1825-0097.json"
    record = (DATA / "people" / "orcid_0000-0002-1825-0097.json").read_text(encoding="utf-8")
    orcid.write_text(record.replace('"61772368"', '"T2221001"'), encoding="utf-8")
    paper = json.loads((DATA / "outputs" / "crossref_work.json").read_text(encoding="utf-8"))
    paper.get("message", paper)["funder"] = [{"DOI": "10.13039/501100001809", "award": ["31870719, T2221001"],
                                              "name": "National Natural Science Foundation of China"}]
    crossref = tmp_path / "crossref_work.json"
    crossref.write_text(json.dumps(paper, ensure_ascii=False), encoding="utf-8")
    ingest_paths(kg, [works, orcid, crossref])
    flag_representative(kg, "T2221001", "T", "Zhao Min")


_AWARD_LINK = prefix_block() + """SELECT ?l ?e WHERE {
  ?l sp:linkObject <%s> ; sp:linkMethod sp:MethodFunderMetadata . OPTIONAL { ?l sp:evidence ?e } }"""


def test_nothing_around_a_project_under_review_names_it(kg, settings, tmp_path):
    """Found by review: the work's stated number, the link node that quotes it, the ORCID
    claim (which once made the project count as publicly described) and the curation
    decision (whose IRI hashes the project's) all reached the public view."""
    _ingest_review_mix(kg, tmp_path)
    _claims_of_the_pending_project(kg, tmp_path)
    project = kg.minter.project("T2221001")
    publish(kg)
    with open_view(settings, "public") as public:
        text = _all_text(public)
        assert "T2221001" not in text and "2221001" not in text
        assert not public.select(prefix_block() + "SELECT ?d WHERE { ?d a sp:CurationDecision }")
        # The work and the researcher stay public: only what names the project goes.
        assert public.select(prefix_block() + 'SELECT ?w WHERE { ?w a sp:PopularScienceWork ; dcterms:title "蛋白质结构互动展览"@zh }')
        assert public.select(prefix_block() + "SELECT ?p WHERE { ?p sp:orcid ?o }")
        # The paper's link to the approved project keeps its method; only its evidence, which
        # quotes the award string with both numbers, is withheld.
        award = public.select(_AWARD_LINK % kg.minter.project("31870719"))
        assert award and all(row.get("e") is None for row in award)
    with open_view(settings, "full") as full:   # staff still see every claim
        assert any("T2221001" in str(row.get("e")) for row in full.select(_AWARD_LINK % kg.minter.project("31870719")))
        assert full.select(prefix_block() + f'SELECT ?w WHERE {{ ?w sp:statedGrant "T2221001" ; sp:popularizes <{project}> }}')
        assert full.select(prefix_block() + f"SELECT ?d WHERE {{ ?d sp:curatedEntity <{project}> }}")


def test_what_names_a_project_comes_back_when_it_is_approved(kg, settings, tmp_path):
    _ingest_review_mix(kg, tmp_path)
    _claims_of_the_pending_project(kg, tmp_path)
    publish(kg)
    approved = tmp_path / "approved.jsonl"
    line = (DATA / "projects" / "projects_zh.jsonl").read_text(encoding="utf-8").splitlines()[1]
    approved.write_text(line.replace("待审核", "已审核") + "\n", encoding="utf-8")
    ingest_paths(kg, [approved], fmt="nsfc-projects")
    seeded_publication = publish(kg)
    assert "seeded_from" in _manifest(seeded_publication) and not _manifest(seeded_publication)["hidden_numbers"]
    seeded = _public_quads_of(settings)
    project = kg.minter.project("T2221001")
    with open_view(settings, "public") as public:
        assert public.select(prefix_block() + f'SELECT ?w WHERE {{ ?w sp:statedGrant "T2221001" ; sp:popularizes <{project}> }}')
        assert public.select(prefix_block() + f"SELECT ?d WHERE {{ ?d sp:curatedEntity <{project}> }}")
        assert any("T2221001" in str(row.get("e")) for row in public.select(_AWARD_LINK % kg.minter.project("31870719")))
    (seeded_publication.path / "manifest.json").unlink()
    publish(kg)
    assert _public_quads_of(settings) == seeded


def test_full_view_pages_made_by_a_second_process_equal_those_made_here(kg, monkeypatch, tmp_path):
    """A large graph's full-view pages are made from the publication's copy in a child
    process, while this one makes the public store; they must be the working store's pages."""
    import sqlite3
    from contextlib import closing

    from kg import publish as publishing
    from kg.pages import PAGES_FILE, build_pages

    ingest_paths(kg, [DATA / "projects" / "dailycafi_C0501_2022.csv", DATA / "projects" / "projects_zh.jsonl"])
    assert publishing._full_pages_apart(kg, tmp_path / "unused") is None   # a small graph: made in-process
    monkeypatch.setattr(publishing, "PAGES_APART_FROM", 1)
    work = publishing._full_pages_apart(kg, tmp_path / "unused")
    assert work is not None
    work.stop()

    publication = publish(kg)
    build_pages(kg, tmp_path / "here.sqlite")

    def pages(path):
        with closing(sqlite3.connect(path)) as connection:
            return connection.execute("SELECT iri, summary FROM pages ORDER BY iri").fetchall()
    made_apart = pages(publication.view_dir("full") / PAGES_FILE)
    assert made_apart and made_apart == pages(tmp_path / "here.sqlite")


def test_a_failed_publish_leaves_the_current_publication_and_no_half_made_one(kg, monkeypatch):
    from kg import publish as publishing

    ingest_paths(kg, [DATA / "projects" / "dailycafi_C0501_2022.csv"])
    first = publish(kg)
    monkeypatch.setattr(publishing, "PAGES_APART_FROM", 1)   # with the pages' child process running

    def broken(public_kg):
        raise RuntimeError("disk full")
    monkeypatch.setattr(publishing.derive, "refresh", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(kg)
    root = first.path.parent
    assert current_stamp(kg.settings) == first.stamp
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [first.stamp]


def _graphs_without_times(store_dir) -> dict:
    """A store's named graphs as rdflib graphs, less what differs between two stores loaded
    at different times (the catalog's load times, the derived graph's timestamps)."""
    import pyoxigraph as ox
    from rdflib import Graph

    store = ox.Store.read_only(str(store_dir))
    graphs = {}
    for name in store.named_graphs():
        if name.value.endswith("/catalog"):
            continue
        lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name).decode("utf-8").splitlines()
        graph = Graph()
        graph.parse(data="\n".join(line for line in lines if "#dateTime>" not in line), format="nt")
        graphs[name.value] = graph
    return graphs


def test_a_public_view_made_while_the_working_store_derives_is_the_one_made_after(kg, monkeypatch, tmp_path):
    """On a large graph `build` and `link` make the public view in a second process, from a
    checkpoint taken before the working store's derive: it must be what publishing after the
    derive makes, and the checkpoint must not stay behind."""
    import sqlite3
    from contextlib import closing

    from kg import publish as publishing
    from kg.config import Settings
    from kg.pages import PAGES_FILE
    from kg.store import KnowledgeGraph

    def first_and_second(graph, folder, apart_from):
        """A first publication; then a person approved, a work under review, a re-link (the
        links graph moves, the withheld set changes): the second is seeded from the first."""
        from kg.linking import run_linking

        monkeypatch.setattr(publishing, "PUBLIC_APART_FROM", apart_from)
        _ingest_review_mix(graph, folder, refresh_derived=False)
        publish(graph, derive_first=True)
        approved = folder / "people-approved.csv"
        approved.write_text("person_id,name_zh,name_en,review_status\n100200301,李娜,Na Li,approved\n", encoding="utf-8")
        pending = folder / "more-pending-works.csv"
        pending.write_text("work_id,title,kind,creators,creator_ids,grant_numbers,review_status\n"
                           "w20,细胞里的钟,video,李娜,100200301,31870719,approved\n"
                           f"w21,{CANARY} 待审的讲座,lecture,,,31900512,pending\n", encoding="utf-8")
        ingest_paths(graph, [approved, pending], refresh_derived=False)
        with graph.write():
            run_linking(graph)
        return publish(graph, derive_first=True)

    apart = first_and_second(kg, tmp_path, 1)   # both made by the child, from its checkpoint
    assert "seeded_from" in _manifest(apart)
    other = tmp_path / "after"
    other.mkdir()
    with KnowledgeGraph(Settings(data_dir=other / "scipop-data")) as after_kg:
        after = first_and_second(after_kg, other, 10 ** 9)   # small graph: derive, then publish in turn

    for view in ("public", "full"):
        made_apart = _graphs_without_times(apart.view_dir(view) / "store")
        made_after = _graphs_without_times(after.view_dir(view) / "store")
        assert made_apart.keys() == made_after.keys()
        assert all(isomorphic(made_apart[name], made_after[name]) for name in made_apart)

        def pages(publication):   # less the source files' load times
            with closing(sqlite3.connect(publication.view_dir(view) / PAGES_FILE)) as connection:
                rows = connection.execute("SELECT iri, summary FROM pages ORDER BY iri").fetchall()
            summaries = [(iri, json.loads(summary)) for iri, summary in rows]
            for _, summary in summaries:
                for source in summary.get("sources", ()):
                    source.pop("time")
            return summaries
        assert pages(apart) and pages(apart) == pages(after)
    assert _manifest(apart)["hidden_entities"] == _manifest(after)["hidden_entities"] != []
    assert apart.public_triples == after.public_triples and apart.withheld_entities == after.withheld_entities
    assert apart.copied_graphs == after.copied_graphs
    assert not (kg.settings.data_dir / PUBLIC_VIEW_SNAPSHOT).exists()
    with open_view(kg.settings, "public") as public:
        assert CANARY not in _all_text(public)


def test_a_derive_that_fails_while_the_public_view_is_made_leaves_the_current_publication(kg, monkeypatch, tmp_path):
    from kg import publish as publishing

    _ingest_review_mix(kg, tmp_path)
    first = publish(kg)
    monkeypatch.setattr(publishing, "PUBLIC_APART_FROM", 1)

    def broken(working_kg):
        raise RuntimeError("disk full")
    monkeypatch.setattr(publishing.derive, "refresh", broken)   # in this process only: the child derives
    with pytest.raises(RuntimeError, match="disk full"):
        publish(kg, derive_first=True)
    root = first.path.parent
    assert current_stamp(kg.settings) == first.stamp
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [first.stamp]
    assert not (kg.settings.data_dir / PUBLIC_VIEW_SNAPSHOT).exists()


def test_a_graph_changed_while_its_public_view_is_made_is_not_published(kg, monkeypatch, tmp_path):
    """Only the derive may write while the child reads its checkpoint; anything else (here a
    new links-graph stamp) would make the public view stale, and confidentiality depends on it."""
    from rdflib import Literal

    from kg import publish as publishing
    from kg.errors import StoreError

    _ingest_review_mix(kg, tmp_path)
    first = publish(kg)
    monkeypatch.setattr(publishing, "PUBLIC_APART_FROM", 1)
    real_refresh = publishing.derive.refresh

    def refresh_and_more(working_kg):
        links = working_kg.minter.links_graph()
        working_kg.dataset.graph(links).add((links, V.generatedAtTime, Literal("2030-01-01T00:00:00Z")))
        return real_refresh(working_kg)
    monkeypatch.setattr(publishing.derive, "refresh", refresh_and_more)
    with pytest.raises(StoreError, match="changed while its public view"):
        publish(kg, derive_first=True)
    assert current_stamp(kg.settings) == first.stamp
    assert sorted(p.name for p in first.path.parent.iterdir() if p.is_dir()) == [first.stamp]
    assert not (kg.settings.data_dir / PUBLIC_VIEW_SNAPSHOT).exists()


def _die(*args):
    """Stands for a public-view process the system kills (module level: spawn imports it)."""
    os._exit(9)


def test_a_public_view_process_that_dies_fails_the_publish_and_leaves_nothing(kg, monkeypatch, tmp_path):
    from kg import publish as publishing
    from kg.errors import StoreError

    _ingest_review_mix(kg, tmp_path)
    first = publish(kg)
    monkeypatch.setattr(publishing, "PUBLIC_APART_FROM", 1)
    monkeypatch.setattr(publishing, "public_view_of", _die)
    with pytest.raises(StoreError, match=r"Making the public view stopped before it finished \(exit status 9\)") as raised:
        publish(kg, derive_first=True)
    assert "scipop publish" in raised.value.one_line()   # the derive is done: publishing again suffices
    assert current_stamp(kg.settings) == first.stamp
    assert sorted(p.name for p in first.path.parent.iterdir() if p.is_dir()) == [first.stamp]
    assert not (kg.settings.data_dir / PUBLIC_VIEW_SNAPSHOT).exists()
