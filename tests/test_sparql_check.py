"""kg.sparql.check_query: the quick Oxigraph path and the cache never let through what the
full rdflib parse refuses (SERVICE, FROM, updates), however the query is written."""
from __future__ import annotations

import pytest

from kg.errors import ForbiddenQuery, QueryError
from kg.sparql import check_query

SELECT = ('PREFIX sp: <https://w3id.org/scipop/ontology#> '
          'SELECT ?p WHERE { ?p sp:approvalNumber "61772368" } LIMIT 10')


@pytest.mark.parametrize("text,form", [
    (SELECT, "SelectQuery"),
    ("ASK { ?s ?p ?o }", "AskQuery"),
    ("SELECT ?p WHERE { ?p sp:approvalNumber ?n }", "SelectQuery"),  # undeclared, bound by default
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1", "ConstructQuery"),
    ("DESCRIBE <https://kg.scipop.example.org/project/1>", "DescribeQuery"),
])
def test_forms(text, form):
    assert check_query(text).form == form


def test_an_accepted_text_is_checked_once():
    assert check_query(SELECT) is check_query(SELECT)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SeRvIcE SILENT <http://example.org/s> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://example.org/s> { ?s ?p ?o } } } }",
    "SELECT * WHERE { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    # rdflib ends a comment at \n only, Oxigraph (and the grammar) at \r too: what rdflib
    # read as the rest of a comment, Oxigraph ran (an anonymous SSRF found by review).
    "SELECT ?s WHERE { # x\r SERVICE <http://127.0.0.1:9/query> { GRAPH ?g { ?s ?p ?o } } \n}",
    "SELECT ?s WHERE { # x\r\n SERVICE <http://127.0.0.1:9/query> { ?s ?p ?o } }",
    "SELECT ?s WHERE { ?s ?p 1SERVICE <http://127.0.0.1:9/query> { ?a ?b ?c } }",   # Oxigraph runs this one
    "SELECT ?s WHERE { SERVICE # a comment between\r?ep { ?s ?p ?o } VALUES ?ep { <http://127.0.0.1:9/> } }",
    "SELECT ?s WHERE { SERVICE SILENT :ep { ?s ?p ?o } }",
    "SELECT ?s WHERE { ?s ?p trueSERVICE <http://127.0.0.1:9/query> { ?a ?b ?c } }",   # and this one
    # A future Oxigraph that expands escapes everywhere would end this comment at \u000D.
    "SELECT * WHERE { ?s ?p ?o #x\\u000D SERVICE #y\\u000D<http://127.0.0.1:9/> { ?a ?b ?c }\n}",
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "select * from named <http://example.org/g> where { graph ?g { ?s ?p ?o } }",
    "ASK FROM <http://example.org/g> { ?s ?p ?o }",
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <file:///etc/passwd>",
])
def test_refusals_hold_on_every_path(text):
    for _ in range(2):  # the second time would come from the cache, if refusals were cached
        with pytest.raises(ForbiddenQuery):
            check_query(text)


def test_windows_line_ends_are_run_as_plain_ones():
    # Oxigraph runs the checked text: its comments must end where rdflib saw them end.
    checked = check_query("SELECT ?s WHERE {\r\n  ?s ?p ?o # a comment\r\n} LIMIT 1\r")
    assert checked.form == "SelectQuery" and "\r" not in checked.text


@pytest.mark.parametrize("text", [
    'SELECT ?w WHERE { ?w <http://schema.org/name> ?t FILTER(CONTAINS(?t, "public service works")) }',
    "SELECT ?s WHERE { ?s <https://example.org/service/type> ?o }",
    "# which projects serve the public?\nSELECT ?p WHERE { ?p ?q ?o } LIMIT 1",
    "SELECT ?service ?name WHERE { ?service <http://schema.org/name> ?name } LIMIT 1",
])
def test_the_word_service_alone_is_no_call(text):
    assert check_query(text).form == "SelectQuery"


def test_syntax_errors_keep_line_and_column():
    with pytest.raises(QueryError) as caught:
        check_query("SELECT ?s WHERE {\n  ?s ?p \n")
    assert caught.value.details["line"] >= 1 and "column" in caught.value.details
