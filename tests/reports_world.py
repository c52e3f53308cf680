"""The hand-written world of tests/data/reports (its README has the table every expected number is
counted from), shared by the report, indicator and recommendation tests.

Import the fixtures into a test module (`from reports_world import world, staff, fresh`): `world`
is module-scoped, so each module ingests the fixture once and opens it read-only in `staff`;
`fresh` is a store of its own for stories that write (curation, linking, a new work)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from kg.config import Settings
from kg.store import KnowledgeGraph

FIXTURE = Path(__file__).resolve().parent / "data" / "reports"
FILES = [FIXTURE / name for name in ("projects.jsonl", "researchers.csv", "outputs.openalex.jsonl", "works.csv")]
BASE = Settings().base_iri


def load(data_dir: Path) -> Path:
    """The fixture ingested into `data_dir` (derived facts and aggregate tables included)."""
    with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
        ingest_paths(kg, FILES)
    return data_dir


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return load(tmp_path_factory.mktemp("reports-world") / "scipop-data")


@pytest.fixture
def staff(world):
    with KnowledgeGraph(Settings(data_dir=world), read_only=True) as kg:
        yield kg


@pytest.fixture
def fresh(tmp_path):
    with KnowledgeGraph(Settings(data_dir=load(tmp_path / "scipop-data"))) as kg:
        yield kg
