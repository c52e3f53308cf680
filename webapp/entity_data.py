"""What an entity page shows: the record itself, the records it links to (each with where
the link came from) and its popularization status, read from one view of the graph.

Every query names the entity by its IRI (checked by links.is_safe_iri, rendered with
kg.nquads.iri_nt) and carries a LIMIT; nothing here negates over the whole graph.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from functools import lru_cache
from dataclasses import dataclass, field

from rdflib import BNode, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg import concepts
from kg import vocab as V
from kg.errors import NotFound, ScipopError
from kg.linking.explain import identity_steps
from kg.nquads import iri_nt
from kg import pages as kg_pages
from kg.pages import PageStore
from kg.store import KnowledgeGraph, prefix_block
from webapp import rows as fast_rows
from webapp.i18n import pick_literal
from webapp.links import is_safe_iri, kind_of

LIST_LIMIT = 200       # rows fetched for a related list
SHOWN = 50             # rows a page shows before "and N more"
NOT_FOUND_MESSAGE = "No such record."  # the same for never-existing and hidden records

LABEL_PROPERTIES = (V.name, V.title, V.alternateName, V.authorName, V.creatorName)


@dataclass
class Ref:
    iri: str
    label: str
    kind: str


@dataclass
class Link:
    """A related record and how we know about the link (method, confidence, evidence)."""

    target: Ref
    method: str | None = None        # a LinkMethod concept IRI
    confidence: float | None = None
    evidence: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Entity:
    iri: str
    kind: str
    label: str
    types: list[str]
    properties: "OrderedDict[str, list]"        # predicate IRI -> values (Literal or Ref)
    sections: dict = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)
    status: str | None = None                    # popularization status concept IRI

    def values(self, predicate) -> list:
        """Values of one property. Keys are plain strings: rdflib terms hash differently from str."""
        return self.properties.get(str.__str__(predicate), [])


def _q(body: str) -> str:
    return prefix_block() + body


def _node(iri: str) -> str:
    return iri_nt(iri)


def _values(iris) -> str:
    return " ".join(_node(i) for i in iris)


# --- Labels -----------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def concept_label(iri: str, lang: str) -> str | None:
    """The zh/en label of a controlled-list concept or ontology term, from ontology.ttl."""
    if not iri.startswith(str(V.SP)):
        return None
    term = URIRef(iri)
    graph = concepts.ontology_graph()
    if (term, RDF.type, None) in graph:
        for predicate in (SKOS.prefLabel, RDFS.label):
            labels = list(graph.objects(term, predicate))
            if labels:
                return pick_literal(labels, lang)
    return iri.rsplit("#", 1)[-1]


@lru_cache(maxsize=256)
def method_rank(method: str) -> int:
    """A link method's strength from ontology.ttl (1 = strongest; unknown methods last)."""
    value = concepts.ontology_graph().value(URIRef(method), V.rank)
    return int(value) if value is not None else 99


@lru_cache(maxsize=1024)
def property_label(iri: str, lang: str) -> str:
    labels = list(concepts.ontology_graph().objects(URIRef(iri), RDFS.label))
    if labels:
        return pick_literal(labels, lang)
    local = iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    from webapp.i18n import MESSAGES, translate

    return translate(lang, "prop." + local) if "prop." + local in MESSAGES else local


def labels_for(kg: KnowledgeGraph, iris, lang: str, base: str) -> dict[str, str]:
    """Display labels for many IRIs at once (names, titles, notations; concepts from the ontology)."""
    wanted = [i for i in dict.fromkeys(str(i) for i in iris) if is_safe_iri(i)]
    out: dict[str, str] = {}
    local = []
    for iri in wanted:
        label = concept_label(iri, lang)
        if label is not None:
            out[iri] = label
        else:
            local.append(iri)
    if local:
        found: dict[str, list] = {}
        for start in range(0, len(local), 200):
            chunk = local[start:start + 200]
            rows = fast_rows.select(kg, _q(
                "SELECT DISTINCT ?x ?l WHERE { VALUES ?x { %s } "
                "?x schema:name|dcterms:title|skos:notation|schema:alternateName ?l } LIMIT 2000" % _values(chunk)))
            for row in rows:
                found.setdefault(str(row["x"]), []).append(row["l"])
        for iri in local:
            out[iri] = pick_literal(found.get(iri, []), lang) or _fallback_label(iri, base)
    return out


