"""Building, updating, checking and opening search indexes.

- `build_index` reads the graph and writes a complete new index (atomically swapped in).
- `update_index` re-indexes only the entities that changed, and the documents that show
  something of them (a project's PI's name, a work's popularization of a project …), in
  a copy of the current index that is then swapped in. The index records the publication
  it was made from; what changed since is found from the two publications (kg.changes),
  and only the graph around those entities is read (documents.load_around; when more
  than AROUND_SHARE of the documents changed, the whole graph once), and only the
  documents the change reaches are built. A changed institution or person that other
  documents show as before (same name and region; same resolved IRI and name, compared
  with the indexed publication) reaches no further than its own document. When that
  publication is gone, every document is compared.
- `check_index` compares the graph with the index: documents missing, extra or stale.
- `repair_index` updates the index, or builds it from scratch when it is missing or unreadable.
- `open_index` opens the current index. When it is missing, or was built from another
  state of the graph (its recorded fingerprint differs), it raises `IndexNotReady`
  telling to run `scipop index` — unless the caller passes `auto_build=True` (the CLI
  does), in which case it builds or updates the index first. A web server should not
  spend minutes rebuilding inside a request, hence raising is the default.

The index of view "public" must be built from a graph that holds only public data
(`kg.views.open_view(settings, "public")`); `build_index` reads whatever graph it is
given and records the view name in the index path only.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import AbstractSet, Callable, TypeVar

from kg import vocab as V
from kg.changes import changed_iris
from kg.config import Settings
from kg.errors import ConfigError, NotFound, ScipopError, StoreError
from kg.publish import published_root
from kg.store import KnowledgeGraph
from search import documents
from search.engine import ENGINES, Engine, field_values
from search.model import IndexDiff, IndexStats
from search.graphread import rows
from search.query import Everything
from search.searching import SearchIndex
from search.store import FORMAT, IndexLocation
from search.tantivy_engine import TantivyEngine
from search.whoosh_engine import WhooshEngine

T = TypeVar("T")
Progress = Callable[[int], None]  # documents written so far
PROGRESS_EVERY = 500
# Up to this share of the index's documents changed, an update reads around the change;
# beyond it, one read of the whole graph is cheaper (see update_index). Measured on a 1%
# increment at 10,000 projects (5,566 changed IRIs, 7.5% of 74,580 documents): around
# 11-16 s, everything 20-23 s; about 2-3 ms a changed IRI against 0.3 ms a document.
AROUND_SHARE = 0.10

FINGERPRINT_SOURCES = """SELECT ?g ?sha ?t WHERE { ?g a sp:SourceFile ; sp:sha256 ?sha ; prov:generatedAtTime ?t }"""


class IndexNotReady(StoreError):
    """There is no search index yet, or it was built from an older state of the graph."""

    code = "index_not_ready"


def engine_for(name: str) -> Engine:
    if name == "whoosh":
        return WhooshEngine()
    if name == "tantivy":
        return TantivyEngine()
    raise ConfigError(f"Unknown search engine '{name}'.", "Use --search-engine whoosh or --search-engine tantivy.")


def engine_name(settings: Settings, engine: str | None) -> str:
    name = engine or settings.search_engine or "whoosh"
    if name not in ENGINES:
        raise ConfigError(f"Unknown search engine '{name}'.", "Use --search-engine whoosh or --search-engine tantivy.")
    return name


def graph_fingerprint(kg: KnowledgeGraph) -> str:
    """What the graph holds, cheaply: its source files (digest, load time) and the size of links/curation."""
    digest = hashlib.sha256()
    for graph, sha, loaded in sorted(rows(kg, FINGERPRINT_SOURCES)):
        digest.update(f"{graph}\t{sha}\t{loaded}\n".encode())
    for graph in (kg.minter.links_graph(), kg.minter.curation_graph()):
        digest.update(f"{graph}\t{kg.count_triples(graph)}\n".encode())
    digest.update(f"format {FORMAT}\n".encode())
    return digest.hexdigest()[:24]


LARGE_INDEX = 100_000  # documents; above this Whoosh answers in seconds rather than milliseconds


def suggest_engine(documents: int, engine: str) -> str | None:
    """Advice for `scipop build` / `scipop index`: Tantivy once a Whoosh index grows large."""
    if engine == "whoosh" and documents > LARGE_INDEX:
        return (f"The search index holds {documents:,} documents; Whoosh gets slow at this size "
                f"(seconds per query, minutes to rebuild). Use --search-engine tantivy (or SCIPOP_SEARCH_ENGINE=tantivy).")
    return None


def engine_advice(settings: Settings, view: str = "public", engine: str | None = None) -> str | None:
    """`suggest_engine` for the current index of a view (None when there is none or all is well)."""
    name = engine_name(settings, engine)
    meta = IndexLocation.of(settings, view, name).meta()
    return suggest_engine(int(meta.get("documents", 0)), name) if meta else None


def index_exists(settings: Settings, view: str, engine: str | None = None) -> bool:
    return IndexLocation.of(settings, view, engine_name(settings, engine)).current() is not None


def refuse_restricted(kg: KnowledgeGraph, view: str) -> None:
    """A public index is never built from a graph that still holds restricted records."""
    if view == "public" and any(kg.minter.is_restricted_graph(g) for g in kg.graph_names()):
        raise ConfigError("This graph holds restricted records, so it cannot feed the public search index.",
                          "Build the public index from the published public view (kg.views.open_view(settings, 'public')).")


def _meta(view: str, engine: str, fingerprint: str, by_kind: dict[str, int], source: str | None) -> dict:
    return {"format": FORMAT, "view": view, "engine": engine, "fingerprint": fingerprint, "source": source,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "documents": sum(by_kind.values()), "by_kind": by_kind}


# Building ------------------------------------------------------------------------------------
def build_index(kg: KnowledgeGraph, settings: Settings, view: str = "public", engine: str | None = None,
                progress: Progress | None = None) -> IndexStats:
    """Write a complete new index from the graph and make it current."""
    started = time.monotonic()
    name = engine_name(settings, engine)
    location = IndexLocation.of(settings, view, name)
    refuse_restricted(kg, view)
    fingerprint = graph_fingerprint(kg)
    builder = documents.Builder(documents.load(kg))
    building = location.new_dir()
    by_kind: dict[str, int] = {}
    try:
        writer = engine_for(name).create(building)
        try:
            for count, doc in enumerate(builder.docs(), start=1):
                writer.add(field_values(doc))
                by_kind[doc.kind] = by_kind.get(doc.kind, 0) + 1
                if progress and count % PROGRESS_EVERY == 0:
                    progress(count)
            if progress:
                progress(sum(by_kind.values()))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        final = location.publish(building, _meta(view, name, fingerprint, by_kind, _source(settings, kg)))
    except BaseException:
        location.discard(building)
        raise
    return IndexStats(view=view, engine=name, documents=sum(by_kind.values()), by_kind=dict(sorted(by_kind.items())),
                      seconds=time.monotonic() - started, path=str(final), fingerprint=fingerprint)


def update_index(kg: KnowledgeGraph, settings: Settings, view: str, changed_iris: set[str] | None,
                 engine: str | None = None, *, compare_all: bool = False,
                 reached: AbstractSet[str] | None = None) -> IndexStats:
    """Re-index the changed entities and the documents that show something of them.

    `changed_iris=None`: the entities that changed since the publication the index was
    made from (kg.changes), when that publication is still on disk; otherwise, or with
    `compare_all`, every document is compared with the graph (as `check_index` does) and
    whatever differs is re-indexed. Without an index yet, this builds one. `reached`: the
    reach of `changed_iris` (`_reached`), when the caller found it already (a planned update).
    """
    started = time.monotonic()
    name = engine_for(engine_name(settings, engine)).name
    location = IndexLocation.of(settings, view, name)
    if location.current() is None:
        return build_index(kg, settings, view, name)
    refuse_restricted(kg, view)
    fingerprint = graph_fingerprint(kg)
    meta, source = location.meta(), _source(settings, kg)
    if changed_iris is None and not compare_all:
        changed_iris = _changes_since(settings, meta, kg)
    reader = engine_for(name).open(location.current())
    read_whole = True
    try:
        if changed_iris is None:
            builder = documents.Builder(documents.load(kg))
            kinds = builder.iris()
            indexed = reader.hashes()
            candidates = set(kinds) | set(indexed)
        else:
            changed = set(reached) if reached is not None else _reached(kg, changed_iris)
            if len(changed) <= AROUND_SHARE * reader.count():
                read_whole = False
                # Read only around the change: what changed, then what shows it (small reads).
                # An institution is followed to what shows it only when it is shown
                # differently now; the candidates' own documents never need that.
                reads = documents.AroundReads(kg)   # shared: each entity is read once
                own = documents.Builder(documents.load_around(kg, changed, reach=set(), reads=reads))
                renamed = changed - _shown_alike(reader, own, changed)
                # Hosts: institutions, and IRIs that host projects without being one any more.
                first = documents.Builder(documents.load_around(kg, changed, reach=renamed, reads=reads)) \
                    if (own.data.orgs.keys() | own.data.hosting.keys()) & renamed else own
                candidates = _affected(reader, first, changed, _people_before(settings, meta, kg, own, changed))
                builder = documents.Builder(documents.load_around(kg, candidates, reach=set(), reads=reads))
            else:
                # A larger change reaches much of the graph through institutions and people,
                # and per-entity reads then cost more than one scan per property (see
                # AROUND_SHARE). Read everything, but still build only the documents it reaches.
                builder = documents.Builder(documents.load(kg))
                candidates = _affected(reader, builder, changed, _people_before(settings, meta, kg, builder, changed))
            kinds = {iri: kind for iri, kind in builder.iris().items() if iri in candidates}
            indexed = reader.hashes_for(candidates)
    finally:
        reader.close()
    to_write = []  # (doc, its field values)
    for iri in sorted(candidates & set(kinds)):
        doc = builder.build(iri, kinds[iri])
        values = field_values(doc)
        if indexed.get(iri) != values["hash"]:
            to_write.append((doc, values))
    to_delete = sorted(iri for iri in candidates if iri in indexed and iri not in kinds)
    if to_write or to_delete or meta.get("fingerprint") != fingerprint or meta.get("source") != source:
        _apply(location, name, view, fingerprint, to_write, to_delete, source)
    by_kind: dict[str, int] = {}
    for doc, _ in to_write:
        by_kind[doc.kind] = by_kind.get(doc.kind, 0) + 1
    return IndexStats(view=view, engine=name, documents=len(to_write), by_kind=by_kind,
                      seconds=time.monotonic() - started, path=str(location.current()), fingerprint=fingerprint,
                      removed=len(to_delete), changed=None if changed_iris is None else len(changed_iris),
                      compared=None if changed_iris is None else len(candidates), read_whole=read_whole)


def _reached(kg: KnowledgeGraph, changed_iris: set[str]) -> set[str]:
    """The changed IRIs with their sameAs groups and the outputs owning changed authorships."""
    return documents.same_as_reach(kg, set(changed_iris) | documents.owners(kg, changed_iris))


@dataclass(frozen=True)
class UpdateReach:
    """What an update of a view's index will read, found before it runs (plan_index_memory)."""

    changed: frozenset[str] | None   # since the index's publication; None: every document is compared
    reached: frozenset[str]          # they, their sameAs groups and owning outputs (`_reached`)
    documents: int                   # in the index
    # Between which publications: the one the index was made from, and the view's current one
    # then. A publish may land before the update runs; the changes are then looked for again.
    indexed: str | None = None
    current: str | None = None

    def changes_for(self, settings: Settings, kg: KnowledgeGraph, meta: dict | None) -> set[str] | None:
        """The planned changes, if the index and the view are still those they were found between."""
        if self.changed is None or self.indexed != _recorded_source(meta) or self.current != _source(settings, kg):
            return None
        return set(self.changed)

    @property
    def reads_whole(self) -> bool:
        """Whether the update reads the whole graph, as a build does (see update_index)."""
        return self.changed is None or len(self.reached) > AROUND_SHARE * self.documents


