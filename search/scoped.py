"""Reading only the part of the graph some documents show, for index updates.

`documents.load` reads the whole graph (one scan per property): right for a build, but an
update that re-indexes a few hundred documents would pay for every entity. Here the graph
is read per entity instead, with VALUES-bound lookups whose cost follows the entities asked
about and their neighbourhood:

- `dependents(kg, iris)`: every IRI whose document may show something of these entities
  (the rules mirror what `documents.Builder` reads, both directions of every relation, and
  the two-step chains of derived facts: a new work changes its project's status, which the
  project's host counts);
- `load_around(kg, iris)`: a `GraphData` holding everything the documents of these IRIs
  read, so that `Builder(load_around(kg, iris)).build(iri, kind)` is the same document as
  `Builder(load(kg)).build(iri, kind)` (tests/test_search.py checks this for every document
  of the test graph).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import networkx as nx
from rdflib.namespace import RDF

from kg import vocab as V
from kg.store import KnowledgeGraph
from search.documents import CLASSES, GraphData, Props, _dedupe, _identity_key, _int
from search.graphread import chunks, rows, values_clause

TYPE = str(RDF.type)
# Relations a document follows from its entity to another one (subject -> object).
FORWARD = tuple(str(p) for p in (V.resultOf, V.popularizes, V.hostedBy, V.principalInvestigator, V.member,
                                 V.creator, V.currentInstitution))
_FORWARD_SET = set(FORWARD)
SAME, AUTHORSHIP, AUTHOR = f"<{V.sameAs}>", f"<{V.authorship}>", f"<{V.author}>"
# Which of an entity's props each class reads, predicate -> [(class name, prop key)].
_READ: dict[str, list[tuple[str, str]]] = defaultdict(list)
for _name, (_cls, _props) in CLASSES.items():
    for _key, _predicate in _props.items():
        if _predicate != RDF.type:
            _READ[str(_predicate)].append((_name, _key))
_WANTED = ", ".join(f"<{p}>" for p in sorted(set(_READ) | {TYPE}))
_CLASS_NAMES = {str(cls): name for name, (cls, _) in CLASSES.items()}


def _values(variable: str, iris: Iterable[str]) -> str:
    return values_clause(variable, iris)


def same_person(kg: KnowledgeGraph, iris: Iterable[str]) -> set[str]:
    """These IRIs and every IRI joined to one of them by owl:sameAs, through chains."""
    found = set(iris)
    frontier = set(found)
    while frontier:
        step: set[str] = set()
        for batch in chunks(sorted(frontier)):
            query = (f"SELECT ?a ?b WHERE {{ {_values('x', batch)} "
                     f"{{ ?x {SAME} ?b BIND(?x AS ?a) }} UNION {{ ?a {SAME} ?x BIND(?x AS ?b) }} "
                     "FILTER(isIRI(?a) && isIRI(?b)) }")
            for a, b in rows(kg, query):
                step.update((a, b))
        frontier = step - found
        found |= frontier
    return found


class _Edges:
    """Relations between entities, looked up per IRI in either direction (simple patterns only:
    Oxigraph answers a VALUES-bound triple pattern from an index, but a UNION of property paths
    over the same VALUES took minutes)."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self._out: dict[str, list[tuple[str, str]]] = {}
        self._in: dict[str, list[tuple[str, str]]] = {}

    def _fill(self, table: dict, iris: Iterable[str], pattern: str) -> None:
        todo = sorted(set(iris) - set(table))
        for iri in todo:
            table[iri] = []
        for batch in chunks(todo):
            for x, p, y in rows(self.kg, f"SELECT ?x ?p ?y WHERE {{ {_values('x', batch)} {pattern} FILTER(isIRI(?y)) }}"):
                table[x].append((p, y))

    def out(self, iris: Iterable[str], predicates: Iterable[str]) -> set[str]:
        """Objects of these subjects' `predicates` (an output's authors through its authorships)."""
        iris, wanted = set(iris), set(predicates)
        self._fill(self._out, iris, f"{{ ?x ?p ?y }} UNION {{ ?x {AUTHORSHIP} ?a . ?a {AUTHOR} ?y BIND({AUTHOR} AS ?p) }}")
        return {y for x in iris for p, y in self._out[x] if p in wanted}

    def into(self, iris: Iterable[str], predicates: Iterable[str]) -> set[str]:
        """Subjects whose `predicates` point at these IRIs (the outputs a person authored, with sp:author)."""
        iris, wanted = set(iris), set(predicates)
        self._fill(self._in, iris, f"{{ ?y ?p ?x }} UNION {{ ?a {AUTHOR} ?x . ?y {AUTHORSHIP} ?a BIND({AUTHOR} AS ?p) }}")
        return {y for x in iris for p, y in self._in[x] if p in wanted}


