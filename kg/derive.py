"""Derived facts that pages and reports need often, materialized after each ingest.

Whole-graph negation is slow on Oxigraph (FILTER NOT EXISTS is quadratic), so the gap
questions are answered once here, with grouped counts (OPTIONAL, no negation), and stored
in the derived graph:

- project: sp:obligationTier (from its type), sp:outputCount, sp:workCount,
  sp:popularizationStatus (Popularized / ResultsUnpopularized / NoKnownResults);
  outputs counted once per identity: records linking joined (owl:sameAs in the links
  graph) are one output, in sp:outputCount and sp:popularizedOutputCount alike;
- output: sp:isPopularized, sp:workCount.
- project: sp:popularizedOutputCount; and the reports' aggregate tables (kg.rollup), one
  JSON literal per report and grouping, so a report reads one statement at any scale;
- the observations SPARQL users count most (kg.rollup): sp:GapObservation per department,
  project type and year, sp:TalentPoolObservation per field of expertise.

Only approved works count as popularization: a work still under confidentiality review
has not reached the public yet. (The talent-pool observations count the works a view
holds, as a SPARQL user counting them would: in the staff view, works under review too.)
The same code runs on the full store and on the public view, each over what it holds.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Callable, Iterator

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg import concepts, graphstate, rollup
from kg import vocab as V
from kg.apart import apart
from kg.changes import named_in, note_changes, note_everything, statements_of
from kg.config import Settings
from kg.nquads import NQuadsWriter, iri_nt
from kg.patterns import approved_work, instances, values_batches
from kg.store import NETWORK_SNAPSHOT, EmbeddedBackend, KnowledgeGraph, checkpoint_for_a_child, prefix_block

# Patterns in subqueries of their own are joined by Oxigraph by hashing its internal ids, one
# sequential read each; joined in one group, it probes an index per row and spells out IRIs it
# then drops. At 100,000 projects that is the difference between minutes and seconds here.
PROJECTS = prefix_block() + f"SELECT ?p WHERE {instances('?p', 'sp:FundedProject')}"

# Outputs are counted once per identity: two records of one paper (OAR and OpenAlex, no DOI)
# that linking joined with owl:sameAs are one output.
CANONICAL = ("OPTIONAL { SELECT ?o ?same WHERE { GRAPH <%(links)s> { ?o owl:sameAs ?same } } } "
             "BIND(COALESCE(?same, ?o) AS ?c)")

# Projects without outputs get 0 in Python. (Starting from `?p a sp:FundedProject` with the
# outputs OPTIONAL took 73 s at 100,000 projects.)
PROJECT_OUTPUTS = prefix_block() + f"""
SELECT ?p (COUNT(DISTINCT ?c) AS ?n) WHERE {{
  {{ SELECT ?o ?p WHERE {{ GRAPH ?g {{ ?o sp:resultOf ?p }} }} }}
  {instances("?o", "sp:ResearchOutput")}
  %(canonical)s
}} GROUP BY ?p"""

# Approved works and what they popularize, read once; the work counts per project and per output
# and the popularized outputs per project are joined from these pairs in Python. (As four queries
# each starting again from the works, they took 42 s at 100,000 projects on a store fresh from
# its bulk load, where every per-row index probe is slow, for a few thousand rows each.)
# Only IRIs are kept: the lookups bind them with VALUES, and ingest mints an IRI for every entity.
APPROVED_POPULARIZES = prefix_block() + f"""
SELECT DISTINCT ?w ?x WHERE {{ {approved_work("?w")} ?w sp:popularizes ?x FILTER(isIRI(?x)) }}"""

# Only projects carry the concluding report's popularization field; the caller keeps projects.
PROJECT_REPORTED = prefix_block() + "SELECT DISTINCT ?p WHERE { ?p sp:popularizationReport ?r }"

OUTPUTS = prefix_block() + f"SELECT ?o WHERE {instances('?o', 'sp:ResearchOutput')}"

LOOKUP_BATCH = 500   # subjects per VALUES-bound lookup query


@dataclass(frozen=True)
class DerivedCounts:
    projects: int
    outputs: int
    triples: int


_BOOLEAN = {True: Literal(True), False: Literal(False)}


@lru_cache(maxsize=4096)
def _int(value: int) -> Literal:
    # Counts are small numbers that repeat; building an rdflib Literal costs ~10 µs each.
    return Literal(value, datatype=XSD.integer)


def _counts(kg: KnowledgeGraph, sparql: str) -> dict[URIRef, int]:
    return {URIRef(iri): int(n) for iri, n in kg.rows(sparql)}


def _iri_rows(kg: KnowledgeGraph, sparql: str) -> Iterator[tuple[URIRef, ...]]:
    """Rows of IRIs, read as text and made URIRefs once (cheaper than the rdflib result path)."""
    for row in kg.rows(sparql):
        yield tuple(URIRef(value) for value in row)


def project_status(outputs: int, works: int, reported: bool) -> URIRef:
    """The one rule for a project's popularization status."""
    if works > 0 or reported:
        return V.Popularized
    return V.ResultsUnpopularized if outputs > 0 else V.NoKnownResults


