"""What changed between two publications of a view: the IRIs whose statements differ.

An index update re-indexes the entities that changed and the documents that show them
(search/index.py); reading the whole graph to find them costs as much as a rebuild (at
100,000 projects ~13 minutes of reads per view). Two publications of a view share most of
their graphs, so the difference is found graph by graph, at the cost of the change:

- a source graph (and its restricted twin) whose catalog fingerprint (file sha256 and load
  time; only ingest writes a source graph) is the same in both is the same graph — in the
  public view once the entities withheld in only one of the two are accounted for (their
  statements were taken out of, or put back into, the graphs kept; kg.publish);
- the links graph: linking notes the IRIs of every statement it adds or removes in the
  data directory's change journal (`changes.log`), and each publication records how far
  the journal went; the journal between the two publications names what moved. Without
  it (a first link notes `*`, an older publication) the graph is compared statement by
  statement;
- the derived graph likewise: `derive.refresh` notes the entities whose derived facts it
  changed, in the working data directory's journal (the staff view) or, when a publish
  recomputes the public view's facts, in that publication's own `public/changes.log`;
- a changed ontology graph (tiers, notations: what documents show of every entity)
  makes the two incomparable: every document is compared;
- every other graph (catalog, curation) is small and compared statement by statement.

The journal is trusted to hold every change of the links and derived graphs: they are
written only by linking and `derive.refresh`. A store restored from a backup while the
journal stays, or a hand-made update of either graph, must be followed by a full
comparison: delete `changes.log` (then the next index update compares every document and
the next publish copies the links graph whole), or run `scipop index --rebuild`. The same
holds for the files those two steps keep of what they last wrote (`links.nq`,
`derived.nq`, kg.graphstate): after a hand-made update of either graph, delete its file. Publish
itself also copies the links graph whole when, after following the journal, the public
view's links-graph stamp is not the working store's (kg.publish).

The result holds the subjects and IRI objects of every statement that one publication
states (in any graph) and the other does not. It is None when the two cannot be compared
(no embedded stores, or a publication that recorded no withheld set).
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
from rdflib import URIRef

from kg.catalog import source_fingerprints
from kg.config import Settings
from kg.store import EmbeddedBackend, KnowledgeGraph
from kg.withholding import Withheld, claims_of, naming_iri

MANIFEST = "manifest.json"   # a publication's record (kg.publish writes it)


def changed_iris(before: KnowledgeGraph, after: KnowledgeGraph) -> set[str] | None:
    """IRIs named by a statement that is in one of the two stores and not the other."""
    if not (isinstance(before.backend, EmbeddedBackend) and isinstance(after.backend, EmbeddedBackend)):
        return None
    old, new = before.backend.ox, after.backend.ox
    old_prints, new_prints = _fingerprints(before), _fingerprints(after)
    links, derived = str(after.minter.links_graph()), str(after.minter.derived_graph())
    ontology = ox.NamedNode(str(after.minter.ontology_graph()))
    if statements_of(old, ontology) != statements_of(new, ontology):
        return None   # the vocabulary changed (tiers, notations): what documents show may change anywhere
    noted = journal_between(before.settings.data_dir, after.settings.data_dir)
    derived_noted = _derived_noted(before.settings.data_dir, after.settings.data_dir, noted)
    changed: set[str] = set(noted or ()) | set(derived_noted or ())
    graphs = {str(g) for g in before.graph_names()} | {str(g) for g in after.graph_names()}
    for graph in sorted(graphs):
        if graph in old_prints and old_prints[graph] == new_prints.get(graph):
            continue
        if (graph == links and noted is not None) or (graph == derived and derived_noted is not None):
            continue
        node = ox.NamedNode(graph)
        for statement in statements_of(old, node).symmetric_difference(statements_of(new, node)):
            # Readers see the union of the graphs: a statement a new file repeats (an
            # institution's name restated by every file naming it) changes nothing.
            if _stated(old, statement) != _stated(new, statement):
                changed.update(named_in([statement]))
    withheld_before, withheld_after = _withheld(before.settings.data_dir), _withheld(after.settings.data_dir)
    if withheld_before is None or withheld_after is None:
        return None
    # A link node whose evidence text is withheld or shown again changed: its statements
    # name the record and the project its document shows.
    for iri in (withheld_before.iris | withheld_before.evidence).symmetric_difference(
            withheld_after.iris | withheld_after.evidence):
        changed.add(iri)
        for store in (old, new):
            changed.update(named_in((q.subject, q.predicate, q.object) for q in naming_iri(store, iri)))
    for number in withheld_before.numbers.symmetric_difference(withheld_after.numbers):
        for store in (old, new):   # a record stating a withheld project's number changed too
            changed.update(named_in((q.subject, q.predicate, q.object) for q in claims_of(store, number)))
    return changed


def _fingerprints(kg: KnowledgeGraph) -> dict[str, str]:
    """Source graphs' fingerprints, and their restricted twins' (written by the same ingest)."""
    prints = source_fingerprints(kg)
    for graph, fingerprint in list(prints.items()):
        prints[str(kg.minter.restricted_graph(URIRef(graph)))] = fingerprint
    return prints


# The change journal -------------------------------------------------------------------------
JOURNAL = "changes.log"      # under the data directory: one IRI per line, appended
EVERYTHING = "*"             # a line meaning: anything may have changed (compare in full)


def note_changes(settings: Settings, iris: Iterable[str]) -> None:
    """Record that statements about these IRIs were written (call before the write commits:
    a rolled-back write leaves IRIs noted that did not change, which costs only a look)."""
    text = "".join(f"{iri}\n" for iri in sorted(set(iris)) if iri)
    if text:
        path = settings.data_dir / JOURNAL
        if not path.exists():
            # A journal names itself: positions recorded in another one (deleted and begun
            # again) must not be read in this one.
            text = f"# {uuid.uuid4().hex}\n" + text
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def note_everything(settings: Settings) -> None:
    note_changes(settings, [EVERYTHING])


def journal_position(settings: Settings) -> list | None:
    """Which journal, and how far it has gone (a publication records it); None before any."""
    return _position(settings.data_dir)


def _position(data_dir: Path) -> list | None:
    path = data_dir / JOURNAL
    try:
        with open(path, encoding="utf-8") as handle:
            name = handle.readline().strip()
        return [name, path.stat().st_size]
    except FileNotFoundError:
        return None


def journal_between(before_view: Path, after_view: Path) -> set[str] | None:
    """The IRIs noted between two publications (given by their view directories); None when
    unknown: a publication without a position, another data directory or journal (the file
    was removed), or EVERYTHING noted. Deleting `changes.log` is safe: updates then compare
    every document once."""
    before, after = (_manifest(view).get("journal") for view in (before_view, after_view))
    if before_view.parent.parent != after_view.parent.parent or not after:
        return None
    data_dir = after_view.parent.parent.parent      # data_dir/published/<stamp>/<view>
    return _noted(data_dir, before, after)


def journal_since(settings: Settings, position: list | None) -> set[str] | None:
    """The IRIs noted since a recorded `journal_position` (up to now); None when unknown, as above."""
    return _noted(settings.data_dir, position, _position(settings.data_dir))


def _noted(data_dir: Path, before: list | None, after: list | None) -> set[str] | None:
    current = _position(data_dir)
    if before is None or after is None or current is None or not before[0] == after[0] == current[0] \
            or before[1] > after[1]:
        return None
    with open(data_dir / JOURNAL, "rb") as handle:
        handle.seek(before[1])
        lines = handle.read(after[1] - before[1]).decode("utf-8").splitlines()
    noted = set(lines)
    return None if EVERYTHING in noted else noted


def _derived_noted(before_view: Path, after_view: Path, noted: set[str] | None) -> set[str] | None:
    """What changed in the derived graph between the two publications, from journals.

    The staff view is a copy of the working store, whose `derive.refresh` notes into the
    data directory's journal (`noted`, read above). The public view recomputes its derived
    facts at each publish over those of the publication it was seeded from, and notes the
    difference in the publication's own `public/changes.log`: usable when that seed is
    `before`."""
    if after_view.name != "public":
        return noted
    if _manifest(after_view).get("seeded_from") != before_view.parent.name:
        return None
    try:
        lines = set((after_view / JOURNAL).read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return set()   # the recomputation changed nothing
    lines = {line for line in lines if not line.startswith("# ")}
    return None if EVERYTHING in lines else lines


def _manifest(view_dir: Path) -> dict:
    path = view_dir.parent / MANIFEST     # a view directory is published/<stamp>/<view>
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def statements_of(store: ox.Store, graph: ox.NamedNode) -> set[tuple]:
    """A named graph's statements, as (subject, predicate, object) Oxigraph terms."""
    return {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, graph)}


def _stated(store: ox.Store, statement: tuple) -> bool:
    """Whether the store holds the statement in any graph."""
    subject, predicate, value = statement
    return next(iter(store.quads_for_pattern(subject, predicate, value, None)), None) is not None


def named_in(statements: Iterable[tuple]) -> Iterator[str]:
    """The IRIs of the subjects and objects of (subject, predicate, object) Oxigraph terms."""
    for subject, _, value in statements:
        for term in (subject, value):
            if isinstance(term, ox.NamedNode):
                yield term.value


def _withheld(view_dir: Path) -> Withheld | None:
    """What a public view withholds (nothing for the staff view); None when unknown."""
    if view_dir.name != "public":
        return Withheld()
    return Withheld.from_manifest(_manifest(view_dir))
