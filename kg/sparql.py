"""User-written SPARQL: checked before it runs, bounded while it runs, rendered after.

rdflib (and engines behind it) will follow SERVICE, FROM and LOAD to the network and
to local files, so a user query is parsed first and refused if it uses any of them or
is an update. Results are capped at a row limit that the caller chooses.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from pyparsing import ParseException
from rdflib import BNode, Literal, URIRef
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kg.errors import ForbiddenQuery, LimitExceeded, QueryError
from kg.store import KnowledgeGraph

MAX_QUERY_BYTES = 10_000


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    form: str  # SelectQuery, AskQuery, ConstructQuery, DescribeQuery


def check_query(text: str, max_bytes: int = MAX_QUERY_BYTES) -> CheckedQuery:
    """Parse a user query; refuse updates, SERVICE and dataset clauses (FROM / FROM NAMED)."""
    if len(text.encode("utf-8")) > max_bytes:
        raise LimitExceeded(f"The query is longer than {max_bytes} bytes.", "Shorten the query.")
    try:
        parsed = parseQuery(text)
    except ParseException as exc:
        if _is_update(text):
            raise ForbiddenQuery("Updates are not allowed here; the graph is read-only.",
                                 "Use `scipop ingest` to change the graph.") from None
        raise QueryError(f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}.",
                         "Check the query near that position.", line=exc.lineno, column=exc.col) from None
    query = parsed[1]
    if "datasetClause" in query:
        raise ForbiddenQuery("FROM and FROM NAMED are not allowed: they could read remote or local files.",
                             "Remove the FROM clause; the query runs over the whole graph.")
    if _contains(query, "ServiceGraphPattern"):
        raise ForbiddenQuery("SERVICE is not allowed: queries may not reach other endpoints.",
                             "Remove the SERVICE block.")
    return CheckedQuery(text=text, form=query.name)


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except ParseException:
        return False
    return True


def _contains(node, name: str) -> bool:
    if isinstance(node, CompValue):
        if node.name == name:
            return True
        return any(_contains(value, name) for value in node.values())
    if isinstance(node, (list, tuple)):
        return any(_contains(value, name) for value in node)
    return False


@dataclass
class Table:
    """A SELECT result (or an ASK as one boolean), capped at `limit` rows."""

    variables: list[str]
    rows: list[list]
    truncated: bool = False
    boolean: bool | None = None


def run_select(kg: KnowledgeGraph, text: str, limit: int = 10_000) -> Table:
    checked = check_query(text)
    if checked.form in ("ConstructQuery", "DescribeQuery"):
        raise QueryError("This command prints tables; CONSTRUCT and DESCRIBE give graphs.",
                         "Use a SELECT or ASK query here, or the /sparql endpoint for graphs.")
    result = kg.query(checked.text)
    if checked.form == "AskQuery":
        return Table(variables=["ask"], rows=[[Literal(bool(result.askAnswer))]], boolean=bool(result.askAnswer))
    variables = [str(v) for v in result.vars]
    rows: list[list] = []
    truncated = False
    for row in result:
        if len(rows) >= limit:
            truncated = True
            break
        rows.append(list(row))
    return Table(variables=variables, rows=rows, truncated=truncated)


def term_text(term) -> str:
    if term is None:
        return ""
    return str(term)


def render(table: Table, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_sparql_json(table), ensure_ascii=False, indent=1)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(table.variables)
        writer.writerows([[term_text(t) for t in row] for row in table.rows])
        return buffer.getvalue()
    return render_table(table)


def render_table(table: Table, width: int = 60) -> str:
    cells = [[term_text(t)[:width] for t in row] for row in table.rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(table.variables)]
    line = "  ".join(v.ljust(w) for v, w in zip(table.variables, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    out.append(f"({len(table.rows)} rows{', truncated at the row limit' if table.truncated else ''})")
    return "\n".join(out)


def to_sparql_json(table: Table) -> dict:
    """SPARQL 1.1 Query Results JSON."""
    if table.boolean is not None:
        return {"head": {}, "boolean": table.boolean}
    bindings = []
    for row in table.rows:
        binding = {}
        for name, term in zip(table.variables, row):
            if term is not None:
                binding[name] = _json_term(term)
        bindings.append(binding)
    return {"head": {"vars": table.variables}, "results": {"bindings": bindings}}


def _json_term(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out
