"""The linking step: read the graph, resolve institutions, persons and outputs, write the links graph.

    with kg.write():
        summary = run_linking(kg)

1. Read (kg.linking.read): a few big SELECTs over the approved source graphs, graph by
   graph; the rows of each source file are kept between runs (kg.linking.read.InputCache),
   so a re-link reads from the store only the files ingested since.
2. Institutions first (persons compare canonical institutions), then persons, then
   outputs; each is pure Python over the rows read (kg.linking.institutions, .persons,
   .outputs), with the curators' decisions (kg.linking.curation) applied first.
3. Write the links graph from scratch (dropped, then bulk-loaded): for every non-canonical
   member of a cluster `member owl:sameAs canonical`, and per merge a decision node
   (sp:IdentityDecision, a sp:QualifiedLink: subject, relation owl:sameAs, object, method,
   confidence, evidence); a merge the evidence asked for but a constraint refused is kept
   as a decision with relation owl:differentFrom.

Downstream code resolves identity with
`OPTIONAL { ?x owl:sameAs ?c } BIND(COALESCE(?c, ?x) AS ?person)`.
"""
from __future__ import annotations

import gc
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Collection, Iterable
from urllib.parse import unquote

from rdflib import URIRef

from kg import concepts
from kg import vocab as V
from kg.iri import Minter, stable_hash
from kg.linking import curation
from kg.linking.clusters import Clusters, Decision
from kg.linking.institutions import OrgLinks, OrgRecord, link_institutions
from kg.linking.links_graph import LinkLines, LinksWriter
from kg.linking.outputs import MIN_TITLE_KEY, OutputLinks, OutputRecord, dedup_outputs, title_key
from kg.linking.persons import PersonInput, PersonLinks, PersonRecord, resolve_persons
from kg.catalog import source_fingerprints
from kg.linking.read import CACHE_DIR, GraphReader, InputCache
from kg.store import KnowledgeGraph

Progress = Callable[[str], None]
DECISION_CHUNK = 14_000   # decisions written at a time: seven lines each, about one part file of the links graph
STAGES = 17   # about how many progress calls a run makes (co-author rounds vary), for a progress bar

METHODS = {
    "curator": V.MethodCurator, "identifier": V.MethodIdentifierMatch, "same-role": V.MethodSameRole,
    "orcid-claim": V.MethodFunderMetadata, "grant-team": V.MethodGrantTeam, "name": V.MethodNameMatch,
    "coauthors": V.MethodNameMatch,
    "title": V.MethodTitleMatch,
}


@dataclass
class LinkingSummary:
    persons: int = 0                 # person IRIs read
    person_clusters: int = 0         # people (clusters) those IRIs resolve to
    ambiguous_mentions: int = 0      # mentions whose evidence named several people: left apart
    organizations: int = 0
    organization_clusters: int = 0
    outputs: int = 0
    output_clusters: int = 0
    same_as: int = 0                 # owl:sameAs triples written
    decisions: int = 0               # merge decisions written
    kept_apart: int = 0              # strong evidence refused by a constraint
    curator_decisions: int = 0
    quads_removed: int = 0           # links-graph quads this run deleted …
    quads_added: int = 0             # … and loaded (only the changes, see kg.linking.links_graph)
    reads_cached: int = 0            # (source graph, read) pairs whose rows were kept from an earlier run …
    reads_from_store: int = 0        # … and read from the store (kg.linking.read.InputCache)
    methods: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def to_json(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "methods"}
        data["methods"] = dict(sorted(self.methods.items()))
        data["seconds"] = round(self.seconds, 1)
        return data


