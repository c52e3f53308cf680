"""HTML pages: home, search, talent pool, unpopularized results, departments, SPARQL."""
from __future__ import annotations

import csv
import io
import json
import math

from flask import Blueprint, Response, g, render_template, request

from kg import concepts
from kg import vocab as V
from kg.errors import NotFound, QueryError, ScipopError
from kg.export import spreadsheet_safe
from webapp import charts, facts
from webapp.common import (CSV_EXPORT_MAX, MAX_PER_PAGE, examples, filter_args, int_arg, region_values,
                           run_sparql, services, unknown_regions, view_index)
from webapp.i18n import translate

bp = Blueprint("pages", __name__)

SEARCH_FILTERS = ("department", "application_code", "project_type", "output_kind", "work_kind", "tier",
                  "institution", "region", "year", "popularized", "in_pool", "title")
UNPOP_FILTERS = ("department", "application_code", "project_type", "tier", "institution", "region", "year")
KINDS = ("project", "researcher", "output", "work", "institution")


def _t(key: str, **values) -> str:
    return translate(g.lang, key, **values)


def _legend() -> dict[str, str]:
    return {"popularized": _t("status.popularized"), "unpopularized": _t("status.unpopularized"),
            "noresults": _t("status.noresults")}


@bp.route("/")
def home():
    views = services().views
    data = views.fact(g.view, ("home",), facts.home_facts)
    depts = facts.departments()
    dept_names = {str(d): f"{concepts.notation(d)} {short_department(d)}" for d in depts}
    dept_links = {dept_names[str(d)]: f"/department/{concepts.notation(d)}" for d in depts}
    by_dept = [(dept_names[str(d)], data["by_department"].get(str(d), 0)) for d in depts]
    coverage = [(dept_names[str(d)], data["coverage_department"].get(str(d), {})) for d in depts
                if data["coverage_department"].get(str(d))]
    tiers = [(concepts.pref_label(t, g.lang), data["coverage_tier"].get(str(t), {}))
             for t in (V.TierObliged, V.TierEncouraged, V.TierOther) if data["coverage_tier"].get(str(t))]
    chart = {
        "departments": charts.bar_chart(by_dept, _t("home.by_department"), links=dept_links),
        "years": charts.column_chart(data["by_year"], _t("home.by_year")),
        "coverage": charts.coverage_chart(coverage, _t("home.coverage"), _legend(), links=dept_links),
        "tiers": charts.coverage_chart(tiers, _t("home.coverage_tier"), _legend()),
    }
    dept_items = [(concepts.notation(d), dept_names[str(d)]) for d in depts]
    return render_template("home.html", counts=data["classes"], charts=chart, dept_items=dept_items)


def short_department(dept) -> str:
    """'Life Sciences' rather than 'Department of Life Sciences': chart labels are short."""
    label = concepts.pref_label(dept, g.lang)
    return label.replace("Department of ", "") if g.lang == "en" else label


@bp.route("/department/<letter>")
def department(letter: str):
    dept = facts.department_by_letter(letter) if len(letter) == 1 else None
    if dept is None:
        from webapp.entity_data import NOT_FOUND_MESSAGE

        raise NotFound(NOT_FOUND_MESSAGE)
    data = services().views.fact(g.view, ("department", str(dept)), lambda kg: facts.department_facts(kg, dept))
    name = concepts.pref_label(dept, g.lang)
    chart = {
        "years": charts.column_chart(data["by_year"], _t("home.by_year")),
        "coverage": charts.coverage_chart([(name, data["status"])], _t("home.coverage"), _legend()),
        "institutions": charts.bar_chart([(i["label"], i["n"]) for i in data["institutions"]],
                                         _t("dept.top_institutions"), colour=charts.PALETTE[1]),
    }
    return render_template("department.html", dept=dept, letter=concepts.notation(dept), name=name, data=data,
                           charts=chart)


# --- Search ------------------------------------------------------------------------------------
def _search_query(kind_default: str | None = None):
    from search import SearchQuery

    kind = request.args.get("kind") or kind_default
    if kind and kind not in KINDS:
        raise QueryError(f"Unknown kind '{kind[:30]}'.", "Use one of: " + ", ".join(KINDS) + ".")
    # The text, sort and page are checked by search (check_length, check_paging): an over-long
    # text, an unknown sort or a page past the result window is a 400 that says so.
    return SearchQuery(text=request.args.get("q", ""), kind=kind, filters=filter_args(SEARCH_FILTERS),
                       sort=request.args.get("sort") or "relevance", page=int_arg("page", 1, 1),
                       per_page=int_arg("per_page", 20, 1, MAX_PER_PAGE))