def update_reach(settings: Settings, view: str, engine: str | None = None) -> UpdateReach | None:
    """How far an update of the view's index reaches; None when it has no index (it is built)."""
    name = engine_for(engine_name(settings, engine)).name
    location = IndexLocation.of(settings, view, name)
    if location.current() is None:
        return None
    meta = location.meta()
    with open_view_graph(settings, view) as kg:
        changed = _changes_since(settings, meta, kg)
        # Found once: the update is handed it (about 20 s per view at 200,000 projects).
        reached = frozenset(_reached(kg, changed)) if changed else frozenset()
        current = _source(settings, kg)
    reader = engine_for(name).open(location.current())
    try:
        count = reader.count()
    finally:
        reader.close()
    return UpdateReach(changed=None if changed is None else frozenset(changed), reached=reached, documents=count,
                       indexed=_recorded_source(meta), current=current)


def _source(settings: Settings, kg: KnowledgeGraph) -> str | None:
    """The publication view an index is made from, as '<stamp>/<view>' under the data
    directory's publications (relative: a data directory may be copied or moved); None
    for a graph that is not a publication (the working store)."""
    try:
        return kg.settings.data_dir.relative_to(published_root(settings)).as_posix()
    except ValueError:
        return None


def _changes_since(settings: Settings, meta: dict | None, kg: KnowledgeGraph) -> set[str] | None:
    """The IRIs that changed between the publication an index was made from and `kg`
    (none when it is the same one); None when that is unknown (an older index, that
    publication pruned, the working store changed in place, or a SPARQL server)."""
    recorded = _recorded_source(meta)
    if recorded is not None and recorded == _source(settings, kg):
        return set()   # a publication never changes: the index is already made from this one
    return _read_indexed_publication(settings, meta, kg, lambda before: changed_iris(before, kg))


