"""Small helpers every blueprint uses: the request's view, SPARQL through the workers,
query-string parsing for search filters, and the example query library."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app, g, request
from werkzeug.datastructures import MIMEAccept

from kg.errors import QueryError
from kg.store import KnowledgeGraph
from webapp.sparql_pool import Answer, Job

QUERIES_DIR = Path(__file__).resolve().parent.parent / "docs" / "queries"
MAX_PER_PAGE = 100
CSV_EXPORT_MAX = 20_000   # rows a download lists at most (unpopularized CSV, report item lists)

def services():
    return current_app.extensions["scipop"]


def view_graph() -> KnowledgeGraph:
    """The store this request may read: public for everyone, full for logged-in staff."""
    return services().views.graph(g.view)


def view_index():
    return services().views.index(g.view)


def view_pages():
    """The entity page summaries published with this request's view (kg.pages), or None."""
    from kg.pages import open_pages

    return services().views.fact(g.view, ("pages",), lambda kg: open_pages(kg.settings.data_dir))


def run_sparql(query: str, fmt: str) -> Answer:
    """A user query on the request's view, in a worker process with the time and row limits."""
    svc = services()
    view = svc.views.view_settings(g.view)
    job = Job(data_dir=str(view.data_dir), base_iri=view.base_iri, query=query, fmt=fmt,
              max_rows=svc.config.sparql_max_rows)
    return svc.sparql.run(job)


def raw_path() -> str:
    """The request path as the client sent it, percent-encoding intact: request.path is
    decoded, which mixes up two DOIs that differ only there and makes a link to
    /output/doi/10.1093/x out of /output/doi/10.1093%2Fx (a 404). waitress calls it
    REQUEST_URI, gunicorn RAW_URI."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.path
    return raw.split("?", 1)[0].split("#", 1)[0]


def best_accepted(offered: list[str]) -> str | None:
    """The offered media type the client's Accept header prefers (None: none acceptable).

    Parameters other than q do not choose a format: werkzeug matches them too, so
    'text/turtle; charset=utf-8' or JSON-LD's standard profile parameter got a 406."""
    accept = MIMEAccept([(value.split(";", 1)[0].strip(), quality) for value, quality in request.accept_mimetypes])
    return accept.best_match(offered)


def int_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    """A whole-number argument; out of [low, high] is the user's mistake to hear about, not to be
    silently moved to the bound (they would read page 500 as page 600)."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"'{name}' must be a whole number, not '{raw[:20]}'.", f"Use {name}={default}.") from None
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise QueryError(f"'{name}' must be {bounds}, not {value}.", f"Use {name}={default}.")
    return value


def filter_args(keys) -> dict[str, list[str]]:
    """Search filters from the query string: ?department=A&department=C&tier=obliged …"""
    out: dict[str, list[str]] = {}
    for key in keys:
        values = [v.strip()[:200] for v in request.args.getlist(key) if v.strip()]
        if values:
            out[key] = values
    return out


def region_values(first_only: bool = False) -> list[str]:
    """The ?region= values a query applies (talent takes one region, search any number)."""
    values = filter_args(("region",)).get("region", [])
    return values[:1] if first_only else values


def unknown_regions(first_only: bool = False) -> list[str]:
    """The applied ?region= values that name no province-level region: said beside an empty
    answer (a typo reads as "nobody there"), though the filter still applies as written."""
    from search import unknown_region_note

    return [value for value in region_values(first_only) if unknown_region_note(value)]


def empty_answer_notes(total: int, first_only: bool = False) -> list[str]:
    """For the JSON API: what an empty answer should say about the request."""
    from search import unknown_region_note

    if total:
        return []
    return [note for value in region_values(first_only) if (note := unknown_region_note(value))]


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    text: str


@lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    """docs/queries/*.rq; the first comment line is the title."""
    found = []
    if QUERIES_DIR.is_dir():
        for path in sorted(QUERIES_DIR.glob("*.rq")):
            text = path.read_text(encoding="utf-8")
            title = path.stem.replace("-", " ")
            for line in text.splitlines():
                if line.startswith("#"):
                    title = re.sub(r"^#+\s*", "", line).strip() or title
                    break
            found.append(Example(slug=path.stem, title=title, text=text))
    return tuple(found)