def _fallback_label(iri: str, base: str) -> str:
    from urllib.parse import unquote

    return unquote(iri[len(base):] if iri.startswith(base) else iri)


def ref(iri: str, labels: dict[str, str], base: str) -> Ref:
    return Ref(iri=iri, label=labels.get(iri) or _fallback_label(iri, base), kind=kind_of(iri, base))


# --- The record itself ------------------------------------------------------------------------
def outgoing(kg: KnowledgeGraph, iri: str, fast: bool = True) -> list[tuple]:
    """The record's own statements; `fast` gives page terms (rows.Lit), else rdflib terms for RDF output."""
    query = "SELECT DISTINCT ?p ?o WHERE { %s ?p ?o } LIMIT 2000" % _node(iri)
    found = fast_rows.select(kg, query) if fast else kg.select(query)
    return [(row["p"], row["o"]) for row in found]


def exists(kg: KnowledgeGraph, iri: str) -> bool:
    """True when the view states anything about the IRI (as subject)."""
    if not is_safe_iri(iri):
        return False
    return bool(kg.query("ASK { %s ?p ?o }" % _node(iri)).askAnswer)


def load_entity(kg: KnowledgeGraph, iri: str, lang: str, base: str, pages: PageStore | None = None) -> Entity:
    """The record and its related lists; NotFound (same message for hidden and unknown) when absent.

    Records whose page is an aggregate over many others (institutions, application codes) come
    from the summaries published with the view (`pages`, kg.pages); projects, outputs and works
    from a summary made now by index lookups (kg.pages.LIVE_KINDS: cheaper than their queries);
    the rest from the queries below."""
    if not is_safe_iri(iri):
        raise NotFound(NOT_FOUND_MESSAGE)
    summary = pages.get(iri) if pages is not None else None
    if summary is None:
        kind = kind_of(iri, base)
        if kg_pages.summarized_live(kg, kind):
            summary = kg_pages.summarize(kg, iri, kind)
            if summary is None:
                raise NotFound(NOT_FOUND_MESSAGE)
    if summary is not None:
        return entity_from_summary(summary, lang, base)
    return load_by_queries(kg, iri, lang, base)


def load_by_queries(kg: KnowledgeGraph, iri: str, lang: str, base: str) -> Entity:
    """The same Entity from SPARQL queries (any store, a SPARQL server included)."""
    statements = outgoing(kg, iri)
    if not statements:
        raise NotFound(NOT_FOUND_MESSAGE)
    kind = kind_of(iri, base)
    referenced = [o for _, o in statements if isinstance(o, URIRef)]
    labels = labels_for(kg, referenced + [URIRef(iri)], lang, base)
    properties: OrderedDict[str, list] = OrderedDict()
    types = []
    status = None
    for predicate, obj in sorted(statements, key=lambda s: (str(s[0]), str(s[1]))):
        if predicate == RDF.type:
            types.append(str(obj))
        if predicate == V.popularizationStatus:
            status = str(obj)
        value = ref(str(obj), labels, base) if isinstance(obj, URIRef) else obj
        properties.setdefault(str(predicate), []).append(value)
    entity = Entity(iri=iri, kind=kind, label=_own_label(statements, lang) or labels.get(iri, iri),
                    types=types, properties=properties, status=status)
    entity.sources = sources(kg, iri)
    loader = SECTION_LOADERS.get(kind)
    if loader is not None:
        entity.sections = loader(kg, iri, lang, base)
    return entity