def _people_before(settings: Settings, meta: dict | None, kg: KnowledgeGraph, builder: documents.Builder,
                   changed: set[str]) -> dict[str, tuple[str, str]] | None:
    """How the publication the index was made from showed the changed people, and the
    people they resolve to now (None when that publication is unknown)."""
    iris = {i for i in set(changed) | {builder.person(i) for i in changed} if i in builder.data.people}
    return _read_indexed_publication(settings, meta, kg, lambda before: documents.people_shown(before, iris))


def _recorded_source(meta: dict | None) -> str | None:
    return meta.get("source") if meta and meta.get("format") == FORMAT else None


def _read_indexed_publication(settings: Settings, meta: dict | None, kg: KnowledgeGraph,
                              read: Callable[[KnowledgeGraph], T]) -> T | None:
    """`read` applied to the publication the index was made from, opened read-only; None
    when it is unknown, pruned, or `kg` is no publication (the working store, a server)."""
    recorded = _recorded_source(meta)
    if not recorded or _source(settings, kg) is None:
        return None
    source = published_root(settings) / recorded
    if not (source / "store").is_dir():
        return None
    try:
        with KnowledgeGraph(kg.settings.with_overrides(data_dir=source, store_url=None), read_only=True) as before:
            return read(before)
    except StoreError:
        return None   # pruned while being opened, or unreadable: compare more instead


