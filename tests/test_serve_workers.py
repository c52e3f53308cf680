"""`scipop serve --workers 2` (gunicorn): stateless across processes, same answers as one.

A staff login made through one connection must hold on every later connection, whichever
worker process takes it (every worker signs sessions with the same key); anonymous
requests still never see a restricted record; long SPARQL GET requests pass; a query past the time limit is still stopped (each worker process has
its own killable SPARQL worker processes).
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from server_fixture import free_port, running_server
from web_fixtures import SEARCH_ENGINE, STAFF_HASH, STAFF_PASSWORD, STAFF_USER, path_of, published_demo  # noqa: F401


@pytest.fixture(scope="module")
def workers_server(published_demo, tmp_path_factory):  # noqa: F811
    env = {**os.environ, "SCIPOP_DATA_DIR": str(published_demo.data_dir), "SCIPOP_STAFF_USERS": f"{STAFF_USER}:{STAFF_HASH}",
           "SCIPOP_QUIET": "1", "SCIPOP_SEARCH_ENGINE": SEARCH_ENGINE, "SCIPOP_SPARQL_WORKERS": "1",
           "SCIPOP_SPARQL_TIMEOUT": "2"}
    env.pop("SCIPOP_SECRET_KEY", None)  # the development key: made once, shared by the workers
    log = tmp_path_factory.mktemp("serve-workers") / "serve.log"
    args = ["--port", str(free_port()), "--workers", "2", "--threads", "2"]
    with running_server(args, env, log, stop_seconds=20) as base:
        yield base


def _status(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_staff_login_holds_on_every_worker_and_anonymous_reads_stay_public(workers_server, published_demo):  # noqa: F811
    jar = http.cookiejar.CookieJar()
    staff = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with staff.open(workers_server + "/login", timeout=60) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode("utf-8")).group(1)
    form = urlencode({"username": STAFF_USER, "password": STAFF_PASSWORD, "csrf_token": token}).encode()
    staff.open(workers_server + "/login", data=form, timeout=60).read()
    restricted = workers_server + path_of(published_demo.restricted_iri)
    anonymous = urllib.request.build_opener()
    # urllib opens a new connection per request, so these spread over both workers.
    for _ in range(8):
        assert _status(staff, restricted) == 200
        assert _status(anonymous, restricted) == 404


def test_long_sparql_get_requests_pass(workers_server):
    padding = " ".join(f"?v{i}" for i in range(1200))  # a request line over 8 KB
    query = f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT 1 # {padding}"
    url = workers_server + "/sparql?" + urlencode({"query": query})
    assert len(url) > 8190  # gunicorn's largest settable request-line limit
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert len(json.loads(response.read())["results"]["bindings"]) == 1


def test_a_query_past_the_time_limit_is_stopped_under_workers(workers_server):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    accept = {"Accept": "application/sparql-results+json"}
    request = urllib.request.Request(workers_server + "/sparql?" + urlencode({"query": slow}), headers=accept)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    assert caught.value.code == 503 and json.loads(caught.value.read())["error"]["code"] == "query_timeout"
    for _ in range(4):  # whichever worker answers, its SPARQL workers answer the next query
        ask = urllib.request.Request(workers_server + "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"}),
                                     headers=accept)
        with urllib.request.urlopen(ask, timeout=60) as response:
            assert json.loads(response.read())["boolean"] is True


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serving_is_announced_once_the_address_is_taken(published_demo, tmp_path, workers):  # noqa: F811
    """A user (or a service manager's log) reads "Serving … on http://…" only once the
    address is bound: after waitress has bound it, after gunicorn's master listens."""
    env = {**os.environ, "SCIPOP_DATA_DIR": str(published_demo.data_dir), "SCIPOP_SEARCH_ENGINE": SEARCH_ENGINE,
           "SCIPOP_SPARQL_WORKERS": "1"}
    env.pop("SCIPOP_QUIET", None)
    log = tmp_path / "serve.log"
    port = str(free_port())
    with running_server(["--port", port, "--workers", workers, "--threads", "1"], env, log, stop_seconds=20) as base:
        said = log.read_text(encoding="utf-8")
    assert said.count(f"on {base}/") == 1, said
    if workers == "2":
        assert said.index("Listening at") < said.index("Serving"), said
