"""End-to-end ingest throughput against the store's own bulk-load rate, and peak memory.

    python bench/ingest.py --projects 100000

1. generate the source files with `scipop demo-data` (kept under bench/out/ for reuse);
2. `scipop ingest` them into a fresh data directory in a child process (end-to-end:
   parsing, mapping, staging, loading, catalog, derived facts), timing it and reading the
   child's peak RSS;
3. dump the resulting quads as N-Quads and bulk-load them into another fresh store, in the
   same run, as the reference rate.
Targets (issue 2): end-to-end >= 50% of the bulk-load rate; peak RSS < 3 GB at 100,000 projects.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SCIPOP = [sys.executable, "-c", "from cli import main; main()"]
PARTS = ("projects", "researchers", "outputs", "works")


def run(args: list[str], **kwargs) -> float:
    started = time.monotonic()
    subprocess.run(SCIPOP + args, cwd=ROOT, check=True, **kwargs)
    return time.monotonic() - started


def generate(projects: int, seed: int) -> Path:
    target = OUT / f"source-{projects}-{seed}"
    if not (target / "projects").is_dir():
        shutil.rmtree(target, ignore_errors=True)
        seconds = run(["--quiet", "demo-data", "--projects", str(projects), "--seed", str(seed), str(target)])
        print(f"generated source files      {seconds:10.1f} s")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="mapping processes (default: the CLI's)")
    args = parser.parse_args()

    source = generate(args.projects, args.seed)
    data_dir = OUT / f"ingest-{args.projects}"
    shutil.rmtree(data_dir, ignore_errors=True)
    size = sum(p.stat().st_size for part in PARTS for p in (source / part).rglob("*") if p.is_file())

    # Publishing the read-only views is a separate step with its own cost; this measures ingest only.
    load_before = os.getloadavg()[0]
    workers = ["--workers", str(args.workers)] if args.workers else []
    started = time.monotonic()
    done = subprocess.run(SCIPOP + ["--data-dir", str(data_dir), "ingest", "--skip-invalid", "--no-publish", *workers,
                                    *[str(source / p) for p in PARTS]],
                          cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - started
    # The largest single process (the ingest or one of its mapping workers), not their sum.
    peak_rss_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    summary = next((line.split("Loaded", 1)[1] for line in done.stderr.splitlines() if "Loaded" in line), "")

    # The ingest's own figures first: the reference below needs the disk space of a dump and a
    # second store, and a failure there must not lose a run of many minutes.
    print(f"end-to-end ingest           {seconds:10.1f} s", flush=True)
    print(f"ingest's own account        Loaded{summary}", flush=True)
    dump = OUT / f"dump-{args.projects}.nq"
    store = ox.Store.read_only(str(data_dir / "store"))
    store.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    quads = sum(1 for _ in open(dump, "rb"))
    del store

    reference_dir = OUT / f"bulk-{args.projects}"
    shutil.rmtree(reference_dir, ignore_errors=True)
    started = time.monotonic()
    reference = ox.Store(str(reference_dir))
    reference.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    reference.flush()
    bulk_seconds = time.monotonic() - started
    del reference

    e2e_rate, bulk_rate = quads / seconds, quads / bulk_seconds
    print(f"projects                    {args.projects:10d}")
    print(f"source files                {size / 1e6:10.1f} MB")
    print(f"triples in the store        {quads:10d}")
    print(f"end-to-end ingest           {seconds:10.1f} s  {e2e_rate:12,.0f} triples/s")
    print(f"bulk load of the same quads {bulk_seconds:10.1f} s  {bulk_rate:12,.0f} triples/s")
    print(f"end-to-end / bulk load      {100 * e2e_rate / bulk_rate:10.1f} %   (target >= 50 %)")
    print(f"peak RSS of the ingest      {peak_rss_gb:10.2f} GB  (target < 3 GB; largest process)")
    print(f"ingest's own account        Loaded{summary}")
    print(f"load average                {load_before:10.1f} before, {os.getloadavg()[0]:.1f} after (2 cores)")
    for path in (dump,):
        os.unlink(path)
    shutil.rmtree(reference_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
