"""Per-client budgets on SPARQL and the JSON search API: one address cannot spend more than
its share of requests or query time in a sliding window; it is told 429 and when to come
back, in the one error shape, and every other address is still served."""
from __future__ import annotations

import threading

import pytest

from kg.errors import ConfigError
from webapp.budget import SWEEP_EVERY, BudgetExceeded, BudgetPolicy, ClientBudget
from webapp.config import load_config
from web_fixtures import make_app, published_demo  # noqa: F401

QUERY = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
JSON = {"Accept": "application/sparql-results+json"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_requests_over_the_budget_are_refused_until_the_window_slides():
    clock = FakeClock()
    budget = ClientBudget(BudgetPolicy("sparql", window=60, max_requests=3), clock)
    for step in range(3):
        budget.admit("192.0.2.1")
        clock.now += 10
    with pytest.raises(BudgetExceeded) as refused:
        budget.admit("192.0.2.1")
    # The first request (t=1000) ages out at t=1060; it is now t=1030.
    assert refused.value.retry_after == 30 and refused.value.status == 429
    assert refused.value.to_dict()["error"]["details"] == {"retry_after": 30, "scope": "sparql"}
    budget.admit("198.51.100.9")  # another client is not affected
    clock.now = 1060.0
    budget.admit("192.0.2.1")     # one slot freed
    with pytest.raises(BudgetExceeded):
        budget.admit("192.0.2.1")


def test_query_time_is_a_budget_of_its_own():
    clock = FakeClock()
    budget = ClientBudget(BudgetPolicy("sparql", window=60, max_seconds=10), clock)
    budget.finish(budget.admit("192.0.2.1"), 6.0)
    clock.now += 5
    budget.finish(budget.admit("192.0.2.1"), 6.0)  # 6 s spent < 10 s: admitted, now 12 s
    clock.now += 5
    with pytest.raises(BudgetExceeded) as refused:
        budget.admit("192.0.2.1")
    # Dropping the first 6 s brings it under 10 s: that entry (t=1000) ages out at t=1060.
    assert refused.value.retry_after == 50
    assert "10 s of query time per 60 s" in refused.value.message


def test_a_client_may_run_only_so_many_requests_at_once():
    """Found by an audit: twelve CONSTRUCTs sent at once were all admitted (their seconds are
    known only when they end), filled every server thread and stalled other clients."""
    budget = ClientBudget(BudgetPolicy("sparql", window=60, max_seconds=60, max_running=2), FakeClock())
    first, second = budget.admit("192.0.2.1"), budget.admit("192.0.2.1")
    with pytest.raises(BudgetExceeded) as refused:
        budget.admit("192.0.2.1")
    assert "already has 2 sparql requests running; at most 2" in refused.value.message
    assert refused.value.retry_after == 1 and refused.value.status == 429
    budget.admit("198.51.100.9")          # another client is not affected
    budget.finish(first, 0.5)
    budget.admit("192.0.2.1")             # one ended: one more may start
    budget.finish(second, 0.5)


def test_exempt_addresses_and_switched_off_limits_are_never_refused():
    clock = FakeClock()
    exempt = ClientBudget(BudgetPolicy("sparql", window=60, max_requests=1, exempt=frozenset({"127.0.0.1"})), clock)
    off = ClientBudget(BudgetPolicy("sparql", window=60, max_requests=0, max_seconds=0), clock)
    for _ in range(50):
        exempt.admit("127.0.0.1")
        off.finish(off.admit("192.0.2.1"), 100.0)
    exempt.admit("192.0.2.1")
    with pytest.raises(BudgetExceeded):
        exempt.admit("192.0.2.1")
    assert off.clients() == 0


def test_idle_clients_are_forgotten():
    clock = FakeClock()
    budget = ClientBudget(BudgetPolicy("sparql", window=60, max_requests=5), clock)
    for i in range(2000):
        budget.admit(f"10.0.{i // 256}.{i % 256}")
    assert budget.clients() == 2000
    clock.now += 61
    for _ in range(SWEEP_EVERY):  # a sweep happens every SWEEP_EVERY admissions
        try:
            budget.admit("192.0.2.1")
        except BudgetExceeded:
            pass
    assert budget.clients() == 1


def test_threads_sharing_a_budget_admit_exactly_the_limit():
    budget = ClientBudget(BudgetPolicy("sparql", window=3600, max_requests=100))
    admitted, refused = [], []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(50):
            try:
                budget.admit("192.0.2.1")
                admitted.append(1)
            except BudgetExceeded:
                refused.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 100 and len(refused) == 300


def test_budgets_come_from_configuration_and_environment():
    config = load_config({"SCIPOP_SPARQL_BUDGET_REQUESTS": "7"},
                         {"SCIPOP_BUDGET_WINDOW": "30", "SCIPOP_SPARQL_BUDGET_SECONDS": "12.5",
                          "SCIPOP_SPARQL_BUDGET_REQUESTS": "99", "SCIPOP_API_BUDGET_REQUESTS": "0",
                          "SCIPOP_BUDGET_EXEMPT": "127.0.0.1, ::1"})
    assert config.sparql_budget.max_requests == 7  # the dict wins over the environment
    assert config.sparql_budget.window == 30 and config.sparql_budget.max_seconds == 12.5
    assert config.sparql_budget.exempt == frozenset({"127.0.0.1", "::1"})
    assert config.api_budget.max_requests == 0 and config.api_budget.enabled  # its time budget still holds
    assert (config.sparql_budget.max_running, config.api_budget.max_running) == (2, 4)
    assert load_config({}, {"SCIPOP_SPARQL_BUDGET_RUNNING": "0"}).sparql_budget.max_running == 0
    defaults = load_config({}, {})
    assert defaults.sparql_budget.enabled and defaults.api_budget.enabled and not defaults.sparql_budget.exempt
    with pytest.raises(ConfigError):
        load_config({}, {"SCIPOP_SPARQL_BUDGET_REQUESTS": "-1"})
    with pytest.raises(ConfigError):
        load_config({}, {"SCIPOP_BUDGET_WINDOW": "a minute"})


@pytest.mark.parametrize("name, value, said", [
    ("SCIPOP_SPARQL_TIMEOUT", "-1", "SCIPOP_SPARQL_TIMEOUT must be more than 0, not -1"),   # stopped every query
    ("SCIPOP_SPARQL_TIMEOUT", "0", "must be more than 0"),
    ("SCIPOP_SPARQL_TIMEOUT", "nan", "must be more than 0"),
    ("SCIPOP_SPARQL_TIMEOUT", "abc", "SCIPOP_SPARQL_TIMEOUT must be a number, not 'abc'"),  # named, not five candidates
    ("SCIPOP_SPARQL_MAX_ROWS", "-3", "SCIPOP_SPARQL_MAX_ROWS must be at least 1"),          # answered no rows
    ("SCIPOP_MAX_REQUEST_BYTES", "-5", "SCIPOP_MAX_REQUEST_BYTES must be at least 1024"),  # refused every POST
    ("SCIPOP_SPARQL_WORKERS", "0", "SCIPOP_SPARQL_WORKERS must be at least 1"),
    ("SCIPOP_API_BUDGET_SECONDS", "-1", "SCIPOP_API_BUDGET_SECONDS must be at least 0"),
    ("SCIPOP_ENV", "prod", "SCIPOP_ENV must be production or development, not 'prod'"),      # ran in development mode
])
def test_a_web_setting_out_of_range_is_refused_by_name(name, value, said):
    with pytest.raises(ConfigError) as caught:
        load_config({}, {name: value})
    assert said in caught.value.message
    assert load_config({}, {"SCIPOP_SPARQL_TIMEOUT": "2.5", "SCIPOP_ENV": "Development"}).sparql_timeout == 2.5


# Through the app, as a client meets it --------------------------------------------------------
@pytest.fixture
def limited(published_demo):  # noqa: F811
    app = make_app(published_demo, SCIPOP_SPARQL_BUDGET_REQUESTS=3, SCIPOP_API_BUDGET_REQUESTS=2,
                   SCIPOP_BUDGET_EXEMPT="203.0.113.5")
    yield app
    app.extensions["scipop"].sparql.close()


def _from(address: str) -> dict:
    return {"REMOTE_ADDR": address}


def test_sparql_over_budget_is_429_with_retry_after_in_the_one_error_shape(limited):
    client = limited.test_client()
    for i in range(3):
        response = client.get("/sparql", query_string={"query": QUERY + f" OFFSET {i}"}, headers=JSON,
                              environ_base=_from("192.0.2.1"))
        assert response.status_code == 200
    refused = client.get("/sparql", query_string={"query": QUERY}, headers=JSON, environ_base=_from("192.0.2.1"))
    assert refused.status_code == 429
    retry = int(refused.headers["Retry-After"])
    assert 1 <= retry <= 60
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and error["details"] == {"retry_after": retry, "scope": "sparql"}
    assert error["message"] and error["hint"]
    # The HTML query page spends the same budget; a browser gets a page, still 429.
    page = client.get("/query", query_string={"query": QUERY}, environ_base=_from("192.0.2.1"))
    assert page.status_code == 429 and page.mimetype == "text/html" and page.headers["Retry-After"]
    # Other clients, and an exempt one, are served.
    other = client.get("/sparql", query_string={"query": QUERY}, headers=JSON, environ_base=_from("198.51.100.2"))
    assert other.status_code == 200
    for _ in range(5):
        exempt = client.get("/sparql", query_string={"query": QUERY}, headers=JSON, environ_base=_from("203.0.113.5"))
        assert exempt.status_code == 200


def test_the_json_search_api_has_its_own_budget(limited, published_demo):  # noqa: F811
    if not published_demo.search_ready:
        pytest.skip("search is not installed")
    client = limited.test_client()
    for _ in range(2):
        assert client.get("/api/search?q=quantum", environ_base=_from("192.0.2.1")).status_code == 200
    refused = client.get("/api/talent?topic=quantum", environ_base=_from("192.0.2.1"))
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"]
    # The search pages and the CSV export cost the same and spend the same budget.
    for path in ("/search?q=quantum", "/talent?topic=quantum", "/unpopularized", "/unpopularized.csv"):
        assert client.get(path, environ_base=_from("192.0.2.1")).status_code == 429, path
    # Pages and the SPARQL budget are separate: the same client still reads entity pages and SPARQL.
    assert client.get("/api/stats", environ_base=_from("192.0.2.1")).status_code == 200
    assert client.get("/sparql", query_string={"query": QUERY}, headers=JSON,
                      environ_base=_from("192.0.2.1")).status_code == 200


def test_query_time_spent_is_charged_to_the_client(published_demo):  # noqa: F811
    app = make_app(published_demo, SCIPOP_SPARQL_BUDGET_REQUESTS=0, SCIPOP_SPARQL_BUDGET_SECONDS=1e-6)
    try:
        client = app.test_client()
        first = client.get("/sparql", query_string={"query": QUERY}, headers=JSON, environ_base=_from("192.0.2.1"))
        assert first.status_code == 200
        second = client.get("/sparql", query_string={"query": QUERY}, headers=JSON, environ_base=_from("192.0.2.1"))
        assert second.status_code == 429 and "query time" in second.get_json()["error"]["message"]
    finally:
        app.extensions["scipop"].sparql.close()
