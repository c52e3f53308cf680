"""User-written SPARQL: checked before it runs, bounded while it runs, rendered after.

rdflib (and engines behind it) will follow SERVICE, FROM and LOAD to the network and
to local files, so a user query is parsed first and refused if it uses any of them or
is an update. Results are capped at a row limit that the caller chooses.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

from pyparsing import ParseException
from rdflib import BNode, Literal, URIRef
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kg.errors import ForbiddenQuery, LimitExceeded, QueryError
from kg.store import EmbeddedBackend, KnowledgeGraph

MAX_QUERY_BYTES = 10_000


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    form: str  # SelectQuery, AskQuery, ConstructQuery, DescribeQuery


def check_query(text: str, max_bytes: int = MAX_QUERY_BYTES) -> CheckedQuery:
    """Parse a user query; refuse updates, SERVICE and dataset clauses (FROM / FROM NAMED).

    Run the returned `text`, not the one given: its line ends are made plain (see below)."""
    if len(text.encode("utf-8")) > max_bytes:
        raise LimitExceeded(f"The query is longer than {max_bytes} bytes.", "Shorten the query.")
    return _checked(_LINE_END.sub("\n", text))


# rdflib's parser checks a query and Oxigraph runs it, so wherever the two read a text
# differently a SERVICE call could pass the check and still run. A comment ended by a lone
# carriage return did: rdflib ends comments at \n only, the SPARQL grammar and Oxigraph at
# \r too, so what rdflib took for the rest of a comment Oxigraph ran. Line ends are made \n
# before either reads the text, and a plain scan that trusts no parser refuses whatever is
# shaped like a SERVICE call: the keyword, then (past spaces, comments and SILENT) an IRI, a
# variable or a prefixed name. It may refuse a string or comment that reads like one. A
# name right after ? or $ is a variable (?service), even after a path's ? modifier; any
# other character may come before the keyword (Oxigraph runs `?o trueSERVICE <…> {…}`).
_LINE_END = re.compile(r"\r\n?")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_GAP = r"(?:\s|#[^\n]*(?:\n|\Z))*"
_SERVICE_CALL = re.compile(rf"(?<![?$])SERVICE{_GAP}(?:SILENT{_GAP})?(?:[<?$]|[^\s<>?${{}}()\[\]\"'#,;]*:)", re.IGNORECASE)


@lru_cache(maxsize=2048)
def _checked(text: str) -> CheckedQuery:
    # Refusals raise and are not cached; accepted texts are (the same query is often re-sent).
    _refuse_service_calls(text)
    return _quick_check(text) or _parse_check(text)


def _refuse_service_calls(text: str) -> None:
    # Escapes are expanded first: the grammar lets \u stand for any character (Oxigraph
    # expands them only inside strings today; expanding everywhere refuses more, never less).
    expanded = _LINE_END.sub("\n", _UNICODE_ESCAPE.sub(_unescaped, text))   # \u000D ends a comment too
    if _SERVICE_CALL.search(text) or _SERVICE_CALL.search(expanded):
        raise _service_refused()


def _unescaped(match: re.Match) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= 0x10FFFF else "\ufffd"   # no such character: the parser refuses it


def _service_refused() -> ForbiddenQuery:
    return ForbiddenQuery("SERVICE is not allowed: queries may not reach other endpoints.",
                          "Remove the SERVICE block (the word SERVICE followed by an IRI or a variable is "
                          "refused even inside a string or a comment).")


# Words that can only matter when they appear literally in the text: a query that lacks them
# (in any case, anywhere, even inside strings) can hold no SERVICE call and no FROM clause.
# SPARQL lets \u escapes stand for any character, so a text with one gets the full parse.
_NEEDS_FULL_PARSE = re.compile(r"service|from|\\u", re.IGNORECASE)
_EMPTY = ox.Store()


def _quick_check(text: str) -> CheckedQuery | None:
    """SELECT/ASK texts without SERVICE, FROM or escapes, checked by Oxigraph's parser in well
    under a millisecond (rdflib's takes ~15 ms). Oxigraph runs the query on an empty in-memory
    store and the lazy solutions are never read, so this costs the parse. Anything it does not
    plainly accept (syntax errors, updates, CONSTRUCT/DESCRIBE) gets the full rdflib check, which
    gives the precise refusal."""
    if _NEEDS_FULL_PARSE.search(text):
        return None
    try:
        result = _EMPTY.query(text, prefixes=_default_prefixes())
    except (SyntaxError, OSError, ValueError):
        return None
    if isinstance(result, ox.QuerySolutions):
        return CheckedQuery(text=text, form="SelectQuery")
    if isinstance(result, ox.QueryBoolean):
        return CheckedQuery(text=text, form="AskQuery")
    return None


@lru_cache(maxsize=1)
def _default_prefixes() -> dict[str, str]:
    """The prefixes a user query may use undeclared: those KnowledgeGraph.query binds."""
    from rdflib import Dataset

    from kg.vocab import PREFIXES

    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace, override=True)
    return {prefix: str(namespace) for prefix, namespace in dataset.namespaces() if prefix}


def _parse_check(text: str) -> CheckedQuery:
    if not text.strip():
        raise QueryError("The query is empty.", "Send a SELECT, ASK, CONSTRUCT or DESCRIBE query.")
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
        raise _service_refused()
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
    return _run_select(kg, check_query(text), limit)


def _run_select(kg: KnowledgeGraph, checked: CheckedQuery, limit: int) -> Table:
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
    """A text table. IRIs are shown whole (cut, two differed only in their hidden tail); longer
    text ends in '…' (the JSON, CSV and TSV formats give every value whole)."""
    def cell(term) -> str:
        text = term_text(term)
        if isinstance(term, URIRef) or len(text) <= width:
            return text
        return text[:width - 1] + "…"

    cells = [[cell(t) for t in row] for row in table.rows]
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


# --- Result formats for the SPARQL 1.1 Protocol --------------------------------------------
# Media types the endpoint offers, mapped to the names used by `render_results` /
# `render_graph` (also accepted as ?format= overrides).
RESULT_MEDIA_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@dataclass
class GraphResult:
    """A CONSTRUCT or DESCRIBE result, capped at `limit` triples."""

    triples: list[tuple]
    truncated: bool = False


def run_query(kg: KnowledgeGraph, checked: CheckedQuery, limit: int = 10_000) -> "Table | GraphResult":
    """Run a checked user query of any form; rows or triples are capped at `limit`."""
    if checked.form not in ("ConstructQuery", "DescribeQuery"):
        return _run_select(kg, checked, limit)
    triples: dict[tuple, None] = {}    # distinct, in the order found
    truncated = False
    for triple in _graph_triples(kg, checked.text):
        if triple in triples:
            continue
        if len(triples) >= limit:
            truncated = True
            break
        triples[triple] = None
    return GraphResult(triples=list(triples), truncated=truncated)


def _graph_triples(kg: KnowledgeGraph, text: str):
    """A CONSTRUCT/DESCRIBE's triples as they are made. On the embedded store straight from
    Oxigraph, one at a time: through rdflib the whole graph was built before the first
    triple could be counted, so a query over everything ran into the time limit instead
    of stopping at the row cap."""
    if not isinstance(kg.backend, EmbeddedBackend):
        yield from kg.query(text)
        return
    try:
        found = kg.backend.ox.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:   # as KnowledgeGraph.query says it
        raise QueryError(f"The SPARQL query is not valid: {exc}", "Check the query's syntax.") from exc
    for triple in found:
        yield _rdflib_term(triple.subject), _rdflib_term(triple.predicate), _rdflib_term(triple.object)


def _rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def render_results(table: Table, fmt: str) -> str:
    """A SELECT/ASK result in one of the SPARQL 1.1 result formats (json, xml, csv, tsv)."""
    if fmt == "json":
        return json.dumps(to_sparql_json(table), ensure_ascii=False)
    if fmt == "xml":
        return _results_xml(table)
    if fmt == "csv":
        return _results_delimited(table, ",", _csv_term, header=table.variables)
    if fmt == "tsv":
        return _results_delimited(table, "\t", _tsv_term, header=["?" + v for v in table.variables])
    raise QueryError(f"Unknown result format '{fmt}'.", "Use json, xml, csv or tsv.")


def render_graph(result: GraphResult, fmt: str) -> str:
    """A CONSTRUCT/DESCRIBE result as Turtle, N-Triples, JSON-LD or RDF/XML."""
    from rdflib import Graph

    from kg.vocab import PREFIXES

    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    for triple in result.triples:
        graph.add(triple)
    if fmt not in GRAPH_MEDIA_TYPES.values():
        raise QueryError(f"Unknown graph format '{fmt}'.", "Use turtle, nt, json-ld or xml.")
    return graph.serialize(format=fmt)


def _results_xml(table: Table) -> str:
    from rdflib.query import Result
    from rdflib.term import Variable

    if table.boolean is not None:
        result = Result("ASK")
        result.askAnswer = table.boolean
    else:
        result = Result("SELECT")
        result.vars = [Variable(v) for v in table.variables]
        result.bindings = [{Variable(v): t for v, t in zip(table.variables, row) if t is not None}
                           for row in table.rows]
    return result.serialize(format="xml").decode("utf-8")


def _csv_term(term) -> str:
    # SPARQL 1.1 CSV: IRIs and literals as their plain text, blank nodes as _:label.
    if isinstance(term, BNode):
        return "_:" + str(term)
    return term_text(term)


def _tsv_term(term) -> str:
    # SPARQL 1.1 TSV: terms in their N-Triples/Turtle form.
    from kg.nquads import term_nt

    if term is None:
        return ""
    if isinstance(term, BNode):
        return "_:" + str(term)
    return term_nt(term)


def _results_delimited(table: Table, delimiter: str, render_term, header: list[str]) -> str:
    buffer = io.StringIO()
    if delimiter == ",":
        writer = csv.writer(buffer, lineterminator="\r\n")
    else:
        # TSV terms are already escaped N-Triples; no quoting layer on top.
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE,
                            escapechar=None, quotechar=None)
    if table.boolean is not None:
        writer.writerow(["_askResult"])
        writer.writerow(["true" if table.boolean else "false"])
        return buffer.getvalue()
    writer.writerow(header)
    writer.writerows([[render_term(t) for t in row] for row in table.rows])
    return buffer.getvalue()
