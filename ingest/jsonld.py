"""schema.org JSON-LD popular-science works -> the same triples as ingest.popsci_works.

A file holds one node, a list of nodes or an `@graph` of CreativeWork, VideoObject,
Article, Book, Event, SocialMediaPosting … with `"@context": "https://schema.org/"`.

Nothing is ever fetched: every `@context` naming schema.org (http or https, with or
without the trailing slash) is replaced by the local stand-in in kg/contexts/schema.jsonld
before rdflib's JSON-LD parser sees the document; any other remote context, and any
`@import`, refuses the file. The parsed graph is then read into `WorkFields` and built by
`popsci_works.build_work`, so a work gives the same triples as its CSV row.
"""
from __future__ import annotations

import copy
import json
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.parsers.jsonld import to_rdf

from ingest.base import FormatModule, IngestContext, RecordStream, identifier, review_status
from ingest.popsci_works import (Creator, WorkFields, build_work, creator_for_id, creator_for_name, looks_like_orcid,
                                 parse_count)
from ingest.tabular import fold, parse_date, read_json_document, unique
from kg import concepts
from kg import vocab as V
from kg.errors import InputError, InvalidIdentifier
from kg.grants import is_nsfc_funder_name, split_award_string
from kg.ids import is_approval_number, normalize_approval_number, normalize_doi

NAME = "jsonld"
CONTEXT_PATH = Path(__file__).resolve().parent.parent / "kg" / "contexts" / "schema.jsonld"
SCHEMA = str(V.SCHEMA)
_SCHEMA_CONTEXTS = {"https://schema.org", "http://schema.org"}
_MARKER = str(V.SP) + "scipopTopLevelRecord"   # never written out: only marks parsed nodes
# Top-level nodes of these types are data that works refer to, not works themselves.
AUXILIARY_TYPES = frozenset({"Person", "Organization", "MonetaryGrant", "InteractionCounter", "PropertyValue",
                             "Place", "Audience", "ScholarlyArticle", "Grant"})
REACH_ACTIONS: dict[str, URIRef] = {
    "WatchAction": V.views, "ViewAction": V.views, "ReadAction": V.views,
    "LikeAction": V.likes, "ShareAction": V.shares, "JoinAction": V.attendance,
}
_DOI_URL = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)


@lru_cache(maxsize=1)
def local_context() -> dict:
    with open(CONTEXT_PATH, encoding="utf-8") as handle:
        return json.load(handle)["@context"]


