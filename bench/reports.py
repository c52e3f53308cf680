"""How long each report, the indicators, the network and a recommendation take at scale.

    python bench/reports.py --projects 100000            # generate/ingest if needed, then time
    python bench/reports.py --projects 100000 --prepare  # only generate and ingest

1. the source files come from `scipop demo-data` (bench/out/source-<N>-<seed>, shared
   with bench/ingest.py and reused when present);
2. they are ingested once with ingest.pipeline.ingest_paths(..., skip_invalid=True) into
   bench/out/reports-<N> (kept for reuse: delete it to re-ingest);
3. each report and recommendation is run `--repeat` times on the store opened read-only
   (the first run of each included: nothing is warmed up), and the median and the worst time
   are printed. Target (issue 6): each < 300 ms (median) at 100,000 projects. The load
   average is printed before and after, since other jobs on the machine slow every figure;
4. unless --skip-analytics: the collaboration network, and what the aggregate tables add to
   an ingest (kg.derive.compute), which take minutes at 100,000 projects.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.config import Settings  # noqa: E402
from kg.store import KnowledgeGraph  # noqa: E402

OUT = ROOT / "bench" / "out"
PARTS = ("projects", "researchers", "outputs", "works")
TARGET_MS = 300


def source_dir(projects: int, seed: int) -> Path:
    target = OUT / f"source-{projects}-{seed}"
    if not (target / "truth" / "ground_truth.json").is_file():
        from demo.generator import generate

        started = time.monotonic()
        generate(target, projects=projects, seed=seed)
        print(f"generated source files        {time.monotonic() - started:8.1f} s")
    return target


def store_dir(projects: int, seed: int) -> Path:
    """The ingested store, built once; a finished build leaves a READY marker."""
    data_dir = OUT / f"reports-{projects}"
    if (data_dir / "READY").is_file():
        return data_dir
    from ingest.pipeline import ingest_paths
    import shutil

    source = source_dir(projects, seed)
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.monotonic()
    with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
        ingest_paths(kg, [source / part for part in PARTS], skip_invalid=True)
    (data_dir / "READY").write_text(str(source) + "\n")
    print(f"ingested into {data_dir}   {time.monotonic() - started:8.1f} s")
    return data_dir


def ensure_tables(data_dir: Path) -> None:
    """A store whose derived graph predates the aggregate tables (or their layout version) gets it refreshed
    once (timed): reports would otherwise compute every table on the fly."""
    from kg import derive, rollup

    with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
        if all(rollup.read_table(kg, name) is not None for name in ("gaps-department", "compliance-items",
                                                                     rollup.candidates_name(0))):
            return
        started = time.monotonic()
        with kg.write():
            derive.refresh(kg)
        print(f"refreshed the derived graph (with the aggregate tables) in {time.monotonic() - started:.1f} s")


def materialization(kg: KnowledgeGraph) -> None:
    """What the aggregate tables add to every ingest: kg.rollup's share of kg.derive.compute."""
    from kg import derive, rollup

    started = time.perf_counter()
    derive.compute(kg)
    total = time.perf_counter() - started
    started = time.perf_counter()
    triples = rollup.table_triples(kg, rollup.facts_from_derived(kg), rollup.works_from_graph(kg))
    tables = time.perf_counter() - started
    size = sum(len(str(o)) for _, p, o in triples if str(p).endswith("aggregateTable"))
    print(f"{'derive.compute (all derived facts)':<44} {total:8.1f} s")
    # Since 29 Nov: includes reading the project facts back from the derived graph (facts_from_derived).
    print(f"{'  of which the aggregate tables (rollup)':<44} {tables:8.1f} s  ({size / 1e6:.1f} MB of JSON)")


