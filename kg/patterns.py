"""SPARQL fragments that the whole-graph queries share, written for Oxigraph's query planner.

Oxigraph answers a pattern with a constant object, such as `?w sp:reviewStatus sp:Approved`,
by reading every match and hash-joining them. Nearly every record is approved (about a
million at 100,000 projects), so joining the 15,000 works with that pattern took 35 s.
With the status bound to a variable and tested with sameTerm, the planner probes the index
once per work instead: 2 s for the same answer.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from kg.nquads import iri_nt


def approved(var: str) -> str:
    """Triple pattern + filter: the record `var` (e.g. "?w") has review status sp:Approved.
    Place it after a pattern that binds `var` to a small set (e.g. its class)."""
    status = f"{var}_status"
    return f"{var} sp:reviewStatus {status} . FILTER(sameTerm({status}, sp:Approved))"


def approved_work(var: str) -> str:
    """`var` is an approved popular-science work: only those count as popularization, because a
    work under confidentiality review has not reached the public."""
    return f"{var} a sp:PopularScienceWork . {approved(var)}"


def instances(var: str, cls: str) -> str:
    """Subquery: every `var` stated to be a `cls` (e.g. "sp:FundedProject"). Kept a subquery of its
    own, Oxigraph hash-joins it with the query's other subqueries on internal ids, one sequential read
    each, instead of probing an index per row (docs/data-model.md, "Derived facts")."""
    return f"{{ SELECT {var} WHERE {{ GRAPH {var}_graph {{ {var} a {cls} }} }} }}"


def values_batches(iris: Iterable, size: int) -> Iterator[str]:
    """The distinct IRIs, in their first order, as SPARQL terms (`<a> <b> …`), `size` per
    string: the body of a `VALUES ?s { … }` that binds a lookup to many subjects at once. The
    engine then makes one index lookup per subject, whatever the size of the graph; with the
    subjects joined as patterns instead it may read every statement of the predicate."""
    unique = list(dict.fromkeys(str(i) for i in iris))
    for start in range(0, len(unique), size):
        yield " ".join(iri_nt(i) for i in unique[start:start + size])