_RELATIONS = FORWARD + (str(V.author),)
_RESULT_OF, _POPULARIZES, _HOSTED_BY = str(V.resultOf), str(V.popularizes), str(V.hostedBy)
_ROLES = (str(V.principalInvestigator), str(V.member))


def dependents(kg: KnowledgeGraph, iris: Iterable[str]) -> set[str]:
    """IRIs whose documents may show something of these entities (the entities included).

    Both directions of every relation documents read, then the chains of two steps: a work
    inherits its facets from its outputs' projects; a project's status comes from its
    outputs' works, and an institution counts its projects' statuses; an institution's name
    and region are shown by its projects' outputs and people. People come with every IRI of
    the same person: the document is the canonical one's."""
    start = same_person(kg, iris)
    edges = _Edges(kg)
    found = set(start) | edges.out(start, _RELATIONS) | edges.into(start, _RELATIONS)
    outputs_of = edges.into(start, [_RESULT_OF])
    found |= edges.into(outputs_of, [_POPULARIZES])  # works on a project's outputs
    targets = edges.out(start, [_POPULARIZES])
    projects = edges.out(start | targets, [_RESULT_OF]) | targets
    found |= projects | edges.out(projects, [_HOSTED_BY])  # a work's or output's projects, and their hosts
    hosted = edges.into(start, [_HOSTED_BY])
    found |= edges.into(hosted, [_RESULT_OF]) | edges.out(hosted, _ROLES)  # an institution's projects' outputs, people
    return same_person(kg, found)


class _Reader:
    """Props of entities, read per subject and remembered."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self.triples: dict[str, list[tuple[str, str]]] = {}  # subject -> [(predicate, object)]
        self.links: dict[str, set[str]] = defaultdict(set)  # subject -> IRIs it relates to (FORWARD)

    def read(self, iris: Iterable[str]) -> None:
        todo = sorted(set(iris) - set(self.triples))
        for iri in todo:
            self.triples[iri] = []
        for batch in chunks(todo):
            # Only what documents read: an entity's other statements (provenance …) are most of its rows.
            query = (f"SELECT ?s ?p ?o (isIRI(?o) AS ?iri) WHERE {{ {_values('s', batch)} ?s ?p ?o "
                     f"FILTER(?p IN ({_WANTED})) }}")
            for s, p, o, is_iri in rows(self.kg, query):
                self.triples[s].append((p, o))
                if p in _FORWARD_SET and is_iri == "true":
                    self.links[s].add(o)

    def types(self, iri: str) -> set[str]:
        return {o for p, o in self.triples.get(iri, ()) if p == TYPE}


def _people_closure(reader: _Reader, iris: set[str]) -> set[str]:
    """`iris` and, for every researcher among them, every IRI of the same person (read too)."""
    researcher = str(V.Researcher)
    done: set[str] = set()
    while True:
        reader.read(iris)
        people = {i for i in iris if researcher in reader.types(i)} - done
        if not people:
            return iris
        done |= people
        iris = iris | same_person(reader.kg, people)


def _follow(reader: _Reader, iris: set[str], predicates: Iterable[str]) -> set[str]:
    """What these entities' `predicates` lead to (read)."""
    wanted = set(predicates)
    reader.read(iris)
    found = {o for i in iris for p, o in reader.triples.get(i, ()) if p in wanted and o in reader.links.get(i, ())}
    reader.read(found)
    return found