class _Prefixes:
    """IRI prefixes of the person schemes, from the Minter (never spelled here)."""

    def __init__(self, minter: Minter) -> None:
        self.nsfc = str(minter.person("nsfc", ""))
        self.orcid = str(minter.person("orcid", ""))
        self.openalex = str(minter.person("openalex", ""))
        self.project = str(minter.project(""))
        self.output_doi = str(minter.output(doi="x"))[:-1]
        self.base = minter.base
        # Kind prefixes: what every IRI minted for a person (an organization, an output) starts with.
        self.person = os.path.commonprefix([self.nsfc, self.orcid, str(minter.person_by_name("x"))])
        self.org = os.path.commonprefix([str(minter.institution("x")), str(minter.institution("", "x"))])
        self.output = os.path.commonprefix([self.output_doi, str(minter.output(source="x", local_id="y"))])

    def person_kind(self, iri: str) -> str:
        for kind in ("nsfc", "orcid", "openalex"):
            if iri.startswith(getattr(self, kind)):
                return kind
        return "mention"

    def label(self, iri: str) -> str:
        if iri.startswith(self.project):
            return iri[len(self.project):]
        if iri.startswith(self.output_doi):
            return "doi:" + unquote(iri[len(self.output_doi):])
        return iri[len(self.base):] if iri.startswith(self.base) else iri


def evidence_labels(minter: Minter, iris: Iterable[str]) -> set[str]:
    """How evidence texts name these entities (a project by its approval number, an output
    with a DOI as doi:…, anything else by its IRI under the base): kg.publish withholds the
    decisions whose evidence names a withheld entity."""
    prefixes = _Prefixes(minter)
    return {prefixes.label(iri) for iri in iris}


# ------------------------------------------------------------------------------ reading
# The single-pattern reads below, in the order they are made: announced to the reader so
# that Oxigraph evaluates each while the previous one is used (kg.linking.read). A read
# missing here, or moved, costs only that overlap.
READS = [
    ("?x ?n", "?x schema:name ?n"), ("?o", "?o a sp:SupportingInstitution"), ("?o ?r", "?o sp:ror ?r"),
    ("?o ?t", "?o dcterms:title ?t"), ("?p ?n", "?p schema:alternateName ?n"), ("?p ?o", "?p sp:orcid ?o"),
    ("?p ?org", "?p schema:affiliation ?org"), ("?a ?p", "?a sp:author ?p"), ("?p ?af", "?p sp:affiliation ?af"),
    ("?a ?org", "?a sp:affiliationOrg ?org"), ("?proj ?p", "?proj sp:principalInvestigator ?p"),
    ("?proj ?p", "?proj sp:member ?p"), ("?x ?d", "?x sp:department ?d"), ("?o ?proj", "?o sp:resultOf ?proj"),
    ("?w ?p", "?w dcterms:creator ?p"), ("?w ?x", "?w sp:popularizes ?x"),
]


# Single-pattern SELECTs where possible: on Oxigraph a scan costs about one term lookup
# per value returned, a join (or a type check) one more per step; entity kinds are told
# apart by their IRI prefixes instead.
def read_names(reader: GraphReader) -> dict[str, set[str]]:
    """schema:name of every entity (persons and organizations alike)."""
    names: dict[str, set[str]] = defaultdict(set)
    for iri, name in reader.rows("?x ?n", "?x schema:name ?n"):
        names[iri].add(name)
    return names


def read_organizations(reader: GraphReader, minter: Minter, names: dict[str, set[str]]) -> list[OrgRecord]:
    prefix = _Prefixes(minter).org
    records = {iri: OrgRecord(iri, names=set(found)) for iri, found in names.items() if iri.startswith(prefix)}
    for (org,) in reader.rows("?o", "?o a sp:SupportingInstitution"):
        if org in records:
            records[org].supporting = True
    for org, ror in reader.rows("?o ?r", "?o sp:ror ?r"):
        record = records.setdefault(org, OrgRecord(org))
        record.rors.add(ror)
        record.ror_minted = record.ror_minted or org == str(minter.institution("", ror))
    return [records[iri] for iri in sorted(records)]


def read_output_titles(reader: GraphReader, minter: Minter) -> dict[str, set[str]]:
    """dcterms:title of every output (the titles of projects and works are skipped)."""
    prefix = _Prefixes(minter).output
    titles: dict[str, set[str]] = defaultdict(set)
    for iri, title in reader.rows("?o ?t", "?o dcterms:title ?t"):
        if iri.startswith(prefix):
            titles[iri].add(title)
    return titles


