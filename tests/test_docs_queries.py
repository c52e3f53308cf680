"""Every example query in docs/queries answers its question on the demo graph."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.sparql import run_select

QUERIES = sorted((Path(__file__).resolve().parent.parent / "docs" / "queries").glob("*.rq"))
MUST_BE_EMPTY = {"check-no-email-in-public-graphs.rq", "check-public-graphs-hold-only-approved-records.rq"}


def test_there_are_example_queries():
    assert len(QUERIES) >= 8


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_example_query(path, demo_graph):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "each query starts with a comment saying what it answers"
    table = run_select(demo_graph, text)
    if path.name in MUST_BE_EMPTY:
        assert table.rows == [], f"{path.name} found restricted data in public graphs: {table.rows[:3]}"
    else:
        assert table.rows, f"{path.name} answered nothing on the demo graph"
