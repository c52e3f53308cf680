"""Every example query in docs/queries answers its question on the demo graph."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg import vocab as V
from kg.config import Settings
from kg.nquads import iri_nt, term_nt
from kg.sparql import run_select
from kg.store import KnowledgeGraph

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


# The examples are written for Oxigraph's planner (one pattern per subquery, labels after
# counting; docs/queries/README.md). Each such example must answer exactly what its plain
# formulation, kept in tests/data/queries-plain, answers: same rows, same order.
PLAIN = sorted((Path(__file__).resolve().parent / "data" / "queries-plain").glob("*.rq"))


def test_every_plain_formulation_has_its_example():
    assert PLAIN and {p.name for p in PLAIN} <= {q.name for q in QUERIES}


@pytest.mark.parametrize("plain", PLAIN, ids=lambda p: p.name)
def test_example_answers_what_its_plain_formulation_answers(plain, demo_graph):
    example = plain.parent.parent.parent.parent / "docs" / "queries" / plain.name
    fast = run_select(demo_graph, example.read_text(encoding="utf-8"))
    reference = run_select(demo_graph, plain.read_text(encoding="utf-8"))
    assert fast.variables == reference.variables
    assert fast.rows, f"{plain.name} answered nothing on the demo graph"
    assert fast.rows == reference.rows


def test_the_obliged_projects_example_lists_100_projects_when_two_files_describe_some(tmp_path):
    """The example picks its first 100 projects before looking up their names; a project two
    source files describe is two rows of the union graph, and must not take two of the 100."""
    from rdflib import RDF, Literal

    name = "obliged-projects-without-popularization.rq"
    with KnowledgeGraph(Settings(data_dir=tmp_path / "d")) as kg:
        first, second, derived = kg.minter.source_graph("a.csv"), kg.minter.source_graph("b.csv"), kg.minter.derived_graph()
        lines = []
        for i in range(105):
            project, number = kg.minter.project(f"5217{i:04d}"), f"5217{i:04d}"
            stated = [(RDF.type, V.FundedProject), (V.approvalNumber, Literal(number)), (V.approvalYear, Literal(2015 + i % 7))]
            for graph in [first, second] if i < 10 else [first]:
                lines += [f"{term_nt(project)} {term_nt(p)} {term_nt(o)} {iri_nt(graph)} .\n" for p, o in stated]
            derived_facts = [(V.obligationTier, V.TierObliged), (V.popularizationStatus, V.ResultsUnpopularized),
                             (V.outputCount, Literal(3))]
            lines += [f"{term_nt(project)} {term_nt(p)} {term_nt(o)} {iri_nt(derived)} .\n" for p, o in derived_facts]
        with kg.write():
            kg.load_lines(lines)
        fast = run_select(kg, (QUERIES[0].parent / name).read_text(encoding="utf-8"))
        plain = run_select(kg, (PLAIN[0].parent / name).read_text(encoding="utf-8"))
    assert len(fast.rows) == 100 and fast.rows == plain.rows
