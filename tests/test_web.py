"""The web front end as its users meet it: pages, linked data, the JSON API, logins.

Built once per session over the published demo graph (tests/web_fixtures.py)."""
from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, VOID

from kg import vocab as V
from kg.errors import ConfigError
from kg.views import open_view
from web_fixtures import (STAFF_PASSWORD, STAFF_USER, app, client, make_app, path_of,  # noqa: F401
                                published_demo, staff_client)

def parse_rdf(text: str, fmt: str) -> Graph:
    """rdflib for Turtle, N-Triples, RDF/XML; pyoxigraph for JSON-LD (rdflib's JSON-LD parser warns)."""
    if fmt != "json-ld":
        return Graph().parse(data=text, format=fmt)
    import pyoxigraph as ox

    graph = Graph()
    for triple in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.JSON_LD):
        graph.add(tuple(_rdflib_term(t) for t in (triple.subject, triple.predicate, triple.object)))
    return graph


def _rdflib_term(term):
    import pyoxigraph as ox
    from rdflib import BNode, Literal

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(term.value, lang=term.language, datatype=None if term.language else URIRef(term.datatype.value))


HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# --- Home, language, security headers --------------------------------------------------------
def test_home_shows_what_the_graph_holds_with_server_side_charts(client, published_demo):
    response = client.get("/", headers=HTML)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with open_view(published_demo.settings, "public") as kg:
        projects = int(next(iter(kg.query("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <%s> }"
                                          % V.FundedProject)))[0])
    assert f"{projects:,}" in page
    assert page.count("<svg") >= 4
    assert "/department/C" in page and "/search" in page and "/talent" in page and "/unpopularized" in page


def test_every_page_carries_the_security_headers(client):
    response = client.get("/", headers=HTML)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.get_data(as_text=True)


def test_language_switch_is_remembered_in_a_cookie(client):
    chinese = client.get("/", headers=HTML).get_data(as_text=True)
    assert "首页" in chinese
    english = client.get("/?lang=en", headers=HTML)
    assert "Home" in english.get_data(as_text=True)
    assert "lang=en" in english.headers["Set-Cookie"]
    again = client.get("/search", headers=HTML).get_data(as_text=True)
    assert "Search" in again and "检索" not in again.split("<main")[1].split("</main>")[0]


def test_department_page_shows_coverage_and_obliged_gaps(client):
    response = client.get("/department/C?lang=en", headers=HTML)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Life Sciences" in page or "life" in page.lower()
    assert "<svg" in page
    assert client.get("/department/Z", headers=HTML).status_code == 404


# --- Entity pages and linked data ---------------------------------------------------------------
@pytest.mark.parametrize("attr", ["project_iri", "person_iri", "org_iri", "output_iri", "work_iri", "code_iri"])
def test_entity_pages_show_the_record_in_html(client, published_demo, attr):
    iri = getattr(published_demo, attr)
    response = client.get(path_of(iri), headers=HTML)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert iri in page                      # "this record as data"
    assert "?format=ttl" in page


def test_project_page_says_how_each_output_link_is_known(client, published_demo):
    page = client.get(path_of(published_demo.project_iri) + "?lang=en", headers=HTML).get_data(as_text=True)
    with open_view(published_demo.settings, "public") as kg:
        methods = kg.select("PREFIX sp: <%s> SELECT DISTINCT ?m WHERE { ?l sp:linkObject <%s> ; sp:linkMethod ?m }"
                            % (V.SP, published_demo.project_iri))
    assert methods, "the chosen demo project has qualified links"
    from kg.concepts import pref_label

    assert any(pref_label(row["m"], "en") in page for row in methods)
    assert "Popularization status" in page