def _own_label(statements, lang: str) -> str:
    for prop in LABEL_PROPERTIES + (SKOS.notation,):
        values = [o for p, o in statements if p == prop and fast_rows.is_literal(o)]
        if values:
            return pick_literal(values, lang)
    return ""


def sources(kg: KnowledgeGraph, iri: str) -> list[dict]:
    """The named graphs that state something about the record, with their catalog entry.

    The graphs first (inner query), then their catalog entries: joined the other way round,
    every statement of the record was looked up in the catalog (3x the time, warm, at 100k)."""
    rows = fast_rows.select(kg, _q("""
SELECT DISTINCT ?g ?name ?format ?time WHERE {
  { SELECT DISTINCT ?g WHERE { GRAPH ?g { %s ?p ?o } } LIMIT 50 }
  OPTIONAL { ?g sp:sourceName ?name }
  OPTIONAL { ?g dcterms:format ?format }
  OPTIONAL { ?g prov:generatedAtTime ?time }
} LIMIT 50""" % _node(iri)))
    return [{"graph": str(r["g"]), "name": str(r.get("name", "")), "format": str(r.get("format", "")),
             "time": str(r.get("time", ""))[:19]} for r in rows]


# --- From a page summary (kg.pages) ---------------------------------------------------------------
def _value(value):
    """A summary term as pages use it: URIRef, BNode or rows.Lit."""
    if isinstance(value, str):
        return URIRef(value)
    text, language, datatype = value
    if datatype == "bnode":
        return BNode(text[2:])
    return fast_rows.Lit(text, language, datatype)


def _pick(labels: list, lang: str) -> str:
    return pick_literal([_value(label) for label in labels], lang)


def _summary_ref(iri: str, labels: list, lang: str, base: str) -> Ref:
    label = concept_label(iri, lang) or _pick(labels, lang) or _fallback_label(iri, base)
    return Ref(iri=iri, label=label, kind=kind_of(iri, base))


def _summary_link(row: dict, lang: str, base: str) -> Link:
    target = Ref(iri=row["iri"], label=_pick(row.get("labels", []), lang) or row["iri"], kind=kind_of(row["iri"], base))
    extra = {name: _value(value) for name, value in row.get("extra", {}).items()}
    if not row.get("link"):
        return Link(target=target, extra=extra)
    method, confidence, evidence = row["link"]
    return Link(target=target, method=method, confidence=confidence, evidence=evidence, extra=extra)


def _summary_sections(kind: str, sections: dict, lang: str, base: str) -> dict:
    out: dict = {}
    for name, value in sections.items():
        if name in ("identities", "collaborators"):
            out[name] = [{**{k: v for k, v in item.items() if k not in ("iri", "labels")},
                          "ref": _summary_ref(item["iri"], item["labels"], lang, base)} for item in value]
        elif name == "authors":
            out[name] = [{"rank": _value(a["rank"]) if a["rank"] is not None else None,
                          "person": _summary_ref(a["person"], a["person_labels"], lang, base) if a["person"] else None,
                          "name": _pick(a["names"], lang)} for a in value]
        elif isinstance(value, list) and name != "pool":
            out[name] = [_summary_link(row, lang, base) for row in value]
        else:
            out[name] = value
    return out


def entity_from_summary(summary: dict, lang: str, base: str) -> Entity:
    """The page's Entity in one language from a language-neutral summary."""
    iri = summary["iri"]
    labels = summary["labels"]
    properties: OrderedDict[str, list] = OrderedDict()
    types, status, own = [], None, {}
    for predicate, obj in summary["statements"]:
        if predicate == str(RDF.type):
            types.append(obj if isinstance(obj, str) else obj[0])
        if predicate == str(V.popularizationStatus) and isinstance(obj, str):
            status = obj
        if isinstance(obj, str):
            value = _summary_ref(obj, labels.get(obj, []), lang, base)
        else:
            value = _value(obj)
            own.setdefault(predicate, []).append(value)
        properties.setdefault(predicate, []).append(value)
    label = ""
    for prop in LABEL_PROPERTIES + (SKOS.notation,):
        if own.get(str(prop)):
            label = pick_literal(own[str(prop)], lang)
            break
    if not label:
        label = _summary_ref(iri, labels.get(iri, []), lang, base).label
    return Entity(iri=iri, kind=summary["kind"], label=label, types=types, properties=properties,
                  sections=_summary_sections(summary["kind"], summary["sections"], lang, base),
                  sources=summary["sources"], status=status)


