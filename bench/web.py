"""Drive the real web server on loopback with a fixed mix of requests and print its figures.

    .venv/bin/python bench/web.py --data-dir bench/out/web-100000 [--seconds 30] [--clients 8]
    .venv/bin/python bench/web.py --url http://127.0.0.1:8000 --data-dir …   (a server already running)

The data dir must hold a publication (`scipop build` / `scipop publish`) and a current
search index of the public view for --search-engine (default tantivy, the engine meant for
this size: `scipop index --view public --search-engine tantivy`). The script refuses to run
without one, even with --no-search: the server would start rebuilding it in the background
(webapp/state.py) and the measurement would include that. Without --url the script starts
`scipop serve --engine …` itself on a free port and stops it afterwards. The run is bounded by time
(--seconds) and by count (--max-requests) and stops by itself; only 127.0.0.1 is contacted.

The mix (anonymous users, public view): 50% entity pages (project, researcher,
institution, output, work), 25% searches (JSON API and HTML), 25% SPARQL lookups (a
project by approval number, a researcher's projects). IRIs, words and numbers are drawn
from the data with a fixed seed, so runs are comparable. Targets on the 2-core machine:
>= 200 requests/s, p95 < 100 ms, zero errors.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.config import Settings  # noqa: E402
from kg.store import prefix_block  # noqa: E402
from kg.views import open_view  # noqa: E402

SAMPLE = 400  # distinct IRIs / words / numbers per kind


def sample_targets(settings: Settings, seed: int, sample: int = SAMPLE) -> dict[str, list[str]]:
    """Paths of the mix, drawn from the public view: up to `sample` per kind."""
    rng = random.Random(seed)
    base = settings.base_iri
    targets: dict[str, list[str]] = {}
    with open_view(settings, "public") as kg:
        def iris(pattern: str) -> list[str]:
            rows = kg.select(prefix_block() + f"SELECT ?s WHERE {{ {pattern} }} LIMIT {sample * 5}")
            found = [str(r["s"]) for r in rows]
            rng.shuffle(found)
            return ["/" + i[len(base):] for i in found[:sample] if i.startswith(base)]

        targets["page:project"] = iris("?s a sp:FundedProject")
        targets["page:researcher"] = iris("?x sp:principalInvestigator ?s")
        targets["page:institution"] = iris("?s a sp:SupportingInstitution")
        targets["page:output"] = iris("?s a sp:ResearchOutput")
        targets["page:work"] = iris("?s a sp:PopularScienceWork")
        keywords = [str(r["k"]) for r in kg.select(prefix_block() + f"""SELECT DISTINCT ?k WHERE {{
            ?p a sp:FundedProject ; schema:keywords ?k }} LIMIT {sample}""")]
        numbers = [str(r["n"]) for r in kg.select(prefix_block() + f"""SELECT ?n WHERE {{
            ?p sp:approvalNumber ?n }} LIMIT {sample * 5}""")]
    rng.shuffle(keywords)
    rng.shuffle(numbers)
    targets["search:api"] = ["/api/search?" + urlencode({"q": k}) for k in keywords[:sample]]
    targets["search:html"] = ["/search?" + urlencode({"q": k, "kind": "project"}) for k in keywords[:sample]]
    prefixes = "PREFIX sp: <https://w3id.org/scipop/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
    lookup = prefixes + 'SELECT ?p ?title ?status WHERE {{ ?p sp:approvalNumber "{n}" ; dcterms:title ?title . ' \
                              'OPTIONAL {{ ?p sp:popularizationStatus ?status }} }} LIMIT 10'
    targets["sparql:lookup"] = ["/sparql?" + urlencode({"query": lookup.format(n=n)}) for n in numbers[:sample]]
    person = prefixes + "SELECT ?p ?year WHERE {{ ?p sp:principalInvestigator <{iri}> . " \
                              "OPTIONAL {{ ?p sp:approvalYear ?year }} }} LIMIT 50"
    targets["sparql:person"] = ["/sparql?" + urlencode({"query": person.format(iri=base + p[1:])})
                                for p in targets["page:researcher"]]
    return targets


MIX = [("page:project", 14), ("page:researcher", 12), ("page:institution", 8), ("page:output", 10),
       ("page:work", 6), ("search:api", 15), ("search:html", 10), ("sparql:lookup", 15), ("sparql:person", 10)]
PLAN = 5000  # requests in the repeating plan


def build_plan(targets: dict[str, list[str]], seed: int, fresh: bool) -> list[tuple[str, str]]:
    """The requests in order, kinds drawn by MIX weight. By default PLAN draws with repeats (the
    server's per-publication answer cache then serves the repeats); with `fresh` each path at
    most once (a kind that runs out leaves the mix), so that every request is answered from the
    graph, the index or the SPARQL workers rather than from a cache."""
    rng = random.Random(seed)
    plan: list[tuple[str, str]] = []
    if not fresh:
        for _ in range(PLAN):
            kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
            if targets.get(kind):
                plan.append((kind, rng.choice(targets[kind])))
        return plan
    left = {kind: rng.sample(paths, len(paths)) for kind, paths in targets.items()}
    kinds = [(k, w) for k, w in MIX if left.get(k)]
    while kinds:
        kind = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        plan.append((kind, left[kind].pop()))
        if not left[kind]:
            kinds = [(k, w) for k, w in kinds if k != kind]
    return plan


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.examples: dict[str, str] = {}

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                self.examples.setdefault(kind, detail)


def client_loop(host: str, port: int, plan: list[tuple[str, str]], deadline: float, budget: list[int],
                recorder: Recorder, repeat: bool = True) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Accept": "text/html", "Accept-Language": "zh-CN,zh;q=0.9"}
    accept = {"search:api": "application/json", "sparql:lookup": "application/sparql-results+json",
              "sparql:person": "application/sparql-results+json"}
    index = 0
    while time.monotonic() < deadline:
        with recorder.lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        if index >= len(plan) and not repeat:
            return
        kind, path = plan[index % len(plan)]
        index += 1
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={**headers, "Accept": accept.get(kind, "text/html")})
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
            detail = f"{response.status} {path[:120]}"
        except (OSError, http.client.HTTPException) as exc:
            ok, detail = False, f"{type(exc).__name__} {path[:120]}"
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
        recorder.add(kind, time.perf_counter() - started, ok, detail)
    connection.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_index(settings: Settings, engine: str) -> None:
    """Stop unless the public view has a current index for `engine` (see the module docstring)."""
    from search import IndexNotReady, open_index

    try:
        open_index(settings, "public", engine).close()
    except IndexNotReady as reason:
        raise SystemExit(f"{reason.message} {reason.hint}") from None


def start_server(data_dir: Path, threads: int, workers: int, engine: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # The load generator is one loopback client: a per-client budget would refuse most of it.
    env = {"SCIPOP_BUDGET_EXEMPT": "127.0.0.1", **os.environ, "SCIPOP_DATA_DIR": str(data_dir), "SCIPOP_QUIET": "1"}
    scipop = Path(sys.executable).with_name("scipop")
    process = subprocess.Popen([str(scipop), "serve", "--port", str(port), "--threads", str(threads),
                                "--workers", str(workers), "--engine", engine], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/sparql", headers={"Accept": "text/turtle"})
            connection.getresponse().read()
            return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not start within 120 s")


def warm(host: str, port: int, targets: dict[str, list[str]]) -> None:
    """One request of each kind, so that views, the index and the SPARQL workers are open."""
    connection = http.client.HTTPConnection(host, port, timeout=120)
    for path in ["/"] + [paths[0] for paths in targets.values() if paths]:
        connection.request("GET", path)
        connection.getresponse().read()
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--url", default=None, help="a running server (loopback only); default: start one")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--threads", type=int, default=8, help="server threads (per worker) when the script starts it")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes when the script starts it")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--search-engine", choices=["whoosh", "tantivy"], default="tantivy",
                        help="the engine of the index the server searches (when the script starts it)")
    parser.add_argument("--no-search", action="store_true", help="leave searches out of the mix")
    parser.add_argument("--sample", type=int, default=SAMPLE, help="distinct paths drawn per kind")
    parser.add_argument("--fresh", action="store_true",
                        help="each path at most once (no answer-cache hits); use a large --sample")
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir)
    if args.url is None:
        require_index(settings, args.search_engine)
    targets = sample_targets(settings, args.seed, args.sample)
    if args.no_search:
        targets = {kind: paths for kind, paths in targets.items() if not kind.startswith("search:")}
    plan = build_plan(targets, args.seed, args.fresh)

    process = None
    url = args.url
    if url is None:
        process, url = start_server(args.data_dir, args.threads, args.workers, args.search_engine)
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench/web.py only drives servers on loopback")
    host, port = parts.hostname, parts.port or 80
    try:
        warm(host, port, targets)
        recorder = Recorder()
        budget = [args.max_requests]
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [threading.Thread(target=client_loop, args=(host, port, plan[i::args.clients] or plan, deadline,
                                                              budget, recorder, not args.fresh), daemon=True)
                   for i in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 60)
        elapsed = time.monotonic() - started
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)

    everything = [v for values in recorder.latencies.values() for v in values]
    total_errors = sum(recorder.errors.values())
    engine = f"  engine {args.search_engine}" if args.url is None else ""
    print(f"data dir {args.data_dir}  server {url}{engine}  clients {args.clients}  {elapsed:.1f} s  load {os.getloadavg()}"
          + ("  (searches left out: --no-search)" if args.no_search else "")
          + (f"  (each path once: --fresh, {len(plan)} planned)" if args.fresh else ""))
    print(f"{'kind':<18}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind, _ in MIX:
        values = recorder.latencies.get(kind, [])
        if not values:
            continue
        print(f"{kind:<18}{len(values):>9}{percentile(values, 50) * 1000:>9.1f}{percentile(values, 95) * 1000:>9.1f}"
              f"{percentile(values, 99) * 1000:>9.1f}{recorder.errors.get(kind, 0):>8}")
    print(f"{'all':<18}{len(everything):>9}{percentile(everything, 50) * 1000:>9.1f}"
          f"{percentile(everything, 95) * 1000:>9.1f}{percentile(everything, 99) * 1000:>9.1f}{total_errors:>8}")
    print(f"throughput {len(everything) / elapsed:.1f} requests/s; mean {statistics.fmean(everything) * 1000:.1f} ms"
          if everything else "no requests completed")
    for kind, example in recorder.examples.items():
        print(f"first error of {kind}: {example}")
    print("targets: >= 200 requests/s, p95 < 100 ms, 0 errors")


if __name__ == "__main__":
    main()
