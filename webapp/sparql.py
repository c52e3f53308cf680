"""The SPARQL 1.1 Protocol at /sparql: read-only, time-limited, content-negotiated.

Forms accepted: GET ?query=, POST with ?query= in the URL, POST
application/x-www-form-urlencoded, POST application/sparql-query. Updates (any form) are
refused with 403; default-graph-uri / named-graph-uri with 400 (the dataset is always the
union of the view's graphs); other bodies with 415; unservable Accept with 406. Queries run
in worker processes (webapp/sparql_pool.py) on the requester's view.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from kg.errors import ForbiddenQuery, LimitExceeded, QueryError, ScipopError
from kg.sparql import GRAPH_MEDIA_TYPES, MAX_QUERY_BYTES, RESULT_MEDIA_TYPES
from webapp.common import best_accepted, run_sparql, services

bp = Blueprint("sparql", __name__)

# W3C SPARQL Service Description and file-format vocabularies (standard terms, not ours).
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

RESULT_FORMAT_NAMES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                       "csv": "text/csv", "tsv": "text/tab-separated-values"}
GRAPH_FORMAT_NAMES = {"ttl": "text/turtle", "turtle": "text/turtle", "nt": "application/n-triples",
                      "jsonld": "application/ld+json", "json-ld": "application/ld+json", "rdfxml": "application/rdf+xml",
                      "xml": "application/rdf+xml"}
# Plain types some clients send, served as the SPARQL type they mean.
RESULT_ALIASES = {"application/json": "application/sparql-results+json",
                  "application/xml": "application/sparql-results+xml", "text/xml": "application/sparql-results+xml"}
GRAPH_ALIASES = {"text/plain": "application/n-triples", "application/json": "application/ld+json",
                 "application/xml": "application/rdf+xml", "text/xml": "application/rdf+xml",
                 "application/x-turtle": "text/turtle"}
_TOKENS = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


class NotAcceptable(ScipopError):
    code = "not_acceptable"
    status = 406


class UnsupportedMediaType(ScipopError):
    code = "unsupported_media_type"
    status = 415


def query_form(text: str) -> str:
    """SELECT/ASK/CONSTRUCT/DESCRIBE, read past prefixes, IRIs, strings and comments (the worker parses properly)."""
    match = _FORM.search(_TOKENS.sub(" ", text))
    return match.group(1).upper() if match else "SELECT"


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise QueryError(f"More than one '{name}' parameter was sent.", f"Send exactly one {name}.")
    return values[0] if values else None


def read_query() -> str | None:
    """The query text from any protocol form, or None when none was sent."""
    args = request.args
    form = request.form if request.mimetype == "application/x-www-form-urlencoded" else {}
    if args.getlist("update") or (form and form.getlist("update")) or request.mimetype == "application/sparql-update":
        raise ForbiddenQuery("Updates are not allowed here; the graph is read-only.",
                             "Use `scipop ingest` to change the graph.")
    for name in ("default-graph-uri", "named-graph-uri"):
        if args.getlist(name) or (form and form.getlist(name)):
            raise QueryError(f"'{name}' is not supported: every query runs over the union of the published graphs.",
                             f"Remove {name}; use GRAPH ?g in the query to see named graphs.")
    if request.method == "GET":
        return _single(args.getlist("query"), "query")
    if request.mimetype == "application/sparql-query":
        if request.content_length and request.content_length > MAX_QUERY_BYTES:
            raise _too_long()
        if args.getlist("query"):
            raise QueryError("A query was sent both in the URL and in the body.", "Send it in one place.")
        charset = request.mimetype_params.get("charset", "utf-8")
        try:
            return request.get_data(cache=False).decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise QueryError(f"The query body is not valid {charset}.", "Send the query as UTF-8.") from None
    if request.mimetype == "application/x-www-form-urlencoded":
        in_url, in_form = args.getlist("query"), form.getlist("query")
        if in_url and in_form:
            raise QueryError("A query was sent both in the URL and in the body.", "Send it in one place.")
        return _single(in_form or in_url, "query")
    if not request.content_length and not request.mimetype:
        return _single(args.getlist("query"), "query")  # POST with the query in the URL
    raise UnsupportedMediaType(f"A SPARQL request body of type '{request.mimetype or 'unknown'}' cannot be read.",
                               "Send application/sparql-query, or a form (application/x-www-form-urlencoded) "
                               "with a 'query' field.")


def _too_long() -> LimitExceeded:
    return LimitExceeded(f"The query is longer than {MAX_QUERY_BYTES} bytes.", "Shorten the query.")


def choose_format(form: str) -> tuple[str, str]:
    """(media type, kg.sparql format name) for this query form, from ?format= or Accept."""
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    offered = GRAPH_MEDIA_TYPES if graph_form else RESULT_MEDIA_TYPES
    names = GRAPH_FORMAT_NAMES if graph_form else RESULT_FORMAT_NAMES
    aliases = GRAPH_ALIASES if graph_form else RESULT_ALIASES
    asked = _asked_format()
    if asked:
        media = names.get(asked) or (asked if asked in offered else None)
        if media is None:
            raise NotAcceptable(f"A {form} result cannot be given as '{asked[:30]}'.",
                                "Use format=" + ", ".join(sorted(set(names))) + ".")
        return media, offered[media]
    accept = request.accept_mimetypes
    if not accept:
        media = next(iter(offered))
        return media, offered[media]
    best = best_accepted(list(offered) + list(aliases))
    if best is None:
        raise NotAcceptable(f"None of the requested media types can carry a {form} result.",
                            "Accept one of: " + ", ".join(offered) + ".")
    media = aliases.get(best, best)
    return media, offered[media]


def _asked_format() -> str | None:
    return request.args.get("format") or (request.form.get("format") if request.form else None)


def _browser() -> bool:
    accept = request.accept_mimetypes
    return any(v == "text/html" and q > 0 for v, q in accept) and accept.best == "text/html"


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def endpoint():
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": "GET, POST, OPTIONS"})
    text = read_query()
    if text is None and request.method == "POST" and not _browser():
        # A POST is a protocol request: without a query it is a mistake, not a wish for the description.
        raise QueryError("The POST carries no query.",
                         "Send the query as the body (application/sparql-query) or as query=… in a form.")
    if text is None:
        if _browser():
            from webapp.pages import query_page

            return query_page()
        return service_description()
    if len(text.encode("utf-8")) > MAX_QUERY_BYTES:
        raise _too_long()
    if _browser() and not _asked_format():
        # A person's browser, by link or by a form POST (an HTML form with method=post): the
        # query page with the result, rather than a 406 for want of an HTML result format.
        from webapp.pages import query_page

        return query_page(text)
    media, fmt = choose_format(query_form(text))
    answer = run_sparql(text, fmt)
    response = Response(answer.body, mimetype=media)
    response.headers["Content-Type"] = f"{media}; charset=utf-8"
    response.headers["Vary"] = "Accept, Cookie"
    if answer.truncated:
        limit = services().config.sparql_max_rows
        response.headers["SciPop-Truncated"] = f"rows={limit}"
        response.headers["Warning"] = f'199 - "Result truncated at the row limit of {limit}"'
    if request.args.get("format") and request.args.get("download"):
        graph_form = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        extension = {"json": "srj", "xml": "rdf" if graph_form else "srx", "csv": "csv", "tsv": "tsv",
                     "turtle": "ttl", "nt": "nt", "json-ld": "jsonld"}.get(fmt, "txt")
        response.headers["Content-Disposition"] = f"attachment; filename=result.{extension}"
    return response


def service_description() -> Response:
    """SPARQL 1.1 Service Description of this endpoint (Turtle unless another RDF type is asked for)."""
    offered = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt",
               "application/rdf+xml": "xml"}
    accept = request.accept_mimetypes
    media = best_accepted(list(offered)) if accept else "text/turtle"
    if media is None:
        raise NotAcceptable("The service description is available as Turtle, JSON-LD, N-Triples or RDF/XML.",
                            "Accept text/turtle.")
    endpoint_iri = URIRef(request.host_url.rstrip("/") + "/sparql")
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    service = URIRef(endpoint_iri + "#service")
    dataset = BNode()
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint_iri))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                 "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, BNode()))
    cfg = services().config
    graph.add((service, RDFS.comment, Literal(f"timeout {cfg.sparql_timeout:g} s; "
                                                           f"at most {cfg.sparql_max_rows} rows; read-only")))
    response = Response(graph.serialize(format=offered[media]), mimetype=media)
    response.headers["Vary"] = "Accept, Cookie"
    return response
