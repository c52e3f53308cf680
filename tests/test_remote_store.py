"""Users who outgrow one machine point the same code at a SPARQL server (here a real `oxigraph serve`)."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from ingest.pipeline import ingest_paths
from kg import derive
from kg import vocab as V
from kg.config import Settings
from kg.errors import StoreError
from kg.remote import JOURNAL
from kg.store import KnowledgeGraph, prefix_block

from conftest import DATA

ROOT = Path(__file__).resolve().parent.parent

PROJECTS = DATA / "projects"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sparql_server(tmp_path):
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(binary).exists():
        pytest.skip("the oxigraph server (pip install oxigraph) is not installed")
    for _attempt in range(3):
        process, url = _start_oxigraph(binary, tmp_path / "server", _free_port())
        if url is not None:
            break
    else:
        raise AssertionError("oxigraph serve found no free port in three tries")
    yield url
    process.terminate()
    process.wait(timeout=10)


def _start_oxigraph(binary: str, location: Path, port: int) -> tuple[subprocess.Popen, str | None]:
    """The server and its query URL; no URL when it could not bind the port (_free_port let
    it go, and a parallel test's server may have taken it: its answers would not be ours)."""
    process = subprocess.Popen([binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                                "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            return process, None
        try:
            urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1).read()
            time.sleep(0.3)   # a server that failed to bind exits at once: the answer came from another
            return (process, url) if process.poll() is None else (process, None)
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)


@pytest.fixture
def remote_kg(sparql_server, tmp_path):
    graph = KnowledgeGraph(Settings(data_dir=tmp_path / "client", store_url=sparql_server))
    yield graph
    graph.close()


def _snapshot(kg) -> set:
    return {tuple(row) for row in kg.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")}


def test_ingest_and_query_through_a_sparql_server(remote_kg):
    summary = ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    rows = remote_kg.select(prefix_block() + "SELECT ?n WHERE { ?p a sp:FundedProject ; sp:approvalNumber ?n } ORDER BY ?n")
    assert len(rows) == summary.records == 4
    graph = remote_kg.minter.source_graph("dailycafi_C0501_2022.csv")
    assert graph in remote_kg.graph_names()
    assert 0 < remote_kg.count_triples(graph) <= summary.triples
    statuses = remote_kg.select(prefix_block() + "SELECT ?p ?s WHERE { ?p sp:popularizationStatus ?s }")
    assert len(statuses) == 4
    # A query the server refuses is the query's fault, in the server's words, not the address's.
    from kg.errors import QueryError

    with pytest.raises(QueryError, match=r"refused the request \(400\)") as refused:
        remote_kg.select("SELECT * WHERE { ?s ?p ?o BIND(1 AS ?s) }")
    assert "--store-url" not in refused.value.one_line()


def test_re_ingest_is_idempotent_on_the_server(remote_kg):
    ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    first = {t for t in _snapshot(remote_kg) if t[0] != remote_kg.minter.catalog_graph()}
    ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    second = {t for t in _snapshot(remote_kg) if t[0] != remote_kg.minter.catalog_graph()}
    assert first == second


def test_a_failed_write_is_rolled_back_on_the_server(remote_kg, monkeypatch):
    ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    before = _snapshot(remote_kg)

    def fail(kg):
        raise RuntimeError("the derived step failed")

    monkeypatch.setattr(derive, "refresh", fail)
    with pytest.raises(RuntimeError):
        ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv", PROJECTS / "projects_zh.jsonl"])
    assert _snapshot(remote_kg) == before


def test_a_command_started_during_a_write_does_not_undo_it(remote_kg, sparql_server):
    """The journal of a write in progress looks like a killed one's: opening the store from
    the same data directory meanwhile used to restore the saved graphs under the writer."""
    ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    graph = remote_kg.minter.source_graph("dailycafi_C0501_2022.csv")
    with remote_kg.write():
        remote_kg.drop_graph(graph)
        other = KnowledgeGraph(remote_kg.settings)   # the journal now names the saved graph
        other.close()
        assert graph not in remote_kg.graph_names()
    assert graph not in remote_kg.graph_names()


def _a_write_killed_after_dropping(remote_kg, graph) -> dict:
    """Another process drops `graph` inside a write and is killed; returns its journal."""
    settings = remote_kg.settings
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from kg.config import Settings
        from kg.store import KnowledgeGraph
        from rdflib import URIRef
        kg = KnowledgeGraph(Settings(data_dir=Path({str(settings.data_dir)!r}), store_url={settings.store_url!r}))
        with kg.write():
            kg.drop_graph(URIRef({str(graph)!r}))
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()
    assert graph not in remote_kg.graph_names()
    return json.loads((settings.data_dir / JOURNAL).read_text())


def test_a_recovery_cut_short_and_run_again_restores_the_graph_once(remote_kg):
    """A killed write leaves its journal; the next open moves each saved graph back. If that
    recovery is itself cut short after a graph was moved back, running it again must not
    empty the graph (MOVE SILENT from a backup that is gone drops the target)."""
    ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    graph = remote_kg.minter.source_graph("dailycafi_C0501_2022.csv")
    before = _snapshot(remote_kg)
    journal = _a_write_killed_after_dropping(remote_kg, graph)
    # The first recovery moves the graph back and is killed before it removes the journal.
    for saved, backup in journal["saved"].items():
        remote_kg.backend._update(f"MOVE <{backup}> TO <{saved}>")
    assert _snapshot(remote_kg) == before

    KnowledgeGraph(remote_kg.settings).close()   # the recovery, run again from the same journal
    assert _snapshot(remote_kg) == before
    assert not (remote_kg.settings.data_dir / JOURNAL).exists()


def test_a_write_killed_while_this_process_had_the_store_open_is_undone_before_its_next_write(remote_kg):
    """Several processes share one server: one that opened before another's write was killed
    must undo that write before its own journal replaces the killed one's."""
    ingest_paths(remote_kg, [PROJECTS / "dailycafi_C0501_2022.csv"])
    graph = remote_kg.minter.source_graph("dailycafi_C0501_2022.csv")
    before = _snapshot(remote_kg)
    _a_write_killed_after_dropping(remote_kg, graph)
    with remote_kg.write():
        assert _snapshot(remote_kg) == before
    assert _snapshot(remote_kg) == before
    assert not (remote_kg.settings.data_dir / JOURNAL).exists()


def test_a_write_inside_a_write_on_the_server_is_named_as_such(remote_kg):
    with remote_kg.write():
        with pytest.raises(StoreError, match="writes do not nest"):
            with remote_kg.write():
                pass
    with remote_kg.write():   # the outer write ended cleanly
        pass


def test_linking_through_a_sparql_server_finds_the_identities_the_embedded_store_finds(remote_kg, tmp_path):
    """A first link loads its links graph while it still resolves; on a server that load goes
    over the protocol from a second thread. The identities (owl:sameAs) equal the embedded
    store's, every merge has its decision, and the next link follows the graph (only the
    run's stamp changes). The decisions' node IRIs may differ: the server returns rows in
    another order, and a cluster's merges may then be made between other pairs of its members."""
    from kg.linking import run_linking

    world = Path(__file__).resolve().parent / "data" / "linking" / "world"
    with KnowledgeGraph(Settings(data_dir=tmp_path / "embedded")) as embedded:
        ingest_paths(embedded, [world])
        with embedded.write():
            run_linking(embedded)
        expected = _identities(embedded)
    ingest_paths(remote_kg, [world])
    with remote_kg.write():
        first = run_linking(remote_kg)
    assert len(expected) > 20 and isomorphic(_identities(remote_kg), expected)
    decisions = remote_kg.select(prefix_block() + f"""SELECT DISTINCT ?d WHERE {{
        GRAPH <{remote_kg.minter.links_graph()}> {{ ?d a sp:IdentityDecision ; sp:linkRelation owl:sameAs }} }}""")
    assert first.quads_removed == 0 and len(decisions) == first.decisions
    with remote_kg.write():
        again = run_linking(remote_kg)
    assert (again.quads_removed, again.quads_added) == (1, 1)


def _identities(kg) -> Graph:
    graph = Graph()
    for triple in kg.triples_of(kg.minter.links_graph()):
        if triple[1] == V.sameAs:
            graph.add(triple)
    return graph


def test_a_server_that_is_down_or_not_a_query_endpoint_is_named_in_one_sentence(runner, tmp_path):
    """A mistyped --store-url: not rdflib's 'You did something wrong formulating …' traceback."""
    import http.server
    import threading

    from cli import main

    down = f"http://127.0.0.1:{_free_port()}/query"
    said = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "-q", "--store-url", down, "stats"])
    assert said.exit_code == 2 and said.exception is not None
    assert f"The SPARQL server at {down} cannot be reached" in said.output and "Traceback" not in said.output
    # A web server, but not a SPARQL one (a wrong port, or the path left off).
    files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    try:
        wrong = f"http://127.0.0.1:{files.server_address[1]}/query"
        for command in (["stats"], ["sources"], ["query", "ASK { ?s ?p ?o }"]):
            said = runner.invoke(main, ["--data-dir", str(tmp_path / "d"), "-q", "--store-url", wrong, *command])
            assert said.exit_code == 2, (command, said.output)
            assert f"The SPARQL server at {wrong} answered 404" in said.output and "query endpoint" in said.output
    finally:
        files.shutdown()
        files.server_close()