def _authors(reader: _Reader, iris: Iterable[str]) -> tuple[dict[str, list[tuple]], set[str]]:
    """output -> [(rank, person)] for the outputs among `iris`, as documents._load_authors makes it."""
    output_class = str(V.ResearchOutput)
    outputs = sorted(i for i in iris if output_class in reader.types(i))
    parts: dict[str, dict[str, str]] = {}
    owner: dict[str, str] = {}
    for batch in chunks(outputs):
        query = (f"SELECT ?o ?a ?person ?rank WHERE {{ {_values('o', batch)} ?o {AUTHORSHIP} ?a "
                 f"OPTIONAL {{ ?a {AUTHOR} ?person }} OPTIONAL {{ ?a <{V.authorRank}> ?rank }} }}")
        for output, authorship, person, rank in rows(reader.kg, query):
            owner[authorship] = output
            found = parts.setdefault(authorship, {})
            for key, value in (("author", person), ("rank", rank)):
                if value is not None:
                    found[key] = min(value, found.get(key, value))
    authors: dict[str, list[tuple]] = defaultdict(list)
    for authorship, output in owner.items():
        found = parts.get(authorship, {})
        if found.get("author"):
            authors[output].append((_int(found.get("rank"), 999), found["author"]))
    return dict(authors), {person for pairs in authors.values() for _, person in pairs}


def load_around(kg: KnowledgeGraph, iris: Iterable[str]) -> GraphData:
    """Everything the documents of `iris` read, and (some of) their neighbourhood; see the module docstring."""
    reader = _Reader(kg)
    core = _people_closure(reader, set(iris))
    # What points at them: a project's outputs and works, a person's projects, outputs and
    # works, an institution's projects; and the hosts of those projects (a person's institution).
    pointing = _Edges(kg).into(core, _RELATIONS)
    context = _follow(reader, pointing, [_HOSTED_BY])
    # A work's output's project's host: three steps out through what is not a person.
    frontier = core
    for _ in range(3):
        frontier = _follow(reader, frontier, [_RESULT_OF, _POPULARIZES, _HOSTED_BY]) - context
        context |= frontier
    # People are shown by name, which takes every IRI of the person; institutions, by name and region.
    people = _follow(reader, core, _ROLES + (str(V.creator),)) | _authors(reader, core)[1]
    context |= _follow(reader, core, [str(V.currentInstitution)])
    return _graph_data(reader, core | pointing | context | _people_closure(reader, people))


def _graph_data(reader: _Reader, entities: set[str]) -> GraphData:
    records: dict[str, dict[str, Props]] = {name: {} for name in CLASSES}
    supporting = {i for i in entities if str(V.SupportingInstitution) in reader.types(i)}
    for iri in sorted(entities):
        names = {_CLASS_NAMES[t] for t in reader.types(iri) if t in _CLASS_NAMES}
        if iri in supporting:
            names.add("orgs")
        for name in names:
            records[name][iri] = {}
        if not names:
            continue
        for predicate, value in reader.triples[iri]:
            for name, key in _READ.get(predicate, ()):
                if name in names:
                    records[name][iri].setdefault(key, []).append(value)
    for table in records.values():
        _dedupe(table)
    canonical = _canonical(reader, set(records["people"]))
    wanted = supporting | _someones_institution(reader.kg, set(records["orgs"]) - supporting)
    orgs = {iri: props for iri, props in records["orgs"].items() if iri in wanted}
    authors, _ = _authors(reader, records["outputs"])
    return GraphData(projects=records["projects"], outputs=records["outputs"], works=records["works"],
                     people=records["people"], orgs=orgs, authors=authors, canonical=canonical,
                     supporting=supporting)


def _canonical(reader: _Reader, people: set[str]) -> dict[str, str]:
    """As documents._identities, over the sameAs edges between the researchers read."""
    same = nx.Graph()
    for batch in chunks(sorted(people)):
        for a, b in rows(reader.kg, f"SELECT ?a ?b WHERE {{ {_values('a', batch)} ?a {SAME} ?b }}"):
            if b in people and a != b:
                same.add_edge(a, b)
    canonical: dict[str, str] = {}
    for group in nx.connected_components(same):
        name = min(group, key=_identity_key)
        canonical.update((iri, name) for iri in group if iri != name)
    return canonical


def _someones_institution(kg: KnowledgeGraph, orgs: set[str]) -> set[str]:
    """The organizations among these that are some researcher's current institution."""
    found: set[str] = set()
    for batch in chunks(sorted(orgs)):
        query = (f"SELECT DISTINCT ?o WHERE {{ {_values('o', batch)} "
                 f"?p <{V.currentInstitution}> ?o . ?p a <{V.Researcher}> }}")
        found.update(o for (o,) in rows(kg, query))
    return found
