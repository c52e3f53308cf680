"""Linked data: every entity IRI under the base dereferences here.

`https://kg.scipop.example.org/project/61772368` is served at `/project/61772368`: HTML for
browsers, Turtle / JSON-LD / N-Triples by Accept or ?format=, always with `Vary: Accept`.
The IRI is rebuilt from the raw request path, so percent-encoded segments (DOIs) stay
exactly as minted. A hidden (restricted) record answers exactly like one that never existed.
"""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template, request

from kg import vocab as V
from kg.errors import QueryError, ScipopError
from kg.sparql import GraphResult, render_graph
from webapp import charts, entity_data
from webapp.common import best_accepted, raw_path, services, view_graph, view_pages
from webapp.links import ENTITY_KINDS, href

bp = Blueprint("linked_data", __name__)

RDF_FORMATS = {  # ?format= name -> (media type, kg.sparql graph format)
    "ttl": ("text/turtle", "turtle"),
    "turtle": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "json-ld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "ntriples": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
    "xml": ("application/rdf+xml", "xml"),
}
OFFERED = ["text/html", "application/xhtml+xml", "text/turtle", "application/ld+json", "application/n-triples",
           "application/rdf+xml"]
MEDIA_FORMAT = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt",
                "application/rdf+xml": "xml"}


class NotAcceptable(ScipopError):
    code = "not_acceptable"
    status = 406


def negotiate() -> tuple[str, str | None]:
    """(media type, graph format or None for HTML) from ?format= or Accept."""
    fmt = request.args.get("format")
    if fmt:
        if fmt == "html":
            return "text/html", None
        if fmt not in RDF_FORMATS:
            # A mistyped argument is the request's mistake (400), as on every other route; 406 is
            # for an Accept header that no offered type satisfies.
            raise QueryError(f"Unknown format '{fmt[:20]}'.", "Use format=html, ttl, jsonld, nt or rdf.")
        media, name = RDF_FORMATS[fmt]
        return media, name
    accept = request.accept_mimetypes
    if not accept:
        return "text/html", None
    best = best_accepted(OFFERED)
    if best is None:
        raise NotAcceptable("None of the requested media types can be served for this record.",
                            "Ask for text/html, text/turtle, application/ld+json, application/n-triples or "
                            "application/rdf+xml.")
    if best in ("text/html", "application/xhtml+xml"):
        return "text/html", None
    return best, MEDIA_FORMAT[best]


def entity_iri() -> str:
    return services().base + raw_path().lstrip("/")


def _entity_response():
    media, fmt = negotiate()
    iri = entity_iri()
    graph = view_graph()
    if fmt is None:
        entity = entity_data.load_entity(graph, iri, g.lang, services().base, view_pages())
        html = render_template(f"entity_{entity.kind}.html" if entity.kind in entity_data.SECTION_LOADERS
                               else "entity.html", e=entity, V=V, ego=_ego(entity))
        response = Response(html, mimetype="text/html")
    else:
        triples = entity_data.description_triples(graph, iri)
        body = render_graph(GraphResult(triples=triples), fmt)
        response = Response(body, mimetype=media)
        if media == "text/turtle":
            response.headers["Content-Type"] = "text/turtle; charset=utf-8"
    response.headers["Vary"] = "Accept, Cookie"
    response.headers["Link"] = f'<{iri}>; rel="canonical"'
    return response


def _ego(entity):
    if entity.kind != "person" or not entity.sections.get("collaborators"):
        return None
    base = services().base
    others = [(c["ref"].label, href(c["ref"].iri, base), c["shared"]) for c in entity.sections["collaborators"]]
    return charts.ego_graph(entity.label, others, entity.label)


def _route(kind: str):
    def view(rest: str):
        return _entity_response()

    view.__name__ = f"entity_{kind.replace('-', '_')}"
    bp.add_url_rule(f"/{kind}/<path:rest>", view_func=view, methods=["GET", "HEAD"])


for _kind in ENTITY_KINDS:
    _route(_kind)


@bp.route("/.well-known/void")
def void():
    """VoID description; statistics come from the view the requester may read."""
    from webapp.void import void_counts, void_graph

    media, fmt = negotiate()
    if fmt is None:
        media, fmt = "text/turtle", "turtle"
    # The counts are kept per view; the endpoints are named for the host asked, per request,
    # and never cached: a kept answer would serve one client's Host header to everyone.
    counts = services().views.fact(g.view, ("void",), void_counts)
    graph = void_graph(counts, services().base, request.host_url.rstrip("/"))
    body = graph.serialize(format=fmt)
    response = Response(body, mimetype=media)
    response.headers["Vary"] = "Accept, Cookie"
    return response

