"""A named graph as last written, kept beside the store, so a rewrite changes only what differs.

Deleting a quad on Oxigraph costs about as much as loading one, and the graphs one step
writes whole — the links graph (kg.linking) and the derived facts (kg.derive) — are mostly
the same from one run to the next. So such a graph's N-Quads lines are kept in a state file
in the data directory, headed by the run's stamp as an N-Quads comment, and the graph
carries the same stamp (`<graph> prov:generatedAtTime` or `sp:contentDigest`, one of the
lines). When the two stamps agree, the file is the graph: a new run deletes the lines that
went and loads the lines that came, found by comparing the two files' lines, with no read
of the store. Any doubt (no file, another stamp: a rolled-back write, a restored store) and
the caller compares with the store, or replaces the graph whole.

Lines are compared by a 16-byte digest each, one set for both sides (hashing, not sorting:
sorting millions of long lines cost more, and holding them cost hundreds of MB).
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg import vocab as V
from kg.nquads import iri_nt, term_nt
from kg.store import KnowledgeGraph


# What a graph's stamp says: when the run that wrote it began (the links graph: every run
# writes anew), or what it holds (the derived facts: equal facts, equal stamp, so a
# recomputation that changes nothing writes nothing and two stores with the same facts
# hold the same graph).
TIME = V.generatedAtTime
DIGEST = V.contentDigest


def new_stamp() -> str:
    """A TIME stamp: now."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_digest(digests: Iterable[bytes]) -> str:
    """A DIGEST stamp: of distinct lines' digests, whatever their order (their sum)."""
    return f"{sum(int.from_bytes(d, 'big') for d in digests) % (1 << 128):032x}"


def header(stamp: str) -> str:
    """The state file's first line: the stamp, as a comment to the N-Quads parser."""
    return f"# {stamp}\n"


def stamp_line(graph: URIRef, stamp: str, kind: URIRef = TIME) -> str:
    """The quad by which the graph carries its stamp."""
    value = Literal(stamp, datatype=XSD.dateTime) if kind == TIME else Literal(stamp)
    return f"{iri_nt(graph)} {iri_nt(kind)} {term_nt(value)} {iri_nt(graph)} .\n"


def followed(kg: KnowledgeGraph, graph: URIRef, path: Path, kind: URIRef = TIME) -> str | None:
    """The stamp of the state file `path` when the store's `graph` carries it too (the graph
    then holds exactly the file's lines); None when the file is missing or was written for
    another state of the graph."""
    written_for = _read_stamp(path)
    stored = _stored_stamp(kg, graph, kind)
    if written_for is None or stored is None:
        return None
    return written_for if (_same_time(written_for, stored) if kind == TIME else written_for == stored) else None


def _stored_stamp(kg: KnowledgeGraph, graph: URIRef, kind: URIRef) -> str | None:
    rows = kg.select(f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ <{graph}> <{kind}> ?t }} }}")
    return str(rows[0]["t"]) if len(rows) == 1 else None


def _same_time(a: str, b: str) -> bool:
    """The store may write a dateTime in another lexical form: compare the instants."""
    try:
        return datetime.fromisoformat(a.replace("Z", "+00:00")) == datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False


def _read_stamp(path: Path) -> str | None:
    """The stamp the state file was written for; None when it is missing or has none."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except OSError:
        return None
    return first[2:].strip() if first.startswith("# ") else None


def digest(line: str) -> bytes:
    # 16 bytes: no two distinct lines of a run share one (a 64-bit hash() might, once in a great while).
    return hashlib.blake2b(line.encode("utf-8"), digest_size=16).digest()


def quad_lines(path: Path) -> Iterator[str]:
    """The N-Quads lines of a file, without its comments (a state file's stamp)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                yield line


def line_changes(old: Path, new: Iterable[Path], made: set[bytes]) -> tuple[list[str], list[str]]:
    """(the old file's lines that went, the new files' lines that came).

    `made` holds the digests of the new files' lines; it is used up. An old line whose digest
    is among them is kept and its digest taken out, so what is left names the lines that
    came. Lines may repeat (derived facts can state a triple twice; a damaged file): an old
    line seen again after its digest was taken out is found among the new lines when they
    are read again, and the statement is kept, not deleted; a new line is loaded once."""
    left, removed = made, {}
    for line in quad_lines(old):
        key = digest(line)
        if key in left:
            left.remove(key)
        else:
            removed[key] = line
    added = []
    for path in new:
        for line in quad_lines(path):
            key = digest(line)
            if key in left:
                added.append(line)
                left.remove(key)    # a line made twice is loaded once
            elif key in removed:   # an old line seen twice, kept the first time
                del removed[key]
    return list(removed.values()), added


_SUBJECT_AND_OBJECT = re.compile(r"^(?:<([^>]*)>|_:\S+) <[^>]*> (?:<([^>]*)>)?")


def named(*groups: Iterable[str]) -> Iterator[str]:
    """The subject and IRI object of each N-Quads line (for the change journal)."""
    for lines in groups:
        for line in lines:
            found = _SUBJECT_AND_OBJECT.match(line)
            if found:
                if found.group(1):
                    yield found.group(1)
                if found.group(2):
                    yield found.group(2)
