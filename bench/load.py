"""Load test: the real server on loopback under a mixed anonymous workload; fails on errors or slowness.

    .venv/bin/python bench/load.py [--data-dir bench/out/load-demo] [--seconds 60] [--clients 8]
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --data-dir …   (a server already running)

Without --data-dir holding a publication, the demo is built there first (`scipop build
--demo`); without --url, `scipop serve` is started on a free loopback port and stopped at
the end. Only 127.0.0.1 is contacted. For 60 s (--seconds) several client threads send
the mix below over keep-alive connections; then the script prints requests/s, p50, p95
and p99 per kind and overall, and the error count and rate. It exits 1 when the error
rate exceeds 0.1% or p95 exceeds 300 ms (--max-error-rate, --max-p95-ms); a non-200
answer, 429 included, is an error.

The mix (anonymous users, public view): the home page, HTML search, the JSON search API,
entity pages of every kind, SPARQL lookups and talent-pool lookups (HTML and JSON). Paths
are drawn from the data with a fixed seed, so runs are comparable; the plan holds 5,000
requests, replayed in a loop, so later rounds meet the server's per-publication response
cache as repeat visitors do. The request machinery (sampling, client loop, percentiles,
server start) is bench/web.py's. The server searches with Tantivy unless --search-engine
whoosh is given.

The per-client budgets (SCIPOP_*_BUDGET_*) would refuse most of this traffic, because all
of it comes from one address: a server started here runs with SCIPOP_BUDGET_EXEMPT=127.0.0.1;
a server given by --url must be started with the same setting (or with the budgets raised).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.config import Settings  # noqa: E402
from kg.publish import current_stamp  # noqa: E402


def _bench_web():
    # bench/ is not a package, and `web` is the app factory's name at the root: load it by path.
    spec = importlib.util.spec_from_file_location("bench_web", ROOT / "bench" / "web.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_web = _bench_web()
Recorder, client_loop, percentile = _web.Recorder, _web.client_loop, _web.percentile
sample_targets, start_server, warm = _web.sample_targets, _web.start_server, _web.warm

MIX = [("page:home", 6), ("search:html", 12), ("search:api", 14), ("page:project", 10), ("page:researcher", 8),
       ("page:institution", 5), ("page:output", 7), ("page:work", 4), ("sparql:lookup", 12), ("sparql:person", 8),
       ("talent:html", 6), ("talent:api", 8)]
DEFAULT_DATA_DIR = ROOT / "bench" / "out" / "load-demo"


def load_targets(settings: Settings, seed: int) -> dict[str, list[str]]:
    """bench/web.py's paths, plus the home page and talent lookups on the same topics."""
    targets = sample_targets(settings, seed)
    topics = [path.split("q=", 1)[1] for path in targets.get("search:api", [])]
    targets["page:home"] = ["/", "/?lang=en"]
    targets["talent:html"] = ["/talent?topic=" + topic for topic in topics]
    targets["talent:api"] = ["/api/talent?topic=" + topic for topic in topics]
    return targets


def make_plan(targets: dict[str, list[str]], seed: int, size: int = 5000) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX if targets.get(k)]
    weights = [w for k, w in MIX if targets.get(k)]
    return [(kind, rng.choice(targets[kind])) for kind in rng.choices(kinds, weights=weights, k=size)]


