"""Popularization indicators per science department or supporting institution, per approval year.

The definitions are in docs/indicators.md; this module is their one implementation (the
CLI, the web page and the exports all call `indicator_report`). Every fact is counted by
the approval year of the project it belongs to, so a department's row for 2019 says what
became of the projects it approved in 2019; the "all years" part counts each work and
each person once even when they touch projects of several years.

The counts are computed after each ingest by kg.rollup (one pass over per-project facts)
and stored in the derived graph; a report reads one statement, whatever the graph's size.
"""
from __future__ import annotations

from typing import Any

from kg import rollup
from kg.reports import Labeler, Report, dimension, dimension_label
from kg.store import KnowledgeGraph
from kg.texts import say

GROUPINGS = rollup.INDICATOR_DIMENSIONS

NOTE_KEYS = ("indicators.note.definitions", "indicators.note.coverage", "indicators.note.works",
             "indicators.note.people")


def columns() -> list[str]:
    counts = list(rollup.indicator_counts())
    return ["group", "label", "year"] + counts[:3] + ["coverage_pct"] + counts[3:]


def _rows(data: dict, labeler: Labeler, wanted) -> list[list[Any]]:
    rows = []
    for group, years in data["groups"].items():
        for year, counts in years.items():
            if not wanted(year):
                continue
            projects, with_results, popularized = counts[:3]
            coverage = round(100.0 * popularized / with_results, 1) if with_results else None
            shown_year = None if year == rollup.ALL_YEARS else (int(year) if year.isdigit() else None)
            rows.append([group, labeler.label(group), shown_year] + counts[:3] + [coverage] + counts[3:])
    return sorted(rows, key=lambda r: (r[0], r[2] if r[2] is not None else -1))


def indicator_report(kg: KnowledgeGraph, by: str = "department", year: int | None = None, lang: str = "zh") -> Report:
    """Indicators per group and approval year (a time series per group); per-group totals over all years as a part."""
    dim = dimension(by, GROUPINGS)
    labeler = Labeler(kg, dim, lang)
    data = rollup.table(kg, rollup.table_name("indicators", dim.name))
    named = dimension_label(dim, lang)
    notes = [say(key, lang) for key in NOTE_KEYS]
    if year is not None:
        rows = _rows(data, labeler, lambda y: y == str(int(year)))
        return Report(key="indicators", title=say("indicators.title.year", lang, dim=named, year=year),
                      columns=columns(), rows=rows, notes=notes)
    series = _rows(data, labeler, lambda y: y not in (rollup.ALL_YEARS, rollup.NO_YEAR))
    totals = _rows(data, labeler, lambda y: y == rollup.ALL_YEARS)
    report = Report(key="indicators", title=say("indicators.title", lang, dim=named), columns=columns(), rows=series,
                    notes=notes)
    report.parts.append(Report(key="indicators-totals", title=say("indicators.title.totals", lang, dim=named),
                               columns=columns(), rows=totals, notes=[say("indicators.note.totals", lang)]))
    return report


def time_series(report: Report, column: str) -> dict[str, list[tuple[int, Any]]]:
    """One series per group of an indicator report: group -> [(year, value)], for charts."""
    index_year, index_value = report.columns.index("year"), report.columns.index(column)
    series: dict[str, list[tuple[int, Any]]] = {}
    for row in report.rows:
        if row[index_year] is not None:
            series.setdefault(row[0], []).append((row[index_year], row[index_value]))
    return {group: sorted(points) for group, points in series.items()}
