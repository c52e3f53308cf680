"""What Oxigraph alone costs a build, against issue 8's budget of 20 minutes on 2 cores.

    flock /tmp/scipop-bench.lock .venv/bin/python bench/floor.py [--data-dir bench/out/full-build-10000-1]

Reads a data directory built by bench/full_build.py (and the JSON it wrote beside it) and
measures, on this machine, the two things no code of ours can make cheaper:

- **a full read** of the working store (`Store.dump` to N-Quads, all in Rust: every term
  of every quad is looked up in RocksDB's string dictionary);
- **a bulk load** of the same quads into a fresh store (`Store.bulk_loader`, its own
  threads; CPU time counts them all).

A build makes at least two stores of about the whole graph — the working store and the
public view, which must physically lack the restricted records (README, security) — so it
bulk-loads about twice the graph whatever else it does. The script carries these rates and
the full build's own stage CPU times (its JSON) linearly to --target projects and prints
them against the budget: 20 minutes × 2 cores = 40 CPU-minutes, before any waiting.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BUDGET_CPU_MIN = 20 * 2     # issue 8: 20 minutes wall on this 2-core machine


def cpu_s() -> float:
    """User + system time of this process, every thread (the bulk loader's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(work) -> tuple[object, float, float]:
    wall, cpu = time.monotonic(), cpu_s()
    result = work()
    return result, time.monotonic() - wall, cpu_s() - cpu


def measure(store_dir: Path, scratch: Path) -> dict:
    """Dump the store once, bulk-load the dump into a fresh store at `scratch`, and dump that
    (a store straight from the bulk loader: does the store's history slow the read?)."""
    buffer = io.BytesIO()
    _, dump_wall, dump_cpu = timed(lambda: ox.Store.read_only(str(store_dir)).dump(buffer, ox.RdfFormat.N_QUADS))
    data = buffer.getvalue()
    quads = data.count(b"\n")
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        _, load_wall, load_cpu = timed(lambda: ox.Store(str(scratch)).bulk_load(data, ox.RdfFormat.N_QUADS))
        _, fresh_wall, fresh_cpu = timed(lambda: ox.Store.read_only(str(scratch)).dump(io.BytesIO(), ox.RdfFormat.N_QUADS))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"quads": quads, "bytes": len(data), "read_wall_s": dump_wall, "read_cpu_s": dump_cpu,
            "load_wall_s": load_wall, "load_cpu_s": load_cpu, "fresh_read_wall_s": fresh_wall,
            "fresh_read_cpu_s": fresh_cpu}


def report(build: dict, rates: dict, target: int, target_quads: int | None) -> None:
    projects = build["projects"]
    scale = target / projects
    quads = rates["quads"]
    per_quad = {kind: rates[f"{kind}_cpu_s"] / quads * 1e6 for kind in ("read", "load", "fresh_read")}
    public = next(s["result"]["public_triples"] for s in build["build"] if s["stage"] == "derive+publish")
    print(f"Oxigraph on this machine, working store of the {projects:,}-project build ({quads:,} quads, "
          f"{rates['bytes'] / 1e6:,.0f} MB of N-Quads written to memory):")
    for kind, what in (("read", "full read (dump)"), ("fresh_read", "the same, of the fresh store"),
                       ("load", "bulk load")):
        print(f"  {what:<30} {rates[kind + '_wall_s']:6.1f} s wall {rates[kind + '_cpu_s']:6.1f} s CPU   "
              f"{per_quad[kind]:5.1f} µs CPU a quad")
    print(f"\nCarried to {target:,} projects; budget {BUDGET_CPU_MIN} CPU-minutes (20 min × 2 cores)")
    stores = {f"linear (× {scale:g}: {(quads + public) * scale / 1e6:.1f} M quads in the two stores)":
              (quads + public) * scale}
    if target_quads:
        stores[f"at --target-quads ({2 * target_quads / 1e6:.1f} M quads in the two stores)"] = 2 * target_quads
    for label, total_quads in stores.items():
        loads = total_quads * per_quad["load"] / 1e6 / 60
        wall = total_quads * rates["load_wall_s"] / quads / 60
        print(f"  Oxigraph bulk-loads the working store and the public view, {label}: {loads:.1f} CPU-min "
              f"({100 * loads / BUDGET_CPU_MIN:.0f} % of the budget), {wall:.1f} min wall one after the other")
    read = quads * scale * per_quad["read"] / 1e6 / 60
    print(f"  one full read of the working store, linear: {read:.1f} CPU-min ({100 * read / BUDGET_CPU_MIN:.0f} %)")
    total = 0.0
    for stage in build["build"]:
        minutes = stage["cpu_s"] * scale / 60
        total += minutes
        print(f"  today's stage {stage['stage']!r:<17} {minutes:7.1f} CPU-min  {100 * minutes / BUDGET_CPU_MIN:5.0f} %")
    print(f"  today's build, all stages   {total:7.1f} CPU-min  {100 * total / BUDGET_CPU_MIN:5.0f} %  "
          f"(the stages include the loads above)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=OUT / "full-build-10000-1",
                        help="a data directory built by bench/full_build.py (its JSON beside it)")
    parser.add_argument("--target", type=int, default=200_000, help="projects to carry the figures to")
    parser.add_argument("--target-quads", type=int,
                        help="also carry the loads to this many quads in each store (e.g. from a larger build)")
    args = parser.parse_args()
    summary = args.data_dir.with_suffix(".json")
    if not (args.data_dir / "store").is_dir() or not summary.is_file():
        sys.exit(f"{args.data_dir}: no store or no {summary.name} beside it; run bench/full_build.py first.")
    build = json.loads(summary.read_text(encoding="utf-8"))
    print(f"bench/floor.py on {args.data_dir.name}; {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rates = measure(args.data_dir / "store", OUT / "floor-scratch-store")
    report(build, rates, args.target, args.target_quads)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
