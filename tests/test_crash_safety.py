"""Faults lose nothing: a `scipop ingest` killed with SIGKILL in its write phase leaves the
previous data intact, the store without half a batch and the search indexes matching the
graph; readers during an ingest see the old data or the new, never half; and a search
index found missing, out of date or damaged is rebuilt from the graph by the server.

Everything here is real: the CLI runs as a subprocess, the store is Oxigraph on disk, the
indexes are Tantivy's, the readers go through the Flask app and its SPARQL workers.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kg.config import Settings
from kg.publish import current_stamp, publish, published_root
from kg.store import CHECKPOINT, JOURNAL, KnowledgeGraph
from kg.views import open_view
from search import build_index, check_index

ROOT = Path(__file__).resolve().parent.parent
SCIPOP = Path(sys.executable).with_name("scipop")
STORY = ROOT / "tests" / "data" / "search"
STORY_SOURCES = [STORY / name for name in ("projects.jsonl", "researchers.csv", "outputs.jsonl", "works.csv")]
LATER_WORKS = STORY / "later" / "works_more.csv"
# 700 projects (a few dirty rows, hence --skip-invalid): staging takes seconds, so the write
# phase is reached well after the process started, and lasts long enough to be caught.
BIG_BATCH = ROOT / "demo" / "data" / "projects"
ENGINE = "tantivy"
pytestmark = pytest.mark.embedded_only

COUNTS = """PREFIX sp: <https://w3id.org/scipop/ontology#>
SELECT ?projects ?works ?quads WHERE {
  { SELECT (COUNT(DISTINCT ?p) AS ?projects) WHERE { ?p a sp:FundedProject } }
  { SELECT (COUNT(DISTINCT ?w) AS ?works) WHERE { ?w a sp:PopularScienceWork } }
  { SELECT (COUNT(*) AS ?quads) WHERE { GRAPH ?g { ?s ?pr ?o } } } }"""


def story_data_dir(data_dir: Path, indexes: bool = True) -> Settings:
    """The search tests' small graph: ingested, published and (by default) indexed for both views."""
    settings = Settings(data_dir=data_dir, search_engine=ENGINE)
    with KnowledgeGraph(settings) as kg:
        ingest_paths(kg, STORY_SOURCES)
        publish(kg)
    if indexes:
        for view in ("public", "full"):
            with open_view(settings, view) as kg:
                build_index(kg, settings, view, ENGINE)
    return settings


def quads(kg: KnowledgeGraph) -> set[tuple]:
    return {tuple(row) for row in kg.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")}


def counts(kg: KnowledgeGraph) -> tuple[int, int, int]:
    row = kg.select(COUNTS)[0]
    return int(row["projects"]), int(row["works"]), int(row["quads"])


def cli_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "SCIPOP_DATA_DIR": str(data_dir), "SCIPOP_QUIET": "1", "SCIPOP_SEARCH_ENGINE": ENGINE}