def read_persons(reader: GraphReader, minter: Minter, orgs: OrgLinks, names: dict[str, set[str]],
                 curator: list[curation.CuratorDecision], outputs: Iterable[str] = ()) -> PersonInput:
    """`outputs`: the output IRIs known (those with a title); see `_read_authorships`. The
    persons' sets in `names` become their records' own: the caller lets `names` go."""
    prefixes = _Prefixes(minter)
    index: dict[str, int] = {}
    records: list[PersonRecord] = []

    def node(iri: str) -> int:
        found = index.get(iri)
        if found is None:
            found = index[iri] = len(records)
            kind = prefixes.person_kind(iri)
            record = PersonRecord(iri, kind)
            if kind == "orcid":
                record.ids["ORCID"] = _unslug(iri[len(prefixes.orcid):])
            elif kind == "nsfc":
                record.ids["NSFC person id"] = _unslug(iri[len(prefixes.nsfc):])
            records.append(record)
        return found

    for iri, found in names.items():
        if iri.startswith(prefixes.person):
            record = records[node(iri)]
            if record.names:
                record.names.update(found)
            else:
                record.names = found   # not copied: the caller lets `names` go
    for iri, name in reader.rows("?p ?n", "?p schema:alternateName ?n"):
        if iri.startswith(prefixes.person):
            records[node(iri)].names.add(name)
    for record in records:
        # A mention minted from its name alone (no institution) may stand for everyone of that name.
        record.context_free = record.kind == "mention" and any(
            record.iri == str(minter.person_by_name(name, "")) for name in record.names)
    for iri, orcid in reader.rows("?p ?o", "?p sp:orcid ?o"):
        record = records[node(iri)]
        if record.kind != "orcid" or record.ids.get("ORCID") == orcid:
            record.ids.setdefault("ORCID", orcid)
    org_canonical = {r.iri: orgs.canonical_of(i) for i, r in enumerate(orgs.records)}
    for iri, org in reader.rows("?p ?org", "?p schema:affiliation ?org"):
        records[node(iri)].orgs.add(org_canonical.get(org, org))
    authorships = _read_authorships(reader, minter, outputs)
    # sp:affiliationOrg hangs off dated affiliations (a person's) and authorships (a paper's).
    holders: dict[str, list[int]] = defaultdict(list)
    for iri, affiliation in reader.rows("?p ?af", "?p sp:affiliation ?af"):
        holders[affiliation].append(node(iri))
    for authorship, output, iri, rank in authorships:
        holders[authorship].append(node(iri))
    for holder, org in reader.rows("?a ?org", "?a sp:affiliationOrg ?org"):
        for person in holders.get(holder, ()):
            records[person].orgs.add(org_canonical.get(org, org))
    del holders
    org_names = {orgs.canonical_of(i): _org_name(r) for i, r in enumerate(orgs.records)
                 if orgs.canonical_of(i) == r.iri}
    labels: dict[str, str] = {}

    def label(iri: str) -> str:
        # Evidence texts name the same projects and outputs again and again (unquoting DOIs).
        found = labels.get(iri)
        if found is None:
            found = labels[iri] = org_names.get(iri) or prefixes.label(iri)
        return found

    data = PersonInput(records=records, label=label)
    # One string per project, however many rows name it (a row's values are new strings).
    projects: dict[str, str] = {}
    for project, iri in reader.rows("?proj ?p", "?proj sp:principalInvestigator ?p"):
        data.roles.append((projects.setdefault(project, project), node(iri), "pi"))
    for project, iri in reader.rows("?proj ?p", "?proj sp:member ?p"):
        person = node(iri)
        # A member link from an ORCID record is the person's own claim on the grant.
        data.roles.append((projects.setdefault(project, project), person,
                           "claim" if records[person].kind == "orcid" else "member"))
    data.authorships = [(output, node(iri), rank) for authorship, output, iri, rank in authorships]
    notations: dict[str, str] = {}
    for iri, department in reader.rows("?x ?d", "?x sp:department ?d"):
        if department not in notations:
            notations[department] = concepts.notation(URIRef(department))
        if iri.startswith(prefixes.project):
            data.project_departments[iri] = notations[department]
        elif iri in index:
            data.person_departments.setdefault(index[iri], set()).add(notations[department])
    for output, project in reader.rows("?o ?proj", "?o sp:resultOf ?proj"):
        data.output_projects.setdefault(output, set()).add(projects.setdefault(project, project))
    for work, iri in reader.rows("?w ?p", "?w dcterms:creator ?p"):
        if iri.startswith(prefixes.person):
            data.work_creators.append((work, node(iri)))
    for work, target in reader.rows("?w ?x", "?w sp:popularizes ?x"):
        projects = {target} if target.startswith(prefixes.project) else data.output_projects.get(target, set())
        if projects:
            data.work_projects.setdefault(work, set()).update(projects)
    data.merges, data.splits = _curated_pairs(curator, [r.iri for r in records])
    _settle(data)
    return data