# --- Related lists per kind --------------------------------------------------------------------
def _qualified(kg: KnowledgeGraph, relation, subjects=None, objects=None) -> dict:
    """(subject, object) -> (method, confidence, evidence) of the strongest qualified link.

    Give the linking records (`subjects`) or the linked ones (`objects`) as IRI lists; the
    lists are inlined as VALUES so that Oxigraph starts from them."""
    if subjects is not None and not subjects or objects is not None and not objects:
        return {}
    values = ""
    if subjects is not None:
        values += "VALUES ?s { %s } " % _values(subjects)
    if objects is not None:
        values += "VALUES ?t { %s } " % _values(objects)
    anchor = "?l sp:linkObject ?t ; sp:linkSubject ?s ." if objects is not None else "?l sp:linkSubject ?s ; sp:linkObject ?t ."
    rows = fast_rows.select(kg, _q("""
SELECT ?s ?t ?method ?conf ?ev WHERE {
  %s %s ?l sp:linkRelation %s ; sp:linkMethod ?method .
  OPTIONAL { ?l sp:confidence ?conf } OPTIONAL { ?l sp:evidence ?ev }
} LIMIT 2000""" % (values, anchor, _node(str(relation)))))
    best: dict = {}
    for r in rows:
        key = (str(r["s"]), str(r["t"]))
        rank = method_rank(str(r["method"]))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, str(r["method"]), float(r["conf"]) if "conf" in r else None,
                         str(r["ev"]) if "ev" in r else None)
    return {k: v[1:] for k, v in best.items()}


def _titled(kg: KnowledgeGraph, pattern: str, var: str, lang: str, extra: str = "", order: str = "",
            columns: tuple[str, ...] = (), outer: str = "") -> "OrderedDict":
    """Rows of a list: the IRI in `var` with its titles (zh/en), the variables of `extra` and `columns`;
    `outer` holds optional patterns looked up only for the rows kept."""
    selected = " ".join("?" + n for n in dict.fromkeys(list(columns) + _extra_vars(extra, var)))
    outer_vars = " ".join("?" + n for n in _extra_vars(outer, var))
    # The list is cut first (inner query), then titled: an institution with thousands of
    # projects must not look up thousands of titles to show the newest few.
    rows = fast_rows.select(kg, _q(
        "SELECT ?%s ?label %s %s WHERE { { SELECT DISTINCT ?%s %s WHERE { %s } %s LIMIT %d } "
        "OPTIONAL { ?%s dcterms:title|schema:name ?label } %s } %s"
        % (var, selected, outer_vars, var, selected, pattern + " " + extra, order, LIST_LIMIT, var, outer, order)))
    grouped: OrderedDict[str, dict] = OrderedDict()
    for r in rows:
        key = str(r[var])
        item = grouped.setdefault(key, {"iri": key, "labels": []})
        if "label" in r:
            item["labels"].append(r["label"])
        for name, value in r.items():
            if name not in (var, "label"):
                item.setdefault(name, value)
    for item in grouped.values():
        item["label"] = pick_literal(item.pop("labels"), lang) or item["iri"]
    return grouped


def _extra_vars(extra: str, var: str) -> list[str]:
    return [n for n in dict.fromkeys(re.findall(r"\?(\w+)", extra)) if n not in (var, "label")]


