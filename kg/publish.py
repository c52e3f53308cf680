"""Publishing: read-only snapshots of the graph for the staff and the public.

The working store is written by ingest; nothing reads it while that happens. A publish
makes a new publication under `data_dir/published/<stamp>/`:

- `full/store`: a hard-link checkpoint of the working store (the staff view);
- `public/store`: a new store holding only public statements, with derived facts
  recomputed over them. It physically lacks restricted records, so no query, however
  written (GRAPH ?g, FROM NAMED, …), can reach them.
- `<view>/pages.sqlite`: entity page summaries of the costly records (kg/pages.py), each
  made from that view's own store.

Then `published/CURRENT` is replaced atomically. Readers open the current publication
read-only and see either the old or the new one, never half of either.

`build` and `link` change identities, so the working store's derived facts are refreshed
before publishing (`publish(kg, derive_first=True)`). On a large graph the public view is
made meanwhile by a second process, from a checkpoint taken before the derive: it copies
nothing the derive writes and recomputes its own derived facts.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox
from rdflib import URIRef

from kg import derive
from kg import vocab as V
from kg.apart import Apart, apart
from kg.atomic import replace_text
from kg.catalog import source_fingerprints
from kg.changes import MANIFEST, journal_position, journal_since
from kg.config import Settings
from kg.errors import ConfigError, StoreError
from kg.linking.run import evidence_labels
from kg.pages import PAGES_FILE, build_pages
from kg.stats import holds_at_least
from kg.withholding import Withheld, claims_of, evidence_of, naming_iri, withheld_around
from kg.store import PUBLIC_VIEW_SNAPSHOT, EmbeddedBackend, KnowledgeGraph, checkpoint_for_a_child

PUBLISHED = "published"
CURRENT = "CURRENT"
VIEWS = ("full", "public")
KEEP = 2  # publications kept: the current one and the one readers may still hold
# From this many projects on, the full view's page summaries are made by a second process
# while this one makes the public store (about 12 s of 90 at 10,000 projects, on the
# otherwise idle second core); below it, starting a Python (~1 s) costs more than it saves.
PAGES_APART_FROM = 2_000
# From this many projects on, a publish that derives first makes the public view in a second
# process meanwhile (kg.publish._public_while_deriving); the same trade as above.
PUBLIC_APART_FROM = 2_000
# The working store as that process reads it is a checkpoint in the data directory
# (kg.store.PUBLIC_VIEW_SNAPSHOT), not under published/, which is served and copied to other
# machines: it holds restricted records.
# Following the journal costs two index lookups per noted IRI, copying a graph about one
# write per quad: past this many quads per noted IRI, copying is cheaper.
FOLLOW_COST = 4


@dataclass
class Phases:
    """Wall seconds of each step of a publish, in the order they ran: where its time went.
    The public view's steps are listed apart; with `meanwhile`, a second process made them
    while this one did the others, so the two lists overlap in time."""

    seconds: dict[str, float] = field(default_factory=dict)
    public_view: dict[str, float] = field(default_factory=dict)
    meanwhile: bool = False

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[step] = self.seconds.get(step, 0.0) + time.monotonic() - started


@dataclass(frozen=True)
class Publication:
    stamp: str
    path: Path
    public_triples: int
    withheld_entities: int
    seconds: float
    copied_graphs: int = 0
    phases: Phases = field(default_factory=Phases)

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
    """IRIs that restricted graphs describe and no public graph does: they must not appear at all.

    A record describes an entity by stating what it is (rdf:type): every ingest types the
    entities it describes. Statements that only relate one to the record's own subject do not
    count: an ORCID record's funding claim states `<project> sp:member <person>`, and a
    project under review must not become public because a researcher claims it.

    Per restricted graph, its subjects are read in one query, and those that its public
    twin (the approved records of the same file) describes too are set aside in a second
    (a hash join of the two graphs' subjects): at 100,000 projects nine in ten. Only the
    rest are checked one by one against every public graph.
    """
    candidates: set[str] = set()
    # The restricted catalog describes graphs, not entities; the public copy never includes it.
    restricted_catalog = kg.minter.restricted_graph(kg.minter.catalog_graph())
    for graph in kg.graph_names():
        if kg.minter.is_restricted_graph(graph) and graph != restricted_catalog:
            twin = kg.minter.public_twin(graph)
            subjects = f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}"
            described = (f"SELECT ?s WHERE {{ {{ {subjects} }} "
                         f"{{ SELECT DISTINCT ?s WHERE {{ GRAPH <{twin}> {{ ?s a ?x }} }} }} }}")
            candidates |= {s for (s,) in kg.rows(subjects)} - {s for (s,) in kg.rows(described)}
    store = kg.backend.ox
    # The derived and links graphs are no records: the working store's derived facts cover
    # projects under review too (counts over everything), and would otherwise make every
    # restricted project look public.
    not_records = {str(kg.minter.derived_graph()), str(kg.minter.links_graph())}
    return {iri for iri in candidates if not _described_publicly(kg, store, iri, not_records)}


def _described_publicly(kg: KnowledgeGraph, store: ox.Store, iri: str, not_records: set[str]) -> bool:
    """Whether an approved record describes the entity: states its type in a public graph not
    in `not_records`."""
    for quad in store.quads_for_pattern(ox.NamedNode(iri), _RDF_TYPE, None, None):
        graph = quad.graph_name
        if (isinstance(graph, ox.NamedNode) and graph.value not in not_records
                and not kg.minter.is_restricted_graph(URIRef(graph.value))):
            return True
    return False


_RDF_TYPE = ox.NamedNode(str(V.RDF.type))


def _copyable_graphs(kg: KnowledgeGraph) -> list[URIRef]:
    """Graphs the public view copies: every public graph but the derived one, which it recomputes."""
    derived = kg.minter.derived_graph()
    return [g for g in kg.graph_names() if _is_public_graph(kg, g) and g != derived]


def _public_quads(kg: KnowledgeGraph, graphs: list[URIRef], hidden: Withheld):
    """The statements of `graphs` that name nothing withheld."""
    store = kg.backend.ox
    for graph in graphs:
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(str(graph))):
            if not hidden.names(quad):
                yield quad


def _withhold_decisions(kg: KnowledgeGraph, public_store: ox.Store, decisions: set[str]) -> None:
    """Leave these links-graph decisions (`_decisions_naming` the withheld entities) out of
    the public view.

    Linking reads approved records only, so a decision can be about a withheld entity, or
    name one in its evidence, only between an ingest that withholds a record and the next
    link (`scipop ingest` publishes without linking). Copying drops only the statements
    naming the entity, which would leave the rest of such a decision (its evidence, which
    quotes names) in the public view. An `owl:sameAs` between two public entities stays."""
    graph = ox.NamedNode(str(kg.minter.links_graph()))
    for node in decisions:
        for quad in list(public_store.quads_for_pattern(ox.NamedNode(node), None, None, graph)):
            public_store.remove(quad)


def _decisions_naming(kg: KnowledgeGraph, *groups: set[str]) -> list[set[str]]:
    """Per group of entities, the links graph's decisions (in the working store) about any of
    them, or whose evidence text names one: index lookups per entity, and one pass over the
    evidence for all groups (406,012 literals, ~40 s at 100,000 projects)."""
    found: list[set[str]] = [set() for _ in groups]
    if not any(groups):
        return found
    store = kg.backend.ox
    graph = ox.NamedNode(str(kg.minter.links_graph()))
    about = {ox.NamedNode(str(V.linkSubject)), ox.NamedNode(str(V.linkObject))}
    owners: dict[str, list[int]] = defaultdict(list)   # an evidence label -> the groups naming it
    for index, iris in enumerate(groups):
        found[index].update(q.subject.value for iri in iris for q in store.quads_for_pattern(None, None, ox.NamedNode(iri), graph)
                            if q.predicate in about)
        for label in evidence_labels(kg.minter, iris):
            owners[label].append(index)
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(V.evidence)), None, graph):
        for word in quad.object.value.split():
            for index in owners.get(word.strip(",;:'\"()#."), ()):
                found[index].add(quad.subject.value)
    return found


def _hidden_digest(hidden: Withheld) -> str:
    # Entities alone as before, so that a manifest written before nodes and numbers were
    # withheld is not taken for the same withheld set when they now add some.
    lines = sorted(hidden.entities)
    if hidden.nodes or hidden.numbers or hidden.evidence:
        lines += ["# nodes", *sorted(hidden.nodes), "# numbers", *sorted(hidden.numbers),
                  "# evidence", *sorted(hidden.evidence)]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _previous_manifest(root: Path) -> tuple[Path, dict] | None:
    stamp = (root / CURRENT).read_text(encoding="utf-8").strip() if (root / CURRENT).exists() else None
    if not stamp:
        return None
    manifest = root / stamp / MANIFEST
    if not manifest.exists():
        return None
    return root / stamp, json.loads(manifest.read_text(encoding="utf-8"))


def views_behind(kg: KnowledgeGraph) -> bool | None:
    """Whether the current publication, if any, was made from other source files than the
    working store holds now: an ingest or remove run with --no-publish, or whose publish was
    cut short. None on a SPARQL server (publications belong to the embedded store)."""
    if not isinstance(kg.backend, EmbeddedBackend):
        return None
    found = _previous_manifest(published_root(kg.settings))
    return found is None or found[1].get("sources") != source_fingerprints(kg)


def publish(kg: KnowledgeGraph, derive_first: bool = False) -> Publication:
    """Make a new publication from the working store and make it current.

    The previous publication's public store is the starting point: only the source graphs
    whose files changed are copied again, and the statements of entities withheld now but
    not then (or then but not now) are taken out (or put back), so a small ingest publishes
    in time proportional to the change.

    `derive_first`: refresh the working store's derived facts first (identities changed). On
    a large graph the public view is then made meanwhile, by a child process, from a
    checkpoint taken before: it recomputes its own derived facts and copies nothing the
    derive writes, so both cores work (`_public_while_deriving`).
    """
    if not isinstance(kg.backend, EmbeddedBackend):
        raise ConfigError("Publishing snapshots needs the embedded store.",
                          "With a SPARQL server, serve a separate public dataset (see docs/scaling.md).")
    started = time.monotonic()
    overlap = derive_first and holds_at_least(kg, V.FundedProject, PUBLIC_APART_FROM)
    phases = Phases(meanwhile=overlap)
    if derive_first and not overlap:
        with phases.timed("derive"), kg.write():
            derive.refresh(kg)
    root = published_root(kg.settings)
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    target = root / stamp
    (target / "full").mkdir(parents=True)
    (target / "public").mkdir()
    try:
        previous = _previous_manifest(root)
        view, journal = (_public_while_deriving if overlap else _public_then_full)(kg, target, previous, phases)
        manifest = {"hidden": _hidden_digest(view.withheld), **view.withheld.to_manifest(),
                    "sources": view.fingerprints, "journal": journal}
        if view.seeded_from:
            # The public view's derived facts were recomputed over the seed's: what that
            # changed is noted in its own journal (public/changes.log), valid against the seed.
            manifest["seeded_from"] = view.seeded_from
        (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        _make_current(root, stamp)
    except BaseException:
        if current_stamp(kg.settings) != target.name:
            shutil.rmtree(target, ignore_errors=True)   # a failed publication is never read: nothing to keep
        raise
    _prune(root, keep=KEEP)
    phases.public_view = view.phases.seconds
    return Publication(stamp=stamp, path=target, public_triples=view.public_triples,
                       withheld_entities=len(view.withheld.entities), seconds=time.monotonic() - started,
                       copied_graphs=view.copied_graphs, phases=phases)


@dataclass(frozen=True)
class PublicView:
    """What making a publication's public view found, for its manifest (plain data: it may
    come from a child process)."""
    withheld: Withheld
    fingerprints: dict[str, str]    # the source files' catalog fingerprints it was made from
    links_stamp: list               # the links graph's run stamp it was made from
    graphs: list[str]               # the graphs of the store it was made from, less the derived one
    seeded_from: str | None
    public_triples: int
    copied_graphs: int
    phases: Phases


def _public_then_full(kg: KnowledgeGraph, target: Path, previous: tuple[Path, dict] | None, phases: Phases
                      ) -> tuple[PublicView, list | None]:
    """The staff view's copy, then the public view (the staff view's pages made meanwhile by a
    child process on a large graph). Returns the public view and the journal position."""
    with phases.timed("staff copy"):
        journal = _staff_copy(kg, target)
    full_pages = _full_pages_apart(kg, target / "full")
    try:
        view = make_public_view(kg, target, previous, _noted_since(kg.settings, previous))
        # Made by a child meanwhile on a large graph: then this is what was left of them.
        with phases.timed("staff pages"):
            if full_pages is None:
                build_pages(kg, target / "full" / PAGES_FILE)  # the working store is what full/ was copied from
            else:
                full_pages.result()
    finally:
        if full_pages:
            full_pages.stop()   # done, or of no use after an error
    return view, journal


def _staff_copy(kg: KnowledgeGraph, target: Path) -> list | None:
    """Copy the working store as the publication's staff view (a hard-link checkpoint);
    return the journal position that goes with it: every write noted so far is in the copy."""
    journal = journal_position(kg.settings)
    kg.backend.ox.flush()
    kg.backend.ox.backup(str(target / "full" / "store"))
    return journal


def _public_while_deriving(kg: KnowledgeGraph, target: Path, previous: tuple[Path, dict] | None, phases: Phases
                           ) -> tuple[PublicView, list | None]:
    """The public view, made by a child process from a checkpoint of the store as it is now,
    while this one refreshes the working store's derived facts and then copies the staff view.

    Only `derive.refresh` writes in between, and it writes the derived graph alone, which the
    public view does not copy (it recomputes its own from what it holds). So the public view
    is what it would have been made after the derive, and the journal position taken after
    the derive (the manifest's) misses nothing it follows: the links graph did not move.
    Nothing else can write meanwhile (this process holds the store), and the check at the
    end guards against a change to that: the source files, the links graph's run stamp and
    the set of graphs must be those the child read."""
    with checkpoint_for_a_child(kg, PUBLIC_VIEW_SNAPSHOT) as settings:
        # Read here, up to the checkpoint: the derive below appends to the same journal.
        noted = _noted_since(kg.settings, previous)
        # Not a daemon: the child's own derive builds its network in a process of its own.
        with apart("Making the public view", public_view_of, settings, target, previous, noted, daemon=False,
                   fix="If the system ran out of memory, free some. The working store's derived facts are "
                       "up to date: run 'scipop publish', which makes the views in one process.") as work:
            with phases.timed("derive"), kg.write():
                derive.refresh(kg)
            with phases.timed("staff copy"):
                journal = _staff_copy(kg, target)
            with phases.timed("staff pages"):
                build_pages(kg, target / "full" / PAGES_FILE)   # here: the child has the other core
            with phases.timed("waiting for the public view"):
                view = work.result()
    links = ox.NamedNode(str(kg.minter.links_graph()))
    if (view.fingerprints != source_fingerprints(kg) or view.links_stamp != _stamp(kg.backend.ox, links)
            or view.graphs != _graphs_but_derived(kg)):
        raise StoreError("The graph changed while its public view was being made.", "Run 'scipop publish' again.")
    return view, journal


def _graphs_but_derived(kg: KnowledgeGraph) -> list[str]:
    derived = kg.minter.derived_graph()
    return sorted(str(g) for g in kg.graph_names() if g != derived)


def public_view_of(settings: Settings, target: Path, previous: tuple[Path, dict] | None,
                   noted: set[str] | None) -> PublicView:
    """`make_public_view` of the store checkpointed in `settings.data_dir`, opened read-only
    (in a child process)."""
    with KnowledgeGraph(settings, read_only=True) as kg:
        return make_public_view(kg, target, previous, noted)


def _noted_since(settings: Settings, previous: tuple[Path, dict] | None) -> set[str] | None:
    """The IRIs the journal noted since the previous publication (None: unknown)."""
    return journal_since(settings, previous[1].get("journal")) if previous else None


def make_public_view(kg: KnowledgeGraph, target: Path, previous: tuple[Path, dict] | None,
                     noted: set[str] | None) -> PublicView:
    """The public store of the publication `target` and its page summaries, from `kg`.
    `noted`: the IRIs the journal noted since `previous` was published."""
    phases = Phases()
    with phases.timed("withheld set"):
        hidden = withheld_around(kg.backend.ox, restricted_only_entities(kg))
        fingerprints = source_fingerprints(kg)
        graphs = _copyable_graphs(kg)
        # Decisions naming entities withheld now leave the public view; those naming entities
        # public again (withheld at the previous publish) come back: one pass finds both.
        public_again = set(previous[1].get("hidden_entities", ())) - hidden.entities if previous else set()
        withheld_decisions, returning_decisions = _decisions_naming(kg, set(hidden.entities), public_again)
    public_path = target / "public" / "store"
    seeded_from = None
    # A manifest from before hidden_entities was kept can only be reused for the same withheld set.
    if previous and (previous[1].get("hidden") == _hidden_digest(hidden) or "hidden_entities" in previous[1]):
        with phases.timed("seed from the previous publication"):
            graphs = _start_from_previous(kg, previous, public_path, fingerprints, graphs, hidden,
                                          returning_decisions, noted)
        seeded_from = previous[0].name
    with phases.timed("copy"):
        public_store = ox.Store(str(public_path))
        public_store.bulk_extend(_public_quads(kg, graphs, hidden))
        _withhold_decisions(kg, public_store, withheld_decisions)
        public_store.flush()
        del public_store
    public_settings = kg.settings.with_overrides(data_dir=target / "public", store_url=None)
    with KnowledgeGraph(public_settings) as public:
        with phases.timed("derive"), public.write():
            derive.refresh(public)
        with phases.timed("count"):
            public_triples = public.count_triples()
        with phases.timed("pages"):
            build_pages(public, target / "public" / PAGES_FILE)
    links = ox.NamedNode(str(kg.minter.links_graph()))
    return PublicView(withheld=hidden, fingerprints=fingerprints,
                      links_stamp=_stamp(kg.backend.ox, links), graphs=_graphs_but_derived(kg),
                      seeded_from=seeded_from,
                      public_triples=public_triples, copied_graphs=len(graphs), phases=phases)


def view_pages(settings: Settings) -> int:
    """Page summaries of the view copied to `settings.data_dir` (a publication's `full/`), from
    that copy, read-only; run in a child process by `publish`."""
    with KnowledgeGraph(settings, read_only=True) as view:
        return build_pages(view, settings.data_dir / PAGES_FILE)


def _full_pages_apart(kg: KnowledgeGraph, full: Path) -> Apart | None:
    """The full view's pages, made from the publication's copy `full` by a child process when
    the graph is large enough to gain by it (None: made in this process)."""
    if holds_at_least(kg, V.FundedProject, PAGES_APART_FROM):
        return Apart("Making the staff view's page summaries", view_pages, kg.settings.with_overrides(data_dir=full))
    return None


def _start_from_previous(kg: KnowledgeGraph, previous: tuple[Path, dict], public_path: Path,
                         fingerprints: dict[str, str], graphs: list[URIRef], hidden: Withheld,
                         returning_decisions: set[str], noted: set[str] | None) -> list[URIRef]:
    """Seed the public store from the previous one; return the graphs that still need copying.
    `returning_decisions`: links-graph decisions about entities withheld then, public now;
    `noted`: the IRIs the journal noted since the previous publication (None: unknown)."""
    previous_dir, previous_manifest = previous
    old = previous_manifest.get("sources", {})
    seed = ox.Store(str(previous_dir / "public" / "store"))
    seed.backup(str(public_path))
    del seed
    _seed_state_file(previous_dir / "public" / derive.DERIVED_STATE, public_path.parent / derive.DERIVED_STATE)
    public_store = ox.Store(str(public_path))
    # The derived graph stays: the recomputation after the copy replaces it, and compares
    # the two to note what changed (kg.changes).
    derived = str(kg.minter.derived_graph())
    links = ox.NamedNode(str(kg.minter.links_graph()))
    # The links graph (millions of quads at scale, few of them changed by a re-link) follows
    # the change journal when it can: only the statements about the IRIs noted since the
    # seed's publication are compared. Otherwise it is copied again like any changed graph.
    follows_journal = (noted is not None and links in set(public_store.named_graphs())
                       and len(noted) * FOLLOW_COST < kg.count_triples(kg.minter.links_graph()))
    stale = [g for g in public_store.named_graphs() if isinstance(g, ox.NamedNode) and g.value != derived
             and not (follows_journal and g == links)
             and (g.value not in fingerprints or fingerprints[g.value] != old.get(g.value))]
    for graph in stale:
        public_store.remove_graph(graph)
    if follows_journal:
        # Decisions withheld last time for naming an entity public again come back with them.
        _follow_noted(kg, public_store, links, noted | returning_decisions, hidden)
        if _stamp(public_store, links) != _stamp(kg.backend.ox, links):
            # A write the journal missed (a restored store, a dropped graph): copy it after all.
            public_store.remove_graph(links)
            follows_journal = False
    unchanged = {g for g, fp in fingerprints.items() if old.get(g) == fp} | ({links.value} if follows_journal else set())
    if previous_manifest.get("hidden") != _hidden_digest(hidden):
        kept = {ox.NamedNode(str(g)) for g in graphs if str(g) in unchanged}
        before = Withheld.from_manifest(previous_manifest) or Withheld()
        _follow_hidden_change(kg, public_store, before, hidden, kept)
    public_store.flush()
    del public_store
    return [g for g in graphs if str(g) not in unchanged]


def _seed_state_file(seed: Path, target: Path) -> None:
    """The seed's derived-graph state file goes with its store: the recomputation then compares
    the new facts with the file, not with the store (kg.derive.refresh). A hard link: a state
    file is replaced, never written in place. Without one, the store is compared."""
    try:
        os.link(seed, target)
    except FileNotFoundError:
        return
    except OSError:
        shutil.copyfile(seed, target)


def _stamp(store: ox.Store, graph: ox.NamedNode) -> list:
    """The links graph's run stamp(s) (`<graph> prov:generatedAtTime`), as stored."""
    return sorted(str(q.object) for q in store.quads_for_pattern(graph, ox.NamedNode(str(V.generatedAtTime)), None, graph))


def _follow_noted(kg: KnowledgeGraph, public_store: ox.Store, graph: ox.NamedNode, noted: set[str],
                  hidden: Withheld) -> None:
    """Make `graph` in the public store hold the working store's statements about each noted IRI.

    A writer notes the subject and IRI object of every statement it adds or removes, so every
    changed statement has a noted subject (the links graph has no blank nodes)."""
    store = kg.backend.ox
    for iri in sorted(noted):
        try:
            subject = ox.NamedNode(iri)
        except ValueError:
            continue   # not an IRI (a damaged line): no statement has it as subject
        before = set(public_store.quads_for_pattern(subject, None, None, graph))
        now = {q for q in store.quads_for_pattern(subject, None, None, graph) if not hidden.names(q)}
        for quad in before - now:
            public_store.remove(quad)
        for quad in now - before:
            public_store.add(quad)


def _follow_hidden_change(kg: KnowledgeGraph, public_store: ox.Store, before: Withheld, now: Withheld,
                          kept: set) -> None:
    """Make the graphs kept from the previous public store withhold `now` instead of `before`.

    Every new file may bring a record under review (a few per cent of records are), which
    changes the withheld set; without this, each such publish copied the whole graph again.
    Both directions are index lookups per entity, node or number, so the cost follows the change.
    """
    # Withheld from now on: no statement may name it. The derived graph is left to the
    # recomputation that follows (it alone writes that graph, and compares it with the seed's
    # file of derived facts, kg.derive.refresh): it drops what names a withheld entity.
    derived = ox.NamedNode(str(kg.minter.derived_graph()))
    for quads in [*(naming_iri(public_store, iri) for iri in now.iris - before.iris),
                  *(list(claims_of(public_store, number)) for number in now.numbers - before.numbers),
                  *(evidence_of(public_store, node) for node in now.evidence - before.evidence)]:
        for quad in quads:
            if quad.graph_name != derived:
                public_store.remove(quad)
    # Public again: its statements in the kept graphs come back, unless they name something still withheld.
    store = kg.backend.ox
    for quads in [*(naming_iri(store, iri) for iri in before.iris - now.iris),
                  *(claims_of(store, number) for number in before.numbers - now.numbers),
                  *(evidence_of(store, node) for node in before.evidence - now.evidence)]:
        for quad in quads:
            if quad.graph_name in kept and not now.names(quad):
                public_store.add(quad)


def _make_current(root: Path, stamp: str) -> None:
    replace_text(root / CURRENT, stamp + "\n")


def _prune(root: Path, keep: int) -> None:
    """Keep the newest `keep` complete publications (and the current one); a directory without
    a manifest is one whose publish failed or was killed: readers never open it."""
    current = (root / CURRENT).read_text(encoding="utf-8").strip()
    stamps = sorted(p.name for p in root.iterdir() if p.is_dir())
    complete = [stamp for stamp in stamps if (root / stamp / MANIFEST).exists()]
    for stamp in stamps:
        if stamp != current and (stamp not in complete or stamp in complete[:-keep]):
            shutil.rmtree(root / stamp, ignore_errors=True)
