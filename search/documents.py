"""From the graph to index documents, engine-neutral.

The graph is read with a few big SELECTs (one per entity class plus authorships and
identities; see `load`), then every document is assembled in plain Python. Popularization
comes from the derived facts (sp:popularizationStatus, sp:isPopularized, counts), never
from negation over the graph. Only approved works count as popularization, as in
kg.derive; in the public view there are no others.

People are resolved to one identity per person before aggregation: a mention with
`owl:sameAs` a researcher is folded into that researcher (the linking step writes those;
until it has run every mention is its own person). This is the SPARQL pattern
`OPTIONAL { ?x owl:sameAs ?c } BIND(COALESCE(?c, ?x) AS ?person)`, applied in Python to
the rows so that the big SELECTs stay simple scans; sameAs is read in both directions and
through chains, and the person's IRI is the strongest of the group (NSFC, ORCID, …).

"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import AbstractSet, Iterable, Iterator

import networkx as nx
from rdflib import URIRef
from rdflib.namespace import RDF

from kg import concepts
from kg import vocab as V
from kg.store import KnowledgeGraph
from search.analysis import has_cjk
from search.graphread import chunks, rows, values_clause
from search.regions import normalize_region, region_of_institution

Props = dict[str, tuple[str, ...]]   # lists while being read, tuples once settled (_settle)

PROJECT_PROPS = {
    "type": RDF.type, "number": V.approvalNumber, "title": V.title, "abstract": V.abstract,
    "conc": V.concludingAbstract, "keyword": V.keyword, "ptype": V.projectType, "dept": V.department,
    "code": V.applicationCode, "year": V.approvalYear, "pi": V.principalInvestigator, "member": V.member,
    "host": V.hostedBy, "tier": V.obligationTier, "status": V.popularizationStatus, "outputs": V.outputCount,
    "works": V.workCount, "amount": V.amountWan,
}
OUTPUT_PROPS = {
    "type": RDF.type, "title": V.title, "abstract": V.abstract, "keyword": V.keyword, "doi": V.doi,
    "okind": V.outputKind, "venue": V.venue, "year": V.publicationYear, "cites": V.citationCount,
    "project": V.resultOf, "popularized": V.isPopularized, "works": V.workCount,
}
WORK_PROPS = {
    "type": RDF.type, "title": V.title, "wkind": V.workKind, "creator": V.creator, "cname": V.creatorName,
    "channel": V.channel, "url": V.url, "date": V.datePublished, "views": V.views, "likes": V.likes,
    "shares": V.shares, "attendance": V.attendance, "award": V.award, "target": V.popularizes,
    "review": V.reviewStatus, "audience": V.audience,
}
PERSON_PROPS = {
    "type": RDF.type, "name": V.name, "alt": V.alternateName, "job": V.jobTitle, "dept": V.department,
    "expertise": V.expertise, "inst": V.currentInstitution, "pool": V.talentPoolMembership, "orcid": V.orcid,
    "pid": V.personId,
}
ORG_PROPS = {"type": RDF.type, "name": V.name, "region": V.region, "ror": V.ror}

MAX_EVIDENCE = 5
MAX_PERSON_TITLES = 200  # enough for topical fit; a very prolific author's doc stays bounded


@dataclass
class GraphData:
    """Everything the documents are made from, keyed by IRI."""

    projects: dict[str, Props]
    outputs: dict[str, Props]
    works: dict[str, Props]
    people: dict[str, Props]
    orgs: dict[str, Props]
    authors: dict[str, list[tuple]]  # output -> [(rank, person IRI)]
    canonical: dict[str, str]  # mention -> the IRI that names the person (see _identities)
    supporting: set[str] = field(default_factory=set)  # organizations typed sp:SupportingInstitution
    # Projects read around a change only for what their host's document counts (status and
    # department; see AroundReads.host_counts): institution -> those projects, and their props.
    hosting: dict[str, set[str]] = field(default_factory=dict)
    counted: dict[str, Props] = field(default_factory=dict)
    # Outputs read around a change only for their authors' documents (AroundReads.titles):
    # their titles (their authors are in `authors`).
    titled: dict[str, Props] = field(default_factory=dict)


@dataclass
class Doc:
    """One index document, before any engine sees it."""

    iri: str
    kind: str
    label: str
    label_en: str = ""
    title: list[str] = field(default_factory=list)  # texts of the title field (weight 3)
    keywords: list[str] = field(default_factory=list)  # keywords, expertise (weight 2)
    body: list[str] = field(default_factory=list)  # abstracts, venues, channels (weight 1)
    names: list[str] = field(default_factory=list)  # the entity's own names (name keys)
    people_names: list[str] = field(default_factory=list)  # names of the people on it
    ident: list[str] = field(default_factory=list)  # approval numbers, DOIs, ORCID iDs
    facets: dict[str, str] = field(default_factory=dict)  # single-valued: filter and facet agree
    codes: list[str] = field(default_factory=list)  # application code and its parents (filter)
    people: list[str] = field(default_factory=list)  # person IRIs on it
    links: list[str] = field(default_factory=list)  # other entities its content depends on
    year: int = 0
    significance: float = 0.0  # citations (outputs, projects), reach (works), record (people)
    popularization: float = 0.0  # people: 0..1 popularization record
    summary: str = ""  # the text snippets are cut from
    fields: dict = field(default_factory=dict)  # shown with a hit
    evidence: list[dict] = field(default_factory=list)  # stored evidence (works, outputs, projects)

    def stored(self) -> dict:
        """What the index keeps to show a hit without going back to the graph."""
        return {"label_en": self.label_en, "summary": self.summary, "fields": self.fields,
                "evidence": self.evidence, "people": self.people, "links": self.links,
                "popularization": self.popularization}


# Reading the graph ---------------------------------------------------------------------------
# Oxigraph answers a join of `?s a <Class>` with a property far slower than the property
# alone, and decoding terms dominates the cost; so the graph is read as one scan per
# property (`?s <p> ?o`) and rows are dispatched to entities by their class in Python.
CLASSES = {"projects": (V.FundedProject, PROJECT_PROPS), "outputs": (V.ResearchOutput, OUTPUT_PROPS),
           "works": (V.PopularScienceWork, WORK_PROPS), "people": (V.Researcher, PERSON_PROPS),
           "orgs": (V.Organization, ORG_PROPS)}
AUTHORSHIP_PROPS = {"authorship": V.authorship, "author": V.author, "rank": V.authorRank}
# Every record has a review status, but only works' matter here: read them through the class.
TYPED_SCANS = {str(V.reviewStatus)}


def _subjects(kg: KnowledgeGraph, cls: URIRef) -> set[str]:
    return {row[0] for row in rows(kg, f"SELECT ?s WHERE {{ ?s a <{cls}> }}")}


def _scan(kg: KnowledgeGraph, predicate: URIRef, cls: URIRef | None = None) -> Iterator[tuple[str, str]]:
    if cls is not None:
        return rows(kg, f"SELECT ?s ?o WHERE {{ ?s a <{cls}> ; <{predicate}> ?o }}")
    return rows(kg, f"SELECT ?s ?o WHERE {{ ?s <{predicate}> ?o }}")


# Props whose values are mostly unique to their entity (texts, identifiers). The values of every
# other prop repeat (departments, years, types, keywords, the project of each output, the
# institution of each person): those are kept once per distinct value, and so are their tuples.
# At 50,000 projects the read graph held 4.4 million values in 1.6 GB; a 200,000-project
# build's two indexes, side by side, peaked at 14.3 GB before this and 10.3 GB after.
UNSHARED = frozenset({"title", "abstract", "conc", "doi", "number", "pid", "url", "orcid", "alt"})


def _settle(records: dict[str, dict[str, list[str]]], shared: dict) -> None:
    """Each prop's values as a sorted tuple without repeats (the union of named graphs repeats a
    triple once per graph that states it); a repeating prop's tuple shared through `shared`."""
    for props in records.values():
        for key, values in props.items():
            settled = tuple(sorted(set(values))) if len(values) > 1 else tuple(values)
            props[key] = settled if key in UNSHARED else shared.setdefault(settled, settled)


