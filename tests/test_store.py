"""The store keeps what the user loaded: failed or killed writes leave it exactly as it was."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from kg import vocab as V
from kg.errors import InputError, Location, StoreError
from kg.store import JOURNAL, KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.embedded_only  # checkpoints and publications belong to the embedded store


def _nquads(tmp_path: Path, kg: KnowledgeGraph, graph: URIRef, n: int) -> Path:
    path = tmp_path / f"{n}.nq"
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(f"<{kg.minter.project(f'6177{i:04d}')}> <{V.title}> \"项目 {i}\"@zh <{graph}> .\n")
    return path


def _snapshot(kg: KnowledgeGraph) -> set:
    return {tuple(row) for row in kg.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")}


def test_a_failed_write_leaves_the_store_exactly_as_it_was(kg, tmp_path):
    graph = kg.minter.source_graph("projects.csv")
    with kg.write():
        kg.load_nquads(_nquads(tmp_path, kg, graph, 50))
    before = _snapshot(kg)

    with pytest.raises(RuntimeError):
        with kg.write():
            kg.drop_graph(graph)
            kg.load_nquads(_nquads(tmp_path, kg, kg.minter.source_graph("other.csv"), 7))
            raise RuntimeError("the ingest failed half way")

    assert _snapshot(kg) == before
    assert not (kg.settings.data_dir / "store.journal").exists()
    assert not (kg.settings.data_dir / "store.checkpoint").exists()


def test_parts_still_being_made_load_as_one_and_their_producers_error_undoes_the_load(kg, tmp_path):
    """Ingest hands its staged parts to one bulk load while later ones are still being mapped:
    every part lands, and a mapping error raised between parts reaches the caller as it is,
    with the parts already loaded rolled back."""
    graph = kg.minter.source_graph("projects.csv")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    made: list[Path] = []

    def parts():
        for folder, n in (("a", 5), ("b", 9)):
            made.append(_nquads(tmp_path / folder, kg, graph, n))
            yield made[-1]

    with kg.write():
        kg.load_parts(parts())
    assert len(made) == 2
    assert kg.count_triples(graph) == 9   # the 5 projects of the first part are among the 9 of the second
    before = _snapshot(kg)

    def failing_parts():
        yield _nquads(tmp_path / "a", kg, kg.minter.source_graph("other.csv"), 3)
        raise InputError(Location(file="other.csv", line=4, field="项目批准号"), "not an approval number")

    with pytest.raises(InputError, match="not an approval number"):
        with kg.write():
            kg.load_parts(failing_parts())
    assert _snapshot(kg) == before


def test_a_write_killed_with_sigkill_is_rolled_back_on_next_open(settings, tmp_path):
    with KnowledgeGraph(settings) as kg:
        graph = kg.minter.source_graph("projects.csv")
        with kg.write():
            kg.load_nquads(_nquads(tmp_path, kg, graph, 20))
        before = _snapshot(kg)
        big = _nquads(tmp_path, kg, kg.minter.source_graph("big.csv"), 5000)

    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from kg.config import Settings
        from kg.store import KnowledgeGraph
        kg = KnowledgeGraph(Settings(data_dir=Path({str(settings.data_dir)!r})))
        with kg.write():
            kg.drop_graph(kg.minter.source_graph("projects.csv"))
            kg.load_nquads(Path({str(big)!r}))
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()
    assert (settings.data_dir / "store.journal").exists()

    with KnowledgeGraph(settings) as kg:
        assert _snapshot(kg) == before
    assert not (settings.data_dir / "store.journal").exists()


def test_only_one_writer_at_a_time(kg, settings):
    """A second process that wants to write while another writes is refused at once."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, sys
        lock = open({str(settings.data_dir / "write.lock")!r}, "a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        print("holding", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "holding\n"
        with pytest.raises(StoreError, match="Another scipop process is writing"):
            with kg.write():
                pass
    finally:
        holder.communicate("", timeout=30)
    with kg.write():   # free again once the other writer is gone
        pass


def test_a_write_inside_a_write_is_named_as_such_not_blamed_on_another_process(kg):
    with kg.write():
        with pytest.raises(StoreError, match="already writing to this data directory: writes do not nest"):
            with kg.write():
                pass
    with kg.write():   # the outer write released the lock
        pass


def test_a_command_started_during_a_write_neither_opens_the_store_nor_rolls_the_write_back(kg, settings):
    """`scipop publish` started while an ingest writes: opening the store used to roll the
    live write back first (the checkpoint of a write in progress looks like a killed one's)."""
    graph = kg.minter.source_graph("a.csv")
    statement = (URIRef("https://example.org/a"), V.name, Literal("written during the other open"))
    other_command = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from kg.config import Settings
        from kg.errors import StoreError
        from kg.store import KnowledgeGraph
        try:
            KnowledgeGraph(Settings(data_dir=Path({str(settings.data_dir)!r})))
        except StoreError as error:
            sys.exit(str(error))
    """)
    with kg.write():
        kg.dataset.graph(graph).add(statement)
        done = subprocess.run([sys.executable, "-c", other_command], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 1 and "Another scipop process is writing" in done.stderr, done.stderr
        # The same mistake inside this process is named as a fault in the command.
        with pytest.raises(StoreError, match="the store is not opened twice during one"):
            KnowledgeGraph(settings)
        assert statement in kg.dataset.graph(graph)
    assert statement in kg.dataset.graph(graph)


def test_a_journal_whose_checkpoint_was_already_put_back_is_removed_and_the_store_kept(kg, settings):
    """A recovery killed between putting the checkpoint back and removing the journal leaves
    the journal alone; the next open keeps the store as it is and removes the journal, so that
    a later half-taken checkpoint is never mistaken for a whole one."""
    graph = kg.minter.source_graph("a.csv")
    statement = (URIRef("https://example.org/a"), V.name, Literal("kept"))
    with kg.write():
        kg.dataset.graph(graph).add(statement)
    kg.close()
    (settings.data_dir / JOURNAL).write_text("write in progress; the checkpoint is restored on next open\n")
    with KnowledgeGraph(settings) as reopened:
        assert statement in reopened.dataset.graph(graph)
    assert not (settings.data_dir / JOURNAL).exists()


def test_checkpoints_left_by_a_killed_run_go_at_the_next_writable_open(settings):
    """Work in a second process reads a checkpoint of the store (restricted records and all);
    a run killed with SIGKILL cannot remove it, so the next one that holds the store does."""
    from kg.store import SNAPSHOTS

    with KnowledgeGraph(settings):
        pass
    for name in SNAPSHOTS:
        (settings.data_dir / name / "store").mkdir(parents=True)
    with KnowledgeGraph(settings, read_only=True):
        assert all((settings.data_dir / name).exists() for name in SNAPSHOTS)   # readers touch nothing
    with KnowledgeGraph(settings):
        assert not any((settings.data_dir / name).exists() for name in SNAPSHOTS)


def test_counts_come_from_the_store_not_from_len(kg, tmp_path):
    graph = kg.minter.source_graph("a.csv")
    with kg.write():
        kg.load_nquads(_nquads(tmp_path, kg, graph, 12))
    assert kg.count_triples(graph) == 12
    assert kg.count_triples() == 12
    assert graph in kg.graph_names()


def test_the_rdflib_api_sees_the_union_of_named_graphs(kg, tmp_path):
    with kg.write():
        kg.load_nquads(_nquads(tmp_path, kg, kg.minter.source_graph("a.csv"), 3))
    project = kg.minter.project("61770001")
    assert kg.dataset.value(project, V.title) == Literal("项目 1", lang="zh")
    rows = kg.select("SELECT ?t WHERE { ?p <%s> ?t }" % V.title)
    assert len(rows) == 3


def test_a_result_read_on_one_thread_can_be_let_go_on_another(kg):
    """Found serving the demo: pyoxigraph's result iterators may only be dropped on the thread
    that made them, and oxrdflib's SELECT result holds its iterator in a reference cycle, so a
    result not read to the end was dropped by the garbage collector on whichever request thread
    ran it next ('PyQuerySolutions is unsendable, but is being dropped on another thread')."""
    import gc
    import threading

    with kg.write():
        kg.update("INSERT DATA { GRAPH <urn:test:g> { <urn:a> <urn:p> 1, 2, 3 } }", touches=[URIRef("urn:test:g")])
    def ask_on_a_request_thread():
        result = kg.query("SELECT ?o WHERE { <urn:a> <urn:p> ?o }")
        next(iter(result))             # read the first row only, as a row cap or a page wanting one value does
        kg.rows("SELECT ?o WHERE { <urn:a> <urn:p> ?o }")   # never read at all

    thread = threading.Thread(target=ask_on_a_request_thread)
    thread.start()
    thread.join()
    gc.collect()   # an unraisable error here (a result freed off its thread) fails the test: warnings are errors
