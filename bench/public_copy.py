"""The public view's copy, made three ways: what the publish does, and two that were tried.

    flock /tmp/scipop-bench.lock .venv/bin/python bench/public_copy.py --data-dir bench/out/full-build-10000-1

A publish copies every public statement that names nothing withheld from the working store
into a new store (kg.publish.make_public_view); on a build it is the derive+publish stage's
critical path (docs/scaling.md, "Where a derive+publish spends its time"). Each way runs in a
fresh child process on the data directory's working store (read-only), copies into a
scratch store, and prints its wall time and CPU time (every thread):

- `read`: the publish's read and filter alone, nothing loaded (what reading costs in Python);
- `dump`: Oxigraph's own dump of the same graphs to N-Quads, no filter (what reading costs in Rust);
- `publish`: as kg.publish does it: quads read in Python, filtered (`Withheld.names`),
  handed to `bulk_extend`;
- `text`: each graph dumped by Oxigraph as N-Triples into a file, its lines filtered by a
  thread (a line is parsed only when it may name something withheld) and written as N-Quads
  parts, which the main thread bulk-loads as one stream while the next are written.
  Statements with a blank node (the ontology's axioms) are added as objects afterwards, so
  their labels stay the working store's;
- `split`: the publish's read and filter in a second process, which writes the statements as
  N-Quads parts; this one bulk-loads them as one stream as they are finished (blank nodes as
  in `text`). Two processes, so reading and loading can take both cores; the CPU time
  printed is both processes'. (At 10,000 projects the loader alone took longer than the
  publish's whole copy: docs/scaling.md.)

`--verify` then compares the `text` and `split` stores' quads with the `publish` store's.
The script times kg.publish's own copy, so it calls that module's private helpers
(`_copyable_graphs`, `_public_quads`) and the store's part reader directly.
"""
from __future__ import annotations

import argparse
import io
import queue
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # ahead of bench/, whose ingest.py and search.py would shadow the packages

import pyoxigraph as ox  # noqa: E402

WAYS = ("read", "dump", "publish", "text", "split")
READER = "reader"   # the second process of the `split` way
PART_LINES = 500_000


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def copy(data_dir: Path, way: str, target: Path) -> tuple[str, float, float]:
    """Make the copy one way into `target`; returns what it counted, and its wall and CPU
    seconds (the withheld set, which every way needs first, is not timed)."""
    from kg.config import Settings
    from kg.publish import _copyable_graphs, restricted_only_entities
    from kg.store import KnowledgeGraph
    from kg.withholding import withheld_around

    with KnowledgeGraph(Settings(data_dir=data_dir), read_only=True) as kg:
        hidden = withheld_around(kg.backend.ox, restricted_only_entities(kg))
        graphs = _copyable_graphs(kg)
        started, cpu = time.monotonic(), cpu_s()
        made = _copy(kg, graphs, hidden, way, target)
        wall, cpu = time.monotonic() - started, cpu_s() - cpu + made.other_cpu
        return made.found + (f"{len(made.store):,} quads in the copy" if made.store is not None else ""), wall, cpu


@dataclass
class Copied:
    found: str                    # what the way counted, for the line it prints
    store: ox.Store | None        # the copy, if the way makes one
    other_cpu: float = 0.0        # CPU seconds of a second process (the `split` way's reader)


def _copy(kg, graphs: list, hidden, way: str, target: Path) -> Copied:
    from kg.publish import _public_quads

    if way == "read":
        return Copied(f"{sum(1 for _ in _public_quads(kg, graphs, hidden)):,} quads read", None)
    if way == "dump":
        with open(target.with_suffix(".nt"), "wb") as out:
            for graph in graphs:
                kg.backend.ox.dump(out, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(graph)))
        return Copied(f"{target.with_suffix('.nt').stat().st_size / 2**20:,.0f} MB dumped", None)
    store = ox.Store(str(target))
    if way == "publish":
        store.bulk_extend(_public_quads(kg, graphs, hidden))
        made = Copied("", store)
    elif way == "text":
        made = Copied(_text_copy(kg, store, graphs, hidden, target.parent), store)
    else:
        made = _split_copy(kg, store, graphs, hidden, target.parent)
    store.flush()
    return made


