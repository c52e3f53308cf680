"""Reports (kg/reports.py, kg/indicators.py) and special-fund recommendations (kg/recommend.py) as pages
and as JSON/CSV/XLSX: the functions the CLI calls, over the requester's view. A report is computed
once per publication and arguments (webapp.state.ViewState.fact); so is a recommendation without a
theme (a free-text theme would let the cache grow without bound, and one takes well under a second)."""
from __future__ import annotations

import re

from flask import Blueprint, Response, g, jsonify, render_template, request
from markupsafe import Markup

from kg.errors import NotFound, QueryError
from webapp import charts
from webapp.common import CSV_EXPORT_MAX, services
from webapp.i18n import translate

bp = Blueprint("reports", __name__)

REPORTS = ("gaps", "compliance", "indicators")
GROUPINGS = {"gaps": ("department", "code", "type", "tier", "institution", "year"),
             "compliance": ("department", "institution", "code", "type", "year"),
             "indicators": ("department", "institution")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_TOP = 100
MAX_THEME = 200
CHART_BARS = 15  # the longest groups a bar chart shows (institutions number in the hundreds)


def _compute(name: str, by: str, year: int | None, lang: str, drill: str | None = None, limit: int | None = None):
    """`limit`: items listed per kind (None: the page's DEFAULT_ITEM_LIMIT; downloads ask for more)."""
    from kg.indicators import indicator_report
    from kg.reports import DEFAULT_ITEM_LIMIT, compliance_report, gap_items, gap_report

    items = limit or DEFAULT_ITEM_LIMIT

    def run(kg):
        if name == "gaps":
            return gap_items(kg, by=by, value=drill, year=year, lang=lang, limit=items) if drill else \
                gap_report(kg, by=by, year=year, lang=lang)
        if name == "compliance":
            return compliance_report(kg, by=by, year=year, lang=lang, limit=items)
        return indicator_report(kg, by=by, year=year, lang=lang)

    return services().views.fact(g.view, ("report", name, by, year, lang, drill, items), run)


def _year() -> int | None:
    year = request.args.get("year") or None
    if year is None:
        return None
    if not re.fullmatch(r"[0-9]{4}", year):   # not isdigit(): '²' and '①' are digits to it, not to int()
        raise QueryError(f"'year' must be a year, not '{year[:10]}'.", "Use year=2021, or leave it out.")
    return int(year)


def _arguments(name: str) -> tuple[str, int | None, str | None]:
    if name not in REPORTS:
        from webapp.entity_data import NOT_FOUND_MESSAGE

        raise NotFound(NOT_FOUND_MESSAGE)
    by = request.args.get("by", "department")
    if by not in GROUPINGS[name]:
        raise QueryError(f"The {name} report cannot be grouped by '{by[:30]}'.",
                         "Use by=" + ", ".join(GROUPINGS[name]) + ".")
    drill = (request.args.get("drill") or "").strip()[:200] or None
    if drill and name != "gaps":
        raise QueryError("Only the gaps report drills down to items.", "Leave out drill=, or use /reports/gaps.")
    return by, _year(), drill


def report_charts(name: str, report, lang: str) -> list[Markup]:
    """Server-side SVG charts of a report's summary table (none for a drill-down's item list)."""
    def title(key: str) -> str:
        return translate(lang, key)

    def column(table, key):
        return table.columns.index(key)

    def bars(table, key, title):
        label, value = column(table, "label"), column(table, key)
        items = sorted(((str(r[label] or r[0]), r[value] or 0) for r in table.rows), key=lambda kv: -kv[1])
        return charts.bar_chart(items[:CHART_BARS], title)

    if name == "gaps" and report.key == "gaps":
        return [bars(report, "projects_unpopularized", title("chart.gaps"))]
    if name == "compliance":
        from kg.texts import value_label

        label, tier, value = column(report, "label"), column(report, "tier"), column(report, "not_popularized")
        items = sorted(((f"{r[label]} · {value_label('tier', r[tier], lang)}", r[value]) for r in report.rows),
                       key=lambda kv: -kv[1])
        return [charts.bar_chart(items[:CHART_BARS], title("chart.compliance"))]
    if name == "indicators":
        totals = report.parts[0] if report.parts else report
        per_year: dict[int, int] = {}
        for row in report.rows:
            if row[column(report, "year")] is not None:
                year = row[column(report, "year")]
                per_year[year] = per_year.get(year, 0) + row[column(report, "projects_popularized")]
        found = [bars(totals, "coverage_pct", title("chart.coverage")), bars(totals, "works", title("chart.works"))]
        if len(per_year) > 1:
            found.append(charts.column_chart([(str(y), n) for y, n in sorted(per_year.items())],
                                             title("chart.per_year")))
        return found
    return []


@bp.route("/reports")
@bp.route("/reports/<name>")
def report_page(name: str = "gaps"):
    by, year, drill = _arguments(name)
    report = _compute(name, by, year, g.lang, drill)
    return render_template("reports.html", report=report, name=name, by=by, year=year, drill=drill, names=REPORTS,
                           groupings=_grouping_labels(name, g.lang), headings=_headings(report, g.lang),
                           shown=_shown, charts=report_charts(name, report, g.lang))


def _shown(column: str, value):
    """A cell as the page shows it: yes/no, a tier's or a kind's name in the page's language (downloads keep codes)."""
    from kg.texts import value_label

    return value_label(column, value, g.lang)


def _grouping_labels(name: str, lang: str) -> dict[str, str]:
    """A report's groupings (the by= values) -> their names in the page's language."""
    from kg.reports import DIMENSIONS, dimension_label

    return {by: dimension_label(DIMENSIONS[by], lang) for by in GROUPINGS[name]}


def _headings(report, lang: str) -> dict[str, str]:
    """Column key -> heading in the page's language, for every table of the report (the keys stay in downloads)."""
    from kg.texts import column_label

    return {column: column_label(column, lang) for table in report.all_tables() for column in table.columns}


@bp.route("/api/reports/<name>")
def report_api(name: str):
    by, year, drill = _arguments(name)
    if export_format() != "json":
        # A download is the list staff work from: every item, up to the CSV export's bound
        # (the page and JSON list the first 50; found by audit: the CSV silently stopped there).
        return exported(_compute(name, by, year, g.lang, drill, limit=CSV_EXPORT_MAX))
    return jsonify(_compute(name, by, year, g.lang, drill).to_json())


def export_format() -> str:
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise QueryError(f"Unknown format '{fmt[:10]}'.", "Use format=json, csv or xlsx.")
    return fmt


def exported(report) -> Response:
    """The report as the CSV (one table, ?table= picks a part) or XLSX download that format= asks for."""
    if export_format() == "csv":
        from kg.export import select_table, to_csv

        table = select_table(report, request.args.get("table"))
        return Response("\ufeff" + to_csv(table), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={table.key}.csv"})
    from kg.export import xlsx_bytes

    return Response(xlsx_bytes(report), mimetype=XLSX,
                    headers={"Content-Disposition": f"attachment; filename={report.key}.xlsx"})


# ---------------------------------------------------------------------------- recommendations
def _recommend_arguments() -> dict:
    top = request.args.get("top", "20")
    if not re.fullmatch(r"[0-9]{1,4}", top) or not 1 <= int(top) <= MAX_TOP:
        raise QueryError(f"'top' must be a number from 1 to {MAX_TOP}.", "Use top=20.")
    theme = (request.args.get("theme") or "").strip()
    if len(theme) > MAX_THEME:
        raise QueryError(f"The theme is longer than {MAX_THEME} characters.", "Give a shorter theme.")
    return {"top": int(top), "theme": theme or None, "department": (request.args.get("department") or "").strip() or None,
            "year": _year()}


def _recommend(args: dict):
    from kg.recommend import recommend

    def run(kg):
        return recommend(kg, lang=g.lang, **args)

    if args["theme"]:
        return run(services().views.graph(g.view))
    return services().views.fact(g.view, ("recommend", tuple(sorted(args.items())), g.lang), run)


@bp.route("/recommend")
def recommend_page():
    args = _recommend_arguments()
    found = _recommend(args)
    from kg.texts import column_label, say

    factors = {name: say("factor." + name, g.lang) for name in _factor_names()}
    return render_template("recommend.html", found=found, args=args, factors=factors, names=REPORTS,
                           department=column_label("department", g.lang),
                           result_heading=say("recommend.result", g.lang), shown=_shown)


@bp.route("/api/recommend")
def recommend_api():
    found = _recommend(_recommend_arguments())
    return jsonify({"items": found.to_json(), "weights": found.weights, "candidates": found.candidates,
                    "notes": found.notes})


def _factor_names() -> tuple[str, ...]:
    from kg.recommend import FACTORS

    return FACTORS
