"""Fixtures for the web tests: the demo graph published once per session (on a copy of the
shared demo data dir), search indexes for both views when search is installed, and a
Flask app over it with one staff account."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from kg.config import Settings
from kg.publish import publish
from kg.store import KnowledgeGraph, prefix_block
from kg.views import open_view

SEARCH_ENGINE = "tantivy"  # builds the demo indexes several times faster than whoosh
STAFF_USER = "liaison-c"
STAFF_PASSWORD = "correct horse battery staple"
# A cheap hash keeps logins fast in tests; deployments use werkzeug's default.
STAFF_HASH = generate_password_hash(STAFF_PASSWORD, method="pbkdf2:sha256:1000")


@dataclass(frozen=True)
class PublishedDemo:
    data_dir: Path
    settings: Settings
    search_ready: bool
    restricted_iri: str      # described only in restricted graphs: hidden from the public
    project_iri: str
    person_iri: str
    org_iri: str
    output_iri: str
    work_iri: str
    code_iri: str


def _first(kg: KnowledgeGraph, pattern: str) -> str:
    rows = kg.select(prefix_block() + f"SELECT ?s WHERE {{ {pattern} }} ORDER BY ?s LIMIT 1")
    assert rows, f"the demo graph has nothing matching {pattern}"
    return str(rows[0]["s"])


def _restricted_only(full: KnowledgeGraph, public: KnowledgeGraph) -> str:
    rows = full.select(prefix_block() + """SELECT DISTINCT ?s WHERE {
        GRAPH ?g { ?s sp:reviewStatus ?status } FILTER(?status != sp:Approved)
        FILTER(STRENDS(STR(?g), "/restricted")) } ORDER BY ?s LIMIT 50""")
    for row in rows:
        if not public.query("ASK { <%s> ?p ?o }" % row["s"]).askAnswer:
            return str(row["s"])
    raise AssertionError("the demo set has no restricted-only record")


def _build_search(settings: Settings) -> bool:
    try:
        from search import build_index
    except ImportError:
        return False
    for view in ("public", "full"):
        with open_view(settings, view) as kg:
            build_index(kg, settings, view, engine=SEARCH_ENGINE)
    return True


# Test modules import these fixtures, and pytest then holds one session fixture per module:
# the publication (and its search indexes, minutes of work) is kept here so it is built once.
_PUBLISHED: dict[Path, PublishedDemo] = {}


@pytest.fixture(scope="session")
def published_demo(request, tmp_path_factory) -> PublishedDemo:
    if os.environ.get("SCIPOP_TEST_STORE_URL"):
        pytest.skip("the web reads published views of the embedded store; the remote-store run has nothing to add")
    demo_data_dir = request.getfixturevalue("demo_data_dir")
    if demo_data_dir not in _PUBLISHED:
        _PUBLISHED[demo_data_dir] = _publish_copy(demo_data_dir, tmp_path_factory)
    return _PUBLISHED[demo_data_dir]


def _publish_copy(demo_data_dir: Path, tmp_path_factory) -> PublishedDemo:
    data_dir = tmp_path_factory.mktemp("web") / "scipop-data"
    shutil.copytree(demo_data_dir, data_dir)
    settings = Settings(data_dir=data_dir)
    with KnowledgeGraph(settings) as kg:
        publish(kg)
    with open_view(settings, "full") as full, open_view(settings, "public") as public:
        restricted = _restricted_only(full, public)
        demo = dict(
            project_iri=_first(public, "?s a sp:FundedProject ; sp:outputCount ?n FILTER(?n > 1)"),
            person_iri=_first(public, "?p sp:principalInvestigator ?s ; sp:member ?m . ?s schema:name ?n"),
            org_iri=_first(public, "?s a sp:SupportingInstitution"),
            output_iri=_first(public, "?s a sp:ResearchOutput ; sp:resultOf ?p ; bibo:doi ?d"),
            work_iri=_first(public, "?s a sp:PopularScienceWork ; sp:popularizes ?x"),
            code_iri=_first(public, "?s a sp:ApplicationCode"),
        )
    return PublishedDemo(data_dir=data_dir, settings=settings, search_ready=_build_search(settings),
                         restricted_iri=restricted, **demo)


def make_app(published: PublishedDemo, **overrides):
    from web import create_app

    config = {"settings": published.settings, "SCIPOP_STAFF_USERS": f"{STAFF_USER}:{STAFF_HASH}",
              "SCIPOP_SECRET_KEY": "test-secret-key-for-the-web-tests-only", "SCIPOP_SPARQL_WORKERS": 1,
              "SCIPOP_SEARCH_ENGINE": SEARCH_ENGINE}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(published_demo: PublishedDemo):
    application = make_app(published_demo)
    yield application
    application.extensions["scipop"].sparql.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff_client(app):
    """A client logged in as staff through the real login form."""
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf_token"]
    response = client.post("/login", data={"username": STAFF_USER, "password": STAFF_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def path_of(iri: str, base: str = "https://kg.scipop.example.org/") -> str:
    assert iri.startswith(base)
    return "/" + iri[len(base):]