def _text_copy(kg, store: ox.Store, graphs: list, hidden, scratch: Path) -> str:
    from kg.store import _ConcatenatedFiles
    from kg.withholding import _CLAIM_IRIS, _EVIDENCE

    parts: queue.Queue = queue.Queue(maxsize=2)
    iris = {f"<{iri}>" for iri in hidden.iris}
    evidence = {f"<{iri}>" for iri in hidden.evidence}
    claims = {f"<{iri}>" for iri in _CLAIM_IRIS}
    evidence_predicate = f"<{_EVIDENCE.value}>"
    with_blank_nodes: set = set()
    parsed = [0]

    def withheld(line: str, graph) -> bool:
        subject, predicate, rest = line.split(" ", 2)
        value = rest[:-3]   # less " .\n"
        if subject in iris or value in iris or (subject in evidence and predicate == evidence_predicate):
            return True
        if predicate in claims and value[:1] == '"':   # a stated grant number: the exact rule decides
            parsed[0] += 1
            triple = next(iter(ox.parse(line, format=ox.RdfFormat.N_TRIPLES)))
            return hidden.names(ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(str(graph))))
        return False

    def write_parts() -> None:
        try:
            out, lines, number = None, 0, 0
            for graph in graphs:
                graph_name = f"<{graph}> .\n"
                dumped = scratch / "graph.nt"
                kg.backend.ox.dump(str(dumped), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(graph)))
                with open(dumped, encoding="utf-8") as handle:
                    for line in handle:
                        if line[0] == "_" or line.split(" ", 2)[2][0] == "_":
                            with_blank_nodes.add(graph)
                            continue
                        if withheld(line, graph):
                            continue
                        if out is None:
                            path = scratch / f"part-{number:05d}.nq"
                            out, lines, number = open(path, "w", encoding="utf-8"), 0, number + 1
                        out.write(line[:-2] + graph_name)
                        lines += 1
                        if lines >= PART_LINES:
                            out.close()
                            out = None
                            parts.put(path)
            if out is not None:
                out.close()
                parts.put(path)
            parts.put(None)
        except BaseException as error:   # raised by the loading side
            parts.put(error)

    def ready():
        previous = None
        while True:
            item = parts.get()
            if previous is not None:
                previous.unlink()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                return
            yield item
            previous = item

    writer = threading.Thread(target=write_parts, name="public-copy-parts")
    writer.start()
    with io.BufferedReader(_ConcatenatedFiles(ready()), 1 << 20) as stream:
        store.bulk_load(input=stream, format=ox.RdfFormat.N_QUADS)
    writer.join()
    blank = _blank_node_quads(kg, sorted(with_blank_nodes, key=str), hidden)
    store.bulk_extend(blank)
    return f"{parsed[0]:,} lines parsed, {len(blank)} with blank nodes; "


def _split_copy(kg, store: ox.Store, graphs: list, hidden, scratch: Path) -> Copied:
    """Load the parts the reader process writes (`write_parts`), in order, as they are finished."""
    from kg.store import _ConcatenatedFiles

    parts = scratch / "split-parts"
    parts.mkdir()
    reader = subprocess.Popen([sys.executable, __file__, "--data-dir", str(kg.settings.data_dir), "--child", READER,
                               "--scratch", str(parts)])

    def finished():
        number = 0
        while True:
            path = parts / f"part-{number:05d}.nq"
            if path.exists():
                yield path
                path.unlink()
                number += 1
            elif (parts / "done").exists() and not path.exists():
                return
            elif reader.poll() not in (None, 0):
                raise RuntimeError(f"the reader process failed (exit status {reader.returncode})")
            else:
                time.sleep(0.02)

    with io.BufferedReader(_ConcatenatedFiles(finished()), 1 << 20) as stream:
        store.bulk_load(input=stream, format=ox.RdfFormat.N_QUADS)
    reader.wait()
    reader_cpu = float((parts / "done").read_text())
    blank = _blank_node_quads(kg, graphs, hidden) if (parts / "blank").exists() else []
    store.bulk_extend(blank)
    return Copied(f"reader {reader_cpu:.1f} s CPU, {len(blank)} with blank nodes; ", store, reader_cpu)