def project_sections(kg: KnowledgeGraph, iri: str, lang: str, base: str) -> dict:
    me = _node(iri)
    outputs = _titled(kg, f"?o sp:resultOf {me} .", "o", lang,
                      "OPTIONAL { ?o sp:publicationYear ?year } OPTIONAL { ?o sp:isPopularized ?pop } "
                      "OPTIONAL { ?o sp:outputKind ?okind }", "ORDER BY DESC(?year)")
    provenance = _qualified(kg, V.resultOf, objects=[iri])
    targets = [iri] + list(outputs)[:LIST_LIMIT]
    works = _titled(kg, "VALUES ?t { %s } ?w sp:popularizes ?t ; a sp:PopularScienceWork ." % _values(targets), "w", lang,
                    "OPTIONAL { ?w sp:workKind ?wkind } OPTIONAL { ?w schema:datePublished ?date } "
                    "OPTIONAL { ?w sp:views ?views }", "ORDER BY DESC(?date)")
    work_links = _qualified(kg, V.popularizes, subjects=list(works))
    return {
        "outputs": [_with_link(o, provenance.get((o["iri"], iri)), base) for o in outputs.values()],
        "works": [_with_link(w, _any_link(work_links, w["iri"]), base) for w in works.values()],
    }


def _any_link(links: dict, subject: str):
    for (s, _), value in links.items():
        if s == subject:
            return value
    return None


def _with_link(item: dict, qualified, base: str) -> Link:
    target = Ref(iri=item["iri"], label=item["label"], kind=kind_of(item["iri"], base))
    extra = {k: v for k, v in item.items() if k not in ("iri", "label")}
    if qualified is None:
        return Link(target=target, extra=extra)
    method, confidence, evidence = qualified
    return Link(target=target, method=method, confidence=confidence, evidence=evidence, extra=extra)


def identities(kg: KnowledgeGraph, iri: str) -> list[str]:
    """The IRI and every IRI owl:sameAs links to it (directly or through a shared canonical IRI)."""
    me = _node(iri)
    rows = fast_rows.select(kg, _q("""
SELECT DISTINCT ?id WHERE {
  { %s owl:sameAs ?id } UNION { ?id owl:sameAs %s } UNION { %s owl:sameAs ?c . ?id owl:sameAs ?c }
} LIMIT 50""" % (me, me, me)))
    found = [iri] + [str(r["id"]) for r in rows if str(r["id"]) != iri]
    return [i for i in dict.fromkeys(found) if is_safe_iri(i)]


def person_sections(kg: KnowledgeGraph, iri: str, lang: str, base: str) -> dict:
    ids = identities(kg, iri)
    me = "VALUES ?me { %s }" % _values(ids)
    projects = _titled(kg, f"{me} {{ ?p sp:principalInvestigator ?me BIND(\"pi\" AS ?role) }} "
                           "UNION { ?p sp:member ?me BIND(\"member\" AS ?role) }", "p", lang,
                       "OPTIONAL { ?p sp:approvalYear ?year } OPTIONAL { ?p sp:popularizationStatus ?status }",
                       "ORDER BY DESC(?year)", columns=("role",))
    outputs = _titled(kg, f"{me} ?o sp:authorship ?a . ?a sp:author ?me .", "o", lang,
                      "OPTIONAL { ?o sp:publicationYear ?year } OPTIONAL { ?o sp:isPopularized ?pop }",
                      "ORDER BY DESC(?year)")
    works = _titled(kg, f"{me} ?w dcterms:creator ?me .", "w", lang,
                    "OPTIONAL { ?w sp:workKind ?wkind } OPTIONAL { ?w schema:datePublished ?date } "
                    "OPTIONAL { ?w sp:views ?views }", "ORDER BY DESC(?date)")
    collaborators = collaborators_of(kg, ids, lang, base)
    pool = fast_rows.select(kg, _q(f"""SELECT ?since ?org WHERE {{ {me} ?me sp:talentPoolMembership ?m .
        OPTIONAL {{ ?m sp:since ?since }} OPTIONAL {{ ?m sp:nominatedBy ?org }} }} LIMIT 5"""))
    id_labels = labels_for(kg, ids[1:], lang, base)
    return {
        "identities": [{"ref": ref(i, id_labels, base), "why": why} for i, why in explain_identities(kg, iri, ids[1:])],
        "projects": [_with_link(p, None, base) for p in projects.values()],
        "outputs": [_with_link(o, None, base) for o in outputs.values()],
        "works": [_with_link(w, None, base) for w in works.values()],
        "collaborators": collaborators,
        "pool": [{"since": str(r.get("since", "")), "org": str(r.get("org", ""))} for r in pool],
    }