# Contexts: replace schema.org, refuse everything remote ---------------------------------
def resolve_contexts(context: IngestContext, node):
    """A copy of `node` whose every @context is local; a remote context raises InputError."""
    if isinstance(node, list):
        return [resolve_contexts(context, item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "@import":
            raise context.error(f"refused context import '{value}'", field="@import",
                                hint="Only the schema.org context is supported; contexts are never fetched.")
        out[key] = local_context_for(context, value) if key == "@context" else resolve_contexts(context, value)
    return out


def local_context_for(context: IngestContext, value):
    if isinstance(value, str):
        if value.strip().rstrip("/").lower() in _SCHEMA_CONTEXTS:
            return copy.deepcopy(local_context())
        raise context.error(f"refused remote context '{value}'", field="@context",
                            hint='Use "@context": "https://schema.org/"; other contexts are never fetched.')
    if isinstance(value, list):
        return [local_context_for(context, item) for item in value]
    return resolve_contexts(context, value)


# Parsing ---------------------------------------------------------------------------------
@dataclass
class TopNode:
    index: int
    subject: object   # URIRef or BNode once parsed; None until then
    given_id: str     # the @id as written ('' when none or a blank-node id)

    @property
    def label(self) -> str:
        return self.given_id or f"#{self.index + 1}"


def top_nodes(context: IngestContext, data) -> tuple[list, object]:
    """The top-level node objects and the document's own @context."""
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict) and "@graph" in data:
        nodes = data["@graph"]
        return (nodes if isinstance(nodes, list) else [nodes]), data.get("@context")
    if isinstance(data, dict):
        return [data], None
    raise context.error("not a JSON-LD node, list of nodes or @graph", hint="Give schema.org JSON-LD objects.")


def parse(context: IngestContext, data) -> tuple[Graph, list[TopNode | InputError]]:
    """The document as an RDF graph (schema.org terms under https), and its top-level nodes."""
    nodes, doc_context = top_nodes(context, data)
    tops: list[TopNode | InputError] = []
    prepared = []
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            tops.append(context.error("a top-level value that is not a JSON-LD node object", record=f"#{index + 1}"))
            continue
        given = node.get("@id", node.get("id"))
        given = given.strip() if isinstance(given, str) and not given.startswith("_:") else ""
        # A marker property finds each top-level node's subject after parsing, whatever
        # its @id resolves to (other nodes may refer to it by that @id).
        prepared.append({**node, _MARKER: index})
        tops.append(TopNode(index, None, given))
    document = {"@graph": prepared}
    if doc_context is not None:
        document["@context"] = doc_context
    document = resolve_contexts(context, document)
    parsed = Graph()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            to_rdf(document, parsed, base=context.path.resolve().as_uri(), context_data=copy.deepcopy(local_context()),
                   version=1.1)
    except RecursionError:
        raise context.error("JSON-LD nested too deeply") from None
    except Exception as exc:   # rdflib's JSON-LD parser raises many types for malformed input
        raise context.error(f"not valid JSON-LD ({exc.__class__.__name__}: {str(exc)[:200]})",
                            hint="Check the file with a JSON-LD validator.") from None
    graph = https_schema(parsed)
    for top in tops:
        if isinstance(top, TopNode):
            top.subject = next(iter(graph.subjects(URIRef(_MARKER), Literal(top.index))), None)
    return graph, [t if not isinstance(t, TopNode) or t.subject is not None
                   else context.error("a node whose @id is not an IRI", record=t.label, field="@id")
                   for t in tops]


def https_schema(graph: Graph) -> Graph:
    """http://schema.org/ terms rewritten to https://schema.org/ (both are in use)."""
    def fix(term):
        if isinstance(term, URIRef) and str(term).startswith("http://schema.org/"):
            return URIRef("https://" + str(term)[len("http://"):])
        return term
    out = Graph()
    for s, p, o in graph:
        out.add((fix(s), fix(p), fix(o)))
    return out


# Reading a work from the graph ----------------------------------------------------------
def schema_name(term) -> str:
    """'VideoObject' for https://schema.org/VideoObject (or a literal 'VideoObject')."""
    text = str(term)
    return text[len(SCHEMA):] if text.startswith(SCHEMA) else text


class WorkNode:
    def __init__(self, context: IngestContext, graph: Graph, top: TopNode) -> None:
        self.context = context
        self.graph = graph
        self.top = top
        self.s = top.subject
        self.base = context.minter.base

    def error(self, field_name: str, problem: str, value=None, hint: str = "") -> InputError:
        return self.context.error(problem, record=self.top.label, field=field_name, value=value, hint=hint)

    def values(self, subject, *names: str) -> list:
        found = []
        for name in names:
            found += sorted(self.graph.objects(subject, URIRef(SCHEMA + name)), key=str)
        return found

    def texts(self, subject, *names: str) -> list[str]:
        """Literal values, or the names of node values."""
        out = []
        for value in self.values(subject, *names):
            if isinstance(value, Literal):
                out.append(fold(str(value)))
            else:
                out += [fold(str(v)) for v in self.values(value, "name") if isinstance(v, Literal)]
        return unique([t for t in out if t])

    def identifiers(self, subject) -> list[str]:
        """identifier / sameAs values: literals, IRIs, or PropertyValue values."""
        out = []
        for value in self.values(subject, "identifier", "sameAs"):
            if isinstance(value, BNode):
                out += [str(v) for v in self.values(value, "value")]
            else:
                out.append(str(value))
        if isinstance(subject, URIRef):
            out.append(str(subject))
        return unique([fold(v) for v in out if str(v).strip()])

    def types(self, subject) -> list[str]:
        return sorted(schema_name(t) for t in self.graph.objects(subject, RDF.type))

    # --------------------------------------------------------------------------------
    def fields(self) -> WorkFields | None:
        types = self.types(self.s)
        # additionalType names what schema.org has no type for ("lecture", "进校园报告").
        labels = [schema_name(t) for t in self.values(self.s, "additionalType")] + types
        kind = next((k for k in (concepts.lookup(V.WorkKindScheme, t) for t in labels) if k is not None), None)
        if kind is None:
            if types and all(t in AUXILIARY_TYPES for t in types):
                return None   # a Person or grant node that works refer to
            raise self.error("@type", "unknown kind of work", value=", ".join(types) or None,
                             hint="Use a schema.org type such as Article, VideoObject, Book, Event, SocialMediaPosting or CreativeWork.")
        titles = self.values(self.s, "name") or self.values(self.s, "headline")
        titles = [t for t in titles if isinstance(t, Literal) and str(t).strip()]
        if not titles:
            raise self.error("name", "the work has no name or headline")
        title = titles[0]
        status_labels = self.texts(self.s, "creativeWorkStatus")
        grants, dois = self.links()
        return WorkFields(
            work_id=self.work_id(), title=fold(str(title)), title_lang=title.language or "auto", kind=kind,
            status=review_status(self.context, status_labels[0] if status_labels else None, V.Pending,
                                 record=self.top.label, field="creativeWorkStatus"),
            creators=self.creators(), channel=next(iter(self.texts(self.s, "publisher")), ""),
            url=next(iter(str(u) for u in self.values(self.s, "url")), ""), date=self.date(),
            audiences=self.texts(self.s, "audience") + [t for a in self.values(self.s, "audience")
                                                        for t in self.texts(a, "audienceType")],
            reach=self.reach(), awards=self.texts(self.s, "award", "awards"), event=self.event(),
            grants=grants, dois=dois,
        )

    def work_id(self) -> str:
        if self.top.given_id:
            return self.top.given_id
        ids = self.identifiers(self.s)
        if not ids:
            raise self.error("@id", "the work has neither @id nor identifier",
                             hint="Give each work a stable @id or identifier.")
        return ids[0]

    def date(self) -> tuple[str, str] | None:
        for name in ("datePublished", "dateCreated", "startDate"):
            for value in self.values(self.s, name):
                try:
                    return parse_date(str(value))
                except ValueError:
                    raise self.error(name, "the date is not YYYY-MM-DD, YYYY-MM or YYYY", value=str(value)) from None
        return None

    def reach(self) -> dict[URIRef, int]:
        counts: dict[URIRef, int] = {}
        for stat in self.values(self.s, "interactionStatistic"):
            actions = [schema_name(t) for t in self.values(stat, "interactionType")]
            actions += [schema_name(t) for a in self.values(stat, "interactionType") for t in self.graph.objects(a, RDF.type)]
            prop = next((REACH_ACTIONS[a] for a in actions if a in REACH_ACTIONS), None)
            for raw in self.values(stat, "userInteractionCount"):
                if prop is not None:
                    counts[prop] = parse_count(str(raw), lambda problem: self.error(
                        "interactionStatistic", problem, value=str(raw)))
        return counts

    def event(self) -> URIRef | None:
        for label in self.texts(self.s, "superEvent", "recordedAt"):
            concept = concepts.lookup(V.EventScheme, label)
            if concept is not None:
                return concept
        return None   # a particular event that is not one of the national ones

    # Creators --------------------------------------------------------------------------
    def creators(self) -> list[Creator]:
        found: list[Creator] = []
        # Events have performers rather than creators.
        for value in self.values(self.s, "creator", "author", "performer"):
            creator = self.creator(value)
            if creator is not None and creator.person not in {c.person for c in found}:
                found.append(creator)
        return found

    def creator(self, value) -> Creator | None:
        if isinstance(value, Literal):
            return creator_for_name(self.context, fold(str(value))) if str(value).strip() else None
        names = [fold(str(v)) for v in self.values(value, "name") if isinstance(v, Literal) and str(v).strip()]
        if not names:
            given = " ".join(str(v) for v in self.values(value, "givenName") + self.values(value, "familyName"))
            names = [fold(given)] if given.strip() else []
        name = names[0] if names else ""
        for raw in self.identifiers(value):
            if looks_like_orcid(raw):
                return creator_for_id(self.context, raw, name, record=self.top.label, field_name="creator")
            if raw.startswith(self.base + "person/"):
                return Creator(URIRef(raw), name)
        for pv in self.values(value, "identifier"):
            if isinstance(pv, BNode) and {t.lower() for t in self.texts(pv, "propertyID")} & {"nsfc", "person_id", "人员id"}:
                person_id = next(iter(self.texts(pv, "value")), "")
                if person_id:
                    return creator_for_id(self.context, person_id, name, record=self.top.label, field_name="creator")
        return creator_for_name(self.context, name) if name else None

    # Links to projects and outputs ---------------------------------------------------
    def links(self) -> tuple[list[str], list[str]]:
        grants: list[str] = []
        dois: list[str] = []
        for prop in ("about", "isBasedOn", "funding"):
            for value in self.values(self.s, prop):
                g, d = self.targets(prop, value)
                grants += g
                dois += d
        return unique(grants), unique(dois)

    def targets(self, prop: str, value) -> tuple[list[str], list[str]]:
        """Approval numbers and DOIs that one about/isBasedOn/funding value names."""
        if isinstance(value, Literal):
            text = fold(str(value))
            if prop == "funding":
                return split_award_string(text), []
            return self.from_string(text)
        types = set(self.types(value))
        if types & {"MonetaryGrant", "Grant"}:
            return self.grant_node(prop, value), []
        grants, dois = self.from_string(str(value)) if isinstance(value, URIRef) else ([], [])
        for raw in self.identifiers(value):
            g, d = self.from_string(raw)
            grants += g
            dois += d
        return grants, dois

    def grant_node(self, prop: str, node) -> list[str]:
        funders = self.texts(node, "funder")
        if funders and not any(is_nsfc_funder_name(f) for f in funders):
            return []   # another funder's grant: its number is not an approval number
        numbers = [n for raw in self.identifiers(node) for n in split_award_string(raw)]
        if not numbers and self.identifiers(node):
            raw = self.identifiers(node)[0]
            identifier(self.context, normalize_approval_number, raw, record=self.top.label, field=prop)
        return numbers

    def from_string(self, text: str) -> tuple[list[str], list[str]]:
        """An approval number, a DOI (bare or URL), or a project/output IRI under the base."""
        if is_approval_number(text):
            return [normalize_approval_number(text)], []
        project_prefix, doi_prefix = self.base + "project/", self.base + "output/doi/"
        if text.startswith(project_prefix) and is_approval_number(text[len(project_prefix):]):
            return [normalize_approval_number(text[len(project_prefix):])], []
        if text.startswith(doi_prefix):
            text = unquote(text[len(doi_prefix):])
        elif not (text.startswith("10.") or _DOI_URL.match(text)):
            return [], []
        try:
            return [], [normalize_doi(text)]
        except InvalidIdentifier:
            return [], []


# The module ----------------------------------------------------------------------------
def read(context: IngestContext) -> RecordStream:
    graph, tops = parse(context, read_json_document(context))
    for top in tops:
        if isinstance(top, InputError):
            yield top
            continue
        try:
            fields = WorkNode(context, graph, top).fields()
            if fields is not None:
                yield build_work(context, fields)
        except InputError as exc:
            yield exc


def sniff(path: Path, head: bytes) -> bool:
    suffix = path.suffix.lower()
    return suffix == ".jsonld" or (suffix == ".json" and b'"@context"' in head)


MODULE = FormatModule(NAME, "schema.org JSON-LD popular-science works (context resolved locally, never fetched)", sniff, read)
