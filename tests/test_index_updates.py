"""Keeping the search indexes in step with a growing graph, at the cost of the change.

The story: the demo graph is linked, published and indexed. Then the next 1% of the same
world arrives — new projects, outputs and works, naming researchers the graph already has
— and the research office runs `scipop ingest` and `scipop link`, each of which publishes
and updates the indexes. Each update must read only around what changed since the
publication the index was made from, and leave the index exactly as a rebuild would.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from cli import main
from demo.generator import generate
from kg import vocab as V
from kg.changes import JOURNAL, changed_iris, journal_between
from kg.config import Settings
from kg.iri import Minter
from kg.publish import current_stamp, published_root
from kg.store import KnowledgeGraph
from kg.views import open_view
from search import check_index, documents, open_index, update_index
from search.engine import field_values
from search.store import IndexLocation
from conftest import DEMO_DATA

ENGINE = "tantivy"
PER_KIND = 40   # documents per kind compared with those read from the whole graph


def scipop(runner, settings: Settings, *args: str) -> str:
    result = runner.invoke(main, [*args], env={"SCIPOP_DATA_DIR": str(settings.data_dir),
                                               "SCIPOP_SEARCH_ENGINE": ENGINE}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def indexed_demo(demo_data_dir, tmp_path_factory) -> Settings:
    """The demo graph, linked and published, with both views indexed (read-only use)."""
    from click.testing import CliRunner

    settings = Settings(data_dir=tmp_path_factory.mktemp("updates") / "scipop-data", search_engine=ENGINE)
    shutil.copytree(demo_data_dir, settings.data_dir)
    runner = CliRunner()
    scipop(runner, settings, "--quiet", "link")
    for view in ("public", "full"):
        scipop(runner, settings, "--quiet", "index", "--view", view)
    return settings


@pytest.fixture
def grown(indexed_demo, tmp_path) -> tuple[Settings, Path]:
    """A private copy of the indexed demo, and the next 1% of the same generated world."""
    settings = Settings(data_dir=tmp_path / "scipop-data", search_engine=ENGINE)
    shutil.copytree(indexed_demo.data_dir, settings.data_dir, symlinks=True)
    generated = tmp_path / "generated"
    generate(generated, 7, seed=7, after=700)   # the demo is the first 700 projects of seed 7
    # Source ids are '<directory>/<relative path>': under a directory of its own the slice's
    # files add to the demo's (projects/…, outputs/…) instead of replacing them, as in
    # bench/full_build.py. A slice this small leaves a JSON-lines file empty; no export ships one.
    increment = tmp_path / "added-7-after-700"
    increment.mkdir()
    for part in ("projects", "researchers", "outputs", "works"):
        (generated / part).rename(increment / part)
    for empty in [f for f in increment.rglob("*") if f.is_file() and not f.stat().st_size]:
        empty.unlink()
    return settings, increment


def assert_indexes_match(settings: Settings) -> None:
    """Both views' indexes hold exactly the documents a rebuild from their graphs would."""
    for view in ("public", "full"):
        with open_view(settings, view) as kg:
            assert check_index(kg, settings, view, ENGINE) == []