def explain_identities(kg: KnowledgeGraph, iri: str, others: list[str]) -> list[tuple[str, list[dict]]]:
    """Why each of `others` is the same person as `iri`: the linking step's merge decisions on the
    way from one to the other (kg.linking.explain.identity_steps), read once for all of them (per
    pair it was ~70% of a researcher page)."""
    try:
        found = identity_steps(kg, iri, others)
    except ScipopError:
        return [(other, []) for other in others]
    return [(other, found.get(other, [])) for other in others]


def collaborators_of(kg: KnowledgeGraph, ids: list[str], lang: str, base: str, limit: int = 12) -> list[dict]:
    """People who share projects or outputs with the person, most shared first."""
    not_me = ", ".join(_node(i) for i in ids)
    roles = ("sp:principalInvestigator", "sp:member")
    branches = []
    for me in (_node(i) for i in ids):
        # One constant per branch and no property paths: Oxigraph then starts from the person.
        for mine in roles:
            for theirs in roles:
                branches.append(f"{{ ?thing {mine} {me} . ?thing {theirs} ?other }}")
        branches.append(f"{{ ?a sp:author {me} . ?thing sp:authorship ?a . ?thing sp:authorship ?b . ?b sp:author ?other }}")
    rows = fast_rows.select(kg, _q(f"""
SELECT ?other (COUNT(DISTINCT ?thing) AS ?n) WHERE {{
  {" UNION ".join(branches)}
  FILTER(?other NOT IN ({not_me}))
}} GROUP BY ?other ORDER BY DESC(?n) LIMIT {limit}"""))
    labels = labels_for(kg, [r["other"] for r in rows], lang, base)
    return [{"ref": ref(str(r["other"]), labels, base), "shared": int(r["n"])} for r in rows]


def org_sections(kg: KnowledgeGraph, iri: str, lang: str, base: str) -> dict:
    me = _node(iri)
    projects = _titled(kg, f"?p sp:hostedBy {me} ; sp:approvalYear ?year .", "p", lang, "", "ORDER BY DESC(?year)",
                       columns=("year",),
                       outer="OPTIONAL { ?p sp:popularizationStatus ?status } OPTIONAL { ?p sp:department ?dept }")
    counts = fast_rows.select(kg, _q(f"""SELECT ?status (COUNT(DISTINCT ?p) AS ?n) WHERE {{
        ?p sp:hostedBy {me} . OPTIONAL {{ ?p sp:popularizationStatus ?status }} }} GROUP BY ?status"""))
    people = _titled(kg, f"?x schema:affiliation {me} .", "x", lang)
    people_total = fast_rows.select(kg, _q(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x schema:affiliation {me} }}"))
    return {
        "projects": [_with_link(p, None, base) for p in projects.values()],
        "status_counts": {str(r.get("status", "")): int(r["n"]) for r in counts},
        "projects_total": sum(int(r["n"]) for r in counts),
        "people": [_with_link(p, None, base) for p in people.values()],
        "people_total": int(people_total[0]["n"]) if people_total else 0,
    }


