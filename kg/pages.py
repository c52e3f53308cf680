"""Entity page summaries: one compact, language-neutral JSON document per entity IRI.

A summary holds what an entity page shows: the record's own statements, the labels of the
records it names, the source files that state it, and its related lists (a project's
outputs and works, a person's projects and collaborators, an institution's projects, status
counts and people, …), each related link with the strongest qualified link's method,
confidence and evidence.

Publishing writes the summaries of institutions and application codes next to each view's
store (`<view>/pages.sqlite`, read by `PageStore`): their pages aggregate hundreds of
projects and thousands of people, ~360 ms of queries per page at 100,000 projects, and
there are few of them. Other records are not materialized: a pass over the ~1.2 million
records of a 100,000-project graph would add hours to each publish (that needs a bulk
builder: one scan per relation, not lookups per record).

Project, output and work pages are summarized live instead (`LIVE_KINDS`, when the view is
the embedded store): at 100,000 projects a summary read by index lookups costs 2.6-2.9 ms
warm and 7-10 ms cold per page, the same page's SPARQL queries 3.9-4.1 ms warm and 9-13 ms
cold (Oxigraph plans, then starts from a constant; here each lookup is one index range).
Researcher pages stay on the queries: their identities and collaborators are read
differently here (see webapp/entity_data.py).

Literals are `[text, language, datatype]` lists, IRIs plain strings, so a summary is
plain JSON; pages choose the label in their language when they render.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import pyoxigraph as ox

from kg import concepts
from kg import vocab as V
from kg.store import KnowledgeGraph

LIST_LIMIT = 200          # rows kept for a related list (pages show 50)
STATEMENT_LIMIT = 2000
COLLABORATORS = 12
PAGES_FILE = "pages.sqlite"
# Kinds whose summaries publish materializes: each is an aggregate over many records.
MATERIALIZED_KINDS = ("org", "code")
# Kinds whose pages are summarized per request (module docstring): cheaper than their queries.
LIVE_KINDS = ("project", "output", "work")

RDF_TYPE = ox.NamedNode(str(V.RDF.type))
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_ONTOLOGY = str(V.SP)
_OWL_SAME = ox.NamedNode(str(V.sameAs))
_BROADER = ox.NamedNode(_SKOS + "broader")
_NOTATION = _SKOS + "notation"
_DCTERMS_FORMAT = "http://purl.org/dc/terms/format"  # Namespace.format would be str.format
_SCHEMA_AFFILIATION = "https://schema.org/affiliation"
LABEL_PREDICATES = (str(V.name), str(V.title), _NOTATION, str(V.alternateName))
ROW_LABEL_PREDICATES = (str(V.title), str(V.name))  # related-list rows show titles and names only
# Read in one scan each when every summary is built: the columns of the projects that
# institution and code pages list (all of them are read, to sort by year). Labels stay
# lookups: only the first LIST_LIMIT rows of a list show them, and a scan of every name and
# title (most of them people's and outputs' that no list shows) cost more than it saved.
PREFETCHED = (str(V.approvalYear), str(V.popularizationStatus), str(V.department))
OWN_LABEL_PREDICATES = (str(V.name), str(V.title), str(V.alternateName), str(V.authorName), str(V.creatorName),
                        _NOTATION)


@lru_cache(maxsize=8192)
def _n(iri) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def term(value) -> Any:
    """An Oxigraph term as JSON: IRIs as strings, literals as [text, language, datatype]."""
    if isinstance(value, ox.NamedNode):
        return value.value
    if isinstance(value, ox.Literal):
        language = value.language
        return [value.value, language, None if language else value.datatype.value]
    if isinstance(value, ox.BlankNode):
        return ["_:" + value.value, None, "bnode"]
    return str(value)


def is_iri(value) -> bool:
    return isinstance(value, str)


class _Reader:
    """Distinct objects/subjects over the union of a store's graphs.

    `prefetched` holds, per predicate IRI, every subject's distinct objects, read in one
    scan (`prefetch`): an institution's page reads the year, status and department of every
    project it hosts (to sort them), one index lookup each, and one scan per predicate reads
    them all for less (every summary of a 10,000-project view: 7.0-10.3 s -> 5.7-8.2 s).
    """

    def __init__(self, store: ox.Store, prefetched: dict[str, dict[str, list]] | None = None) -> None:
        self.store = store
        self.prefetched = prefetched or {}
        self.sources: dict[str, dict] = {}   # per graph, its source-file row (unchanged while the reader lives)

    def objects(self, subject: str, predicate) -> list:
        table = self.prefetched.get(str(predicate))
        if table is not None:
            return list(table.get(subject, ()))
        seen: dict = {}
        for quad in self.store.quads_for_pattern(_n(subject), _n(predicate), None, None):
            seen.setdefault(quad.object, None)
        return list(seen)

    def first(self, subject: str, predicate):
        table = self.prefetched.get(str(predicate))
        if table is not None:
            found = table.get(subject)
            return found[0] if found else None
        for quad in self.store.quads_for_pattern(_n(subject), _n(predicate), None, None):
            return quad.object
        return None

    def subjects(self, predicate, obj: str) -> list[str]:
        seen: dict = {}
        for quad in self.store.quads_for_pattern(None, _n(predicate), _n(obj), None):
            if isinstance(quad.subject, ox.NamedNode):
                seen.setdefault(quad.subject.value, None)
        return list(seen)

    def has_type(self, subject: str, cls) -> bool:
        return any(True for _ in self.store.quads_for_pattern(_n(subject), RDF_TYPE, _n(cls), None))

    def labels(self, iri: str, predicates: tuple[str, ...] = LABEL_PREDICATES) -> list:
        out = []
        for predicate in predicates:
            out += [term(o) for o in self.objects(iri, predicate) if isinstance(o, ox.Literal)]
        return out

    def value(self, subject: str, predicate):
        found = self.first(subject, predicate)
        return None if found is None else term(found)


def prefetch(store: ox.Store, predicates: Iterable[str]) -> dict[str, dict[str, list]]:
    """Per predicate IRI, each IRI subject's distinct objects, in the order a lookup by subject
    gives them (both indexes order a subject's objects by their encoding)."""
    out: dict[str, dict[str, list]] = {}
    for predicate in predicates:
        found: dict[str, dict] = {}
        for quad in store.quads_for_pattern(None, _n(predicate), None, None):
            if isinstance(quad.subject, ox.NamedNode):
                found.setdefault(quad.subject.value, {}).setdefault(quad.object, None)
        out[str(predicate)] = {subject: list(objects) for subject, objects in found.items()}
    return out


@lru_cache(maxsize=256)
def method_rank(method: str) -> int:
    """A link method's strength from ontology.ttl (1 = strongest; unknown methods last)."""
    from rdflib import URIRef

    value = concepts.ontology_graph().value(URIRef(method), V.rank)
    return int(value) if value is not None else 99


def _sort_key(value):
    """SPARQL-like order of one bound value: numbers by value, the rest by text."""
    if value is None:
        return (0, 0, "")
    text = value[0] if isinstance(value, list) else value
    try:
        return (1, float(text), "")
    except ValueError:
        return (2, 0, text)


def _rows(reader: _Reader, iris: Iterable[str], extras: dict[str, Any], order: str | None = None,
          descending: bool = True, limit: int = LIST_LIMIT) -> list[dict]:
    """Related-list rows: each IRI with its labels and one value per extra column (name -> predicate)."""
    rows = []
    for iri in dict.fromkeys(iris):
        extra = {}
        for name, predicate in extras.items():
            found = reader.value(iri, predicate)
            if found is not None:
                extra[name] = found
        rows.append({"iri": iri, "extra": extra})
    if order is not None:
        rows.sort(key=lambda r: _sort_key(r["extra"].get(order)), reverse=descending)
    rows = rows[:limit]
    for row in rows:
        row["labels"] = reader.labels(row["iri"], ROW_LABEL_PREDICATES)
    return rows


def _qualified(reader: _Reader, relation, subjects: list[str] | None = None,
               objects: list[str] | None = None) -> dict[tuple[str, str], list]:
    """(subject, object) -> [method, confidence, evidence] of the strongest qualified link."""
    links: set[str] = set()
    if objects is not None:
        for target in objects:
            links.update(reader.subjects(V.linkObject, target))
    else:
        for source in subjects or ():
            links.update(reader.subjects(V.linkSubject, source))
    best: dict[tuple[str, str], tuple] = {}
    relation_node = _n(relation)
    for link in links:
        if relation_node not in reader.objects(link, V.linkRelation):
            continue
        for s in reader.objects(link, V.linkSubject):
            for t in reader.objects(link, V.linkObject):
                if not (isinstance(s, ox.NamedNode) and isinstance(t, ox.NamedNode)):
                    continue
                if subjects is not None and s.value not in subjects or objects is not None and t.value not in objects:
                    continue
                for method in reader.objects(link, V.linkMethod):
                    rank = method_rank(term(method))
                    key = (s.value, t.value)
                    if key not in best or rank < best[key][0]:
                        confidence = reader.first(link, V.confidence)
                        evidence = reader.first(link, V.evidence)
                        best[key] = (rank, [term(method), float(confidence.value) if confidence is not None else None,
                                            evidence.value if evidence is not None else None])
    return {key: value[1] for key, value in best.items()}


def _with_links(rows: list[dict], links: dict, key) -> list[dict]:
    for row in rows:
        row["link"] = key(row["iri"], links)
    return rows


# --- The summary ----------------------------------------------------------------------------------
def summarize(kg: KnowledgeGraph, iri: str, kind: str, reader: _Reader | None = None) -> dict | None:
    """The page summary of `iri` (a record of `kind`, see webapp.links.kind_of), or None when the
    view states nothing about it. `reader`: one shared by many summaries of an unchanging store."""
    store = kg.backend.ox
    reader = reader or _Reader(store)
    statements: dict[tuple, None] = {}
    graphs: dict[str, None] = {}
    for quad in store.quads_for_pattern(_n(iri), None, None, None):
        if len(statements) < STATEMENT_LIMIT:
            statements.setdefault((quad.predicate.value, quad.object), None)
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs.setdefault(quad.graph_name.value, None)
    if not statements:
        return None
    pairs = sorted(((p, term(o)) for p, o in statements),
                   key=lambda s: (s[0], s[1] if is_iri(s[1]) else s[1][0]))
    referenced = {o for _, o in pairs if is_iri(o)} | {iri}
    loader = SECTIONS.get(kind)
    summary = {
        "iri": iri,
        "kind": kind,
        "statements": [[p, o] for p, o in pairs],
        # Ontology terms and concepts (types, departments, tiers, statuses) are labelled from
        # ontology.ttl when a page renders, never from here: four index lookups each saved.
        "labels": {ref: labels for ref in sorted(referenced)
                   if not ref.startswith(_ONTOLOGY) and (labels := reader.labels(ref))},
        "sources": _sources(reader, list(graphs)[:50]),
        "sections": loader(kg, reader, iri) if loader is not None else {},
    }
    return summary


def _sources(reader: _Reader, graphs: list[str]) -> list[dict]:
    """Each graph's catalog record (kept by the reader: many records share a graph)."""
    out = []
    for graph in graphs:
        found = reader.sources.get(graph)
        if found is None:
            name = reader.first(graph, V.sourceName)
            fmt = reader.first(graph, _DCTERMS_FORMAT)
            time = reader.first(graph, V.generatedAtTime)
            found = reader.sources[graph] = {"graph": graph, "name": name.value if name is not None else "",
                                             "format": fmt.value if fmt is not None else "",
                                             "time": time.value[:19] if time is not None else ""}
        out.append(dict(found))
    return out


def _project(kg: KnowledgeGraph, reader: _Reader, iri: str) -> dict:
    outputs = _rows(reader, reader.subjects(V.resultOf, iri),
                    {"year": V.publicationYear, "pop": V.isPopularized, "okind": V.outputKind}, "year")
    provenance = _qualified(reader, V.resultOf, objects=[iri])
    targets = [iri] + [o["iri"] for o in outputs]
    work_iris = [w for t in targets for w in reader.subjects(V.popularizes, t)
                 if reader.has_type(w, V.PopularScienceWork)]
    works = _rows(reader, work_iris, {"wkind": V.workKind, "date": V.datePublished, "views": V.views}, "date")
    work_links = _qualified(reader, V.popularizes, subjects=[w["iri"] for w in works])
    return {
        "outputs": _with_links(outputs, provenance, lambda o, links: links.get((o, iri))),
        "works": _with_links(works, work_links, _any_link),
    }


def _any_link(subject: str, links: dict):
    found = [value for (s, _), value in sorted(links.items()) if s == subject]
    return min(found, key=lambda v: method_rank(v[0])) if found else None


def identities(reader: _Reader, iri: str) -> list[str]:
    """The IRI and every IRI owl:sameAs links to it (directly or through a shared canonical IRI)."""
    found = [iri]
    for same in reader.objects(iri, _OWL_SAME.value):
        if isinstance(same, ox.NamedNode):
            found.append(same.value)
            found += reader.subjects(_OWL_SAME.value, same.value)
    found += reader.subjects(_OWL_SAME.value, iri)
    return list(dict.fromkeys(found))[:51]


def _canonical(reader: _Reader, iri: str) -> str:
    """The IRI that stands for this one's identity (its owl:sameAs target), else itself."""
    for same in reader.objects(iri, _OWL_SAME.value):
        if isinstance(same, ox.NamedNode):
            return same.value
    return iri


def _person(kg: KnowledgeGraph, reader: _Reader, iri: str) -> dict:
    ids = identities(reader, iri)
    roles: dict[str, str] = {}
    for me in ids:
        for project in reader.subjects(V.principalInvestigator, me):
            roles[project] = "pi"
        for project in reader.subjects(V.member, me):
            roles.setdefault(project, "member")
    projects = _rows(reader, roles, {"year": V.approvalYear, "status": V.popularizationStatus}, "year")
    for row in projects:
        row["extra"]["role"] = [roles[row["iri"]], None, "http://www.w3.org/2001/XMLSchema#string"]
    authored = [output for me in ids for slot in reader.subjects(V.author, me)
                for output in reader.subjects(V.authorship, slot)]
    outputs = _rows(reader, authored, {"year": V.publicationYear, "pop": V.isPopularized}, "year")
    created = [work for me in ids for work in reader.subjects(V.creator, me)]
    works = _rows(reader, created, {"wkind": V.workKind, "date": V.datePublished, "views": V.views}, "date")
    pool = []
    for me in ids:
        for membership in reader.objects(me, V.talentPoolMembership):
            if isinstance(membership, ox.NamedNode) and len(pool) < 5:
                since = reader.first(membership.value, V.since)
                org = reader.first(membership.value, V.nominatedBy)
                pool.append({"since": since.value if since is not None else "",
                             "org": org.value if org is not None else ""})
    why = _explain(kg, iri, ids[1:])
    return {
        "identities": [{"iri": other, "labels": reader.labels(other), "why": why.get(other, [])}
                       for other in ids[1:]],
        "projects": [{**row, "link": None} for row in projects],
        "outputs": [{**row, "link": None} for row in outputs],
        "works": [{**row, "link": None} for row in works],
        "collaborators": _collaborators(reader, ids, roles, authored),
        "pool": pool,
    }


def _explain(kg: KnowledgeGraph, iri: str, others: list[str]) -> dict[str, list[dict]]:
    """Why each of `others` is the same person as `iri`: the linking step's decisions and evidence."""
    from kg.errors import ScipopError
    from kg.linking.explain import identity_steps

    try:
        return identity_steps(kg, iri, others)
    except ScipopError:
        return {}


def _collaborators(reader: _Reader, ids: list[str], roles: dict[str, str], outputs: list[str]) -> list[dict]:
    """People who share projects or outputs with the person, most shared first."""
    me = set(ids)
    shared: dict[str, set[str]] = {}
    for project in roles:
        for role in (V.principalInvestigator, V.member):
            for other in reader.objects(project, role):
                if isinstance(other, ox.NamedNode) and other.value not in me:
                    shared.setdefault(other.value, set()).add(project)
    for output in dict.fromkeys(outputs):
        for slot in reader.objects(output, V.authorship):
            for other in reader.objects(slot.value, V.author) if isinstance(slot, ox.NamedNode) else ():
                if isinstance(other, ox.NamedNode) and other.value not in me:
                    shared.setdefault(other.value, set()).add(output)
    ranked = sorted(shared.items(), key=lambda item: (-len(item[1]), item[0]))[:COLLABORATORS]
    return [{"iri": other, "labels": reader.labels(other), "shared": len(things)} for other, things in ranked]


def _org(kg: KnowledgeGraph, reader: _Reader, iri: str) -> dict:
    hosted = reader.subjects(V.hostedBy, iri)
    status_counts: Counter = Counter()
    for project in hosted:
        statuses = reader.objects(project, V.popularizationStatus)
        for status in statuses or [None]:
            status_counts[status.value if isinstance(status, ox.NamedNode) else ""] += 1
    dated = [p for p in hosted if reader.first(p, V.approvalYear) is not None]
    projects = _rows(reader, dated, {"year": V.approvalYear, "status": V.popularizationStatus,
                                     "dept": V.department}, "year")
    # One row per person: linking has made one identity of the 吕荣辉 of a funder export and
    # the LYU Ronghui of a paper, and both name the institution.
    people = list(dict.fromkeys(_canonical(reader, person) for person in reader.subjects(_SCHEMA_AFFILIATION, iri)))
    return {
        "projects": [{**row, "link": None} for row in projects],
        "status_counts": dict(status_counts),
        "projects_total": sum(status_counts.values()),
        "people": [{**row, "link": None} for row in _rows(reader, people, {}, None)],
        "people_total": len(people),
    }


def _output(kg: KnowledgeGraph, reader: _Reader, iri: str) -> dict:
    authors = []
    for slot in reader.objects(iri, V.authorship):
        if not isinstance(slot, ox.NamedNode):
            continue
        # A slot stated by several merged sources can name several people and spellings:
        # the page shows one, the same one every time (the smallest IRI, the names sorted).
        people = sorted(p.value for p in reader.objects(slot.value, V.author) if isinstance(p, ox.NamedNode))
        person = people[0] if people else None
        authors.append({"rank": reader.value(slot.value, V.authorRank), "person": person,
                        "person_labels": reader.labels(person) if person is not None else [],
                        "names": sorted((term(n) for n in reader.objects(slot.value, V.authorName)),
                                        key=lambda n: n if isinstance(n, str) else n[0])})
    authors.sort(key=lambda a: _sort_key(a["rank"]))
    projects = _rows(reader, [p.value for p in reader.objects(iri, V.resultOf) if isinstance(p, ox.NamedNode)],
                     {"year": V.approvalYear, "status": V.popularizationStatus}, None)
    provenance = _qualified(reader, V.resultOf, subjects=[iri])
    works = _rows(reader, reader.subjects(V.popularizes, iri), {"wkind": V.workKind, "date": V.datePublished}, None)
    work_links = _qualified(reader, V.popularizes, objects=[iri])
    return {
        "authors": authors[:LIST_LIMIT],
        "projects": _with_links(projects, provenance, lambda p, links: links.get((iri, p))),
        "works": _with_links(works, work_links, lambda w, links: links.get((w, iri))),
    }


def _work(kg: KnowledgeGraph, reader: _Reader, iri: str) -> dict:
    targets = _rows(reader, [t.value for t in reader.objects(iri, V.popularizes) if isinstance(t, ox.NamedNode)], {})
    provenance = _qualified(reader, V.popularizes, subjects=[iri])
    creators = _rows(reader, [c.value for c in reader.objects(iri, V.creator) if isinstance(c, ox.NamedNode)], {})
    return {
        "popularizes": _with_links(targets, provenance, lambda t, links: links.get((iri, t))),
        "creators": [{**row, "link": None} for row in creators],
    }


def _code(kg: KnowledgeGraph, reader: _Reader, iri: str) -> dict:
    narrower = sorted(n for n in reader.subjects(_BROADER.value, iri) if reader.has_type(n, V.ApplicationCode))
    projects = _rows(reader, reader.subjects(V.applicationCode, iri),
                     {"year": V.approvalYear, "status": V.popularizationStatus}, "year")
    return {
        "narrower": [{**row, "link": None} for row in _rows(reader, narrower, {}, None)],
        "projects": [{**row, "link": None} for row in projects],
    }


SECTIONS = {"project": _project, "person": _person, "org": _org, "output": _output, "work": _work, "code": _code}


def summarized_live(kg: KnowledgeGraph, kind: str) -> bool:
    """True when pages of `kind` come from `summarize` per request: `LIVE_KINDS` on the embedded
    store (a SPARQL server behind the view has no index lookups to offer)."""
    return kind in LIVE_KINDS and getattr(kg.backend, "ox", None) is not None


# --- Published summaries ------------------------------------------------------------------------
def build_pages(kg: KnowledgeGraph, path: Path, kinds: Iterable[str] = MATERIALIZED_KINDS) -> int:
    """Write the summaries of every record of `kinds` into a new SQLite file at `path`; the count.

    A record's kind is the first segment of its IRI under the base (`org/…`, `code/…`), as the
    pages that show it name it."""
    classes = {"org": (V.SupportingInstitution, V.Organization), "code": (V.ApplicationCode,),
               "project": (V.FundedProject,), "person": (V.Researcher,), "output": (V.ResearchOutput,),
               "work": (V.PopularScienceWork,)}
    base = kg.minter.base
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    connection = sqlite3.connect(temporary)
    connection.execute("CREATE TABLE pages (iri TEXT PRIMARY KEY, summary TEXT NOT NULL)")
    count = 0
    store = kg.backend.ox
    # What the institutions' and codes' lists show of each row, read once for all of them.
    reader = _Reader(store, prefetch(store, PREFETCHED))
    for kind in kinds:
        iris = {q.subject.value for cls in classes[kind]
                for q in store.quads_for_pattern(None, RDF_TYPE, _n(cls), None) if isinstance(q.subject, ox.NamedNode)}
        rows = []
        for iri in sorted(iris):
            if not iri.startswith(base) or iri[len(base):].split("/", 1)[0] != kind:
                continue
            summary = summarize(kg, iri, kind, reader)
            if summary is not None:
                rows.append((iri, json.dumps(summary, ensure_ascii=False, separators=(",", ":"))))
        connection.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?)", rows)
        count += len(rows)
    connection.commit()
    connection.close()
    temporary.replace(path)
    return count


@dataclass
class PageStore:
    """Published summaries of one view, read-only; one SQLite connection per thread."""

    path: Path

    def __post_init__(self) -> None:
        self._local = threading.local()

    def get(self, iri: str) -> dict | None:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # immutable: the file never changes once published, so SQLite skips all locking.
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
            self._local.connection = connection
        row = connection.execute("SELECT summary FROM pages WHERE iri = ?", (iri,)).fetchone()
        return json.loads(row[0]) if row else None


def open_pages(view_dir: Path) -> PageStore | None:
    """The published summaries next to a view's store, or None when that publication has none."""
    path = view_dir / PAGES_FILE
    return PageStore(path) if path.exists() else None