def sample(kinds: dict[str, str]) -> list[str]:
    """Up to PER_KIND documents of each kind, spread over the sorted IRIs."""
    chosen = []
    for kind in sorted(set(kinds.values())):
        of_kind = sorted(iri for iri, k in kinds.items() if k == kind)
        step = max(1, len(of_kind) // PER_KIND)
        chosen += of_kind[::step][:PER_KIND]
    return chosen


@pytest.mark.parametrize("view", ["public", "full"])
def test_documents_read_around_an_entity_are_those_read_from_the_whole_graph(indexed_demo, view):
    with open_view(indexed_demo, view) as kg:
        whole = documents.Builder(documents.load(kg))
        kinds = whole.iris()
        chosen = sample(kinds)
        assert {kinds[iri] for iri in chosen} == {"project", "output", "work", "researcher", "institution"}
        for iri in chosen:
            around = documents.Builder(documents.load_around(kg, {iri}))
            assert around.iris().get(iri) == kinds[iri], iri
            assert field_values(around.build(iri, kinds[iri])) == field_values(whole.build(iri, kinds[iri])), iri
            assert around.neighbours({iri}) == whole.neighbours({iri}), iri
            # Without following institutions to what shows them, the entity's own document is the same.
            own = documents.Builder(documents.load_around(kg, {iri}, reach=set()))
            assert field_values(own.build(iri, kinds[iri])) == field_values(whole.build(iri, kinds[iri])), iri
            # Only hosts are named as hosting (an update re-reads around a renamed one).
            assert set(own.data.hosting) <= ({iri} if kinds[iri] == "institution" else set())
            assert all(own.data.hosting.values())


def test_reads_shared_by_an_update_give_the_documents_read_from_the_whole_graph(indexed_demo):
    """An update reads around what changed, then around what shows it, with one AroundReads
    (each entity read once): the second read's documents are still exactly the whole graph's."""
    with open_view(indexed_demo, "public") as kg:
        whole = documents.Builder(documents.load(kg))
        kinds = whole.iris()
        chosen = sample(kinds)
        reads = documents.AroundReads(kg)
        first = documents.Builder(documents.load_around(kg, chosen[::2], reach=set(), reads=reads))
        second = documents.Builder(documents.load_around(kg, chosen[1::2], reach=set(), reads=reads))
        for builder, part in ((first, chosen[::2]), (second, chosen[1::2])):
            for iri in part:
                assert field_values(builder.build(iri, kinds[iri])) == field_values(whole.build(iri, kinds[iri])), iri
        # The researchers of the first read, read again as part of the second, come back whole.
        people = [iri for iri in chosen[::2] if kinds[iri] == "researcher"]
        again = documents.Builder(documents.load_around(kg, people, reach=set(), reads=reads))
        for iri in people:
            assert field_values(again.build(iri, "researcher")) == field_values(whole.build(iri, "researcher")), iri


def test_a_researcher_merged_from_several_sources_is_read_whole(indexed_demo):
    """The person with the most linked IRIs: every mention's outputs count, read around any one of them."""
    with open_view(indexed_demo, "public") as kg:
        whole = documents.Builder(documents.load(kg))
        groups: dict[str, list[str]] = {}
        for mention, person in whole.person_of.items():
            groups.setdefault(person, []).append(mention)
        person = max(sorted(groups), key=lambda p: len(groups[p]))
        assert len(groups[person]) >= 3
        expected = field_values(whole.build(person, "researcher"))
        for mention in groups[person]:
            around = documents.Builder(documents.load_around(kg, {mention}))
            assert field_values(around.build(person, "researcher")) == expected


@pytest.mark.parametrize("around_share", [1.0, 0.0], ids=["read-around-the-change", "read-everything"])
def test_the_next_one_percent_is_indexed_from_the_change_alone(grown, runner, around_share, monkeypatch):
    """Either way of reading (around the change, or the whole graph once when much
    changed: search.index.AROUND_SHARE) re-indexes what the change reaches, no more."""
    monkeypatch.setattr("search.index.AROUND_SHARE", around_share)
    settings, increment = grown
    documents_before = {view: IndexLocation.of(settings, view, ENGINE).meta()["documents"] for view in ("public", "full")}
    said = scipop(runner, settings, "ingest", "--skip-invalid", str(increment))
    said += scipop(runner, settings, "link")
    updates = [line for line in said.splitlines() if line.startswith("Updated the")]
    assert len(updates) == 4   # two publications (ingest, link), two views each
    assert all("entities changed since its publication" in line for line in updates), updates
    # … and says which way it read (an increment that reads the whole graph costs as much as a build)
    way = "the graph read around them" if around_share else "the whole graph read"
    assert all(way in line for line in updates), updates
    assert_indexes_match(settings)
    for view in ("public", "full"):
        meta = IndexLocation.of(settings, view, ENGINE).meta()
        assert meta["source"] == f"{current_stamp(settings)}/{view}"
        assert meta["documents"] > documents_before[view]


def test_the_change_between_two_publications_names_what_moved(grown, runner):
    settings, increment = grown
    before_stamp = current_stamp(settings)
    scipop(runner, settings, "--quiet", "ingest", "--skip-invalid", str(increment / "works" / "popsci_works.csv"))
    root = published_root(settings)
    works = f"SELECT ?w WHERE {{ ?w a <{V.PopularScienceWork}> }}"
    targets = f"SELECT ?t WHERE {{ ?w a <{V.PopularScienceWork}> ; <{V.popularizes}> ?t }}"
    subjects = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"
    with KnowledgeGraph(Settings(data_dir=root / before_stamp / "public"), read_only=True) as before, \
            open_view(settings, "public") as after:
        changed = changed_iris(before, after)
        new_works = {w for w, in after.rows(works)} - {w for w, in before.rows(works)}
        new_targets = {t for t, in after.rows(targets)} - {t for t, in before.rows(targets)}
        entities = int(next(after.rows(subjects))[0])
    assert new_works and new_works <= changed
    assert new_targets and new_targets <= changed     # their popularization facts changed with them
    assert len(changed) < 0.05 * entities, (len(changed), entities)   # the rest of the graph did not move


def test_without_the_old_publication_every_document_is_compared(grown, runner):
    settings, increment = grown
    scipop(runner, settings, "--quiet", "ingest", "--no-publish", "--skip-invalid", str(increment / "works" / "popsci_works.csv"))
    scipop(runner, settings, "--quiet", "publish")
    scipop(runner, settings, "--quiet", "publish")   # two publications later, the index's own is pruned
    location = IndexLocation.of(settings, "public", ENGINE)
    assert not (published_root(settings) / location.meta()["source"]).exists()
    with open_view(settings, "public") as kg:
        stats = update_index(kg, settings, "public", None, ENGINE)
        assert stats.changed is None and stats.documents > 0
        assert check_index(kg, settings, "public", ENGINE) == []
    assert location.meta()["source"] == f"{current_stamp(settings)}/public"


def test_a_restated_author_reaches_the_output_that_names_them(grown, runner, tmp_path):
    """Crossref corrects the first author of a paper and the file is loaded again: the
    output's document names the new author, and both indexes match their graphs."""
    settings, _ = grown
    source = DEMO_DATA / "outputs" / "crossref" / "works_0001.jsonl"
    restated = tmp_path / "again" / "outputs" / "crossref" / source.name
    restated.parent.mkdir(parents=True)
    lines = source.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    record["message"]["author"][0].update(given="Liang", family="Zhuge")
    lines[0] = json.dumps(record, ensure_ascii=False)
    restated.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = str(Minter(settings.base_iri).output(doi=record["message"]["DOI"]))
    said = scipop(runner, settings, "ingest", "--skip-invalid", str(restated.parent.parent))
    assert "entities changed since its publication" in said
    assert_indexes_match(settings)
    with open_index(settings, "public", ENGINE) as index:
        assert "Liang Zhuge" in index.document(output).fields["authors"]


def test_without_the_change_journal_the_links_graph_is_compared_instead(grown, runner):
    """`changes.log` may be deleted: the next publication cannot use it, and compares the links graph."""
    settings, increment = grown
    scipop(runner, settings, "--quiet", "ingest", "--no-publish", "--skip-invalid", str(increment))
    (settings.data_dir / JOURNAL).unlink()
    before = current_stamp(settings)
    said = scipop(runner, settings, "link")
    root = published_root(settings)
    assert journal_between(root / before / "public", root / current_stamp(settings) / "public") is None
    assert "entities changed since its publication" in said
    assert_indexes_match(settings)


def test_records_a_file_no_longer_holds_leave_the_documents_that_showed_them(grown, runner):
    """The repositories send new exports under the old file names (outputs/crossref/…), holding
    only their newest records: papers that popular-science works popularize lose their
    records, and the works' documents stop showing their titles and departments."""
    settings, increment = grown
    with open_view(settings, "public") as kg:
        before = {o for o, in kg.rows(f"SELECT ?o WHERE {{ ?w <{V.popularizes}> ?o . ?o a <{V.ResearchOutput}> }}")}
    said = scipop(runner, settings, "ingest", "--skip-invalid", str(increment / "outputs"))
    with open_view(settings, "public") as kg:
        after = {o for o, in kg.rows(f"SELECT ?o WHERE {{ ?w <{V.popularizes}> ?o . ?o a <{V.ResearchOutput}> }}")}
    assert before - after   # popularized papers without a record now
    assert "entities changed since its publication" in said
    assert_indexes_match(settings)


def test_a_corrected_researcher_name_reaches_every_document_that_names_them(grown, runner, tmp_path):
    """The registry corrects a researcher's Chinese name and its file is loaded again: the
    documents of the projects they lead show the new name, read around the change, and
    both indexes match their graphs. (A researcher shown as before needs only their own
    document rebuilt; this one is not shown as before.)"""
    settings, _ = grown
    source = DEMO_DATA / "researchers" / "researchers.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    minter = Minter(settings.base_iri)
    with open_view(settings, "public") as kg:
        whole = documents.Builder(documents.load(kg))
    led = {whole.person(pi): project for project, props in sorted(whole.data.projects.items())
           for pi in props.get("pi", ())}
    row = next(r for r in rows if whole.person(str(minter.person("nsfc", r["person_id"]))) in led)
    project = led[whole.person(str(minter.person("nsfc", row["person_id"])))]
    assert "丁一" not in whole.build(project, "project").fields["pi"]
    row["name_zh"] = "丁一"   # sorts first: the name every document shows for the person
    corrected = tmp_path / "again" / "researchers" / source.name
    corrected.parent.mkdir(parents=True)
    with corrected.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    said = scipop(runner, settings, "ingest", "--skip-invalid", str(corrected.parent))
    assert "entities changed since its publication" in said
    assert_indexes_match(settings)
    with open_index(settings, "public", ENGINE) as index:
        assert "丁一" in index.document(project).fields["pi"]


def test_on_a_large_graph_both_views_are_indexed_side_by_side(grown, runner, monkeypatch):
    """From cli.VIEWS_APART_FROM projects on (lowered here to the demo's size), a publish
    updates the full view's index in a spawned process while this one updates the public
    view's: both say what they did, and both indexes equal their graphs."""
    import multiprocessing
    import threading

    monkeypatch.setattr("cli.VIEWS_APART_FROM", 100)
    settings, increment = grown
    seen, done = [], threading.Event()
    # Only children the ingest starts: others (a SPARQL pool of a fixture) may be running.
    running_before = {child.pid for child in multiprocessing.active_children()}

    def watch() -> None:   # a spawned child exists while the indexes are updated
        while not done.wait(0.01):
            seen.extend(c.pid for c in multiprocessing.active_children() if c.pid not in running_before)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:   # memory enough for both, whatever this machine has free
        said = scipop(runner, settings, "--memory-gb", "1000", "ingest", "--skip-invalid", str(increment))
    finally:
        done.set()
        watcher.join()
    assert seen
    updates = [line for line in said.splitlines() if line.startswith("Updated the")]
    assert [line.split()[2] for line in updates] == ["public", "full"], said
    assert_indexes_match(settings)
    for view in ("public", "full"):
        assert IndexLocation.of(settings, view, ENGINE).meta()["source"] == f"{current_stamp(settings)}/{view}"


def test_a_view_indexed_apart_that_fails_is_reported_as_any_other_error(grown, monkeypatch):
    """The full view's indexing fails in its own process (its published store is gone): the
    error comes back here, as one sentence with a fix, and the public view is indexed."""
    from cli import Context, build_search_indexes
    from kg.errors import ScipopError

    monkeypatch.setattr("cli.VIEWS_APART_FROM", 100)
    settings, _ = grown
    settings = replace(settings, memory_gb=1000)   # side by side, whatever this machine has free
    shutil.rmtree(published_root(settings) / current_stamp(settings) / "full" / "store")
    before = IndexLocation.of(settings, "public", ENGINE).current()
    with pytest.raises(ScipopError) as raised:
        build_search_indexes(Context(settings, quiet=True), ["public", "full"], rebuild=True)
    assert "no graph at" in raised.value.one_line() and "full/store" in raised.value.one_line() and "Fix:" in raised.value.one_line()
    assert IndexLocation.of(settings, "public", ENGINE).current() != before   # rebuilt, not left as it was
    with open_view(settings, "public") as kg:
        assert check_index(kg, settings, "public", ENGINE) == []


def test_a_view_indexed_apart_whose_process_is_killed_is_reported_not_waited_for(grown, monkeypatch):
    """The system kills the full view's indexing process (out of memory, say): the command
    says so and how to redo it, instead of waiting for an answer that never comes."""
    import multiprocessing
    import os
    import signal
    import threading

    from cli import Context, build_search_indexes
    from kg.errors import StoreError

    monkeypatch.setattr("cli.VIEWS_APART_FROM", 100)
    settings, _ = grown
    settings = replace(settings, memory_gb=1000)   # side by side, whatever this machine has free

    # Only the child this command starts: others (a SPARQL pool of a fixture) may be running.
    running_before = {child.pid for child in multiprocessing.active_children()}

    def kill_the_child() -> None:
        for _ in range(3000):
            children = [c for c in multiprocessing.active_children() if c.pid not in running_before]
            if children:
                os.kill(children[0].pid, signal.SIGKILL)
                return
            threading.Event().wait(0.01)

    killer = threading.Thread(target=kill_the_child)
    killer.start()
    with pytest.raises(StoreError) as raised:
        build_search_indexes(Context(settings, quiet=True), ["public", "full"], rebuild=True)
    killer.join()
    assert "Indexing the full view stopped before it finished" in raised.value.one_line()
    assert "scipop index --view full" in raised.value.one_line()


def test_views_whose_builds_would_not_fit_in_memory_together_are_indexed_one_after_the_other(grown, monkeypatch, capsys):
    """On a large graph the two views are indexed side by side, unless both builds would take
    more memory than --memory-gb allows: then this process builds one after the other, says
    why, and spawns nothing."""
    import multiprocessing

    from cli import Context, build_search_indexes
    from search import plan_index_memory

    monkeypatch.setattr("cli.VIEWS_APART_FROM", 100)
    settings, _ = grown
    settings = replace(settings, memory_gb=0.5)
    plan = plan_index_memory(settings, ["public", "full"])
    assert plan.needed_gb > 0.5 and not plan.side_by_side
    assert plan_index_memory(replace(settings, memory_gb=plan.needed_gb), ["public", "full"]).side_by_side

    running_before = {child.pid for child in multiprocessing.active_children()}
    build_search_indexes(Context(settings, quiet=False), ["public", "full"], rebuild=True)
    assert not [c for c in multiprocessing.active_children() if c.pid not in running_before]
    said = capsys.readouterr().err
    assert (f"Indexing the views one after the other: side by side they could take about "
            f"{plan.needed_gb:.1f} GB of memory, and --memory-gb allows 0.5 GB.") in said
    assert re.findall(r"Indexed \d+ documents .* for the (\w+) view", said) == ["public", "full"]
    assert_indexes_match(settings)


def test_updates_that_read_around_the_change_run_side_by_side_where_builds_would_not(grown, runner, monkeypatch,
                                                                                    capsys):
    """Under --memory-gb 8 two index builds of a decade run one after the other (10.3 GB side
    by side), and so did the updates after a 1 % increment: 1,183 s of its 2,202 s. An update
    that reads around the change holds what it reads, so the views' updates are planned by
    how far they reach: side by side when that fits, each given the changes found while
    planning, and the indexes end as a rebuild would make them."""
    import cli
    from cli import Context, build_search_indexes
    from search import index as search_index, plan_index_memory

    monkeypatch.setattr("cli.VIEWS_APART_FROM", 100)
    settings, increment = grown
    scipop(runner, settings, "--quiet", "ingest", "--skip-invalid", "--no-publish", str(increment))
    scipop(runner, settings, "--quiet", "publish")     # a publication the indexes do not follow yet
    views = ["public", "full"]
    builds, updates = plan_index_memory(settings, views), plan_index_memory(settings, views, rebuild=False)
    assert set(updates.updates) == set(views)
    assert all(0 < len(reach.reached) <= reach.documents / 10 and not reach.reads_whole for reach in updates.updates.values())
    assert updates.needed_gb < builds.needed_gb
    settings = replace(settings, memory_gb=(updates.needed_gb + builds.needed_gb) / 2)
    assert not plan_index_memory(settings, views).side_by_side
    looked_for, reaches, spawned = [], [], []
    changes_since, reached, apart = search_index._changes_since, search_index._reached, cli.Apart

    def look_for_changes(*args):
        looked_for.append(args[0])
        return changes_since(*args)

    def reach(*args):
        reaches.append(args[1])
        return reached(*args)

    def spawn(what, *args, **options):
        spawned.append((what, args[-1]))
        return apart(what, *args, **options)

    monkeypatch.setattr(search_index, "_changes_since", look_for_changes)
    monkeypatch.setattr(search_index, "_reached", reach)
    monkeypatch.setattr(cli, "Apart", spawn)
    assert plan_index_memory(settings, views, rebuild=False).side_by_side and len(looked_for) == len(reaches) == 2
    looked_for.clear()
    reaches.clear()
    stats = build_search_indexes(Context(settings, quiet=False), views, rebuild=False)
    said = capsys.readouterr().err
    assert "one after the other" not in said
    assert spawned == [("Indexing the full view", updates.updates["full"])]   # the child is handed its plan
    assert len(looked_for) == len(reaches) == 2     # in planning only: the updates were handed what it found
    assert all(stats[view].changed == len(updates.updates[view].changed) and not stats[view].read_whole
               for view in views)
    assert_indexes_match(settings)


def test_an_update_planned_before_a_publish_looks_for_the_changes_again(grown, runner):
    """Planned changes name what changed up to the publication current then: a publish that
    lands before the update runs makes them stale, and the update looks for the changes again."""
    from search import index_view, plan_index_memory

    settings, increment = grown
    scipop(runner, settings, "--quiet", "ingest", "--skip-invalid", "--no-publish", str(increment))
    scipop(runner, settings, "--quiet", "publish")
    planned = plan_index_memory(settings, ["public"], rebuild=False).updates["public"]
    scipop(runner, settings, "--quiet", "link", "--no-publish")
    scipop(runner, settings, "--quiet", "publish")      # after the plan, before the update
    with open_view(settings, "public") as kg:
        meta = IndexLocation.of(settings, "public", ENGINE).meta()
        assert planned.changes_for(settings, kg, meta) is None
    stats = index_view(settings, "public", False, ENGINE, planned=planned)
    assert stats.changed != len(planned.changed)   # found again (here: every document compared, the index's publication pruned)
    with open_view(settings, "public") as kg:
        assert check_index(kg, settings, "public", ENGINE) == []


@pytest.mark.parametrize("value", ["0", "-2", "nan", "inf", "lots"])
def test_the_memory_limit_is_a_positive_number_of_gigabytes(runner, value):
    result = runner.invoke(main, ["build", "--help"], env={"SCIPOP_MEMORY_GB": value})
    assert result.exit_code == 2 and "SCIPOP_MEMORY_GB" in result.output and value in result.output
    assert "Traceback" not in result.output


def test_sources_loaded_by_mistake_are_removed_from_the_graph_the_views_and_their_indexes(grown, runner):
    """A research office ingested the next year's projects into the wrong data directory:
    `scipop remove` takes the file out; the public view and both indexes lose its projects.
    Identities (and the evidence texts the views show) found with removed records' help are
    resolved again without them. The files' copies under sources/ stay."""
    settings, increment = grown
    minter = Minter(settings.base_iri)
    links, derived = minter.links_graph(), minter.derived_graph()
    # Person IRIs the links graph joins that no record names any more (in no graph but the derived ones).
    orphans = (f"SELECT DISTINCT ?x WHERE {{ GRAPH <{links}> {{ {{ ?x <http://www.w3.org/2002/07/owl#sameAs> ?c }} "
               f"UNION {{ ?c <http://www.w3.org/2002/07/owl#sameAs> ?x }} }} "
               f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?x ?p ?o }} FILTER(?g NOT IN (<{links}>, <{derived}>)) }} "
               f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?x }} FILTER(?g NOT IN (<{links}>, <{derived}>)) }} }}")
    projects = f"SELECT ?p WHERE {{ ?p a <{V.FundedProject}> }}"
    projects_file = next(f for f in sorted((increment / "projects").iterdir()) if f.suffix == ".csv")
    with open_view(settings, "public") as kg:
        before = {p for p, in kg.rows(projects)}
        assert list(kg.rows(orphans)) == []
    scipop(runner, settings, "--quiet", "ingest", str(projects_file))
    name = projects_file.name
    entry = next(e for e in json.loads(scipop(runner, settings, "sources", "--format", "json")) if e["name"] == name)
    assert entry["records"] > 0 and entry["format"] == "nsfc-projects"
    with open_view(settings, "public") as kg:
        added = {p for p, in kg.rows(projects)} - before
    assert added

    scipop(runner, settings, "--quiet", "remove", "--no-link", "--no-publish", "researchers/researchers.csv")
    with KnowledgeGraph(settings, read_only=True) as kg:
        assert list(kg.rows(orphans))   # without linking again, identities rest on records no longer there
    said = scipop(runner, settings, "remove", name, "projects/nsfc_projects.jsonl")
    count = entry["records"] + entry["restricted"]
    assert f"Removed {name} ({count} record{'' if count == 1 else 's'})." in said and "people again" in said
    for view in ("full", "public"):
        with open_view(settings, view) as kg:
            assert list(kg.rows(orphans)) == [], view
            if view == "public":
                after = {p for p, in kg.rows(projects)}
                assert after < before and not after & added
    assert_indexes_match(settings)
    with open_index(settings, "public", ENGINE) as index:
        assert all(index.document(p) is None for p in added)
    assert name not in {e["name"] for e in json.loads(scipop(runner, settings, "sources", "--format", "json"))}
    assert any(f.read_bytes() == projects_file.read_bytes() for f in settings.sources_dir.iterdir())