def _blank_node_quads(kg, graphs: list, hidden) -> list:
    """The graphs' statements with a blank node that name nothing withheld, as objects: added
    to the copy as such, their labels stay the working store's (a load from text relabels)."""
    return [quad for graph in graphs for quad in kg.backend.ox.quads_for_pattern(None, None, None, ox.NamedNode(str(graph)))
            if (isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode))
            and not hidden.names(quad)]


def write_parts(data_dir: Path, parts: Path) -> None:
    """The `split` way's reader: the publish's read and filter, written as N-Quads parts, each
    renamed into place when finished; 'blank' if statements with blank nodes were left out,
    and 'done' (holding this process's CPU seconds) at the end."""
    from kg.config import Settings
    from kg.publish import _copyable_graphs, _public_quads, restricted_only_entities
    from kg.store import KnowledgeGraph
    from kg.withholding import withheld_around

    with KnowledgeGraph(Settings(data_dir=data_dir), read_only=True) as kg:
        hidden = withheld_around(kg.backend.ox, restricted_only_entities(kg))
        out, lines, number = None, 0, 0
        for quad in _public_quads(kg, _copyable_graphs(kg), hidden):
            if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                (parts / "blank").touch()
                continue
            if out is None:
                making = parts / f"part-{number:05d}.nq.making"
                out, lines = open(making, "w", encoding="utf-8"), 0
            out.write(f"{quad} .\n")
            lines += 1
            if lines >= PART_LINES:
                out.close()
                making.rename(parts / f"part-{number:05d}.nq")
                out, number = None, number + 1
        if out is not None:
            out.close()
            making.rename(parts / f"part-{number:05d}.nq")
    (parts / "done").write_text(str(cpu_s()))


def run_child(data_dir: Path, way: str, scratch: Path) -> None:
    if way == READER:
        write_parts(data_dir, scratch)
        return
    found, wall, cpu = copy(data_dir, way, scratch / way)
    print(f"  {way:<8} {wall:8.1f} s wall {cpu:8.1f} s CPU   {found}", flush=True)


def quads_of(path: Path) -> set[str]:
    store = ox.Store.read_only(str(path))
    return {str(quad) for quad in store}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="A built data directory (bench/full_build.py's).")
    parser.add_argument("--ways", default=",".join(WAYS), help="Comma-separated, of: " + ", ".join(WAYS))
    parser.add_argument("--verify", action="store_true", help="Compare the text and split copies' quads with the publish's.")
    parser.add_argument("--child", choices=WAYS + (READER,), help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.data_dir, args.child, args.scratch)
        return
    scratch = Path(tempfile.mkdtemp(prefix="public-copy-", dir=args.data_dir.parent))
    try:
        print(f"bench/public_copy.py --data-dir {args.data_dir}; {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
        for way in [w.strip() for w in args.ways.split(",") if w.strip()]:
            subprocess.run([sys.executable, __file__, "--data-dir", str(args.data_dir), "--child", way,
                            "--scratch", str(scratch)], check=True)
        if args.verify:
            published = quads_of(scratch / "publish")
            for way in ("text", "split"):
                if (scratch / way).exists():
                    made = quads_of(scratch / way)
                    print(f"  {way} copy against the publish's: {len(made - published)} quads more, "
                          f"{len(published - made)} fewer (blank nodes compared by label)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
