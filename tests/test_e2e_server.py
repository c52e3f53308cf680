"""End to end: the real `scipop serve` (waitress, worker processes) queried by a real
SPARQL client, SPARQLWrapper, in every format it speaks."""
from __future__ import annotations

import csv
import io
import os

import pytest
from rdflib import Graph
from rdflib.namespace import RDF
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from kg import vocab as V
from server_fixture import server  # noqa: F401
from web_fixtures import published_demo  # noqa: F401

pytestmark = pytest.mark.skipif(bool(os.environ.get("SCIPOP_TEST_STORE_URL")),
                                reason="the server reads published views of the embedded store, not a remote one")

PREFIX = "PREFIX sp: <https://w3id.org/scipop/ontology#>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
OBLIGED_GAPS = PREFIX + """SELECT ?p ?title WHERE {
  ?p sp:obligationTier sp:TierObliged ; sp:popularizationStatus sp:ResultsUnpopularized ; dcterms:title ?title
} ORDER BY ?p LIMIT 10"""


def answer(wrapper: SPARQLWrapper):
    """The converted result, with the HTTP response closed: SPARQLWrapper leaves it open after
    some conversions (XML), and its socket then warns whenever the garbage collector finds it."""
    result = wrapper.query()
    try:
        return result.convert()
    finally:
        result.response.close()


def client(base: str, fmt) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(base + "/sparql")
    wrapper.setReturnFormat(fmt)
    return wrapper


def test_select_as_json(server):
    sparql = client(server, JSON)
    sparql.setQuery(OBLIGED_GAPS)
    result = answer(sparql)
    assert result["head"]["vars"] == ["p", "title"]
    rows = result["results"]["bindings"]
    assert rows and all(row["p"]["value"].startswith("https://kg.scipop.example.org/project/") for row in rows)


def test_select_as_xml_and_csv_agree_with_json(server):
    sparql = client(server, JSON)
    sparql.setQuery(OBLIGED_GAPS)
    expected = [row["p"]["value"] for row in answer(sparql)["results"]["bindings"]]
    as_xml = client(server, XML)
    as_xml.setQuery(OBLIGED_GAPS)
    document = answer(as_xml)
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris == expected
    as_csv = client(server, CSV)
    as_csv.setQuery(OBLIGED_GAPS)
    rows = list(csv.reader(io.StringIO(answer(as_csv).decode("utf-8"))))
    assert rows[0] == ["p", "title"] and [r[0] for r in rows[1:]] == expected


def test_ask(server):
    sparql = client(server, JSON)
    sparql.setQuery(PREFIX + "ASK { ?p a sp:FundedProject }")
    assert answer(sparql)["boolean"] is True


def test_construct_as_turtle(server):
    sparql = client(server, TURTLE)
    sparql.setQuery(PREFIX + "CONSTRUCT { ?p a sp:FundedProject ; dcterms:title ?t } "
                             "WHERE { ?p a sp:FundedProject ; dcterms:title ?t } LIMIT 20")
    graph = Graph().parse(data=answer(sparql), format="turtle")
    assert len(set(graph.subjects(RDF.type, V.FundedProject))) >= 1


def test_post_and_refusals_through_the_client(server):
    import json
    import urllib.error

    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sparql = client(server, JSON)
    sparql.setMethod("POST")
    sparql.setQuery(OBLIGED_GAPS)
    assert answer(sparql)["results"]["bindings"]
    broken = client(server, JSON)
    broken.setQuery("SELECT ?s WHERE { ?s ?p ")
    with pytest.raises(QueryBadFormed):
        answer(broken)
    service = client(server, JSON)
    service.setQuery("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(urllib.error.HTTPError) as refused:  # SPARQLWrapper passes a 403 through as it is
        answer(service)
    assert refused.value.code == 403
    assert json.loads(refused.value.read())["error"]["code"] == "forbidden_query"


def test_a_body_over_the_limit_gets_the_error_shape_from_the_real_server(server):
    """waitress's own limit was Flask's: it answered text/plain (or reset the connection)
    before Flask could answer in the one error shape."""
    import json
    import urllib.error
    import urllib.request

    body = ("query=" + "x" * 70_000).encode("ascii")
    request = urllib.request.Request(server + "/sparql", data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error"]["code"] == "request_too_large"