def _settle(data: PersonInput) -> None:
    """Everything is read: keep the small collections as sorted tuples, the same ones shared.
    A set costs 216 bytes even with one item, and at 200,000 projects there are 1.2 million
    records, each with names and institutions, and a million outputs with their grants."""
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}

    def settled(items: Collection[str]) -> tuple[str, ...]:
        found = tuple(sorted(items))
        return shared.setdefault(found, found)

    for record in data.records:
        record.names, record.orgs = settled(record.names), settled(record.orgs)
    for table in (data.output_projects, data.work_projects):
        for key, items in table.items():
            table[key] = settled(items)


def _read_authorships(reader: GraphReader, minter: Minter,
                      outputs: Iterable[str]) -> list[tuple[str, str, str, int | None]]:
    """(authorship, output, person, rank) rows; an authorship two sources fill (the same
    paper and rank) gives one row per person they name.

    One scan of `?a sp:author ?p`. The Minter names an authorship `authorship/<hash of the
    output IRI>/<rank>`, so the output comes from hashing the known output IRIs, not from a
    second scan of `?o sp:authorship ?a` (a million rows at 100,000 projects, each value a
    term lookup on Oxigraph; the join costs a random probe per authorship, worse). Only
    authorships whose hash names no known output, or two, are looked up in the store. The
    rank is the last segment (a number; an ORCID record's authorship has none).
    """
    sample = str(minter.authorship(URIRef("x"), "1"))
    prefix = sample[:sample.rindex("/", 0, len(sample) - 2) + 1]
    by_hash: dict[str, str | None] = {}
    for output in outputs:
        key = stable_hash(output)
        by_hash[key] = output if by_hash.get(key, output) == output else None   # None: two outputs, one hash
    found: list[tuple[str, str, str, int | None]] = []
    unresolved: list[tuple[str, str, str]] = []
    for authorship, person in reader.rows("?a ?p", "?a sp:author ?p"):
        key, _, rank = authorship[len(prefix):].partition("/") if authorship.startswith(prefix) else ("", "", "")
        output = by_hash.get(key)
        if output is None:
            unresolved.append((authorship, person, rank))
        else:
            found.append((authorship, output, person, int(rank) if rank.isdigit() else None))
    output_of: dict[str, str] = {}
    for chunk in _chunks(sorted({a for a, _, _ in unresolved}), 2000):
        values = "VALUES ?a { " + " ".join(f"<{iri}>" for iri in chunk) + " }"
        output_of.update((a, o) for o, a in reader.rows("?o ?a", f"{values} ?o sp:authorship ?a"))
    for authorship, person, rank in unresolved:
        output = output_of.get(authorship)
        if output is not None:   # an authorship no public record ties to an output: as before, not read
            found.append((authorship, output, person, int(rank) if rank.isdigit() else None))
    return found


def _unslug(text: str) -> str:
    return unquote(text) if "%" in text else text


def _org_name(record: OrgRecord) -> str:
    """A readable name of an organization: the Chinese one if it has one."""
    names = sorted(record.names, key=lambda n: (not any("\u4e00" <= c <= "\u9fff" for c in n), len(n), n))
    return names[0] if names else ""