def _affected(reader, builder: documents.Builder, changed: set[str],
              people_before: dict[str, tuple[str, str]] | None = None) -> set[str]:
    """The changed IRIs, and for those other documents may now show differently, their
    neighbours now and as the index last saw them.

    `people_before`: how the indexed publication showed people (`_people_before`). A
    person shown as before (a new paper, a new mention of the same name joining them) has
    changed for their own document only: the documents naming them show the same IRI and
    name. Without it, every changed person's documents are rebuilt.
    """
    changed = {builder.person(i) for i in changed} | changed
    old_docs = {iri: reader.get(iri) for iri in changed}
    alike = _shown_alike(reader, builder, changed, old_docs) | _people_alike(builder, changed, people_before)
    affected = set(changed) | builder.neighbours(changed - alike)
    for iri, old in old_docs.items():
        if old is not None and iri not in alike:
            affected |= set(old.data.get("people", ())) | set(old.data.get("links", ()))
    return affected


def _people_alike(builder: documents.Builder, iris: set[str], before: dict[str, tuple[str, str]] | None) -> set[str]:
    if not before:
        return set()
    return {iri for iri in iris if iri in before and iri in builder.data.people
            and builder.shown_person(iri) == before[iri]}


def _shown_alike(reader, builder: documents.Builder, iris: set[str], old_docs: dict | None = None) -> set[str]:
    """The IRIs that other documents show as before: an institution named by a new record
    (an author's affiliation) has changed only for its own document, since what it hosts
    shows only its name and region."""
    old_docs = old_docs if old_docs is not None else {iri: reader.get(iri) for iri in iris}
    return {iri for iri in iris if _institution_shown_alike(old_docs[iri], builder, iri)}


def _institution_shown_alike(old, builder: documents.Builder, iri: str) -> bool:
    """An institution whose name and region, as other documents show them, did not change."""
    new = builder.institution(iri) if iri in builder.data.orgs else None
    if old is None or new is None:
        # No document then or now: a name shown nowhere (unless it is no institution at all).
        return old is None and new is None and not builder.is_record(iri)
    return (old.kind == "institution" and old.label == new.label
            and old.data.get("fields", {}).get("region") == new.fields.get("region"))