def output_sections(kg: KnowledgeGraph, iri: str, lang: str, base: str) -> dict:
    me = _node(iri)
    authors = fast_rows.select(kg, _q(f"""SELECT DISTINCT ?a ?rank ?person ?name WHERE {{ {me} sp:authorship ?a .
        OPTIONAL {{ ?a sp:authorRank ?rank }} OPTIONAL {{ ?a sp:author ?person }} OPTIONAL {{ ?a sp:authorName ?name }}
    }} ORDER BY ?rank LIMIT {LIST_LIMIT}"""))
    labels = labels_for(kg, [r["person"] for r in authors if "person" in r], lang, base)
    by_slot: OrderedDict[str, dict] = OrderedDict()
    for r in authors:
        slot = by_slot.setdefault(str(r["a"]), {"rank": r.get("rank"), "people": set(), "names": {}})
        if "person" in r:
            slot["people"].add(str(r["person"]))
        if "name" in r:
            slot["names"].setdefault(str(r["name"]), r["name"])
    # A slot stated by several merged sources can name several people and spellings: the page
    # shows one, the same one every time (the smallest IRI, the names sorted), as kg.pages does.
    author_list = [{"rank": s["rank"], "person": ref(min(s["people"]), labels, base) if s["people"] else None,
                    "name": pick_literal([s["names"][n] for n in sorted(s["names"])], lang)}
                   for s in by_slot.values()]
    projects = _titled(kg, f"{me} sp:resultOf ?p .", "p", lang,
                       "OPTIONAL { ?p sp:approvalYear ?year } OPTIONAL { ?p sp:popularizationStatus ?status }")
    provenance = _qualified(kg, V.resultOf, subjects=[iri])
    works = _titled(kg, f"?w sp:popularizes {me} .", "w", lang,
                    "OPTIONAL { ?w sp:workKind ?wkind } OPTIONAL { ?w schema:datePublished ?date }")
    work_links = _qualified(kg, V.popularizes, objects=[iri])
    return {
        "authors": author_list,
        "projects": [_with_link(p, provenance.get((iri, p["iri"])), base) for p in projects.values()],
        "works": [_with_link(w, work_links.get((w["iri"], iri)), base) for w in works.values()],
    }


def work_sections(kg: KnowledgeGraph, iri: str, lang: str, base: str) -> dict:
    me = _node(iri)
    targets = _titled(kg, f"{me} sp:popularizes ?t .", "t", lang)
    provenance = _qualified(kg, V.popularizes, subjects=[iri])
    creators = _titled(kg, f"{me} dcterms:creator ?c .", "c", lang)
    return {
        "popularizes": [_with_link(t, provenance.get((iri, t["iri"])), base) for t in targets.values()],
        "creators": [_with_link(c, None, base) for c in creators.values()],
    }


def code_sections(kg: KnowledgeGraph, iri: str, lang: str, base: str) -> dict:
    me = _node(iri)
    narrower = _titled(kg, f"?n skos:broader {me} . ?n a sp:ApplicationCode .", "n", lang, "", "ORDER BY ?n")
    projects = _titled(kg, f"?p sp:applicationCode {me} .", "p", lang,
                       "OPTIONAL { ?p sp:approvalYear ?year } OPTIONAL { ?p sp:popularizationStatus ?status }",
                       "ORDER BY DESC(?year)")
    return {
        "narrower": [_with_link(n, None, base) for n in narrower.values()],
        "projects": [_with_link(p, None, base) for p in projects.values()],
    }


SECTION_LOADERS = {
    "project": project_sections,
    "person": person_sections,
    "org": org_sections,
    "output": output_sections,
    "work": work_sections,
    "code": code_sections,
}


# --- Linked data: the record as RDF -------------------------------------------------------------
def description_triples(kg: KnowledgeGraph, iri: str, limit: int = 5000) -> list[tuple]:
    """The record's own statements and the statements that point at it (a symmetric description)."""
    me = _node(iri)
    out = [(URIRef(iri), p, o) for p, o in outgoing(kg, iri, fast=False)]
    if not out:
        raise NotFound(NOT_FOUND_MESSAGE)
    incoming = kg.select("SELECT DISTINCT ?s ?p WHERE { ?s ?p %s } LIMIT %d" % (me, limit))
    out += [(r["s"], r["p"], URIRef(iri)) for r in incoming]
    return out