@dataclass
class Popularization:
    """What approved works popularize, joined per project and per output."""

    works_by_project: dict[URIRef, set[URIRef]]     # directly, or through one of its outputs
    works_by_output: dict[URIRef, set[URIRef]]      # research outputs only
    popularized_outputs: dict[URIRef, int]          # project -> its popularized outputs, by identity


def popularization(kg: KnowledgeGraph, research_outputs: AbstractSet[URIRef],
                   projects: AbstractSet[URIRef]) -> Popularization:
    """Approved works and what they popularize, from one read and lookups for the few thousand
    things popularized (which project each is a result of, and an output's identities)."""
    pairs = list(_iri_rows(kg, APPROVED_POPULARIZES))
    targets = sorted({x for _, x in pairs})
    result_of = _related(kg, targets, "?s sp:resultOf ?o")
    popularized = [x for x in targets if x in research_outputs]
    same = _related(kg, popularized, f"GRAPH <{kg.minter.links_graph()}> {{ ?s owl:sameAs ?o }}")
    by_project: dict[URIRef, set[URIRef]] = {}
    by_output: dict[URIRef, set[URIRef]] = {}
    for work, x in pairs:
        if x in projects:
            by_project.setdefault(x, set()).add(work)
        for project in result_of.get(x, ()):
            by_project.setdefault(project, set()).add(work)
        if x in research_outputs:
            by_output.setdefault(x, set()).add(work)
    identities: dict[URIRef, set[URIRef]] = {}
    for output in popularized:
        for project in result_of.get(output, ()):
            identities.setdefault(project, set()).update(same.get(output) or {output})
    return Popularization(by_project, by_output, {p: len(found) for p, found in identities.items()})


def _related(kg: KnowledgeGraph, subjects: list[URIRef], pattern: str) -> dict[URIRef, set[URIRef]]:
    """?s -> its ?o in `pattern`, for the given subjects: VALUES-bound queries, one index lookup each."""
    found: dict[URIRef, set[URIRef]] = {}
    for values in values_batches(subjects, LOOKUP_BATCH):
        for s, o in _iri_rows(kg, prefix_block() + f"SELECT ?s ?o WHERE {{ VALUES ?s {{ {values} }} {pattern} }}"):
            found.setdefault(s, set()).add(o)
    return found


def compute(kg: KnowledgeGraph) -> list[tuple]:
    """All derived triples, from the graph as it is now."""
    outputs = dict.fromkeys((row[0] for row in _iri_rows(kg, PROJECTS)), 0)
    with _network_apart(kg, len(outputs)) as network:
        return _compute(kg, outputs, network)