def timed(label: str, run, repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
    median, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
    size = len(getattr(result, "rows", result) or ())
    print(f"{label:<44} median {median:8.0f} ms  worst {worst:8.0f} ms  rows {size:7d}")
    return seconds


def reports(kg: KnowledgeGraph, repeat: int) -> dict[str, list[float]]:
    """Every report as the CLI and the web page run it (the same functions), and recommendations."""
    from kg import indicators, recommend, reports as R

    year = 2020
    theme = "人工智能 climate"
    cases = {
        "gaps --by department": lambda: R.gap_report(kg, by="department"),
        "gaps --by code": lambda: R.gap_report(kg, by="code"),
        "gaps --by type": lambda: R.gap_report(kg, by="type"),
        "gaps --by tier": lambda: R.gap_report(kg, by="tier"),
        "gaps --by institution": lambda: R.gap_report(kg, by="institution"),
        "gaps --by year": lambda: R.gap_report(kg, by="year"),
        f"gaps --by department --year {year}": lambda: R.gap_report(kg, by="department", year=year),
        f"gaps --by institution --year {year}": lambda: R.gap_report(kg, by="institution", year=year),
        "gaps drill-down (department C, 50 items)": lambda: R.gap_items(kg, by="department", value="C", limit=50),
        "gaps drill-down (department C, 200 items)": lambda: R.gap_items(kg, by="department", value="C", limit=200),
        "compliance": lambda: R.compliance_report(kg),
        f"compliance --year {year}": lambda: R.compliance_report(kg, year=year),
        "compliance --by department": lambda: R.compliance_report(kg, by="department"),
        "compliance --by institution": lambda: R.compliance_report(kg, by="institution"),
        "indicators --by department": lambda: indicators.indicator_report(kg, by="department"),
        "indicators --by institution": lambda: indicators.indicator_report(kg, by="institution"),
        f"indicators --by department --year {year}": lambda: indicators.indicator_report(kg, by="department", year=year),
        f"indicators --by institution --year {year}": lambda: indicators.indicator_report(kg, by="institution", year=year),
        # as the CLI does: candidates and capacity from the materialized tables
        "recommend --top 20": lambda: recommend.recommend(kg, top=20).items,
        f"recommend --top 20 --theme '{theme}'": lambda: recommend.recommend(kg, top=20, theme=theme).items,
        "recommend --top 20 --department G": lambda: recommend.recommend(kg, top=20, department="G").items,
        f"recommend --top 20 --year {year}": lambda: recommend.recommend(kg, top=20, year=year).items,
    }
    return {label: timed(label, run, repeat) for label, run in cases.items()}


def analytics(kg: KnowledgeGraph) -> None:
    from kg import network, recommend

    started = time.perf_counter()
    net = network.build_network(kg)
    print(f"{'collaboration network (networkx)':<44} {(time.perf_counter() - started) * 1000:8.0f} ms  "
          f"{net.graph.number_of_nodes()} people, {net.graph.number_of_edges()} edges, {len(net.popularizers)} popularizers")
    started = time.perf_counter()
    distances = net.distances()
    print(f"{'distances to popularizers (one BFS)':<44} {(time.perf_counter() - started) * 1000:8.0f} ms  "
          f"{len(distances)} people within 3 hops")
    started = time.perf_counter()
    recommend.recommend(kg, top=20, network=net)
    print(f"{'recommend --top 20 (network given)':<44} {(time.perf_counter() - started) * 1000:8.0f} ms")
    started = time.perf_counter()
    centrality = net.degree_centrality(top=10)
    print(f"{'degree centrality':<44} {(time.perf_counter() - started) * 1000:8.0f} ms  top {centrality[0][1]:.5f}")
    started = time.perf_counter()
    components = net.components()
    print(f"{'connected components':<44} {(time.perf_counter() - started) * 1000:8.0f} ms  "
          f"{len(components)} components, largest {len(components[0]) if components else 0}")


def load_average() -> str:
    import os

    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--prepare", action="store_true", help="only generate and ingest")
    parser.add_argument("--skip-analytics", action="store_true", help="time the reports only")
    args = parser.parse_args()

    data_dir = store_dir(args.projects, args.seed)
    ensure_tables(data_dir)
    if args.prepare:
        return
    with KnowledgeGraph(Settings(data_dir=data_dir), read_only=True) as kg:
        print(f"store {data_dir}: {kg.count_triples()} triples; target < {TARGET_MS} ms per report")
        print(f"load average before: {load_average()}")
        results = reports(kg, args.repeat)
        print(f"load average after:  {load_average()}")
        slow = [label for label, seconds in results.items() if statistics.median(seconds) * 1000 >= TARGET_MS]
        print(f"reports over target: {', '.join(slow) if slow else 'none'}")
        if not args.skip_analytics:
            analytics(kg)
            materialization(kg)


if __name__ == "__main__":
    main()
