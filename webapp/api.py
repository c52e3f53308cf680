"""The JSON API under /api/: search, talent lookup, unpopularized results, entity data,
reports. Every error has the one shape of kg.errors.ScipopError.to_dict()."""
from __future__ import annotations

from dataclasses import is_dataclass

from flask import Blueprint, g, jsonify, request
from rdflib import URIRef

from kg import concepts
from kg.errors import QueryError
from webapp import entity_data, facts
from webapp.common import empty_answer_notes, services, view_graph, view_index, view_pages
from webapp.links import is_safe_iri
from webapp.rows import is_literal
from webapp.pages import _search_query, _talent_query, _unpop_query
from webapp.reports import export_format, exported

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/search")
def search():
    return jsonify(_noted(view_index().search(_search_query()).to_json()))


def _noted(answer: dict, first_only: bool = False) -> dict:
    """A JSON answer with `notes` when it is empty for a reason the request shows."""
    notes = empty_answer_notes(answer.get("total", len(answer.get("hits", ()))), first_only)
    return {**answer, "notes": notes} if notes else answer


@bp.route("/talent")
def talent():
    # Control characters (a NUL) are no topic: without them '%00%00' passed as one and ranked everyone.
    topic = "".join(c for c in request.args.get("topic", "") if c.isprintable()).strip()
    if not topic:
        raise QueryError("'topic' is required.", "Add ?topic=… (a research topic in Chinese or English).")
    hits = view_index().talent(_talent_query(topic))
    return jsonify(_noted({"topic": topic, "hits": [hit.to_json() for hit in hits]}, first_only=True))


@bp.route("/unpopularized")
def unpopularized():
    return jsonify(_noted(view_index().unpopularized(_unpop_query()).to_json()))


@bp.route("/entity")
def entity():
    """?iri=<entity IRI>: the record, its links with provenance, its popularization status."""
    iri = request.args.get("iri", "").strip()
    if not iri:
        raise QueryError("'iri' is required.", "Add ?iri=https://… (an entity IRI).")
    if not iri.startswith(("http://", "https://")) or not is_safe_iri(iri):
        raise entity_not_found()
    found = entity_data.load_entity(view_graph(), iri, g.lang, services().base, view_pages())
    return jsonify(to_json(found))


def entity_not_found():
    from kg.errors import NotFound

    return NotFound(entity_data.NOT_FOUND_MESSAGE)


@bp.route("/stats")
def stats():
    """What the graph holds: counts by kind, department, year and popularization coverage."""
    data = services().views.fact(g.view, ("home",), facts.home_facts)
    return jsonify(_dept_keys(data))


@bp.route("/departments/<letter>")
def department(letter: str):
    dept = facts.department_by_letter(letter) if len(letter) == 1 else None
    if dept is None:
        raise entity_not_found()
    data = services().views.fact(g.view, ("department", str(dept)), lambda kg: facts.department_facts(kg, dept))
    return jsonify({"department": concepts.notation(dept), "label": {"zh": concepts.pref_label(dept, "zh"),
                                                                     "en": concepts.pref_label(dept, "en")}, **data})


@bp.route("/reports/coverage")
def coverage_report():
    """Popularization coverage per department and per obligation tier (derived facts); CSV and
    XLSX as the other reports have them."""
    data = services().views.fact(g.view, ("home",), facts.home_facts)
    if export_format() != "json":
        return exported(facts.coverage_report(data, g.lang))
    return jsonify({"by_department": _dept_keys(data)["coverage_department"],
                    "by_tier": {concepts.notation(URIRef(k)) if k else k: v
                                for k, v in data["coverage_tier"].items()}})


def _dept_keys(data: dict) -> dict:
    """Department IRIs as their letters, for JSON readers."""
    out = dict(data)
    out["by_department"] = {concepts.notation(URIRef(k)): v for k, v in data["by_department"].items()}
    out["coverage_department"] = {concepts.notation(URIRef(k)): v for k, v in data["coverage_department"].items()}
    out["coverage_tier"] = {concepts.notation(URIRef(k)): v for k, v in data["coverage_tier"].items()}
    out["by_year"] = dict(data["by_year"])
    return out


@bp.route("/openapi.json")
def openapi():
    from webapp.openapi import document

    return jsonify(document())


def to_json(value):
    """Entity data as plain JSON: literals carry their language or datatype."""
    if is_literal(value):
        out = {"value": str.__str__(value)}
        if value.language:
            out["lang"] = value.language
        elif value.datatype:
            out["datatype"] = str(value.datatype)
        return out
    if isinstance(value, URIRef):
        return str(value)
    if is_dataclass(value):
        return {k: to_json(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value