def _compute(kg: KnowledgeGraph, outputs: dict[URIRef, int],
             network: Callable[[], rollup.NetworkFacts] | None) -> list[tuple]:
    outputs.update((p, n) for p, n in _counts(kg, _canonical(kg, PROJECT_OUTPUTS)).items() if p in outputs)
    research_outputs = dict.fromkeys(row[0] for row in _iri_rows(kg, OUTPUTS))
    found = popularization(kg, research_outputs.keys(), outputs.keys())
    works = {project: len(works) for project, works in found.works_by_project.items()}
    reported = {row[0] for row in _iri_rows(kg, PROJECT_REPORTED)}
    popularized = found.popularized_outputs
    status = {p: project_status(n, works.get(p, 0), p in reported) for p, n in outputs.items()}
    facts = rollup.load_facts(kg, status, outputs, popularized)
    # The tiers come from the project types rollup reads anyway (the ontology states each
    # type's tier): a query of its own read every project's type a second time.
    triples: list[tuple] = [(p, V.obligationTier, tier) for p, f in facts.items()
                            for tier in filter(None, map(concepts.stated_obligation_tier, f.type_iris))]
    for project, n_outputs in outputs.items():
        n_works = works.get(project, 0)
        triples += [
            (project, V.outputCount, _int(n_outputs)),
            (project, V.workCount, _int(n_works)),
            (project, V.popularizationStatus, project_status(n_outputs, n_works, project in reported)),
        ]
    for output in research_outputs:
        n = len(found.works_by_output.get(output, ()))
        triples += [(output, V.workCount, _int(n)), (output, V.isPopularized, _BOOLEAN[n > 0])]
    triples += [(project, V.popularizedOutputCount, _int(popularized.get(project, 0))) for project in outputs]
    triples += rollup.table_triples(kg, facts, found.works_by_project, network)
    triples += rollup.observation_triples(kg, facts)
    triples += rollup.talent_observation_triples(kg)
    return triples


# From this many funded projects on, the collaboration network behind the recommendation tables
# is built in a second process while this one computes the rest: it is about a third of a
# derive, which otherwise keeps one of the machine's two cores idle. Below it, starting a
# Python costs more than it saves.
NETWORK_APART_FROM = 2_000


@contextmanager
def _network_apart(kg: KnowledgeGraph, projects: int) -> Iterator[Callable[[], rollup.NetworkFacts] | None]:
    """What gives the network's facts, made by a child process (None: they are made in this
    process, for a small graph or on a SPARQL server)."""
    if not isinstance(kg.backend, EmbeddedBackend) or projects < NETWORK_APART_FROM:
        yield None
        return
    # The child reads a checkpoint: the same statements, since this process only reads until
    # the child is done, and it costs hard links.
    with checkpoint_for_a_child(kg, NETWORK_SNAPSHOT) as settings:
        with apart("Building the collaboration network", network_facts_of, settings) as work:
            yield work.result


def network_facts_of(settings: Settings) -> rollup.NetworkFacts:
    """`rollup.network_facts` of the store in `settings.data_dir`, opened read-only (in a child process)."""
    with KnowledgeGraph(settings, read_only=True) as kg:
        return rollup.network_facts(kg)


def _canonical(kg: KnowledgeGraph, query: str) -> str:
    """The query with ?c bound to the identity of output ?o (per the links graph)."""
    return query % {"canonical": CANONICAL % {"links": kg.minter.links_graph()}}


DERIVED_STATE = "derived.nq"   # the derived graph as last written, beside the store (kg.graphstate)