def output_candidates(minter: Minter, curator: list[curation.CuratorDecision],
                      titles: dict[str, set[str]]) -> list[str]:
    """Outputs that could be duplicates (sharing a normalized title with another, or curated).

    `titles` are those of `read_output_titles`."""
    prefixes = _Prefixes(minter)
    blocks: dict[str, set[str]] = defaultdict(set)
    for iri, found in titles.items():
        for title in found:
            key = title_key(title)
            if len(key) >= MIN_TITLE_KEY // 2:
                blocks[key].add(iri)
    # Two DOIs are two outputs: only a block with a DOI-less output can hold a duplicate.
    wanted = {iri for members in blocks.values()
              if len(members) > 1 and any(not m.startswith(prefixes.output_doi) for m in members) for iri in members}
    curated = {d.a for d in curator} | {d.b for d in curator}
    wanted |= {iri for iri in curated if iri in titles}
    return sorted(wanted)


def output_reads(candidates: list[str]) -> list[tuple[str, str]]:
    """The reads of the candidates' years, DOIs and venues, in the order `read_outputs` makes them."""
    reads = []
    for chunk in _chunks(candidates, 2000):
        values = "VALUES ?o { " + " ".join(f"<{iri}>" for iri in chunk) + " }"
        reads += [("?o ?y", f"{values} ?o sp:publicationYear ?y"), ("?o ?d", f"{values} ?o bibo:doi ?d"),
                  ("?o ?v", f"{values} ?o sp:venue ?v")]
    return reads


def read_outputs(reader: GraphReader, candidates: list[str], titles: dict[str, set[str]],
                 first_authors: dict[str, set[str]]) -> list[OutputRecord]:
    """The candidates (`output_candidates`) as records to deduplicate.

    `first_authors` are the names of each output's first author, as person linking read them.
    """
    records = {iri: OutputRecord(iri, titles=titles[iri]) for iri in candidates}
    for (variables, pattern) in output_reads(candidates):
        rows = reader.rows(variables, pattern)
        if variables == "?o ?y":
            for iri, year in rows:
                records[iri].year = int(year)
        elif variables == "?o ?d":
            for iri, doi in rows:
                records[iri].doi = doi
        else:
            for iri, venue in rows:
                records[iri].venues.add(venue)
    for iri, record in records.items():
        record.first_authors = set(first_authors.get(iri, ()))
    return list(records.values())


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ------------------------------------------------------------------------------ writing
def _cluster_lines(lines: LinkLines, iris: list[str], clusters: Clusters, canonical: dict[int, str],
                   summary: LinkingSummary) -> None:
    _same_as_lines(lines, iris, clusters, canonical, summary)
    _decision_lines(lines, iris, clusters.decisions, summary)


def _same_as_lines(lines: LinkLines, iris: list[str], clusters: Clusters, canonical: dict[int, str],
                   summary: LinkingSummary) -> None:
    for index, iri in enumerate(iris):
        target = canonical[clusters.find(index)]
        if target != iri:
            lines.same_as(iri, target)
            summary.same_as += 1


def _write_decisions(writer: LinksWriter, iris: list[str], summary: LinkingSummary, decisions: list[Decision]) -> None:
    # A chunk at a time: a decision is seven lines, and a stage of clustering decides
    # hundreds of thousands of merges at 200,000 projects; their lines all at once were a
    # peak of their own.
    for start in range(0, len(decisions), DECISION_CHUNK):
        _decision_lines(writer.links, iris, decisions[start:start + DECISION_CHUNK], summary)
        writer.flush()


def _decision_lines(lines: LinkLines, iris: list[str], decisions: Iterable[Decision], summary: LinkingSummary) -> None:
    for decision in decisions:
        if not decision.method:
            continue
        lines.decision(iris[decision.a], iris[decision.b], decision.same, METHODS.get(decision.method, V.MethodNameMatch),
                       decision.score, decision.text)
        if decision.same:
            summary.decisions += 1
            summary.methods[decision.method] += 1
        else:
            summary.kept_apart += 1


# ------------------------------------------------------------------------------ the step
def run_linking(kg: KnowledgeGraph, progress: Progress | None = None) -> LinkingSummary:
    """Resolve identities and replace the links graph; call inside kg.write()."""
    # Linking holds millions of small long-lived objects (rows, records, sets); Python's
    # cycle collector would rescan them all again and again (a third of the time at scale).
    # The step creates no garbage cycles worth collecting, so the collector waits until it ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(kg, progress)
    finally:
        if collecting:
            gc.enable()


