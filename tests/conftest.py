"""Shared fixtures: settings and an empty store under tmp_path, the CLI runner, and the demo graph."""
from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.config import Settings
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REALDATA = ROOT.parent / "shared" / "realdata"
DEMO_DATA = ROOT / "demo" / "data"


# With SCIPOP_TEST_STORE_URL set (.ci/run starts `oxigraph serve` for it), every test that uses
# the `kg` fixture runs against that SPARQL server instead of the embedded store, and the
# others are deselected: the same story, told over the standard protocol.
TEST_STORE_URL = os.environ.get("SCIPOP_TEST_STORE_URL") or None


def derived_facts(kg: KnowledgeGraph) -> set[tuple[str, ...]]:
    """The derived graph's statements as strings, less the one by which it states its own
    digest (kg.graphstate), which must be there, once."""
    from kg import vocab as V

    graph = kg.minter.derived_graph()
    stored = {tuple(str(t) for t in row) for row in kg.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")}
    digests = {row for row in stored if row[:2] == (str(graph), str(V.contentDigest))}
    assert len(digests) == 1
    return stored - digests


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "embedded_only: needs the embedded store (checkpoints, publications)")


def pytest_collection_modifyitems(config, items) -> None:
    if not TEST_STORE_URL:
        return
    keep, drop = [], []
    for item in items:
        uses_store = "kg" in getattr(item, "fixturenames", ())
        (keep if uses_store and not item.get_closest_marker("embedded_only") else drop).append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=drop)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "scipop-data", store_url=TEST_STORE_URL)


def _empty_server(url: str) -> None:
    update = url.rsplit("/", 1)[0] + "/update"
    request = urllib.request.Request(update, data=b"DROP ALL", method="POST",
                                     headers={"Content-Type": "application/sparql-update"})
    urllib.request.urlopen(request, timeout=60).read()


@pytest.fixture
def kg(settings: Settings):
    if settings.store_url:
        _empty_server(settings.store_url)
    graph = KnowledgeGraph(settings)
    yield graph
    graph.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not present")
    return REALDATA


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory) -> Path:
    """The demo graph, built once per test session from the bundled demo set (read-only use)."""
    from ingest.pipeline import ingest_paths

    data_dir = tmp_path_factory.mktemp("demo") / "scipop-data"
    with KnowledgeGraph(Settings(data_dir=data_dir)) as graph:
        ingest_paths(graph, [DEMO_DATA / part for part in ("projects", "researchers", "outputs", "works")], skip_invalid=True)
    return data_dir


@pytest.fixture
def demo_graph(demo_data_dir: Path):
    graph = KnowledgeGraph(Settings(data_dir=demo_data_dir), read_only=True)
    yield graph
    graph.close()