def refresh(kg: KnowledgeGraph) -> int:
    """Recompute the derived graph; call inside kg.write(). Returns the number of triples.

    On the embedded store only the statements that differ are deleted and loaded, and
    their subjects and objects noted in the change journal: after a small ingest most
    derived facts are the same, and dropping and reloading the whole graph, then reading
    it back to find what changed, cost 10 s of a 25 s refresh at 10,000 projects.

    The graph states a digest of its facts (`sp:contentDigest`), and the facts as written
    are kept in `data_dir/derived.nq` behind the same digest (kg.graphstate). When the
    store's digest is the file's, the new facts are compared with the file's lines, not
    read back from the store (at 20,000 projects reading the old facts and parsing the
    new ones cost 5 s of a 22 s refresh), and facts with the digest the store already
    states are not written at all. Otherwise they are compared with the store's. Where
    there are no derived facts yet (a build, a first public view) everything is new: the
    facts are loaded as written, and the journal says that anything may have changed.
    """
    graph = kg.minter.derived_graph()
    triples = compute(kg)
    embedded = isinstance(kg.backend, EmbeddedBackend)
    state = kg.settings.data_dir / DERIVED_STATE
    stored = graphstate.followed(kg, graph, state, graphstate.DIGEST) if embedded else None   # the digest both state
    with tempfile.NamedTemporaryFile("w", suffix=".nq", encoding="utf-8", dir=kg.settings.data_dir, delete=False) as handle:
        path = Path(handle.name)
        lines = NQuadsWriter(handle).render(triples, graph)
        made = {graphstate.digest(line) for line in lines}
        stamp = graphstate.content_digest(made)
        unchanged = stamp == stored   # the facts the store holds
        if not unchanged:
            stamp_line = graphstate.stamp_line(graph, stamp, graphstate.DIGEST)
            made.add(graphstate.digest(stamp_line))
            handle.write(graphstate.header(stamp))
            handle.writelines(lines)
            handle.write(stamp_line)
        del lines
    try:
        if unchanged:
            return len(triples)
        if stored is not None:
            _follow(kg, graph, path, state, made)
        else:
            before = _statements(kg, graph)
            if not before:
                # A SPARQL server (None): replace the graph. No facts yet: comparing would read
                # back every statement just written (4-5 s of CPU per view at 10,000 projects)
                # only to note every IRI they name. Either way, anything may have changed.
                kg.drop_graph(graph)
                kg.load_nquads(path)
                note_everything(kg.settings)
            else:
                _sync(kg, graph, path, before)
        if embedded:
            # Replaced before the write commits: should it roll back, the store keeps the old
            # digest, the file states the new one, and the next refresh compares with the store.
            os.replace(path, state)
    finally:
        path.unlink(missing_ok=True)
    return len(triples)


# Beyond this share of the old statements to delete, dropping the graph and loading the new
# one is cheaper than deleting statement by statement.
SYNC_SHARE = 0.5


def _follow(kg: KnowledgeGraph, graph: URIRef, path: Path, old: Path, made: set[bytes]) -> None:
    """Make the graph, which holds the lines of the state file `old`, hold those of `path`
    (`made`: their digests, used up)."""
    distinct = len(made)
    gone, added = graphstate.line_changes(old, [path], made)
    # The digest's line names the graph, no entity.
    note_changes(kg.settings, set(graphstate.named(gone, added)) - {str(graph)})
    if len(gone) > SYNC_SHARE * (distinct - len(added) + len(gone)):   # the old lines: those kept, and gone
        kg.drop_graph(graph)
        kg.load_nquads(path)
    else:
        kg.delete_lines(graph, gone)
        kg.load_lines(added)


def _sync(kg: KnowledgeGraph, graph: URIRef, path: Path, before: set) -> None:
    """Make the graph hold the statements of the N-Quads file `path`, changing only what differs."""
    after = {(q.subject, q.predicate, q.object) for q in ox.parse(path=path, format=ox.RdfFormat.N_QUADS)}
    removed, added = before - after, after - before
    note_changes(kg.settings, set(named_in(removed | added)) - {str(graph)})   # the digest's statement: no entity
    if len(removed) > SYNC_SHARE * len(before):
        kg.drop_graph(graph)
        kg.load_nquads(path)
        return
    name = iri_nt(graph)   # Oxigraph's terms print as N-Triples
    kg.delete_lines(graph, [f"{s} {p} {o} {name} .\n" for s, p, o in removed])
    if added:
        kg.load_lines(f"{s} {p} {o} {name} .\n" for s, p, o in added)


def _statements(kg: KnowledgeGraph, graph: URIRef) -> set | None:
    """The graph's statements as Oxigraph terms (None on a SPARQL server)."""
    if not isinstance(kg.backend, EmbeddedBackend):
        return None
    return statements_of(kg.backend.ox, ox.NamedNode(str(graph)))