def _run(kg: KnowledgeGraph, progress: Progress | None) -> LinkingSummary:
    started = time.monotonic()
    say = progress or (lambda stage: None)
    summary = LinkingSummary()
    cache = InputCache(kg.settings.data_dir / CACHE_DIR, source_fingerprints(kg))
    reader = GraphReader(kg, cache)
    reader.plan(READS)
    try:
        with LinksWriter(kg, LinkLines(kg.minter)) as writer:
            _link(kg, reader, writer, say, summary, started)
        reader.close_cache()
    finally:
        reader.close()
    summary.reads_cached, summary.reads_from_store = cache.hits, cache.misses
    return summary


def _link(kg: KnowledgeGraph, reader: GraphReader, writer: LinksWriter, say: Progress, summary: LinkingSummary,
          started: float) -> LinkingSummary:
    curator = curation.load_decisions(kg)
    summary.curator_decisions = len(curator)

    names = read_names(reader)
    org_records = read_organizations(reader, kg.minter, names)
    merges, splits = _curated_pairs(curator, [r.iri for r in org_records])
    orgs = link_institutions(org_records, merges=merges, splits=splits)
    lines = writer.links
    _cluster_lines(lines, [r.iri for r in org_records], orgs.clusters, orgs.canonical, summary)
    writer.flush()
    say("institutions")

    titles = read_output_titles(reader, kg.minter)
    person_input = read_persons(reader, kg.minter, orgs, names, curator, titles)
    del names   # the records hold the persons' names now
    # The outputs' details are read in the background while persons are resolved (pure
    # Python): Oxigraph releases the GIL, so the second core does them (9 s at 100,000 projects).
    candidates = output_candidates(kg.minter, curator, titles)
    reader.ahead(output_reads(candidates))
    say("persons: read")
    # Only the candidates' titles and first authors are looked at again: the rest (a million
    # outputs at 200,000 projects) is let go before persons are resolved.
    summary.outputs = len(titles)
    titles = {iri: titles[iri] for iri in candidates}
    first_authors: dict[str, set[str]] = defaultdict(set)
    for output, node, rank in person_input.authorships:
        if rank == 1 and output in titles:
            first_authors[output].update(person_input.records[node].names)
    person_iris = [r.iri for r in person_input.records]
    # Written as clustering goes: on a first link they load on the other core meanwhile.
    decided = partial(_write_decisions, writer, person_iris, summary)
    people: PersonLinks = resolve_persons(person_input, say, decided)
    del person_input
    _same_as_lines(lines, person_iris, people.clusters, people.canonical, summary)
    writer.flush()
    summary.persons = len(people.records)
    summary.person_clusters = len(set(people.canonical.values()))
    summary.ambiguous_mentions = people.ambiguous_mentions
    del people, person_iris, decided   # the bulk load's last batches need the room (the peak of a first link)
    say("persons")
    output_records = read_outputs(reader, candidates, titles, first_authors)
    outputs: OutputLinks = dedup_outputs(output_records, *_curated_pairs(curator, [r.iri for r in output_records]))
    say("outputs")
    _cluster_lines(lines, [r.iri for r in output_records], outputs.clusters, outputs.canonical, summary)
    summary.output_clusters = summary.outputs - (len(output_records) - len(set(outputs.canonical.values())))
    summary.quads_removed, summary.quads_added = writer.finish()
    say("written")

    summary.organizations = len(org_records)
    summary.organization_clusters = len(set(orgs.canonical.values()))
    summary.seconds = time.monotonic() - started
    return summary


def _curated_pairs(curator: list[curation.CuratorDecision], iris: list[str]) -> tuple[list, list]:
    """Curator merges and splits between the given IRIs, as (index, index, text) pairs."""
    position = {iri: i for i, iri in enumerate(iris)}
    merges, splits = [], []
    for decision in curator:
        if decision.a in position and decision.b in position:
            pair = (position[decision.a], position[decision.b], decision.describe())
            (merges if decision.same else splits).append(pair)
    return merges, splits