def test_researcher_page_draws_a_collaboration_graph(client, published_demo):
    page = client.get(path_of(published_demo.person_iri), headers=HTML).get_data(as_text=True)
    assert 'class="chart ego"' in page or "合作网络" not in page  # only people with collaborators get one


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                        ("application/n-triples", "nt"), ("application/rdf+xml", "xml")])
def test_entity_iris_dereference_to_rdf_by_accept(client, published_demo, accept, fmt):
    response = client.get(path_of(published_demo.project_iri), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    assert "Accept" in response.headers["Vary"]
    graph = parse_rdf(response.get_data(as_text=True), fmt)
    assert (URIRef(published_demo.project_iri), RDF.type, V.FundedProject) in graph


def test_every_graph_a_provenance_record_names_dereferences_to_what_it_holds(client, published_demo):
    """Links, derived facts and catalog entries name their graphs (sp:sourceGraph, the VoID
    subsets): each fixed graph's IRI answers with its labels in both languages."""
    from rdflib.namespace import RDFS

    from kg.iri import SYSTEM_GRAPHS, Minter

    minter = Minter(published_demo.settings.base_iri)
    for name, (label_en, label_zh, _, _) in SYSTEM_GRAPHS.items():
        graph = minter.system_graph(name)
        response = client.get(path_of(str(graph)), headers={"Accept": "text/turtle"})
        assert response.status_code == 200, name
        described = parse_rdf(response.get_data(as_text=True), "turtle")
        assert (graph, RDF.type, V.SystemGraph) in described
        assert {str(label) for label in described.objects(graph, RDFS.label)} == {label_en, label_zh}
        page = client.get(path_of(str(graph)) + "?lang=zh", headers=HTML).get_data(as_text=True)
        assert label_zh in page
    restricted = minter.restricted_graph(minter.catalog_graph())
    assert client.get(path_of(str(restricted)), headers={"Accept": "text/turtle"}).status_code == 404


@pytest.mark.parametrize("accept,media", [("text/turtle; charset=utf-8", "text/turtle"),
                                          ('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"',
                                           "application/ld+json")])
def test_media_type_parameters_do_not_refuse_a_format_offered(client, published_demo, accept, media):
    """Found by audit: werkzeug matched the parameters too, so a charset, or JSON-LD's own
    profile parameter, got 406 from a record that is offered in that media type."""
    response = client.get(path_of(published_demo.project_iri), headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media


@pytest.mark.parametrize("fmt,parser", [("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt")])
def test_format_parameter_overrides_accept(client, published_demo, fmt, parser):
    response = client.get(path_of(published_demo.output_iri) + f"?format={fmt}", headers=HTML)
    assert response.status_code == 200
    graph = parse_rdf(response.get_data(as_text=True), parser)
    assert (URIRef(published_demo.output_iri), RDF.type, V.ResearchOutput) in graph


def test_percent_encoded_doi_paths_resolve_to_the_minted_iri(client, published_demo):
    assert "%2F" in published_demo.output_iri
    response = client.get(path_of(published_demo.output_iri), headers={"Accept": "text/turtle"})
    assert published_demo.output_iri in response.get_data(as_text=True)


def test_unservable_accept_is_406(client, published_demo):
    response = client.get(path_of(published_demo.project_iri), headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.headers["Vary"].startswith("Accept")
    mistyped = client.get(path_of(published_demo.project_iri) + "?format=tutle", headers={"Accept": "application/json"})
    assert mistyped.status_code == 400 and "format=html, ttl" in mistyped.get_json()["error"]["hint"]


def test_restricted_record_answers_exactly_like_a_missing_one(client, published_demo):
    hidden = client.get(path_of(published_demo.restricted_iri), headers=HTML)
    kind = path_of(published_demo.restricted_iri).split("/")[1]
    missing = client.get(f"/{kind}/never-existed-0000", headers=HTML)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data() == missing.get_data()
    as_rdf = client.get(path_of(published_demo.restricted_iri), headers={"Accept": "text/turtle"})
    missing_rdf = client.get(f"/{kind}/never-existed-0000", headers={"Accept": "text/turtle"})
    assert as_rdf.status_code == 404 and as_rdf.get_data() == missing_rdf.get_data()
    api = client.get("/api/entity", query_string={"iri": published_demo.restricted_iri})
    api_missing = client.get("/api/entity", query_string={"iri": published_demo.restricted_iri + "-x"})
    assert api.status_code == 404 and api.get_data() == api_missing.get_data()


def test_staff_see_restricted_records(staff_client, published_demo):
    response = staff_client.get(path_of(published_demo.restricted_iri), headers=HTML)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_void_counts_only_what_the_requester_may_see(client, staff_client, published_demo):
    def triples(c) -> int:
        graph = Graph().parse(data=c.get("/.well-known/void").get_data(as_text=True), format="turtle")
        dataset = next(graph.subjects(RDF.type, VOID.Dataset))
        return int(graph.value(dataset, VOID.triples))

    with open_view(published_demo.settings, "public") as public:
        assert triples(client) == public.count_triples()
    assert triples(staff_client) > triples(client)


def test_void_counts_each_entity_once_though_its_class_partitions_overlap(client):
    """Found by audit: the dataset's void:entities summed the partitions, so an organization
    that is also a supporting institution counted twice."""
    graph = Graph().parse(data=client.get("/.well-known/void").get_data(as_text=True), format="turtle")
    dataset = next(graph.subjects(RDF.type, VOID.Dataset))
    partitions = [int(graph.value(p, VOID.entities)) for p in graph.objects(dataset, VOID.classPartition)]
    entities = int(graph.value(dataset, VOID.entities))
    assert max(partitions) <= entities < sum(partitions)


def test_one_clients_host_header_never_reaches_another_clients_void(client):
    """Found by review: the anonymous answer was cached without the Host header it named its
    endpoints from, so one request with Host: evil.example set them for every later visitor."""
    poisoned = client.get("/.well-known/void", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "http://evil.example/sparql" in poisoned   # that client is told what it asked for …
    body = client.get("/.well-known/void").get_data(as_text=True)
    assert "evil.example" not in body and "http://localhost/sparql" in body   # … and no one else


# --- Login ------------------------------------------------------------------------------------
def test_trusted_hosts_refuse_a_forged_host_header(published_demo):
    """With SCIPOP_TRUSTED_HOSTS set, a redirect or the VoID description can no longer be
    made to name another site by a client's Host header."""
    guarded = make_app(published_demo, SCIPOP_TRUSTED_HOSTS="kg.example.org, localhost")
    try:
        client = guarded.test_client()
        forged = client.get("/.well-known/void", headers={"Host": "evil.example"})
        assert forged.status_code == 400 and "http://evil.example" not in forged.get_data(as_text=True)
        assert forged.get_json()["error"]["code"]
        redirect = client.get("/project//x", headers={"Host": "evil.example"})
        assert redirect.status_code == 400 and "Location" not in redirect.headers
        assert client.get("/.well-known/void", headers={"Host": "kg.example.org"}).status_code == 200
    finally:
        guarded.extensions["scipop"].sparql.close()


def test_login_needs_the_form_token_and_the_right_password(app):
    c = app.test_client()
    form = c.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in form
    no_token = c.post("/login", data={"username": STAFF_USER, "password": STAFF_PASSWORD})
    assert no_token.status_code == 400
    with c.session_transaction() as session:
        token = session["csrf_token"]
    wrong = c.post("/login", data={"username": STAFF_USER, "password": "guess", "csrf_token": token})
    assert wrong.status_code == 401
    ok = c.post("/login?next=//evil.example/x", data={"username": STAFF_USER, "password": STAFF_PASSWORD,
                                                      "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert STAFF_USER in c.get("/", headers=HTML).get_data(as_text=True)
    assert c.post("/logout", data={}).status_code == 400            # logout is a form too
    with c.session_transaction() as session:
        token = session["csrf_token"]
    assert c.post("/logout", data={"csrf_token": token}).status_code == 302
    assert STAFF_USER not in c.get("/", headers=HTML).get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "/\t/evil.example/", "/\\evil.example/", "/\\/evil.example/",
                                    "/\n/evil.example/", "https://evil.example/", "javascript:alert(1)", "/%09/evil"])
def test_login_never_sends_staff_to_another_site(published_demo, target):
    """Found by review: /login?next=/%09/evil.example/ redirected to //evil.example/ (a tab is
    dropped on the way to the Location header)."""
    c = make_app(published_demo).test_client()
    c.get("/login")
    with c.session_transaction() as session:
        token = session["csrf_token"]
    ok = c.post("/login", query_string={"next": target},
                data={"username": STAFF_USER, "password": STAFF_PASSWORD, "csrf_token": token})
    # An escaped tab stays part of a path on this site; everything else goes home.
    assert ok.status_code == 302 and ok.headers["Location"] == ("/%09/evil" if target == "/%09/evil" else "/")


def test_production_refuses_to_start_without_a_real_secret(published_demo):
    with pytest.raises(ConfigError):
        make_app(published_demo, SCIPOP_ENV="production", SCIPOP_SECRET_KEY="changeme")
    with pytest.raises(ConfigError):
        make_app(published_demo, SCIPOP_ENV="production", SCIPOP_SECRET_KEY="")


# --- JSON API ---------------------------------------------------------------------------------
def test_api_entity_gives_data_links_and_status(client, published_demo):
    response = client.get("/api/entity", query_string={"iri": published_demo.project_iri})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    data = response.get_json()
    assert data["iri"] == published_demo.project_iri and data["kind"] == "project"
    assert data["status"] in {str(V.Popularized), str(V.ResultsUnpopularized), str(V.NoKnownResults)}
    assert data["sections"]["outputs"] and "method" in data["sections"]["outputs"][0]


def test_api_errors_have_one_shape(client):
    for path, status in [("/api/entity", 400), ("/api/entity?iri=https://kg.scipop.example.org/project/0", 404),
                         ("/api/nothing-here", 404), ("/api/talent", 400)]:
        response = client.get(path)
        assert response.status_code == status, path
        body = response.get_json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])


@pytest.mark.parametrize("path, status, code", [
    ("/api/reports/gaps?year=%C2%B2", 400, "invalid_query"),            # '²' is a digit to str.isdigit, not to int()
    ("/api/reports/gaps?year=" + "9" * 5000, 400, "invalid_query"),
    ("/api/recommend?top=%E2%91%A0", 400, "invalid_query"),              # '①'
    ("/api/entity?iri=foo", 404, "not_found"),                          # a relative IRI is no record, not a SPARQL error
    ("/api/entity?iri=_:b0", 404, "not_found"),
    ("/sparql?query=", 400, "invalid_query"),                           # empty: not an update
    ("/sparql?query=%20%0A", 400, "invalid_query"),
    ("/unpopularized.csv?year=abc", 400, "invalid_query"),              # the CSV export's clients are scripts
    ("/api/talent?topic=%00%00", 400, "invalid_query"),                 # no topic, not every researcher
    ("/api/unpopularized?popularized=yes", 400, "invalid_query"),       # every hit is unpopularized: not ignored
    ("/api/unpopularized?in_pool=no", 400, "invalid_query"),
    ("/unpopularized.csv?kind=researcher", 400, "invalid_query"),
])
def test_malformed_requests_found_by_the_audit_get_the_error_shape(client, path, status, code):
    response = client.get(path, headers={"Accept": "*/*"})
    assert response.status_code == status, (path, response.get_data(as_text=True)[:300])
    assert response.get_json()["error"]["code"] == code


def test_the_query_page_refuses_two_queries_as_the_endpoint_does(client):
    response = client.get("/query?query=ASK%7B%7D&query=SELECT%20*%20%7B%7D", headers={"Accept": "application/json"})
    assert response.status_code == 400 and "More than one 'query'" in response.get_json()["error"]["message"]


def test_an_institution_name_without_words_matches_none(client):
    response = client.get("/api/search?q=gene&institution=.")
    assert response.status_code == 404 and "No institution called '.'" in response.get_json()["error"]["message"]


def test_many_institution_names_are_refused_before_any_is_looked_up(client):
    names = "&".join(f"institution=大学{i}" for i in range(51))
    response = client.get("/api/search?q=gene&" + names)
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "query_limit" and "at most 50" in error["message"]
    # Three names may stand for more than 50 institutions between them: that is not the user's count.
    assert client.get("/api/search?q=gene&institution=大学&institution=学院&institution=研究所").status_code == 200


def test_api_stats_and_coverage_report(client):
    stats = client.get("/api/stats").get_json()
    assert stats["classes"]["FundedProject"] > 0 and "C" in stats["by_department"]
    coverage = client.get("/api/reports/coverage").get_json()
    assert set(coverage) == {"by_department", "by_tier"}
    # The same counts as the downloads a liaison officer takes into a spreadsheet.
    lines = client.get("/api/reports/coverage?format=csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "group,label,popularized,unpopularized,noresults,other,projects"
    life = next(line.split(",") for line in lines if line.startswith("C,"))
    assert [int(n) for n in life[2:5]] == [coverage["by_department"]["C"].get(k, 0)
                                           for k in ("popularized", "unpopularized", "noresults")]
    tiers = client.get("/api/reports/coverage?format=csv&table=coverage-tier&lang=en").get_data(as_text=True)
    assert any(line.startswith("obliged,Obliged to popularize,") for line in tiers.splitlines())
    workbook = client.get("/api/reports/coverage?format=xlsx")
    assert workbook.mimetype.endswith("spreadsheetml.sheet") and workbook.data[:2] == b"PK"
    assert client.get("/api/reports/coverage?format=pdf").status_code == 400


def test_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {rule.rule.replace("<letter>", "{letter}").replace("<name>", "{name}") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json"}
    assert routes <= set(document["paths"])


def test_reports_page_and_exports(client):
    page = client.get("/reports/gaps?by=department&lang=en", headers=HTML)
    assert page.status_code == 200 and "results-table" in page.get_data(as_text=True)
    data = client.get("/api/reports/compliance", query_string={"by": "department"}).get_json()
    assert data["columns"] and data["rows"]
    exported = client.get("/api/reports/indicators", query_string={"by": "department", "format": "csv"})
    assert exported.mimetype == "text/csv" and exported.get_data(as_text=True).lstrip("\ufeff").startswith("group,")
    assert client.get("/api/reports/gaps", query_string={"by": "colour"}).status_code == 400
    assert client.get("/api/reports/nonsense").status_code == 404


def test_request_bodies_are_size_limited(client):
    response = client.post("/login", data={"username": "x" * 100_000})
    assert response.status_code == 413


def test_cors_only_when_enabled(client, published_demo):
    assert "Access-Control-Allow-Origin" not in client.get("/api/stats").headers
    enabled = make_app(published_demo, SCIPOP_CORS_ORIGIN="*")
    try:
        assert enabled.test_client().get("/api/stats").headers["Access-Control-Allow-Origin"] == "*"
    finally:
        enabled.extensions["scipop"].sparql.close()


# --- Escaping ---------------------------------------------------------------------------------
def test_non_http_iris_never_become_links(client):
    query = 'SELECT ?x ?y WHERE { BIND(IRI("javascript:alert(1)") AS ?x) BIND("<script>alert(2)</script>" AS ?y) }'
    page = client.get("/query", query_string={"query": query}, headers=HTML).get_data(as_text=True)
    assert "javascript:alert(1)" in page
    assert 'href="javascript:' not in page
    assert "<script>alert(2)" not in page and "&lt;script&gt;alert(2)" in page


def test_links_helper_maps_local_iris_and_refuses_other_schemes():
    from webapp.links import href

    base = "https://kg.scipop.example.org/"
    assert href(base + "project/61772368", base) == "/project/61772368"
    assert href("https://doi.org/10.1/x", base) == "https://doi.org/10.1/x"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "JaVaScRiPt:x", "vbscript:x",
                'https://x.org/"onmouseover="x'):
        assert href(bad, base) is None