def _apply(location: IndexLocation, name: str, view: str, fingerprint: str, to_write: list, to_delete: list[str],
           source: str | None) -> None:
    building = location.copy_current()
    try:
        writer = engine_for(name).writer(building)
        try:
            for doc, values in to_write:
                writer.delete(doc.iri)   # a no-op when it has no document yet
                writer.add(values)
            for iri in to_delete:
                writer.delete(iri)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        reader = engine_for(name).open(building)
        try:
            by_kind = reader.search(Everything(), [], "relevance", 0, 1, facets=["kind"]).facets["kind"]
        finally:
            reader.close()
        location.publish(building, _meta(view, name, fingerprint, dict(sorted(by_kind.items())), source))
    except BaseException:
        location.discard(building)
        raise


def index_view(settings: Settings, view: str, rebuild: bool, engine: str | None = None,
               progress: Progress | None = None, planned: UpdateReach | None = None) -> IndexStats:
    """Build the index of a view from its published graph (with `rebuild`, or when it has
    none yet), else update it: what `scipop index` and every publish run. A plain function
    of picklable arguments, so that a spawned process can index one view while the caller
    indexes the other. `planned`: the update's reach as planned (`update_reach`), whose
    changes are used while the index and the view are still those they were found between."""
    with open_view_graph(settings, view) as kg:
        if rebuild or not index_exists(settings, view, engine):
            return build_index(kg, settings, view, engine, progress=progress)
        changed = None
        if planned is not None:
            name = engine_for(engine_name(settings, engine)).name
            changed = planned.changes_for(settings, kg, IndexLocation.of(settings, view, name).meta())
        return update_index(kg, settings, view, changed, engine,
                            reached=planned.reached if changed is not None else None)


# What one view's index build holds at its peak (the graph read, the documents' Builder and the
# engine's writer), as a line through two measured builds with Tantivy (session 22): the public
# view alone at 50,000 projects, 2.07 GB; the larger of two side by side at 200,000, 5.41 GB.
# Whoosh's writer holds less.
BUILD_GB_PER_PROJECT = (5.41 - 2.07) / 150_000
BUILD_GB_BASE = 2.07 - 50_000 * BUILD_GB_PER_PROJECT   # 0.96 GB
# What an update that reads around the change holds grows with what it reads: with Tantivy,
# 0.62 GB at 20,000 projects (a 1 % increment, ~10,400 IRIs reached; session 25) and 3.44 GB
# at 200,000 (the same increment, ~94,000 reached, estimated on the working store; session
# 24). A line from the build's base through the latter over-estimates the former: the safe side.
UPDATE_GB_PER_REACHED = (3.44 - BUILD_GB_BASE) / 94_000


@dataclass(frozen=True)
class MemoryPlan:
    """Whether several views' index builds may run side by side."""

    needed_gb: float           # the builds (or updates) together, at their peaks
    allowed_gb: float | None   # the setting, else what the system has available; None: unknown
    projects: dict[str, int]   # view -> its sp:FundedProject statements (one per graph stating it)
    # view -> how far its update reaches, for the views with an index to update
    updates: dict[str, UpdateReach] = field(default_factory=dict)

    @property
    def side_by_side(self) -> bool:
        return self.allowed_gb is None or self.needed_gb <= self.allowed_gb


def plan_index_memory(settings: Settings, views: list[str], rebuild: bool = True,
                      engine: str | None = None) -> MemoryPlan:
    """What indexing these views at once would take, against what may be used: two builds
    side by side at 200,000 projects took 10.34 GB (session 22), one after the other about
    half, for a longer build (session 21 estimated 500 s more). Without `rebuild`, a view
    with an index is updated: an update that reads around the change takes what it reads
    (UPDATE_GB_PER_REACHED), one that reads the whole graph as much as a build."""
    projects: dict[str, int] = {}
    updates: dict[str, UpdateReach] = {}
    needed = 0.0
    for view in views:
        try:
            with open_view_graph(settings, view) as kg:
                found = next(rows(kg, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?p a <{V.FundedProject}> }}"))[0]
        except ScipopError:
            continue   # a view that cannot be opened is not built either: its indexing says why
        projects[view] = int(found or 0)
        build = BUILD_GB_BASE + projects[view] * BUILD_GB_PER_PROJECT
        try:
            reach = None if rebuild else update_reach(settings, view, engine)
        except ScipopError:
            reach = None   # counted as a build; the update itself says what is wrong
        if reach is not None:
            updates[view] = reach
        if reach is not None and not reach.reads_whole:
            needed += min(build, BUILD_GB_BASE + len(reach.reached) * UPDATE_GB_PER_REACHED)
        else:
            needed += build
    allowed = settings.memory_gb if settings.memory_gb is not None else available_memory_gb()
    return MemoryPlan(needed_gb=needed, allowed_gb=allowed, projects=projects, updates=updates)