def _load_entities(kg: KnowledgeGraph, members: dict[str, set[str]]) -> dict[str, dict[str, Props]]:
    """Props of every entity of every class, one scan per property."""
    records: dict[str, dict[str, Props]] = {name: {iri: {} for iri in iris} for name, iris in members.items()}
    by_predicate: dict[str, list[tuple[str, str]]] = defaultdict(list)  # predicate -> [(class name, prop key)]
    for name, (_, props) in CLASSES.items():
        for key, predicate in props.items():
            if predicate != RDF.type:
                by_predicate[str(predicate)].append((name, key))
    scans = []
    for predicate, targets in by_predicate.items():
        if predicate in TYPED_SCANS:
            scans += [(_scan(kg, URIRef(predicate), CLASSES[name][0]), [(records[name], key)]) for name, key in targets]
        else:
            scans.append((_scan(kg, URIRef(predicate)), [(records[name], key) for name, key in targets]))
    shared: dict = {}   # one object per repeated value, then per repeated tuple of values
    for found, tables in scans:
        share = any(key not in UNSHARED for _, key in tables)
        for s, o in found:
            if share:
                o = shared.setdefault(o, o)
            for table, key in tables:
                props = table.get(s)
                if props is not None:
                    values = props.get(key)
                    if values is None:
                        props[key] = [o]
                    else:
                        values.append(o)
    shared.clear()   # only the values and tuples in use are needed now
    for table in records.values():
        _settle(table, shared)
    return records


def _load_authors(kg: KnowledgeGraph, outputs: dict[str, Props]) -> dict[str, list[tuple]]:
    """output -> [(rank, person IRI)], from three property scans (names come with the people)."""
    owner: dict[str, str] = {}
    for output, authorship in _scan(kg, V.authorship):
        if output in outputs:
            owner[authorship] = output
    # A table per part, not a dict per authorship: an output has a dozen authorships.
    parts: dict[str, dict[str, str]] = {"author": {}, "rank": {}}
    people: dict[str, str] = {}   # one object per person IRI: a person authors many outputs
    for key, found in parts.items():
        for authorship, value in _scan(kg, AUTHORSHIP_PROPS[key]):
            if authorship in owner:
                _keep_least(found, authorship, people.setdefault(value, value) if key == "author" else value)
    authors: dict[str, list[tuple]] = defaultdict(list)
    _assemble_authors(owner, parts, authors)
    return dict(authors)


def _keep_least(found: dict[str, str], authorship: str, value: str) -> None:
    """One value per authorship part (the union may state two): the least, whatever the order."""
    found[authorship] = min(value, found.get(authorship, value))


def _assemble_authors(owner: dict[str, str], parts: dict[str, dict[str, str]], authors: dict[str, list[tuple]]) -> None:
    """Add (rank, person IRI) to `authors[output]` for each authorship with an author
    (`parts`: "author" and "rank", each authorship -> value)."""
    author_of, rank_of = parts["author"], parts["rank"]
    for authorship, output in owner.items():
        author = author_of.get(authorship)
        if author:
            authors[output].append((_int(rank_of.get(authorship), 999), author))


# Which IRI names a person when several are the same: an NSFC record, then ORCID, then any
# other source's id, and a name-only mention last.
_IDENTITY_RANK = ("/person/nsfc-", "/person/orcid-", "/person/openalex-", "/person/src-", "/person/h-")


def _identity_key(iri: str) -> tuple[int, str]:
    rank = next((i for i, marker in enumerate(_IDENTITY_RANK) if marker in iri), len(_IDENTITY_RANK))
    return rank, iri


def _identities(kg: KnowledgeGraph, people: set[str]) -> dict[str, str]:
    """mention -> the IRI that names the person, over owl:sameAs in either direction (and chains)."""
    return _name_groups((a, b) for a, b in _scan(kg, V.sameAs) if a in people and b in people and a != b)


