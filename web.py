"""The Flask application: configuration, views, security headers, errors, blueprints.

`create_app(config)` is the only entry point (`scipop serve` runs it under waitress).
Handlers live in webapp/ and stay thin: they call kg/ and search/.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from kg.errors import NotFound, ScipopError
from webapp import auth, entity_data, i18n, render
from webapp.budget import ClientBudget
from webapp.config import WebConfig, load_config
from webapp.common import raw_path
from webapp.links import href
from webapp.sparql_pool import SparqlPool
from webapp.state import ViewState
from webapp.cache import ResponseCache

HERE = Path(__file__).resolve().parent / "webapp"
# No inline scripts or styles anywhere: SVG charts use presentation attributes.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
API_PREFIXES = ("/api/", "/sparql", "/.well-known/", "/unpopularized.csv")
# Anonymous GETs of these endpoints are answered from the per-publication response cache.
# Not the VoID description: it names this server's endpoints from the Host header asked
# (its counts are kept per view instead).
CACHED_ENDPOINTS = {"pages.home", "pages.department", "pages.search", "pages.talent", "pages.unpopularized",
                    "api.search", "api.talent", "api.unpopularized", "api.entity", "api.stats", "api.department",
                    "api.coverage_report", "reports.report_page", "reports.report_api"}
# Endpoints that spend a per-client budget (webapp/budget.py), by budget.
# The search pages and the CSV export cost what the search API costs, and spend its budget.
BUDGETED_ENDPOINTS = {"sparql.endpoint": "sparql", "pages.query_page": "sparql",
                      "api.search": "api", "api.talent": "api", "api.unpopularized": "api",
                      "pages.search": "api", "pages.talent": "api", "pages.unpopularized": "api",
                      "pages.unpopularized_csv": "api", "reports.recommend_page": "api",
                      "reports.recommend_api": "api"}


@dataclass
class Services:
    """What the handlers share: configuration, the open views, the SPARQL workers."""

    config: WebConfig
    views: ViewState
    sparql: SparqlPool
    responses: ResponseCache
    budgets: dict[str, ClientBudget] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.config.settings.base_iri

    def warm(self) -> None:
        """Open the public view, its index and the SPARQL workers, and compute the home page's
        aggregates, so that the first visitors do not wait for them (`scipop serve` runs this
        in a background thread). Failures are left for the requests to report."""
        from webapp import facts

        try:
            self.sparql.start()
            self.views.fact("public", ("home",), facts.home_facts)
            self.views.index("public")
        except Exception:  # noqa: BLE001 - a missing index or publication is reported per request
            return


def create_app(config: dict | None = None) -> Flask:
    web_config = load_config(config)
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(
        SECRET_KEY=web_config.secret_key,
        MAX_CONTENT_LENGTH=web_config.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web_config.production,
        JSON_AS_ASCII=False,
        TEMPLATES_AUTO_RELOAD=False,
        TRUSTED_HOSTS=list(web_config.trusted_hosts) if web_config.trusted_hosts else None,
    )
    app.json.ensure_ascii = False
    app.extensions["scipop"] = Services(
        config=web_config,
        views=ViewState(web_config.settings, web_config.search_engine),
        sparql=SparqlPool(web_config.sparql_workers, web_config.sparql_timeout),
        responses=ResponseCache(),
        budgets={"sparql": ClientBudget(web_config.sparql_budget), "api": ClientBudget(web_config.api_budget)},
    )
    _register_request_hooks(app)
    _register_errors(app)
    _register_template_helpers(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from webapp import api, linked_data, pages, reports, sparql

    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(linked_data.bp)  # last: its entity routes are the catch-alls


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def spend_budget():
        # First, so that a client over its budget costs nothing more, cached answers included.
        scope = BUDGETED_ENDPOINTS.get(request.endpoint or "")
        if scope is None or request.method == "OPTIONS":
            return None
        budget = app.extensions["scipop"].budgets[scope]
        g.budget_charge = (budget, budget.admit(request.remote_addr or "unknown"), time.perf_counter())
        return None

    @app.teardown_request
    def record_budget_time(_exc):
        charged = g.pop("budget_charge", None)
        if charged is not None:
            budget, charge, started = charged
            budget.finish(charge, time.perf_counter() - started)

    @app.before_request
    def choose_view_and_language():
        g.services = app.extensions["scipop"]
        g.lang = i18n.choose_lang(request)
        g.user = auth.current_user()
        g.view = auth.view_for_request()
        return _cached_answer(app)

    @app.after_request
    def remember_answer(response):
        key = g.pop("cache_key", None)
        if key is not None and response.status_code in (200, 404) and not response.direct_passthrough:
            app.extensions["scipop"].responses.put(key, response.get_data(), response.status_code, response.headers)
        return response

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if g.get("user") is not None:
            headers["Cache-Control"] = "private, no-store"  # staff pages show restricted records
        # The language (cookie, Accept-Language) and the login (cookie) change what a URL shows.
        vary = {v.strip() for v in headers.get("Vary", "").split(",") if v.strip()}
        headers["Vary"] = ", ".join(sorted(vary | {"Accept-Language", "Cookie"}))
        asked = request.args.get("lang")
        if asked in i18n.LANGS:
            response.set_cookie(i18n.COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True)
        origin = app.extensions["scipop"].config.cors_origin
        if origin and request.path.startswith(API_PREFIXES + ("/project/", "/person/", "/org/", "/output/",
                                                               "/work/", "/code/")):
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            headers.add("Vary", "Origin")
        return response


def _cacheable() -> bool:
    endpoint = request.endpoint or ""
    return (request.method in ("GET", "HEAD") and g.user is None
            and (endpoint in CACHED_ENDPOINTS or endpoint.startswith("linked_data.entity_")))


def _cached_answer(app: Flask):
    """The stored answer to this anonymous request on this publication, if there is one."""
    if not _cacheable():
        return None
    services = app.extensions["scipop"]
    stamp = services.views.stamp
    if stamp is None:
        return None
    # The raw path keeps percent-encoding (two DOIs differ only there); the query string comes
    # from QUERY_STRING, which every server sets (REQUEST_URI does not always carry it).
    key = (stamp, g.lang, raw_path(), request.query_string, request.headers.get("Accept", ""))
    found = services.responses.get(key)
    if found is None:
        g.cache_key = key
        return None
    from flask import Response

    response = Response(found.body, status=found.status)
    for name, value in found.headers:
        response.headers[name] = value
    return response


def _explicit_html() -> bool:
    return any(value == "text/html" and quality > 0 for value, quality in request.accept_mimetypes)


def wants_json() -> bool:
    """API, SPARQL and VoID answer errors in JSON unless a browser asks for HTML; pages in HTML
    unless the client asked for something else (a linked-data client asking for Turtle)."""
    if request.path.startswith("/api/"):
        return True
    if request.path.startswith(API_PREFIXES):
        return not _explicit_html()
    specific = [value for value, quality in request.accept_mimetypes if value != "*/*" and quality > 0]
    return bool(specific) and not _explicit_html()


def error_response(error: ScipopError):
    status = getattr(error, "status", 400)
    if wants_json():
        response = jsonify(error.to_dict())
        response.status_code = status
    else:
        response = app_render_error(error, status)
    if status == 503:
        response.headers["Retry-After"] = "5"
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    if status in (404, 406):
        response.headers["Vary"] = "Accept"
    return response


def app_render_error(error: ScipopError, status: int):
    from flask import make_response

    return make_response(render_template("error.html", error=error, status=status), status)


class HttpError(ScipopError):
    """A werkzeug HTTP error (404 route, 405, 413 body too large) in the one error shape."""

    def __init__(self, exc: HTTPException) -> None:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large",
                 415: "unsupported_media_type", 406: "not_acceptable"}
        super().__init__(exc.description or exc.name)
        self.code = codes.get(exc.code or 400, "bad_request")
        self.status = exc.code or 400


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ScipopError)
    def scipop_error(error: ScipopError):
        return error_response(error)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # A bug, not a user mistake: log the traceback, answer in the one error shape.
        app.logger.exception("Unhandled error on %s", request.path)
        error = ScipopError("Something went wrong on the server.", "Try again; report it if it persists.")
        error.code, error.status = "internal_error", 500
        return error_response(error)

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):
        # Not in SCIPOP_TRUSTED_HOSTS: no URL can be built for this request (pages could
        # not be drawn), so the answer is the error shape in JSON, naming no link.
        response = jsonify(HttpError(exc).to_dict())
        response.status_code = 400
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 404:
            # One body for every unknown path: the same as an unknown entity.
            from webapp.entity_data import NOT_FOUND_MESSAGE

            return error_response(NotFound(NOT_FOUND_MESSAGE))
        response = error_response(HttpError(exc))
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def helpers():
        services = app.extensions["scipop"]

        def t(key: str, **values) -> str:
            return i18n.translate(g.get("lang", i18n.DEFAULT_LANG), key, **values)

        def link(iri):
            return href(iri, services.base)

        def lang_url(lang: str) -> str:
            args = request.args.to_dict(flat=False)
            args["lang"] = [lang]
            from urllib.parse import urlencode

            return raw_path() + "?" + urlencode(args, doseq=True)   # a DOI's %2F stays encoded

        def value_html(value):
            return render.value_html(value, services.base)

        def concept_label(iri) -> str:
            return entity_data.concept_label(str(iri), g.get("lang", i18n.DEFAULT_LANG)) or str(iri)

        def property_label(iri) -> str:
            return entity_data.property_label(str(iri), g.get("lang", i18n.DEFAULT_LANG))

        return {"t": t, "link": link, "lang_url": lang_url, "csrf_token": auth.csrf_token,
                "concept_label": concept_label, "value_html": value_html, "property_label": property_label,
                "base_iri": services.base, "lang": g.get("lang", i18n.DEFAULT_LANG),
                "user": g.get("user"), "view": g.get("view")}