def start_ingest(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(SCIPOP), "ingest", *args], env=cli_env(data_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def store_files(store: Path) -> dict[str, int]:
    found = {}
    for path in store.iterdir():
        try:
            found[path.name] = path.stat().st_size
        except FileNotFoundError:  # RocksDB removed it between listing and stat
            continue
    return found


def kill_in_write_phase(process: subprocess.Popen, data_dir: Path) -> None:
    """SIGKILL once the journal says the write has begun and the store's files have changed
    since (the batch is going in); fail if the process ends before that."""
    journal = data_dir / JOURNAL
    while not journal.exists():
        assert process.poll() is None, f"the ingest ended before writing: {process.communicate()[1].decode()}"
        time.sleep(0.002)
    at_start = store_files(data_dir / "store")
    waited = 0
    while store_files(data_dir / "store") == at_start and process.poll() is None and waited < 2000:
        time.sleep(0.001)  # usually a few ms: drop the file's old graphs, then the bulk load
        waited += 1
    assert process.poll() is None, "the ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCIPOP), *args], env=cli_env(data_dir), capture_output=True, text=True, timeout=600)


def test_an_ingest_killed_in_its_write_phase_loses_nothing_and_leaves_no_half_batch(tmp_path):
    settings = story_data_dir(tmp_path / "scipop-data")
    data_dir = settings.data_dir
    with KnowledgeGraph(settings, read_only=True) as kg:
        before = quads(kg)
        before_counts = counts(kg)
    stamp = current_stamp(settings)
    with open_view(settings, "public") as public:
        public_before = quads(public)

    process = start_ingest(data_dir, str(BIG_BATCH), "--skip-invalid")
    kill_in_write_phase(process, data_dir)
    # Killed mid-write: the journal and the checkpoint are still there for the next opener.
    assert (data_dir / JOURNAL).exists() and (data_dir / CHECKPOINT).exists()

    with KnowledgeGraph(settings) as kg:  # a writer's open rolls the half-done write back
        assert quads(kg) == before
        assert counts(kg) == before_counts
    assert not (data_dir / JOURNAL).exists() and not (data_dir / CHECKPOINT).exists()
    # What readers see did not move: same publication, same public statements.
    assert current_stamp(settings) == stamp
    with open_view(settings, "public") as public:
        assert quads(public) == public_before
    # The indexes still match the graph they were built from, by the CLI's own check.
    for view in ("public", "full"):
        checked = run_cli(data_dir, "index", "--check", "--view", view)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    # And the store takes the same ingest afterwards: no stale lock, no leftover staging.
    done = run_cli(data_dir, "ingest", str(BIG_BATCH), "--skip-invalid")
    assert done.returncode == 0, done.stderr
    with KnowledgeGraph(settings, read_only=True) as kg:
        assert counts(kg)[0] > before_counts[0] + 600
        sources_before = {q for q in before if "/graph/source/" in str(q[0])}
        assert sources_before and sources_before <= quads(kg)  # the earlier files' graphs are untouched
    # The killed run's staging file was cleared by the next ingest (it can be as large as the input).
    assert not any((data_dir / "staging").iterdir())


# An ingest's worker pool as `stage_all` starts it, with a task that outlives the ingest
# (a large file takes minutes to map).
ORPHAN_PARENT = """
import os, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from kg.apart import exit_with_parent

if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        print(pool.submit(os.getpid).result(), flush=True)
        pool.submit(time.sleep, 300)
        time.sleep(300)
"""


# Work made apart (kg.apart), as derive and publish start it, that outlives its caller.
ORPHAN_APART_PARENT = """
import os, time
from kg.apart import apart

if __name__ == "__main__":
    with apart("Sleeping", time.sleep, 300) as work:
        print(work._child.pid, flush=True)
        time.sleep(300)
"""


def running(pid: int) -> bool:
    """Is the process there and not a zombie (an orphan's exit may wait for a reaper)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("parent_script", [ORPHAN_PARENT, ORPHAN_APART_PARENT], ids=["ingest workers", "work apart"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_the_child_processes_of_a_killed_command_do_not_work_on(tmp_path, sig, parent_script):
    script = tmp_path / "parent.py"
    script.write_text(parent_script)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    worker = None
    try:
        # The worker's pid, or fail after a minute rather than hang the suite.
        ready, _, _ = select.select([parent.stdout], [], [], 60)
        assert ready, "the worker pool did not start"
        worker = int(parent.stdout.readline())
        assert running(worker)
        parent.send_signal(sig)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while running(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not running(worker), "the worker outlived its ingest"
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
        if worker is not None and running(worker):
            os.kill(worker, signal.SIGKILL)   # a failed run leaves no sleeper behind


def test_an_ingest_killed_while_publishing_leaves_the_previous_publication_current(tmp_path):
    settings = story_data_dir(tmp_path / "scipop-data")
    data_dir = settings.data_dir
    stamp = current_stamp(settings)
    with open_view(settings, "public") as public:
        public_before = quads(public)

    process = start_ingest(data_dir, str(LATER_WORKS))
    root = published_root(settings)
    while not [p for p in root.iterdir() if p.is_dir() and p.name != stamp]:
        assert process.poll() is None, f"the ingest ended before publishing: {process.communicate()[1].decode()}"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.communicate()

    if current_stamp(settings) == stamp:  # killed before the switch (the usual case)
        with open_view(settings, "public") as public:
            assert quads(public) == public_before
        for view in ("public", "full"):
            checked = run_cli(data_dir, "index", "--check", "--view", view)
            assert checked.returncode == 0, checked.stdout + checked.stderr
    # Either way the ingest itself was committed before publishing began, and a publish
    # run afterwards completes and shows the new works.
    published = run_cli(data_dir, "publish")
    assert published.returncode == 0, published.stderr
    with open_view(settings, "public") as public:
        assert counts(public)[1] > 0 and len(quads(public)) > len(public_before)


def test_an_index_build_killed_by_the_system_leaves_nothing_behind_after_the_next_build(tmp_path):
    """The system kills `scipop index` (out of memory): its half-built index directory, as
    large as a whole one, stays on disk only until the next build, which removes it. A
    build still running in another process (another container sharing the disk) is left
    alone until it, too, is gone."""
    from search.store import BUILDING, IndexLocation

    settings = story_data_dir(tmp_path / "scipop-data", indexes=False)
    root = IndexLocation.of(settings, "public", ENGINE).root
    process = subprocess.Popen([str(SCIPOP), "index", "--view", "public"], env=cli_env(settings.data_dir),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def building() -> set[str]:
        return {p.name for p in root.iterdir() if p.name.startswith(BUILDING)} if root.is_dir() else set()

    while not any((root / name).is_dir() for name in building()):
        assert process.poll() is None, f"the build ended before it was caught: {process.communicate()[1].decode()}"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.communicate()
    abandoned = building()
    assert abandoned and IndexLocation.of(settings, "public", ENGINE).current() is None

    # Another build, in a process of its own, is under way in the same directory.
    other = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from search.store import IndexLocation\n"
        f"path = IndexLocation(Path({str(root)!r})).new_dir(); path.mkdir(); print(path.name, flush=True)\n"
        "time.sleep(600)")], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        running = other.stdout.readline().strip()
        with open_view(settings, "public") as kg:
            build_index(kg, settings, "public", ENGINE)
            assert check_index(kg, settings, "public", ENGINE) == []
        assert running and building() == {running, running + ".lock"}
    finally:
        other.send_signal(signal.SIGKILL)
        other.communicate(timeout=60)
    with open_view(settings, "public") as kg:
        build_index(kg, settings, "public", ENGINE)
    assert building() == set()


def test_readers_during_an_ingest_see_the_old_data_or_the_new_never_half(tmp_path):
    from web import create_app

    settings = story_data_dir(tmp_path / "scipop-data", indexes=False)
    app = create_app({"settings": settings, "SCIPOP_SECRET_KEY": "test-secret-key-for-crash-safety-tests",
                      "SCIPOP_SPARQL_WORKERS": 1, "SCIPOP_SPARQL_BUDGET_REQUESTS": 0,
                      "SCIPOP_SPARQL_BUDGET_SECONDS": 0})
    with open_view(settings, "public") as public:
        old = counts(public)
    seen: list[tuple[int, int, int]] = []
    problems: list[str] = []
    stop = threading.Event()

    def read_sparql() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.get("/sparql", query_string={"query": COUNTS},
                                  headers={"Accept": "application/sparql-results+json"})
            if response.status_code != 200:
                problems.append(f"{response.status_code} {response.get_data(as_text=True)[:200]}")
                continue
            row = json.loads(response.data)["results"]["bindings"][0]
            seen.append(tuple(int(row[k]["value"]) for k in ("projects", "works", "quads")))

    def read_views() -> None:
        while not stop.is_set():
            graph = app.extensions["scipop"].views.graph("public")  # what every page reads
            seen.append(counts(graph))

    try:
        readers = [threading.Thread(target=read_sparql), threading.Thread(target=read_views)]
        for reader in readers:
            reader.start()
        done = run_cli(settings.data_dir, "ingest", str(BIG_BATCH), "--skip-invalid")
        assert done.returncode == 0, done.stderr
        with open_view(settings, "public") as public:
            new = counts(public)
        # Keep reading until the readers have met the new publication (they poll its pointer).
        while new not in seen and not problems:
            time.sleep(0.05)
        stop.set()
        for reader in readers:
            reader.join(timeout=120)
    finally:
        stop.set()
        app.extensions["scipop"].sparql.close()
    assert not problems, problems[:3]
    assert new[0] > old[0] + 600
    assert set(seen) <= {old, new}, sorted(set(seen) - {old, new})[:5]
    assert old in seen and new in seen


def test_the_server_rebuilds_a_missing_stale_or_damaged_search_index_from_the_graph(tmp_path):
    from web import create_app

    settings = story_data_dir(tmp_path / "scipop-data", indexes=False)

    def make():
        return create_app({"settings": settings, "SCIPOP_SECRET_KEY": "test-secret-key-for-crash-safety-tests",
                           "SCIPOP_SPARQL_WORKERS": 1, "SCIPOP_SEARCH_ENGINE": ENGINE})

    def search_until_ready(app, text: str) -> dict:
        client = app.test_client()
        first = client.get("/api/search", query_string={"q": text})
        if first.status_code == 503:
            error = first.get_json()["error"]
            assert error["code"] == "search_unavailable" and "rebuilt" in error["message"]
            assert first.headers["Retry-After"]
            app.extensions["scipop"].views.wait_for_repairs()
            assert not app.extensions["scipop"].views.repair_errors
            first = client.get("/api/search", query_string={"q": text})
        assert first.status_code == 200, first.get_data(as_text=True)
        return first.get_json()

    def index_matches() -> None:
        with open_view(settings, "public") as kg:
            assert check_index(kg, settings, "public", ENGINE) == []

    # 1. Missing: no index was ever built.
    app = make()
    assert search_until_ready(app, "量子计算")["total"] > 0
    index_matches()

    # 2. Out of date: an ingest published new works; the running server catches up by itself.
    with KnowledgeGraph(settings) as kg:
        ingest_paths(kg, [LATER_WORKS])
        publish(kg)
    assert any("超导量子比特" in hit["label"] for hit in search_until_ready(app, "超导量子比特")["hits"])
    index_matches()
    app.extensions["scipop"].sparql.close()

    # 3. Damaged: the engine's files are gone; a new server builds the index from scratch.
    from search.store import META, IndexLocation

    current = IndexLocation.of(settings, "public", ENGINE).current()
    for path in current.iterdir():
        if path.name != META:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    app = make()
    assert any("超导量子比特" in hit["label"] for hit in search_until_ready(app, "超导量子比特")["hits"])
    index_matches()
    app.extensions["scipop"].sparql.close()


def test_work_made_apart_that_is_killed_fails_its_caller_instead_of_hanging_it():
    """A derive builds its collaboration network, and a publish the staff pages, in a child
    process. If the system kills that child (out of memory), the caller must get an error
    that says what stopped, not wait for ever (as a multiprocessing.Pool's caller would)."""
    from kg.apart import apart
    from kg.errors import InvalidIdentifier, StoreError
    from kg.ids import normalize_doi

    with apart("Building the collaboration network", signal.raise_signal, signal.SIGKILL) as work:
        with pytest.raises(StoreError, match=r"Building the collaboration network stopped before it finished \(exit status -9\)"):
            work.result()
    with apart("Sorting", sorted, [3, 1, 2]) as work:
        assert work.result() == [1, 2, 3]
    with apart("Parsing", int, "not a number") as work:   # an unexpected error comes back with its traceback
        with pytest.raises(RuntimeError, match="(?s)Parsing failed in its process.*ValueError"):
            work.result()
    with apart("Opening", open, os.devnull) as work:   # a value that cannot travel back
        with pytest.raises(RuntimeError, match="(?s)Opening failed in its process.*pickle"):
            work.result()
    with apart("Reading a DOI", normalize_doi, "not a DOI") as work:   # the project's own errors come back as they are
        with pytest.raises(InvalidIdentifier, match="'not a DOI' is not a DOI"):
            work.result()


def sort_apart(values: list) -> list:
    """Work apart that starts work apart of its own (module level: spawn imports it)."""
    from kg.apart import apart

    with apart("Sorting", sorted, values) as work:
        return work.result()


def test_work_apart_may_start_work_apart_when_it_is_not_a_daemon():
    """A publish's public view is made in a child whose derive builds the network in a
    grandchild; a daemon process may not start one."""
    from kg.apart import apart

    with apart("Sorting in a grandchild", sort_apart, [3, 1, 2], daemon=False) as work:
        assert work.result() == [1, 2, 3]
    with apart("Sorting in a grandchild", sort_apart, [3, 1, 2]) as work:
        with pytest.raises(RuntimeError, match="daemonic processes are not allowed to have children"):
            work.result()


def test_a_file_replaced_whole_keeps_its_old_content_when_the_writer_fails(tmp_path):
    """The state file of the links graph, the linking caches and the publication pointers are
    written through kg.atomic: a writer that fails half-way leaves the old file and no
    temporary beside it; one that succeeds leaves only the new file."""
    from kg.atomic import replace_text, replacing

    pointer = tmp_path / "CURRENT"
    replace_text(pointer, "20261130T101010\n")
    with pytest.raises(OSError, match="disk full"):
        with replacing(pointer, binary=False) as handle:
            handle.write("20261130T2")
            raise OSError("disk full")
    assert pointer.read_text(encoding="utf-8") == "20261130T101010\n"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]
    with replacing(pointer) as handle:
        handle.write(b"20261130T202020\n")
    assert pointer.read_bytes() == b"20261130T202020\n"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]

    # A writer killed half-way (no cleanup runs) leaves its temporary; under the write lock the
    # name is fixed, so the next writer takes it over instead of leaving a second one.
    state = tmp_path / "links.nq"
    (tmp_path / ".links.nq.tmp").write_bytes(b"<a> <b> <c> <links> .\n" * 1000)
    with replacing(state) as handle:
        handle.write(b"# stamp 2\n")
    assert state.read_bytes() == b"# stamp 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CURRENT", "links.nq"]