def _pages(total: int, query) -> dict:
    from search import MAX_RESULT_WINDOW

    # Pages past the first MAX_RESULT_WINDOW hits cannot be asked for: the pager stops there.
    pages = max(1, math.ceil(min(total, MAX_RESULT_WINDOW) / query.per_page))
    if query.page > pages:   # an old link after the graph shrank, or an edited URL: say so, offer the last page
        return {"page": query.page, "pages": pages, "prev": None, "next": None, "beyond": True}
    return {"page": query.page, "pages": pages, "prev": query.page - 1 if query.page > 1 else None,
            "next": query.page + 1 if query.page < pages else None, "beyond": False}


def page_url(**changes) -> str:
    """The current URL with some arguments replaced (None removes one); page resets unless given."""
    from urllib.parse import urlencode

    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        elif isinstance(value, list):
            args[key] = value
        else:
            args[key] = [str(value)]
    return request.path + ("?" + urlencode(args, doseq=True) if args else "")


def toggle_url(key: str, value: str) -> str:
    current = request.args.getlist(key)
    values = [v for v in current if v != value] if value in current else current + [value]
    return page_url(**{key: values or None})


@bp.app_context_processor
def url_helpers():
    return {"page_url": page_url, "toggle_url": toggle_url, "facet_label": facet_label,
            "unknown_regions": unknown_regions}


def facet_label(key: str, value: str) -> str:
    """A facet value as people read it: department and tier names, yes/no."""
    if key == "department":
        dept = facts.department_by_letter(value) if len(value) == 1 else None
        return f"{value} {short_department(dept)}" if dept is not None else value
    if key in ("popularized", "in_pool") and value in ("yes", "no"):
        return _t(value)
    if key in ("project_type", "output_kind", "work_kind"):
        scheme = {"project_type": V.ProjectTypeScheme, "output_kind": V.OutputKindScheme,
                  "work_kind": V.WorkKindScheme}[key]
        concept = concepts.lookup(scheme, value)
        return concepts.pref_label(concept, g.lang) if concept is not None else value
    if key == "kind" and value in KINDS:
        return _t("kind." + value)
    if key == "institution" and value.startswith(("http://", "https://")):
        return _institution_label(value)
    if key == "tier":
        tiers = {"obliged": V.TierObliged, "encouraged": V.TierEncouraged, "other": V.TierOther}
        return concepts.pref_label(tiers[value], g.lang) if value in tiers else value
    return value


def _institution_label(iri: str) -> str:
    from webapp.entity_data import labels_for

    views = services().views
    return views.fact(g.view, ("label", g.lang, iri),
                      lambda kg: labels_for(kg, [iri], g.lang, services().base).get(iri, iri))


@bp.route("/search")
def search():
    text = request.args.get("q", "")
    if not text and not request.args:
        return render_template("search.html", results=None, query=None, error=None)
    try:
        query = _search_query()
        results = view_index().search(query)
    except ScipopError as error:
        if error.status != 503:
            raise
        return render_template("search.html", results=None, query=None, error=error), error.status
    return render_template("search.html", results=results, query=query, pages=_pages(results.total, query),
                           error=None)


@bp.route("/talent")
def talent():
    topic = request.args.get("topic", "")   # its length is checked by search, which says the length sent
    target = request.args.get("for", "").strip()
    hits, error = None, None
    if target:
        # The ranking for one project or output (search.who_could_popularize): 40-50 ms per
        # record, too slow for every entity page, so pages link here and it is computed on demand.
        from webapp.entity_data import NOT_FOUND_MESSAGE
        from webapp.links import is_safe_iri

        if not is_safe_iri(target):
            raise NotFound(NOT_FOUND_MESSAGE)
        index = view_index()
        try:
            hits = index.who_could_popularize(target, limit=int_arg("limit", 10, 1, 50))
        except NotFound:
            raise NotFound(NOT_FOUND_MESSAGE) from None  # the same answer for hidden and unknown records
        found = index.document(target)
        label = found.label if found is not None else target
        return render_template("talent.html", hits=hits, topic="", error=None, departments=facts.departments(),
                               target={"iri": target, "label": label})
    if topic:
        try:
            hits = view_index().talent(_talent_query(topic))
        except ScipopError as exc:
            if exc.status != 503:
                raise
            error = exc
    return render_template("talent.html", hits=hits, topic=topic, error=error, departments=facts.departments())


def _talent_query(topic: str):
    from search import TalentQuery

    return TalentQuery(topic=topic, department=request.args.get("department") or None,
                       institution=request.args.get("institution") or None,
                       region=next(iter(region_values(first_only=True)), None), title=request.args.get("title") or None,
                       in_pool=_pool_choice(request.args.get("in_pool", "")), limit=int_arg("limit", 20, 1, 100))