def _name_groups(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each IRI in a connected group of sameAs edges -> the group's strongest IRI (itself omitted)."""
    same = nx.Graph()
    same.add_edges_from(edges)
    canonical: dict[str, str] = {}
    for group in nx.connected_components(same):
        name = min(group, key=_identity_key)
        canonical.update((iri, name) for iri in group if iri != name)
    return canonical


def load(kg: KnowledgeGraph) -> GraphData:
    """Read everything the index needs from the graph: one scan per class and per property."""
    members = {name: _subjects(kg, cls) for name, (cls, _) in CLASSES.items()}
    supporting = _subjects(kg, V.SupportingInstitution)
    members["orgs"] |= supporting
    records = _load_entities(kg, members)
    canonical = _identities(kg, members["people"])
    # Organizations get a document when they host a project or are someone's current institution.
    wanted = supporting | {i for p in records["people"].values() for i in p.get("inst", ())}
    orgs = {iri: props for iri, props in records["orgs"].items() if iri in wanted}
    return GraphData(projects=records["projects"], outputs=records["outputs"], works=records["works"],
                     people=records["people"], orgs=orgs, authors=_load_authors(kg, records["outputs"]),
                     canonical=canonical, supporting=supporting)


# Reading around a few entities ---------------------------------------------------------------
# An index update re-builds a few documents; `load_around` reads only what those documents
# (and the search for the documents that show them, Builder.neighbours) look at, with index
# lookups per entity instead of scans of the whole graph. What a document of each kind reads:
#
#   project      its outputs and the works on it; its PI's and members' names; its host
#   output       its authors' names; its projects (labels, facets) and their hosts; works on it
#   work         its creators' names; its targets and the projects of target outputs
#   researcher   every mention of the person: their projects (and hosts), outputs, works
#   institution  the projects it hosts
#
# A GraphData read this way builds those documents exactly as `load` would (tests compare
# them); other entities in it are partial and get no document.
BATCH = 400


class AroundReads:
    """The partial GraphData being read, entity by entity. One instance may serve several
    `load_around` calls on the same graph: each entity is read once."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self.records: dict[str, dict[str, Props]] = {name: {} for name in CLASSES}
        self.supporting: set[str] = set()
        self.read: set[str] = set()      # entities whose types and props have been read
        self.authors: dict[str, list[tuple]] = {}
        self.canonical: dict[str, str] = {}
        self.grouped: set[str] = set()   # people whose sameAs group is known
        self.members: dict[str, set[str]] = {}   # the IRI a group resolves to -> the group
        self.hosting: dict[str, set[str]] = {}   # institution -> the projects it hosts (host_counts)
        self.hosts_asked: set[str] = set()       # the IRIs host_counts has looked up, hosts or not
        self.counted: dict[str, Props] = {}      # those projects' status and department
        self.titled: dict[str, Props] = {}       # outputs read for their titles only (titles)

    def batched(self, template: str, iris: Iterable[str]) -> Iterator[tuple]:
        """Rows of `template` (with {values} for a VALUES ?x block) over the IRIs, in batches."""
        for batch in chunks(sorted(set(iris)), BATCH):
            yield from rows(self.kg, template.replace("{values}", values_clause("x", batch)))

    def subjects(self, predicate: URIRef, objects: Iterable[str]) -> set[str]:
        """IRIs with `predicate` pointing at one of `objects`."""
        return {s for s, in self.batched(f"SELECT DISTINCT ?s WHERE {{ {{values}} ?s <{predicate}> ?x }}", objects)}

    def entities(self, iris: Iterable[str]) -> None:
        """Read the classes and props of these entities (once each), as `load` would."""
        new = set(iris) - self.read
        if not new:
            return
        self.read |= new
        classes = {str(cls): name for name, (cls, _) in CLASSES.items()}
        members: dict[str, set[str]] = defaultdict(set)
        for iri, cls in self.batched("SELECT ?x ?c WHERE { {values} ?x a ?c }", new):
            if cls in classes:
                members[iri].add(classes[cls])
            if cls == str(V.SupportingInstitution):
                members[iri].add("orgs")
                self.supporting.add(iri)
        keys: dict[str, dict[str, str]] = {name: {str(p): k for k, p in props.items() if p != RDF.type}
                                           for name, (_, props) in CLASSES.items()}
        for iri, names in members.items():
            for name in names:
                self.records[name].setdefault(iri, {})
        for iri, predicate, value in self.batched("SELECT ?x ?p ?o WHERE { {values} ?x ?p ?o }", members):
            for name in members[iri]:
                key = keys[name].get(predicate)
                if key is not None:
                    self.records[name][iri].setdefault(key, []).append(value)
        for name in CLASSES:
            _settle({iri: self.records[name][iri] for iri in members if iri in self.records[name]}, {})

    def host_counts(self, orgs: Iterable[str]) -> None:
        """The projects these organizations host, with only what an institution's document
        counts of them: their status and department. An institution named by a new record
        hosts thousands of projects; reading each in full (titles, abstracts, people) was
        more than half of the property rows an index update read around a 1 % increment at
        20,000 projects (420k of 755k)."""
        new = set(orgs) - self.hosts_asked
        if not new:
            return
        self.hosts_asked |= new
        props: dict[str, dict[str, list[str]]] = {}
        query = f"""SELECT ?x ?s ?status ?dept WHERE {{ {{values}} ?s <{V.hostedBy}> ?x . ?s a <{V.FundedProject}>
                    OPTIONAL {{ ?s <{V.popularizationStatus}> ?status }} OPTIONAL {{ ?s <{V.department}> ?dept }} }}"""
        for org, project, status, dept in self.batched(query, new):
            self.hosting.setdefault(org, set()).add(project)   # only hosts: the update asks which changed IRIs host
            found = props.setdefault(project, {})
            for key, value in (("status", status), ("dept", dept)):
                if value is not None:
                    found.setdefault(key, []).append(value)
        _settle(props, {})
        for project, found in props.items():
            self.counted.setdefault(project, found)

    def titles(self, outputs: Iterable[str]) -> None:
        """The titles and authors of these outputs (those not read in full already): what
        their authors' documents show of them. The people a change reaches have written
        thousands of papers, and reading each in full (abstracts, keywords, venues) was
        most of the property rows left to an index update after a 1 % increment at 20,000
        projects (227k of 333k)."""
        new = set(outputs) - self.read - self.titled.keys()
        if not new:
            return
        found: dict[str, dict[str, list[str]]] = {}
        query = f"SELECT ?x ?t WHERE {{ {{values}} ?x a <{V.ResearchOutput}> OPTIONAL {{ ?x <{V.title}> ?t }} }}"
        for output, title in self.batched(query, new):
            props = found.setdefault(output, {})
            if title is not None:
                props.setdefault("title", []).append(title)
        _settle(found, {})
        self.titled.update(found)
        self.load_authors(found)

    def load_authors(self, outputs: Iterable[str]) -> set[str]:
        """The authors of these outputs, as `_load_authors` reads them; returns the person IRIs."""
        outputs = list(outputs)
        new = [o for o in outputs if (o in self.records["outputs"] or o in self.titled) and o not in self.authors]
        parts: dict[str, dict[str, str]] = {"author": {}, "rank": {}}
        owner: dict[str, str] = {}
        query = f"""SELECT ?x ?a ?author ?rank WHERE {{ {{values}} ?x <{V.authorship}> ?a .
                    OPTIONAL {{ ?a <{V.author}> ?author }} OPTIONAL {{ ?a <{V.authorRank}> ?rank }} }}"""
        for output, authorship, author, rank in self.batched(query, new):
            owner[authorship] = output
            for key, value in (("author", author), ("rank", rank)):
                if value is not None:
                    _keep_least(parts[key], authorship, value)
        for output in new:
            self.authors[output] = []
        _assemble_authors(owner, parts, self.authors)
        # Those read by an earlier call as well: the caller reads their groups next.
        return {person for output in outputs if output in self.authors for _, person in self.authors[output]}

    def groups(self, people: Iterable[str]) -> set[str]:
        """Every IRI that is the same person as one of these (owl:sameAs among researchers,
        in either direction and through chains), read with their props; returns them all."""
        people = set(people)
        self.entities(people)
        frontier = {p for p in people if p in self.records["people"]} - self.grouped
        found: set[str] = set()
        edges: list[tuple[str, str]] = []
        while frontier:
            found |= frontier
            self.grouped |= frontier
            pairs = [(a, b) for a, b in self.batched(
                f"SELECT ?x ?y WHERE {{ {{values}} {{ ?x <{V.sameAs}> ?y }} UNION {{ ?y <{V.sameAs}> ?x }} }}", frontier)
                if a != b]
            self.entities(b for _, b in pairs)
            pairs = [(a, b) for a, b in pairs if b in self.records["people"]]
            edges += pairs
            frontier = {b for _, b in pairs} - self.grouped
        self.canonical.update(_name_groups(edges))
        # A search from a person reaches their whole group, so `found` holds whole groups;
        # a group found by an earlier call comes back whole as well.
        for iri in found:
            self.members.setdefault(self.canonical.get(iri, iri), set()).add(iri)
        persons = {p for p in people if p in self.records["people"]}
        return found | persons | {m for p in persons for m in self.members.get(self.canonical.get(p, p), ())}

    def wanted_orgs(self) -> dict[str, Props]:
        """The organizations `load` keeps: supporting institutions, and any researcher's current institution."""
        orgs = self.records["orgs"]
        affiliated = {o for o, in self.batched(
            f"SELECT DISTINCT ?x WHERE {{ {{values}} ?p <{V.currentInstitution}> ?x . ?p a <{V.Researcher}> }}",
            [o for o in orgs if o not in self.supporting])}
        return {iri: props for iri, props in orgs.items() if iri in self.supporting or iri in affiliated}


def owners(kg: KnowledgeGraph, iris: Iterable[str]) -> set[str]:
    """The outputs whose authorship nodes are among `iris`: a restated author changes the
    authorship node (an IRI minted from the output and the rank), not the output."""
    return AroundReads(kg).subjects(V.authorship, iris)


def same_as_reach(kg: KnowledgeGraph, iris: Iterable[str]) -> set[str]:
    """Everything owl:sameAs reaches from `iris` (both directions, chains, any type): when
    one IRI of a person changes (or loses its record), the others may name someone else now."""
    part = AroundReads(kg)
    query = f"SELECT ?y WHERE {{ {{values}} {{ ?x <{V.sameAs}> ?y }} UNION {{ ?y <{V.sameAs}> ?x }} }}"
    reached: set[str] = set()
    frontier = set(iris)
    while frontier:
        found = {y for y, in part.batched(query, frontier)} - reached - frontier
        reached |= frontier
        frontier = found
    return reached


def people_shown(kg: KnowledgeGraph, iris: Iterable[str]) -> dict[str, tuple[str, str]]:
    """How other documents show each person among `iris` (`Builder.shown_person`): read
    with their sameAs groups only. An index update compares this before and after a change:
    a person shown alike needs no rebuilt documents but their own."""
    part = AroundReads(kg)
    seeds = set(iris)
    part.entities(seeds)
    people = part.groups(i for i in seeds if i in part.records["people"])
    builder = Builder(GraphData(projects={}, outputs={}, works={}, people=part.records["people"], orgs={},
                                authors={}, canonical=part.canonical))
    return {iri: builder.shown_person(iri) for iri in people & seeds}


def load_around(kg: KnowledgeGraph, iris: Iterable[str], reach: AbstractSet[str] | None = None,
                reads: AroundReads | None = None) -> GraphData:
    """What the documents of `iris`, and the search for the documents that show them, read.

    `reach`: the institutions among `iris` whose name or region may now show differently;
    for those, what shows them is read as well (the outputs and people of the projects they
    host, the people there). None: every institution among `iris`. The others are read for
    their own documents only, which count the projects they host: an institution that a
    new record merely names (an author's affiliation) hosts thousands of projects, and
    following them all read most of the graph, entity by entity (45 s of a 1% increment's
    index update at 10,000 projects, against 23 s for reading everything).

    `reads`: what earlier calls read (and this one adds to); the result holds it all.
    """
    part = reads if reads is not None else AroundReads(kg)
    seeds = set(iris)
    part.entities(seeds)
    records = part.records
    projects = {i for i in seeds if i in records["projects"]}
    outputs = {i for i in seeds if i in records["outputs"]}
    works = {i for i in seeds if i in records["works"]}
    # What points at them, whatever they are now: an entity that lost its record (a file
    # loaded again without it) is still named by the works, outputs and projects that
    # showed it, and a person known only as a reference (a work's creator by ORCID) has a
    # record of what names them. A researcher's reach is their whole sameAs group.
    people = part.groups(i for i in seeds if i in records["people"]) | seeds
    reached = seeds if reach is None else seeds & reach
    showing = part.subjects(V.hostedBy, reached)   # projects that show a reached host: read in full
    part.entities(showing)
    part.host_counts(seeds - reached)              # the other hosts only count theirs
    projects_around = projects | {p for p in showing if p in records["projects"]}
    ring = part.subjects(V.principalInvestigator, people) | part.subjects(V.member, people)
    ring |= part.subjects(V.creator, people) | part.subjects(V.resultOf, seeds | showing)
    part.entities(ring)
    # The people's other papers: their documents show only the titles (and count them).
    part.titles({o for o, in part.batched(
        f"SELECT DISTINCT ?o WHERE {{ {{values}} ?a <{V.author}> ?x . ?o <{V.authorship}> ?a }}", people)} - ring)
    of_seeds = {o for o in ring if o in records["outputs"] and seeds & set(records["outputs"][o].get("project", ()))}
    part.entities(part.subjects(V.popularizes, seeds | of_seeds))
    # What they point at: an output's projects, a work's targets and their projects.
    targets = {t for w in works for t in records["works"][w].get("target", ())}
    part.entities(targets | {p for o in outputs for p in records["outputs"][o].get("project", ())})
    part.entities({p for t in targets if t in records["outputs"] for p in records["outputs"][t].get("project", ())})
    # Names: the people on the seeds (and those an institution's change reaches), with their groups.
    named = part.load_authors(outputs)
    for project in projects_around:
        named |= {p for role in ("pi", "member") for p in records["projects"][project].get(role, ())}
    named |= {p for w in works for p in records["works"][w].get("creator", ())}
    named |= part.subjects(V.currentInstitution, reached)
    part.groups(named)
    part.load_authors(list(records["outputs"]))
    # Institutions shown: hosts of the projects read, people's current institutions.
    part.entities({h for props in records["projects"].values() for h in props.get("host", ())}
                  | {i for props in records["people"].values() for i in props.get("inst", ())})
    # Copies: a later call on the same reads must not change this GraphData under its Builder.
    return GraphData(projects=dict(records["projects"]), outputs=dict(records["outputs"]), works=dict(records["works"]),
                     people=dict(records["people"]), orgs=part.wanted_orgs(), authors=dict(part.authors),
                     canonical=dict(part.canonical), supporting=part.supporting & set(records["orgs"]),
                     hosting={org: set(projects) for org, projects in part.hosting.items()}, counted=dict(part.counted),
                     titled=dict(part.titled))


# Small helpers -------------------------------------------------------------------------------
def _int(value, default: int = 0) -> int:
    try:
        return int(float(value)) if value is not None else default
    except ValueError:
        return default


def _first(props: Props, key: str, default: str = "") -> str:
    values = props.get(key)
    return min(values) if values else default  # min: the same value whatever order rows came in


def _all(props: Props, key: str) -> list[str]:
    return sorted(set(props.get(key, ())))


@lru_cache(maxsize=None)
def _notation(concept: str) -> str:
    return concepts.notation(URIRef(concept))


def _zh_en(texts: Iterable[str]) -> tuple[str, str]:
    """The Chinese and the English one of a record's language variants."""
    texts = sorted(set(texts))
    zh = next((t for t in texts if has_cjk(t)), "")
    en = next((t for t in texts if not has_cjk(t)), "")
    return zh, en


def _code_chain(code_iri: str) -> list[str]:
    """'…/code/C0501' -> ['C05', 'C0501']: the code and its parents up to the first level."""
    code = code_iri.rsplit("/", 1)[-1]
    return [code[:n] for n in range(3, len(code) + 1) if n % 2 == 1] or [code]


def _year(value: str) -> int:
    return _int(value[:4]) if value else 0


def _summary(*parts: str, limit: int = 400) -> str:
    return " · ".join(p for p in parts if p)[:limit]


class Builder:
    """Assembles every kind of document from one GraphData."""

    def __init__(self, data: GraphData) -> None:
        self.data = data
        self.person_of = data.canonical
        self._org_names = {iri: _zh_en(props.get("name", ()))[0] or _first(props, "name") for iri, props in data.orgs.items()}
        self._project_outputs: dict[str, list[str]] = defaultdict(list)
        for output, props in data.outputs.items():
            for project in props.get("project", ()):
                self._project_outputs[project].append(output)
        self._works_on: dict[str, list[str]] = defaultdict(list)
        for work, props in data.works.items():
            if self._approved(props):
                for target in props.get("target", ()):
                    self._works_on[target].append(work)
        self._hosted: dict[str, list[str]] = defaultdict(list)
        for project, props in data.projects.items():
            for host in props.get("host", ()):
                self._hosted[host].append(project)
        self._merged = self._merge_people()
        self._names: dict[str, str] = {}  # person -> display name, filled as asked
        self._contexts: dict[str, dict[str, str]] = {}  # project -> facets its outputs inherit
        self._by_institution: dict[str, set[str]] | None = None
        self._by_target: dict[str, set[str]] | None = None

    # Identity --------------------------------------------------------------------------------
    def person(self, iri: str) -> str:
        return self.person_of.get(iri, iri)

    def _merge_people(self) -> dict[str, dict]:
        """Per person: own props merged over mentions, and the projects, outputs and works they are on."""
        merged: dict[str, dict] = {}

        def entry(iri: str) -> dict:
            person = self.person(iri)
            record = merged.get(person)
            if record is None:
                record = merged[person] = {"props": defaultdict(set), "pi": set(), "member": set(),
                                           "outputs": set(), "works": set()}
            return record

        for iri, props in self.data.people.items():
            record = entry(iri)
            for key, values in props.items():
                record["props"][key].update(values)
        for project, props in self.data.projects.items():
            for role in ("pi", "member"):
                for iri in props.get(role, ()):
                    entry(iri)[role].add(project)
        for output, authors in self.data.authors.items():
            for _, iri in authors:
                entry(iri)["outputs"].add(output)
        for work, props in self.data.works.items():
            for iri in props.get("creator", ()):
                entry(iri)["works"].add(work)
        return merged

    # Shared pieces ---------------------------------------------------------------------------
    @staticmethod
    def _approved(work: Props) -> bool:
        review = work.get("review")
        return not review or str(V.Approved) in review

    def shown_person(self, iri: str) -> tuple[str, str]:
        """What the documents that name this person show of them: the IRI their sameAs
        group resolves to, and the display name (a project's PI, an output's authors)."""
        return self.person(iri), self._person_name(iri)

    def _person_name(self, iri: str) -> str:
        person = self.person(iri)
        name = self._names.get(person)
        if name is None:
            record = self._merged.get(person)
            zh, en = _zh_en(record["props"].get("name", ())) if record else ("", "")
            name = self._names[person] = zh or en
        return name

    def _institution_facets(self, org: str) -> dict[str, str]:
        if not org:
            return {}
        facets = {"institution": org}
        region = self._region(org)
        if region:
            facets["region"] = region
        return facets

    def _region(self, org: str) -> str:
        props = self.data.orgs.get(org, {})
        stated = [normalize_region(r) or r for r in props.get("region", ())]
        if stated:
            return min(stated)
        return region_of_institution(self._org_names.get(org, "")) or ""

    def _work_ref(self, work: str) -> dict:
        props = self.data.works.get(work, {})
        zh, en = _zh_en(props.get("title", ()))
        return {"iri": work, "kind": "work", "label": zh or en,
                "work_kind": _notation(_first(props, "wkind")) if props.get("wkind") else "",
                "reach": self._reach(props), "year": _year(_first(props, "date"))}

    @staticmethod
    def _reach(props: Props) -> int:
        return sum(_int(_first(props, key)) for key in ("views", "likes", "shares", "attendance"))

    def _works_evidence(self, target: str) -> list[dict]:
        refs = [self._work_ref(w) for w in set(self._works_on.get(target, ()))]
        return sorted(refs, key=lambda r: (-r["reach"], r["iri"]))[:MAX_EVIDENCE]

    def _project_context(self, project: str) -> dict[str, str]:
        """The facets an output or work inherits from a project it belongs to (a fresh copy)."""
        cached = self._contexts.get(project)
        if cached is None:
            cached = self._contexts[project] = self._compute_context(project)
        return dict(cached)

    def _compute_context(self, project: str) -> dict[str, str]:
        props = self.data.projects.get(project)
        if props is None:
            return {}
        facets = {}
        if props.get("dept"):
            facets["department"] = _notation(_first(props, "dept"))
        if props.get("ptype"):
            facets["project_type"] = _notation(_first(props, "ptype"))
        if props.get("tier"):
            facets["tier"] = _notation(_first(props, "tier"))
        facets.update(self._institution_facets(_first(props, "host")))
        return facets

    # Projects --------------------------------------------------------------------------------
    def project(self, iri: str) -> Doc:
        props = self.data.projects[iri]
        zh, en = _zh_en(props.get("title", ()))
        number = _first(props, "number")
        outputs = sorted(set(self._project_outputs.get(iri, ())))
        citations = sum(_int(_first(self.data.outputs[o], "cites")) for o in outputs)
        status = _notation(_first(props, "status")) if props.get("status") else "no-results"
        host = _first(props, "host")
        pis = sorted({self.person(p) for p in props.get("pi", ())})
        members = sorted({self.person(p) for p in props.get("member", ())})
        people = sorted(set(pis) | set(members))
        facets = self._project_context(iri)
        facets.update({"kind": "project", "popularized": "yes" if status == "popularized" else "no"})
        if status == "unpopularized":
            facets["unpopularized"] = "yes"  # has results, none popularized: what unpopularized() lists
        year = _int(_first(props, "year"))
        if year:
            facets["year"] = str(year)
        codes = sorted({c for code in props.get("code", ()) for c in _code_chain(code)})
        if codes:
            facets["application_code"] = codes[0]
        keywords = _all(props, "keyword")
        top_outputs = sorted(outputs, key=lambda o: (-_int(_first(self.data.outputs[o], "cites")), o))[:3]
        evidence = self._works_evidence(iri) + [self._output_ref(o) for o in top_outputs]
        fields = {"approval_number": number, "year": year or None, "department": facets.get("department"),
                  "project_type": facets.get("project_type"), "tier": facets.get("tier"),
                  "institution": self._org_names.get(host, ""), "institution_iri": host or None,
                  "region": facets.get("region"), "popularized": facets["popularized"], "status": status,
                  "outputs": _int(_first(props, "outputs"), len(outputs)), "works": _int(_first(props, "works")),
                  "citations": citations, "pi": ", ".join(filter(None, (self._person_name(p) for p in pis))),
                  "application_code": codes[-1] if codes else None, "amount_wan": _first(props, "amount") or None}
        return Doc(iri=iri, kind="project", label=zh or en or number, label_en=en,
                   title=sorted(set(props.get("title", ()))), keywords=keywords,
                   body=_all(props, "abstract") + _all(props, "conc"),
                   people_names=[n for n in (self._person_name(p) for p in people) if n], ident=[number] if number else [],
                   facets=facets, codes=codes, people=people, links=sorted(set(outputs) | {host} - {""}), year=year,
                   significance=float(citations + len(outputs)), summary=_summary(zh, en, "；".join(keywords[:8])),
                   fields=fields, evidence=evidence)

    # Outputs ---------------------------------------------------------------------------------
    def _output_ref(self, output: str) -> dict:
        props = self.data.outputs.get(output, {})
        zh, en = _zh_en(props.get("title", ()))
        return {"iri": output, "kind": "output", "label": en or zh, "year": _int(_first(props, "year")) or None,
                "citations": _int(_first(props, "cites"))}

    def output(self, iri: str) -> Doc:
        props = self.data.outputs[iri]
        zh, en = _zh_en(props.get("title", ()))
        authors = sorted(self.data.authors.get(iri, ()))
        people = sorted({self.person(p) for _, p in authors})
        names = [self._person_name(p) for _, p in authors]
        projects = sorted(set(props.get("project", ())))
        facets = self._project_context(projects[0]) if projects else {}
        popularized = "true" in props.get("popularized", ())
        facets.update({"kind": "output", "popularized": "yes" if popularized else "no"})
        if not popularized:
            facets["unpopularized"] = "yes"
        if props.get("okind"):
            facets["output_kind"] = _notation(_first(props, "okind"))
        year = _int(_first(props, "year"))
        if year:
            facets["year"] = str(year)
        cites = _int(_first(props, "cites"))
        doi = _first(props, "doi")
        project_refs = [{"iri": p, "kind": "project", "label": self._project_label(p)} for p in projects]
        fields = {"year": year or None, "doi": doi or None, "venue": _first(props, "venue") or None, "citations": cites,
                  "popularized": facets["popularized"], "output_kind": facets.get("output_kind"),
                  "department": facets.get("department"), "tier": facets.get("tier"),
                  "institution": self._org_names.get(facets.get("institution", ""), ""),
                  "institution_iri": facets.get("institution"), "region": facets.get("region"),
                  "authors": ", ".join(n for n in names[:6] if n), "works": _int(_first(props, "works"))}
        return Doc(iri=iri, kind="output", label=en or zh or doi, label_en=en,
                   title=sorted(set(props.get("title", ()))), keywords=_all(props, "keyword"),
                   body=_all(props, "abstract") + _all(props, "venue"), people_names=[n for n in names if n],
                   ident=[doi] if doi else [], facets=facets, people=people, links=projects, year=year,
                   significance=float(cites), summary=_summary(en or zh, _first(props, "venue"), ", ".join(n for n in names[:4] if n)),
                   fields=fields, evidence=self._works_evidence(iri) + project_refs)

    def _project_label(self, project: str) -> str:
        props = self.data.projects.get(project, {})
        zh, en = _zh_en(props.get("title", ()))
        return zh or en or _first(props, "number")

    # Popular-science works -------------------------------------------------------------------
    def work(self, iri: str) -> Doc:
        props = self.data.works[iri]
        zh, en = _zh_en(props.get("title", ()))
        people = sorted({self.person(p) for p in props.get("creator", ())})
        names = sorted(set(props.get("cname", ())) | {n for n in (self._person_name(p) for p in people) if n})
        targets = sorted(set(props.get("target", ())))
        projects = [t for t in targets if t in self.data.projects]
        projects += [p for t in targets if t in self.data.outputs for p in self.data.outputs[t].get("project", ())]
        facets = self._project_context(min(projects)) if projects else {}
        facets.pop("institution", None)  # a work is not hosted; its creators' institutions are theirs
        facets.pop("region", None)
        facets["kind"] = "work"
        if props.get("wkind"):
            facets["work_kind"] = _notation(_first(props, "wkind"))
        year = _year(_first(props, "date"))
        if year:
            facets["year"] = str(year)
        reach = self._reach(props)
        awards = _all(props, "award")
        refs = [{"iri": t, "kind": "project" if t in self.data.projects else "output",
                 "label": self._project_label(t) if t in self.data.projects else self._output_ref(t)["label"]}
                for t in targets]
        fields = {"year": year or None, "work_kind": facets.get("work_kind"), "channel": _first(props, "channel") or None,
                  "url": _first(props, "url") or None, "date": _first(props, "date") or None, "reach": reach,
                  "awards": awards, "creators": ", ".join(names), "department": facets.get("department"),
                  "approved": self._approved(props)}
        return Doc(iri=iri, kind="work", label=zh or en, label_en=en, title=sorted(set(props.get("title", ()))),
                   keywords=_all(props, "audience"), body=_all(props, "channel") + awards, people_names=names,
                   facets=facets, people=people, links=sorted(set(targets) | set(projects)), year=year,
                   significance=float(reach), summary=_summary(zh or en, _first(props, "channel"), "、".join(names)),
                   fields=fields, evidence=refs[:MAX_EVIDENCE])

    # Researchers -----------------------------------------------------------------------------
    def researcher(self, iri: str) -> Doc:
        record = self._merged[iri]
        props = record["props"]
        names = sorted(props.get("name", set()) | props.get("alt", set()))
        zh, en = _zh_en(names)
        projects = sorted(record["pi"] | record["member"])
        outputs = sorted(record["outputs"])
        works = sorted(record["works"])
        approved = [w for w in works if self._approved(self.data.works.get(w, {}))]
        department = self._person_department(props, projects)
        institution = self._person_institution(props, projects)
        facets = {"kind": "researcher", "in_pool": "yes" if props.get("pool") else "no",
                  "popularized": "yes" if approved else "no"}
        if department:
            facets["department"] = department
        facets.update(self._institution_facets(institution))
        jobs = sorted(props.get("job", ()))
        if jobs:
            facets["job_title"] = jobs[0]
        record_score, record_fields = self._popularization_record(approved, bool(props.get("pool")))
        titles = [t for p in projects for t in self.data.projects[p].get("title", ())]
        titles += [t for o in outputs for t in self._output_titles(o)]
        titles += [t for w in works for t in self.data.works.get(w, {}).get("title", ())]
        keywords = sorted(set(props.get("expertise", ())) | {k for p in projects for k in self.data.projects[p].get("keyword", ())})
        ident = sorted(props.get("orcid", set()) | props.get("pid", set()))
        fields = {"department": department or None, "institution": self._org_names.get(institution, ""),
                  "institution_iri": institution or None, "region": facets.get("region"), "job_title": jobs[0] if jobs else None,
                  "in_pool": facets["in_pool"], "projects": len(projects), "outputs": len(outputs),
                  "expertise": sorted(props.get("expertise", ())), "name_en": en or None, **record_fields}
        evidence = sorted((self._work_ref(w) for w in approved), key=lambda r: (-r["reach"], r["iri"]))[:MAX_EVIDENCE]
        return Doc(iri=iri, kind="researcher", label=zh or en or iri.rsplit("/", 1)[-1], label_en=en,
                   title=sorted(set(titles))[:MAX_PERSON_TITLES], keywords=keywords,
                   names=names + sorted(set(self._creator_names(works))), ident=ident,
                   facets=facets, people=[iri], links=sorted(set(projects) | set(outputs) | set(works)),
                   significance=record_score, popularization=record_score,
                   summary=_summary(zh, en, jobs[0] if jobs else "", self._org_names.get(institution, ""),
                                    "；".join(sorted(props.get("expertise", ()))[:8])),
                   fields=fields, evidence=evidence)

    def _creator_names(self, works: list[str]) -> list[str]:
        # A work names its creators in text; with one creator that text is this person's name.
        return [n for w in works for n in self.data.works.get(w, {}).get("cname", ())
                if len(self.data.works[w].get("creator", ())) == 1]

    def _person_department(self, props: dict, projects: list[str]) -> str:
        own = sorted(props.get("dept", ()))
        if own:
            return _notation(own[0])
        counts = Counter(_notation(d) for p in projects for d in self.data.projects[p].get("dept", ()))
        return min(counts, key=lambda d: (-counts[d], d)) if counts else ""

    def _person_institution(self, props: dict, projects: list[str]) -> str:
        own = sorted(props.get("inst", ()))
        if own:
            return own[0]
        hosted = sorted(((_int(_first(self.data.projects[p], "year")), _first(self.data.projects[p], "host"))
                         for p in projects if self.data.projects[p].get("host")), reverse=True)
        return hosted[0][1] if hosted else ""

    def _popularization_record(self, works: list[str], in_pool: bool) -> tuple[float, dict]:
        """0..1 from the number, kinds and reach of approved works, awards and pool membership.

        raw = log2(1 + works) + 0.5 * (distinct kinds - 1) + 0.5 * log10(1 + reach) + 0.75 * awards + 1.5 * pool,
        squashed by 1 - exp(-raw / 4) so that a strong record approaches 1 and none is 0.
        """
        props = [self.data.works.get(w, {}) for w in works]
        kinds = {_first(p, "wkind") for p in props if p.get("wkind")}
        reach = sum(self._reach(p) for p in props)
        awards = sum(len(set(p.get("award", ()))) for p in props)
        raw = (math.log2(1 + len(works)) + 0.5 * max(len(kinds) - 1, 0) + 0.5 * math.log10(1 + reach)
               + 0.75 * awards + (1.5 if in_pool else 0.0))
        score = round(1 - math.exp(-raw / 4), 4)
        return score, {"works": len(works), "work_kinds": sorted(_notation(k) for k in kinds), "reach": reach,
                       "awards": awards, "popularization": score}

    # Institutions ----------------------------------------------------------------------------
    def institution(self, iri: str) -> Doc:
        props = self.data.orgs[iri]
        names = sorted(set(props.get("name", ())))
        zh, en = _zh_en(names)
        hosted = [self._counted_props(p) for p in set(self._hosted.get(iri, ())) | self.data.hosting.get(iri, set())]
        statuses = Counter(_notation(_first(p, "status")) for p in hosted if p.get("status"))
        departments = Counter(_notation(_first(p, "dept")) for p in hosted if p.get("dept"))
        facets = {"kind": "institution"}
        region = self._region(iri)
        if region:
            facets["region"] = region
        fields = {"region": region or None, "projects": len(hosted), "popularized_projects": statuses.get("popularized", 0),
                  "unpopularized_projects": statuses.get("unpopularized", 0), "ror": _first(props, "ror") or None,
                  "departments": dict(sorted(departments.items())), "supporting": iri in self.data.supporting}
        return Doc(iri=iri, kind="institution", label=zh or en or iri.rsplit("/", 1)[-1], label_en=en, title=names,
                   names=names, ident=_all(props, "ror"), facets=facets, significance=float(len(hosted)),
                   summary=_summary(zh, en, region), fields=fields)

    def _output_titles(self, output: str) -> tuple[str, ...]:
        """An output's titles, read in full or for its authors' documents only."""
        found = self.data.outputs.get(output)
        return (found if found is not None else self.data.titled[output]).get("title", ())

    def _counted_props(self, project: str) -> Props:
        """A hosted project's props as read in full, else as read for its host's counts."""
        found = self.data.projects.get(project)
        return found if found is not None else self.data.counted[project]

    # Everything ------------------------------------------------------------------------------
    def iris(self) -> dict[str, str]:
        """Every IRI that gets a document, with its kind."""
        kinds: dict[str, str] = {}
        kinds.update((iri, "institution") for iri in self.data.orgs)
        kinds.update((iri, "researcher") for iri, record in self._merged.items() if self._talent_candidate(record))
        kinds.update((iri, "work") for iri in self.data.works)
        kinds.update((iri, "output") for iri in self.data.outputs)
        kinds.update((iri, "project") for iri in self.data.projects)
        return kinds

    @staticmethod
    def _talent_candidate(record: dict) -> bool:
        """Whether a person gets a researcher document of their own.

        People known only as a reference (a work's creator by ORCID, no record) do not. Nor
        do co-authors known only from the author lists of outputs (no NSFC role, no
        popular-science work, no expertise, no pool membership, no ORCID iD): at 100,000
        projects they were half of all documents, yet a talent lookup has nothing to rank
        them by but those outputs, which find them anyway (their names are on the outputs'
        documents).
        """
        props = record["props"]
        if not props:
            return False
        return bool(record["pi"] or record["member"] or record["works"] or props.get("expertise")
                    or props.get("pool") or props.get("orcid"))

    def build(self, iri: str, kind: str) -> Doc:
        return getattr(self, kind)(iri)

    def docs(self, only: Iterable[str] | None = None) -> Iterator[Doc]:
        kinds = self.iris()
        selected = kinds if only is None else {i: kinds[i] for i in only if i in kinds}
        for iri, kind in selected.items():
            yield self.build(iri, kind)

    def neighbours(self, iris: Iterable[str]) -> set[str]:
        """IRIs whose documents show something of these entities (names, titles, status, counts).

        A work changes the status of what it popularizes, and with it the counts of the
        institutions hosting those projects: two steps, both followed here.
        """
        out: set[str] = set()
        targeted_by = self._targeted_by()
        for iri in iris:
            iri = self.person(iri)
            # What names it, whatever it is now (it may have lost its record): the works that
            # popularize it, the outputs of it as a project, and the works on those, which
            # take a project's facets.
            outputs = set(self._project_outputs.get(iri, ()))
            out |= set(targeted_by.get(iri, ())) | outputs | {w for o in outputs for w in targeted_by.get(o, ())}
            if iri in self.data.projects:
                props = self.data.projects[iri]
                out |= {self.person(p) for role in ("pi", "member") for p in props.get(role, ())}
                out |= set(props.get("host", ()))
            elif iri in self.data.outputs:
                projects = set(self.data.outputs[iri].get("project", ()))
                out |= {self.person(p) for _, p in self.data.authors.get(iri, ())}
                out |= projects | self._hosts(projects)
            elif iri in self.data.works:
                props = self.data.works[iri]
                out |= {self.person(p) for p in props.get("creator", ())}
                targets = set(props.get("target", ()))
                projects = {t for t in targets if t in self.data.projects}
                projects |= {p for t in targets for p in self.data.outputs.get(t, {}).get("project", ())}
                out |= targets | projects | self._hosts(projects)
            elif iri in self._merged:
                record = self._merged[iri]
                out |= record["pi"] | record["member"] | record["outputs"] | record["works"]
            if iri in self.data.orgs or iri in self._hosted:
                # Its name and region show on what it hosts, the outputs of those projects and
                # the people there (their own institution, or their latest project's host).
                hosted = self._hosted.get(iri, ())
                out |= set(hosted) | {o for p in hosted for o in self._project_outputs.get(p, ())}
                out |= {self.person(p) for h in hosted for role in ("pi", "member")
                        for p in self.data.projects[h].get(role, ())}
                out |= self._affiliated().get(iri, set())
        return out

    def _targeted_by(self) -> dict[str, set[str]]:
        """Target -> every work that names it (approved or not: a work's document shows its targets)."""
        if self._by_target is None:
            self._by_target = defaultdict(set)
            for work, props in self.data.works.items():
                for target in props.get("target", ()):
                    self._by_target[target].add(work)
        return self._by_target

    def is_record(self, iri: str) -> bool:
        """A project, output, work or person (anything but an institution or a mere node)."""
        data = self.data
        return iri in data.projects or iri in data.outputs or iri in data.works or self.person(iri) in self._merged

    def _affiliated(self) -> dict[str, set[str]]:
        """Institution -> the people who name it as their current institution."""
        if self._by_institution is None:
            self._by_institution = defaultdict(set)
            for person, record in self._merged.items():
                for org in record["props"].get("inst", ()):
                    self._by_institution[org].add(person)
        return self._by_institution

    def _hosts(self, projects: Iterable[str]) -> set[str]:
        return {h for p in projects for h in self.data.projects.get(p, {}).get("host", ())}
