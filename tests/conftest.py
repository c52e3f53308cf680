"""Shared fixtures: settings and an empty store under tmp_path, the CLI runner, and the demo graph."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.config import Settings
from kg.store import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REALDATA = ROOT.parent / "shared" / "realdata"
DEMO_DATA = ROOT / "demo" / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "scipop-data")


@pytest.fixture
def kg(settings: Settings):
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
