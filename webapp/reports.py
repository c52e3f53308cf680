"""Reports (kg/reports.py, kg/indicators.py) as a page and as JSON/CSV: gaps, obligation
compliance and popularization indicators, grouped by department, institution, year …
Computed on the requester's view once per publication (webapp.state.ViewState.fact)."""
from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, render_template, request

from kg.errors import NotFound, QueryError
from webapp.common import services

bp = Blueprint("reports", __name__)

REPORTS = ("gaps", "compliance", "indicators")
GROUPINGS = {"gaps": ("department", "code", "type", "tier", "institution", "year"),
             "compliance": ("department", "institution", "code", "type", "year"),
             "indicators": ("department", "institution")}


def _compute(name: str, by: str, year: int | None, lang: str):
    from kg.indicators import indicator_report
    from kg.reports import compliance_report, gap_report

    def run(kg):
        if name == "gaps":
            return gap_report(kg, by=by, year=year, lang=lang)
        if name == "compliance":
            return compliance_report(kg, by=by, year=year, lang=lang)
        return indicator_report(kg, by=by, year=year, lang=lang)

    return services().views.fact(g.view, ("report", name, by, year, lang), run)


def _arguments(name: str) -> tuple[str, int | None]:
    if name not in REPORTS:
        from webapp.entity_data import NOT_FOUND_MESSAGE

        raise NotFound(NOT_FOUND_MESSAGE)
    by = request.args.get("by", "department")
    if by not in GROUPINGS[name]:
        raise QueryError(f"The {name} report cannot be grouped by '{by[:30]}'.",
                         "Use by=" + ", ".join(GROUPINGS[name]) + ".")
    year = request.args.get("year") or None
    if year is not None:
        if not year.isdigit():
            raise QueryError(f"'year' must be a year, not '{year[:10]}'.", "Use year=2021, or leave it out.")
        year = int(year)
    return by, year


@bp.route("/reports")
@bp.route("/reports/<name>")
def report_page(name: str = "gaps"):
    by, year = _arguments(name)
    report = _compute(name, by, year, g.lang)
    return render_template("reports.html", report=report, name=name, by=by, year=year, names=REPORTS,
                           groupings=GROUPINGS[name])


@bp.route("/api/reports/<name>")
def report_api(name: str):
    by, year = _arguments(name)
    report = _compute(name, by, year, g.lang)
    if request.args.get("format") == "csv":
        from kg.export import select_table, to_csv

        table = select_table(report, request.args.get("table"))
        return Response("\ufeff" + to_csv(table), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={table.key}.csv"})
    return jsonify(report.to_json())