def _pool_choice(value: str) -> bool | None:
    """in_pool=yes: people already in the talent pool; no: candidates not yet in it; empty: both."""
    folded = value.strip().lower()
    if not folded:
        return None
    if folded in ("yes", "no"):
        return folded == "yes"
    raise QueryError(f"The in_pool filter takes yes or no, not '{value[:50]}'.", "Use in_pool=yes or in_pool=no.")


def _unpop_query():
    from search import SearchQuery

    # The search's other filters mean nothing here (every hit is a project with unpopularized
    # results); ignoring them silently would answer a question the user did not ask.
    misplaced = [key for key in (*SEARCH_FILTERS, "kind") if key not in UNPOP_FILTERS and key in request.args]
    if misplaced:
        raise QueryError(f"The unpopularized-results search has no '{misplaced[0]}' filter: every hit is a "
                         "funded project with unpopularized results.",
                         "Leave it out, or use /search for it. Filters here: " + ", ".join(UNPOP_FILTERS) + ".")
    return SearchQuery(text=request.args.get("q", ""), kind="project", filters=filter_args(UNPOP_FILTERS),
                       sort=request.args.get("sort") or "significance", page=int_arg("page", 1, 1),
                       per_page=int_arg("per_page", 25, 1, MAX_PER_PAGE))


@bp.route("/unpopularized")
def unpopularized():
    try:
        query = _unpop_query()
        results = view_index().unpopularized(query)
    except ScipopError as error:
        if error.status != 503:
            raise
        return render_template("unpopularized.html", results=None, error=error, departments=facts.departments()), 503
    return render_template("unpopularized.html", results=results, query=query, pages=_pages(results.total, query),
                           error=None, departments=facts.departments(), unpop_filters=UNPOP_FILTERS)


CSV_COLUMNS = ("iri", "label", "kind", "approval_number", "year", "department", "project_type", "tier", "institution",
               "pi", "outputs", "works", "citations")


@bp.route("/unpopularized.csv")
def unpopularized_csv():
    """Every matching project (up to CSV_EXPORT_MAX) as CSV, with a UTF-8 BOM so Excel reads the Chinese."""
    index = view_index()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for hit in index.unpopularized_export(_unpop_query(), CSV_EXPORT_MAX).hits:
        writer.writerow(csv_row(hit))
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=unpopularized.csv"})


def csv_row(hit) -> list[str]:
    fields = hit.fields or {}
    row = [hit.iri, hit.label, hit.kind]
    for key in CSV_COLUMNS[3:]:
        value = fields.get(key)
        value = "" if value is None else value
        row.append(spreadsheet_safe("; ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)))
    row[1] = spreadsheet_safe(row[1])
    return row


# --- SPARQL page --------------------------------------------------------------------------------
@bp.route("/query")
def query_page(text: str | None = None):
    """The query form and, when a query is given (in the URL, or `text` read from a POSTed form by
    /sparql), its result as a table or Turtle."""
    if text is None:
        given = request.args.getlist("query")
        if len(given) > 1:   # as /sparql: which of them would be meant?
            raise QueryError("More than one 'query' parameter was sent.", "Send exactly one query.")
        text = given[0] if given else ""
    chosen = request.args.get("example", "")
    library = examples()
    if not text and chosen:
        text = next((e.text for e in library if e.slug == chosen), "")
    result, error = None, None
    if text:
        from webapp.sparql import query_form

        # CONSTRUCT / DESCRIBE are shown as Turtle, the rest as a table: asked in the form the
        # query's text names, so it runs once; the other form only if that guess was wrong.
        graph_first = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        for as_graph in (graph_first, not graph_first):
            try:
                if as_graph:
                    answer = run_sparql(text, "turtle")
                    result = {"graph": answer.body.decode("utf-8"), "form": answer.form, "truncated": answer.truncated}
                else:
                    result = _table(run_sparql(text, "json"))
                error = None
                break
            except ScipopError as exc:
                error = exc
                if exc.code != "not_acceptable":
                    break
    cfg = services().config
    status = error.status if error is not None else 200
    return render_template("query.html", text=text, examples=library, chosen=chosen, result=result, error=error,
                           timeout=cfg.sparql_timeout, max_rows=cfg.sparql_max_rows), status


def _table(answer) -> dict:
    data = json.loads(answer.body)
    if "boolean" in data:
        return {"boolean": data["boolean"], "form": answer.form, "truncated": False}
    variables = data["head"]["vars"]
    rows = [[binding.get(v) for v in variables] for binding in data["results"]["bindings"]]
    return {"variables": variables, "rows": rows, "form": answer.form, "truncated": answer.truncated}