def ensure_demo(data_dir: Path, engine: str) -> None:
    """Build the demo into `data_dir` unless it already holds a publication, and the public
    view's index for `engine` unless there is one (the server would otherwise build it
    while being measured)."""
    from search import index_exists

    scipop = Path(sys.executable).with_name("scipop")
    env = {**os.environ, "SCIPOP_DATA_DIR": str(data_dir), "SCIPOP_QUIET": "1"}
    if current_stamp(Settings(data_dir=data_dir)) is None:
        print(f"building the demo into {data_dir} …", flush=True)
        subprocess.run([str(scipop), "build", "--demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    if not index_exists(Settings(data_dir=data_dir), "public", engine):
        print(f"indexing the public view with {engine} …", flush=True)
        subprocess.run([str(scipop), "index", "--view", "public", "--search-engine", engine], env=env, check=True)


def drive(host: str, port: int, plan: list[tuple[str, str]], clients: int, seconds: float,
          max_requests: int) -> tuple[Recorder, float]:
    """Run `clients` threads of bench/web.py's client loop over the plan; (recorder, elapsed s)."""
    recorder = Recorder()
    budget = [max_requests]
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(host, port, plan[i::clients] or plan, deadline, budget,
                                                          recorder), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return recorder, time.monotonic() - started


def report(recorder: Recorder, elapsed: float, max_error_rate: float, max_p95_ms: float) -> bool:
    """Print the figures; True when they meet the targets."""
    everything = [v for values in recorder.latencies.values() for v in values]
    errors = sum(recorder.errors.values())
    print(f"{'kind':<18}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind, _ in MIX:
        values = recorder.latencies.get(kind, [])
        if values:
            print(f"{kind:<18}{len(values):>9}{percentile(values, 50) * 1000:>9.1f}"
                  f"{percentile(values, 95) * 1000:>9.1f}{percentile(values, 99) * 1000:>9.1f}"
                  f"{recorder.errors.get(kind, 0):>8}")
    if not everything:
        print("no requests completed")
        return False
    p95 = percentile(everything, 95) * 1000
    rate = errors / len(everything)
    print(f"{'all':<18}{len(everything):>9}{percentile(everything, 50) * 1000:>9.1f}{p95:>9.1f}"
          f"{percentile(everything, 99) * 1000:>9.1f}{errors:>8}")
    print(f"throughput {len(everything) / elapsed:.1f} requests/s over {elapsed:.1f} s; "
          f"errors {errors} ({rate:.3%}); load average {os.getloadavg()[0]:.2f}")
    for kind, example in recorder.examples.items():
        print(f"first error of {kind}: {example}")
    ok = rate <= max_error_rate and p95 <= max_p95_ms
    print(f"targets: error rate <= {max_error_rate:.1%} and p95 <= {max_p95_ms:.0f} ms: {'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="a data dir with a publication; the demo is built here when it has none")
    parser.add_argument("--url", default=None, help="a running server (loopback only); default: start one")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (keep-alive connections)")
    parser.add_argument("--threads", type=int, default=8, help="server threads when the script starts it")
    parser.add_argument("--workers", type=int, default=1, help="server processes when the script starts it")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--search-engine", choices=["whoosh", "tantivy"], default="tantivy",
                        help="engine the started server searches with (whoosh missed p95 on the demo)")
    parser.add_argument("--max-error-rate", type=float, default=0.001)
    parser.add_argument("--max-p95-ms", type=float, default=300.0)
    args = parser.parse_args()

    if args.url is None:
        ensure_demo(args.data_dir, args.search_engine)
    plan = make_plan(load_targets(Settings(data_dir=args.data_dir), args.seed), args.seed)
    process, url = None, args.url
    if url is None:
        os.environ.setdefault("SCIPOP_BUDGET_EXEMPT", "127.0.0.1")  # one loopback client: see the docstring
        os.environ["SCIPOP_SEARCH_ENGINE"] = args.search_engine
        process, url = start_server(args.data_dir, args.threads, args.workers)
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench/load.py only drives servers on loopback")
    try:
        first_of_each: dict[str, list[str]] = {}
        for kind, path in plan:
            first_of_each.setdefault(kind, [path])
        warm(parts.hostname, parts.port or 80, first_of_each)
        recorder, elapsed = drive(parts.hostname, parts.port or 80, plan, args.clients, args.seconds,
                                  args.max_requests)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    print(f"data dir {args.data_dir}  server {url}  clients {args.clients}  seconds {args.seconds:g}")
    return 0 if report(recorder, elapsed, args.max_error_rate, args.max_p95_ms) else 1


if __name__ == "__main__":
    sys.exit(main())
