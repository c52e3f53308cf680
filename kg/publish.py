"""Publishing: read-only snapshots of the graph for the staff and the public.

The working store is written by ingest; nothing reads it while that happens. A publish
makes a new publication under `data_dir/published/<stamp>/`:

- `full/store`: a hard-link checkpoint of the working store (the staff view);
- `public/store`: a new store holding only public statements, with derived facts
  recomputed over them. It physically lacks restricted records, so no query, however
  written (GRAPH ?g, FROM NAMED, …), can reach them.

Then `published/CURRENT` is replaced atomically. Readers open the current publication
read-only and see either the old or the new one, never half of either.
"""
from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from kg import derive
from kg.config import Settings
from kg.errors import ConfigError
from kg.store import EmbeddedBackend, KnowledgeGraph

PUBLISHED = "published"
CURRENT = "CURRENT"
VIEWS = ("full", "public")
KEEP = 2  # publications kept: the current one and the one readers may still hold


@dataclass(frozen=True)
class Publication:
    stamp: str
    path: Path
    public_triples: int
    withheld_entities: int
    seconds: float

    def view_dir(self, view: str) -> Path:
        return self.path / view


def published_root(settings: Settings) -> Path:
    return settings.data_dir / PUBLISHED


def current_stamp(settings: Settings) -> str | None:
    pointer = published_root(settings) / CURRENT
    try:
        return pointer.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def view_settings(settings: Settings, view: str) -> Settings | None:
    """Settings whose data_dir is the current publication's view, or None before any publish."""
    if view not in VIEWS:
        raise ConfigError(f"Unknown view '{view}'.", "Use 'public' or 'full'.")
    stamp = current_stamp(settings)
    if stamp is None:
        return None
    return settings.with_overrides(data_dir=published_root(settings) / stamp / view, store_url=None)


def _is_public_graph(kg: KnowledgeGraph, graph: URIRef) -> bool:
    return not kg.minter.is_restricted_graph(graph)


def restricted_only_entities(kg: KnowledgeGraph) -> set[str]:
    """IRIs that restricted graphs describe and no public graph does: they must not appear at all."""
    graphs = kg.graph_names()
    restricted = [g for g in graphs if kg.minter.is_restricted_graph(g)]
    public = [g for g in graphs if not kg.minter.is_restricted_graph(g)]
    store = kg.backend.ox
    hidden: set[str] = set()
    for graph in restricted:
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph))):
            if isinstance(quad.subject, ox.NamedNode):
                hidden.add(quad.subject.value)
    for graph in public:
        node = ox.NamedNode(str(graph))
        for quad in store.quads_for_pattern(None, None, None, node):
            if isinstance(quad.subject, ox.NamedNode):
                hidden.discard(quad.subject.value)
    return hidden


def _public_quads(kg: KnowledgeGraph, hidden: set[str]):
    """Every statement of every public graph that names no restricted-only entity."""
    store = kg.backend.ox
    derived = kg.minter.derived_graph()
    for graph in kg.graph_names():
        if not _is_public_graph(kg, graph) or graph == derived:
            continue  # derived facts are recomputed over the public statements only
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph))):
            if _names_hidden(quad.subject, hidden) or _names_hidden(quad.object, hidden):
                continue
            yield quad


def _names_hidden(term, hidden: set[str]) -> bool:
    return isinstance(term, ox.NamedNode) and term.value in hidden


def publish(kg: KnowledgeGraph) -> Publication:
    """Make a new publication from the working store and make it current."""
    if not isinstance(kg.backend, EmbeddedBackend):
        raise ConfigError("Publishing snapshots needs the embedded store.",
                          "With a SPARQL server, serve a separate public dataset (see docs/scaling.md).")
    started = time.monotonic()
    root = published_root(kg.settings)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    target = root / stamp
    (target / "full").mkdir(parents=True)
    (target / "public").mkdir()
    kg.backend.ox.flush()
    kg.backend.ox.backup(str(target / "full" / "store"))

    hidden = restricted_only_entities(kg)
    public_settings = kg.settings.with_overrides(data_dir=target / "public", store_url=None)
    public_store = ox.Store(str(target / "public" / "store"))
    public_store.bulk_extend(_public_quads(kg, hidden))
    public_store.flush()
    del public_store
    with KnowledgeGraph(public_settings) as public:
        with public.write():
            derive.refresh(public)
        public_triples = public.count_triples()

    _make_current(root, stamp)
    _prune(root, keep=KEEP)
    return Publication(stamp=stamp, path=target, public_triples=public_triples,
                       withheld_entities=len(hidden), seconds=time.monotonic() - started)


def _make_current(root: Path, stamp: str) -> None:
    temporary = root / f".{CURRENT}.{uuid.uuid4().hex}"
    temporary.write_text(stamp + "\n", encoding="utf-8")
    os.replace(temporary, root / CURRENT)


def _prune(root: Path, keep: int) -> None:
    current = (root / CURRENT).read_text(encoding="utf-8").strip()
    stamps = sorted(p.name for p in root.iterdir() if p.is_dir())
    for stamp in stamps[:-keep]:
        if stamp != current:
            shutil.rmtree(root / stamp, ignore_errors=True)