def available_memory_gb() -> float | None:
    """Memory the system can give without swapping (Linux's MemAvailable), or None elsewhere."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    return None


def check_index(kg: KnowledgeGraph, settings: Settings, view: str, engine: str | None = None) -> list[str]:
    """Differences between graph and index, one line each: 'missing IRI', 'extra IRI', 'stale IRI'."""
    return diff_index(kg, settings, view, engine).lines()


def diff_index(kg: KnowledgeGraph, settings: Settings, view: str, engine: str | None = None) -> IndexDiff:
    name = engine_name(settings, engine)
    location = IndexLocation.of(settings, view, name)
    current = location.current()
    if current is None:
        raise IndexNotReady(f"There is no {view} search index for {name} yet.",
                            f"Run `scipop index --view {view} --search-engine {name}`.")
    builder = documents.Builder(documents.load(kg))
    kinds = builder.iris()
    reader = engine_for(name).open(current)
    try:
        indexed = reader.hashes()
    finally:
        reader.close()
    diff = IndexDiff(missing=sorted(set(kinds) - set(indexed)), extra=sorted(set(indexed) - set(kinds)))
    for iri in sorted(set(kinds) & set(indexed)):
        if field_values(builder.build(iri, kinds[iri]))["hash"] != indexed[iri]:
            diff.stale.append(iri)
    return diff


# Opening ---------------------------------------------------------------------------------------
def open_view_graph(settings: Settings, view: str) -> KnowledgeGraph:
    """The graph an index of `view` is built from: the published view when there is one."""
    try:
        from kg.views import open_view
    except ImportError:  # before kg.views existed every reader used the working store
        return KnowledgeGraph(settings, read_only=True)
    try:
        return open_view(settings, view)
    except NotFound:
        if view == "full":
            return KnowledgeGraph(settings, read_only=True)
        raise


def open_index(settings: Settings, view: str = "public", engine: str | None = None, *,
               auto_build: bool = False, check_fresh: bool = True):
    """The current index of `view`, ready to search (see the module docstring for staleness)."""
    name = engine_name(settings, engine)
    location = IndexLocation.of(settings, view, name)
    if location.current() is None or check_fresh:
        _ensure_fresh(settings, view, name, location, auto_build)
    return SearchIndex(engine_for(name).open(location.current()), view=view, engine=name,
                       meta=location.meta() or {})


def repair_index(settings: Settings, view: str, engine: str | None = None) -> IndexStats:
    """Bring the index of `view` in line with the graph it is built from, whatever state it is in:
    an index that is there and readable is compared document by document and updated; one that
    is missing, of an older format or unreadable (a damaged directory) is built from scratch.
    The old index keeps serving until the new one is swapped in (search/store.py)."""
    name = engine_name(settings, engine)
    location = IndexLocation.of(settings, view, name)
    with open_view_graph(settings, view) as kg:
        meta = location.meta() if location.current() is not None else None
        if meta is not None and meta.get("format") == FORMAT:
            try:
                return update_index(kg, settings, view, None, name, compare_all=True)
            except Exception:  # noqa: BLE001 - engines raise many types for damaged files; rebuild instead
                pass
        return build_index(kg, settings, view, name)


def _ensure_fresh(settings: Settings, view: str, name: str, location: IndexLocation, auto_build: bool) -> None:
    meta = location.meta()
    try:
        kg = open_view_graph(settings, view)
    except NotFound:
        if meta is None:
            raise IndexNotReady(f"There is no {view} search index yet, and nothing has been published to build it from.",
                                "Run `scipop build --demo` or `scipop ingest …`, then `scipop index`.")
        return  # nothing published to compare with: serve the index there is
    with kg:
        if meta is not None and meta.get("fingerprint") == graph_fingerprint(kg) and meta.get("format") == FORMAT:
            return
        if not auto_build:
            what = "no" if meta is None else "an out-of-date"
            raise IndexNotReady(f"There is {what} {view} search index ({name}) for the current graph.",
                                f"Run `scipop index --view {view} --search-engine {name}` "
                                f"(add --rebuild to build it from scratch).")
        if meta is None:
            build_index(kg, settings, view, name)
        else:
            update_index(kg, settings, view, None, name)
