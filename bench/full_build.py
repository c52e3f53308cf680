"""The whole build at scale, stage by stage, then the key operations on its result, then a 1% increment.

    flock /tmp/scipop-bench.lock .venv/bin/python bench/full_build.py --projects 200000 [--seed 1] [--engine tantivy] [--memory-gb 8]

1. source files: bench/out/source-<N>-<seed> (bench/reports.py's source_dir, shared with
   the other benches: written by the demo-data generator when absent, reused when present);
2. a fresh data dir bench/out/full-build-<N>-<seed> is built with the functions `scipop
   build` calls, in its order: cli.run_ingest (without derived facts), cli.run_link,
   cli.run_publish deriving first (the derive refresh, with the public view made meanwhile
   on a large graph: one stage, "derive+publish"), kg.stats.graph_stats (the table build prints), and
   cli.build_search_indexes for the public and the full view (side by side). Each stage runs in its own
   child process, so its wall time, CPU time (user + system) and peak RSS (from wait4)
   are that stage's alone; a child's interpreter start-up (~1 s) is part of its stage;
3. on the result, with the chosen engine and the public view, each key operation runs
   once to warm up and then --repeat times: talent lookup, unpopularized-results search, a
   department indicator report, an entity page's data (webapp.entity_data.load_entity,
   rotating over projects, researchers and outputs) and three docs/queries/*.rq queries the
   way the /sparql workers run them (check, run, render as JSON) — p50 and p95 of each;
4. the increment: `scipop demo-data --after N --projects N/100` writes the next 1% of the
   same world (new approval numbers, outputs and works; new researchers and existing
   ones), which is ingested, linked, derived, published and indexed (an update, not a
   rebuild) into the built data dir by the same functions; its time is compared with the
   full build's.
Targets (issue 8) at 200,000 projects: build < 20 min, peak RSS < 8 GB, every key operation
p95 < 200 ms, the 1% increment < 5% of the full build.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # ahead of bench/, whose ingest.py and search.py would shadow the packages

from bench.reports import OUT, PARTS, source_dir  # noqa: E402

BUILD_TARGET_S = 20 * 60
RSS_TARGET_GB = 8.0
OPERATION_TARGET_MS = 200.0
INCREMENT_TARGET_PCT = 5.0
# The disk is shared: a stage that would leave less than this free is stopped (it rolls back).
MIN_FREE_GB = 8.0
# What a build with its increment leaves on disk, per project: at 200,000 projects the data dir
# held ~60 GB when the increment published a second time (session 21: the guard stopped it).
DISK_GB_PER_PROJECT = 0.32 / 1024
# Without the increment there is one publication, not two: the data dir of session 22's
# 200,000-project build held 41 GB (47 GB estimated, kept as a margin).
BUILD_DISK_GB_PER_PROJECT = 0.24 / 1024
TARGET_PROJECTS = 200_000
QUERIES = ("gaps-by-department-and-type.rq", "obliged-projects-without-popularization.rq",
           "talent-pool-by-expertise.rq")
BUILD = ("ingest", "link", "derive+publish", "stats", "index")
INCREMENT = ("ingest", "link", "derive+publish", "index")


@dataclass
class StageRun:
    stage: str
    wall_s: float
    cpu_s: float
    peak_rss_gb: float  # the largest single process (wait4's ru_maxrss)
    peak_tree_gb: float  # the stage's processes together, sampled (parallel workers add up)
    result: dict


# Stages: each runs in a child process (`--stage NAME`) and returns what it wants printed. -----
def _context(args: argparse.Namespace):
    from cli import Context
    from kg.config import Settings

    return Context(Settings(data_dir=args.data_dir, search_engine=args.engine, memory_gb=args.memory_gb), quiet=True)


def stage_ingest(args: argparse.Namespace) -> dict:
    from cli import run_ingest

    paths = [Path(p) for p in args.paths]
    # As `build` calls it (keep in step with cli.build): no publish, and no derived facts yet,
    # because linking changes identities next and the derive stage follows it. Generated
    # exports carry a few planted bad rows, as real ones do: they are rejected, as `build --demo` does.
    summary = run_ingest(_context(args), paths, "auto", None, skip_invalid=True, publish=False, refresh_derived=False)
    phases = {f"{name} s": round(seconds, 1) for name, seconds in getattr(summary, "phases", {}).items()}
    return {"files": len(summary.files), "records": summary.records, "triples_loaded": summary.triples,
            "rejects": summary.rejects, **phases}


def stage_link(args: argparse.Namespace) -> dict:
    from cli import run_link

    context = _context(args)
    with context.open_graph() as kg:
        summary = run_link(context, kg)
    return {"persons": summary.persons, "people": summary.person_clusters}


def stage_derive(args: argparse.Namespace) -> dict:
    from kg import derive

    with _context(args).open_graph() as kg:
        with kg.write():
            return {"derived_triples": derive.refresh(kg)}  # identities changed: what `build` recounts


def stage_publish(args: argparse.Namespace) -> dict:
    from cli import run_publish

    context = _context(args)
    with context.open_graph() as kg:
        publication = run_publish(context, kg)
    return {"public_triples": publication.public_triples, "copied_graphs": publication.copied_graphs,
            **_phases(publication)}


def _phases(publication) -> dict:
    """The publish's steps (kg.publish.Phases), printed with the stage: where its time went."""
    phases = publication.phases
    return {**{f"{step} s": round(seconds, 1) for step, seconds in phases.seconds.items()},
            **{f"public view: {step} s": round(seconds, 1) for step, seconds in phases.public_view.items()}}


def stage_derive_and_publish(args: argparse.Namespace) -> dict:
    """As `build` and `link` do it: identities changed, so the derive comes first."""
    from cli import run_publish

    context = _context(args)
    with context.open_graph() as kg:
        publication = run_publish(context, kg, derive_first=True)
    return {"public_triples": publication.public_triples, "copied_graphs": publication.copied_graphs,
            **_phases(publication)}


def stage_stats(args: argparse.Namespace) -> dict:
    from kg.stats import graph_stats

    with _context(args).open_graph(read_only=True) as kg:
        stats = graph_stats(kg)
    return {"triples": stats.triples, "graphs": len(stats.graphs), "people": stats.people, **stats.classes}


def stage_index(args: argparse.Namespace) -> dict:
    """Both views' indexes, as `build` and every publish make them (side by side when large)."""
    from cli import build_search_indexes
    from search.store import IndexLocation

    context = _context(args)
    stats = build_search_indexes(context, ["public", "full"], rebuild=not args.update, search_engine=args.engine)
    found = {view: (IndexLocation.of(context.settings, view, args.engine).meta() or {}).get("documents", 0)
             for view in ("public", "full")}
    result = {"documents_public": found["public"], "documents_full": found["full"]}
    if args.update:   # how far each update reached: the increment's target is a cost proportional to the change
        for view, made in stats.items():
            result[f"{view}: changed"] = made.changed
            result[f"{view}: compared"] = made.compared
            result[f"{view}: re-indexed"] = made.documents
            result[f"{view}: read"] = "whole graph" if made.read_whole else "around the change"
            result[f"{view} s"] = round(made.seconds, 1)
    return result


def stage_check(args: argparse.Namespace) -> dict:
    """Each view's index against its graph (what `scipop index --check` prints), after the increment."""
    from search import diff_index, open_view_graph
    from kg.config import Settings

    settings = Settings(data_dir=args.data_dir, search_engine=args.engine)
    found = {}
    for view in ("public", "full"):
        with open_view_graph(settings, view) as kg:
            diff = diff_index(kg, settings, view, args.engine)
        found[view] = {"missing": len(diff.missing), "extra": len(diff.extra), "stale": len(diff.stale),
                       "examples": diff.lines()[:3]}
    return found


def stage_operations(args: argparse.Namespace) -> dict:
    """p50/p95 of the key operations on the public view with the chosen engine."""
    from demo.names import TOPICS  # the bench may use the demo's vocabularies to draw queries
    from kg.config import Settings
    from kg.indicators import indicator_report
    from kg.sparql import check_query, render_results, run_query
    from kg.store import prefix_block
    from kg.views import open_view
    from search import SearchQuery, TalentQuery, open_index
    from webapp.entity_data import load_entity

    settings = Settings(data_dir=args.data_dir, search_engine=args.engine)
    rng = random.Random(args.seed)
    topics = sorted({pair for pairs in TOPICS.values() for pair in pairs})
    departments = sorted(TOPICS)
    timings: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}  # CPU of this process (all threads): the cost on a machine not shared
    with open_view(settings, "public") as kg, open_index(settings, "public", args.engine) as index:
        def sample(pattern: str, n: int) -> list[str]:
            rows = kg.select(prefix_block() + f"SELECT ?s WHERE {{ {pattern} }} LIMIT {n * 20}")
            found = sorted(str(r["s"]) for r in rows)
            return rng.sample(found, min(n, len(found)))

        entities = (sample("?s a sp:FundedProject", args.repeat) + sample("?x sp:principalInvestigator ?s", args.repeat)
                    + sample("?s a sp:ResearchOutput", args.repeat))
        rng.shuffle(entities)
        drawn = [rng.choice(topics) for _ in range(args.repeat + 1)]

        def talent(i: int):
            zh, en = drawn[i % len(drawn)]
            return index.talent(TalentQuery(topic=zh if i % 2 else en,
                                            department=departments[i % len(departments)] if i % 3 == 0 else None))

        def unpopularized(i: int):
            zh, en = drawn[i % len(drawn)]
            filters = {"tier": ["obliged"]} if i % 2 else {"department": [departments[i % len(departments)]]}
            return index.unpopularized(SearchQuery(text=zh if i % 3 else "", filters=filters))

        def sparql(name: str):
            text = (ROOT / "docs" / "queries" / name).read_text(encoding="utf-8")

            def run(i: int):
                checked = check_query(text)
                return render_results(run_query(kg, checked, limit=10_000), "json")  # as the /sparql workers do
            return run

        operations = {
            "talent lookup": talent,
            "unpopularized search": unpopularized,
            "department indicators": lambda i: indicator_report(kg, by="department"),
            "entity page data": lambda i: load_entity(kg, entities[i % len(entities)], "zh", settings.base_iri),
        }
        operations.update({f"query {name}": sparql(name) for name in args.queries})
        for label, operation in operations.items():
            operation(args.repeat)  # warm-up: lazily opened files, caches, jieba
            for i in range(args.repeat):
                started, began = time.perf_counter(), time.process_time()
                operation(i)
                timings.setdefault(label, []).append((time.perf_counter() - started) * 1000)
                cpu.setdefault(label, []).append((time.process_time() - began) * 1000)
    return {label: {"p50": percentile(ms, 0.50), "p95": percentile(ms, 0.95), "n": len(ms),
                    "cpu_p50": percentile(cpu[label], 0.50), "cpu_p95": percentile(cpu[label], 0.95)}
            for label, ms in timings.items()}


STAGES = {"ingest": stage_ingest, "link": stage_link, "derive": stage_derive, "publish": stage_publish,
          "derive+publish": stage_derive_and_publish,
          "stats": stage_stats, "index": stage_index,
          "operations": stage_operations, "check": stage_check}


# The parent: runs stages as children and measures each. ----------------------------------------
def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants now (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * page
    total, members = 0, {root}
    changed = True  # repeat until no process joins: a child's pid may be lower than its parent's
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                changed = True
    for pid in members:
        total += rss.get(pid, 0)
    return total


def free_gb() -> float:
    OUT.mkdir(parents=True, exist_ok=True)   # absent in a fresh clone
    return shutil.disk_usage(OUT).free / 1024 ** 3


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a stage's process tree (ru_maxrss only knows single processes),
    and stops the stage if the shared disk runs low."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0
        self.done = threading.Event()
        self.out_of_disk = False

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.peak = max(self.peak, _tree_rss(self.pid))
            if free_gb() < MIN_FREE_GB and not self.out_of_disk:
                self.out_of_disk = True
                os.killpg(self.pid, signal.SIGTERM)  # the stage's own session: it and its workers


def run_stage(stage: str, data_dir: Path, args: argparse.Namespace, paths: Sequence[Path] = (),
              update: bool = False) -> StageRun:
    """One stage in a child process; wall time, CPU time and peak RSS of that child only."""
    result_file = data_dir.parent / f".{data_dir.name}-{stage}.json"
    result_file.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", stage, "--data-dir", str(data_dir),
               "--result", str(result_file), "--engine", args.engine, "--seed", str(args.seed),
               "--repeat", str(args.repeat), "--queries", ",".join(args.queries)]
    command += ["--update"] if update else []
    command += ["--memory-gb", str(args.memory_gb)] if args.memory_gb else []
    command += [arg for path in paths for arg in ("--path", str(path))]
    started = time.monotonic()
    if free_gb() < MIN_FREE_GB:
        raise SystemExit(f"stage {stage} not started: {free_gb():.1f} GB free on the shared disk (< {MIN_FREE_GB:.0f} GB)")
    child = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    sampler = TreeSampler(child.pid)
    sampler.start()
    # wait4: this child's rusage (with the workers it waited for), not the sum over earlier stages
    _, status, usage = os.wait4(child.pid, 0)
    sampler.done.set()
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if sampler.out_of_disk:
        raise SystemExit(f"stage {stage} stopped after {wall:.0f} s: under {MIN_FREE_GB:.0f} GB free on the shared disk")
    if child.returncode != 0:
        raise SystemExit(f"stage {stage} failed with exit status {child.returncode}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    result_file.unlink()
    peak = usage.ru_maxrss / 1024 / 1024
    return StageRun(stage=stage, wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_rss_gb=peak,
                    peak_tree_gb=max(peak, sampler.peak / 1024 ** 3), result=result)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def show_stage(run: StageRun) -> None:
    detail = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in run.result.items())
    print(f"  {run.stage:<14}{run.wall_s:9.1f} s{run.cpu_s:9.1f} s{run.peak_rss_gb:8.2f} GB{run.peak_tree_gb:8.2f} GB"
          f"   {detail}", flush=True)


def stage_header(title: str) -> None:
    print(f"{title}\n  {'stage':<14}{'wall':>11}{'CPU':>11}{'peak RSS':>11}{'all procs':>10}", flush=True)


def run_stages(title: str, stages: tuple[str, ...], data_dir: Path, args: argparse.Namespace, paths: list[Path],
               update: bool) -> list[StageRun]:
    stage_header(title)
    runs = []
    for stage in stages:
        runs.append(run_stage(stage, data_dir, args, paths if stage == "ingest" else [], update=update))
        show_stage(runs[-1])
    total = sum(r.wall_s for r in runs)
    print(f"  {'total':<14}{total:9.1f} s{sum(r.cpu_s for r in runs):9.1f} s"
          f"{max(r.peak_rss_gb for r in runs):8.2f} GB{max(r.peak_tree_gb for r in runs):8.2f} GB   {load()}",
          flush=True)
    return runs


def increment_source(projects: int, seed: int, added: int) -> Path:
    """The next `added` projects of the world, under a directory whose name makes its source ids new."""
    root = OUT / f"source-{projects}-{seed}-next-{added}"
    batch = root / f"added-{added}-after-{projects}"
    if not (batch / "projects").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "from cli import main; main()", "--quiet", "demo-data", "--after",
                        str(projects), "--projects", str(added), "--seed", str(seed), str(root / "generated")],
                       cwd=ROOT, check=True)
        # Source ids are '<directory>/<relative path>': ingesting the four parts under one new
        # directory keeps them from replacing the base set's files (projects/…, outputs/…).
        batch.mkdir(parents=True)
        for part in PARTS:
            os.replace(root / "generated" / part, batch / part)
        for empty in [f for f in batch.rglob("*") if f.is_file() and f.stat().st_size == 0]:
            empty.unlink()  # a small slice leaves some JSON-lines files empty; an export would not ship them
        print(f"generated the increment      {time.monotonic() - started:10.1f} s  ({added} projects after {projects})")
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=TARGET_PROJECTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=["tantivy", "whoosh"], default="tantivy")
    parser.add_argument("--repeat", type=int, default=30, help="Measured repetitions of each key operation.")
    parser.add_argument("--increment", type=float, default=1.0, help="Size of the increment, in %% of the projects.")
    parser.add_argument("--queries", default=",".join(QUERIES), help="docs/queries/*.rq files to time, comma-separated.")
    parser.add_argument("--skip-increment", action="store_true")
    parser.add_argument("--memory-gb", type=float, default=None,
                        help="What `scipop --memory-gb` sets: the two views' index builds run side by side only "
                             "when both fit in it (default: the memory the system has available).")
    parser.add_argument("--check", action="store_true",
                        help="After the increment, compare each view's index with its graph (a full read: slow at scale).")
    # Child side (one stage):
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--path", dest="paths", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--update", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.queries = [q.strip() for q in args.queries.split(",") if q.strip()] if isinstance(args.queries, str) else args.queries

    if args.stage:
        result = STAGES[args.stage](args)
        args.result.write_text(json.dumps(result), encoding="utf-8")
        return

    print(f"bench/full_build.py --projects {args.projects} --seed {args.seed} --engine {args.engine}"
          f"{f' --memory-gb {args.memory_gb:g}' if args.memory_gb else ''}; "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {load()}", flush=True)
    per_project = BUILD_DISK_GB_PER_PROJECT if args.skip_increment else DISK_GB_PER_PROJECT
    needed = args.projects * per_project + 2 * args.projects / 100_000  # + the generated sources
    if free_gb() - needed < MIN_FREE_GB:
        raise SystemExit(f"not started: a build of {args.projects:,} projects needs about {needed:.0f} GB, and "
                         f"{free_gb():.0f} GB are free on the shared disk (at least {MIN_FREE_GB:.0f} GB must stay free)")
    source = source_dir(args.projects, args.seed)
    data_dir = OUT / f"full-build-{args.projects}-{args.seed}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    build = run_stages(f"full build of {args.projects} projects into {data_dir}", BUILD, data_dir, args,
                       [source / part for part in PARTS], update=False)
    build_s = sum(r.wall_s for r in build)
    stats = next(r.result for r in build if r.stage == "stats")
    print(f"  triples {stats['triples']:,} in {stats['graphs']} named graphs (kg.stats); public view "
          f"{next(r.result for r in build if r.stage == 'derive+publish')['public_triples']:,}", flush=True)

    operations = run_stage("operations", data_dir, args).result
    print(f"key operations ({args.engine}, public view, {args.repeat} runs each after one warm-up); {load()}")
    for label, figures in operations.items():
        print(f"  {label:<58} p50 {figures['p50']:8.1f} ms   p95 {figures['p95']:8.1f} ms   "
              f"(CPU p50 {figures['cpu_p50']:7.1f} ms, p95 {figures['cpu_p95']:7.1f} ms)", flush=True)

    increment = []
    if not args.skip_increment:
        added = max(1, round(args.projects * args.increment / 100))
        batch = increment_source(args.projects, args.seed, added)
        increment = run_stages(f"increment of {added} projects ({args.increment:g} %) into the built data dir",
                               INCREMENT, data_dir, args, [batch], update=True)
        if args.check:
            checked = run_stage("check", data_dir, args)
            for view, diff in checked.result.items():
                print(f"  index check, {view} view: {diff['missing']} missing, {diff['extra']} extra, "
                      f"{diff['stale']} stale {diff['examples']}  ({checked.wall_s:.0f} s for both)", flush=True)
    summary(args, build, operations, increment, build_s)


def summary(args: argparse.Namespace, build: list[StageRun], operations: dict, increment: list[StageRun], build_s: float) -> None:
    rows = []
    scale = TARGET_PROJECTS / args.projects
    build_cpu = sum(r.cpu_s for r in build)
    rows.append(("whole build (wall)", f"{build_s / 60:.1f} min", f"< {BUILD_TARGET_S // 60} min",
                 build_s < BUILD_TARGET_S))
    rows.append(("  CPU time of it (all processes)", f"{build_cpu / 60:.1f} min", "", None))
    if 10_000 <= args.projects != TARGET_PROJECTS:  # below that, fixed costs make a straight line meaningless
        rows.append((f"  linear extrapolation to {TARGET_PROJECTS:,}", f"{build_s * scale / 60:.1f} min",
                     f"< {BUILD_TARGET_S // 60} min", build_s * scale < BUILD_TARGET_S))
    slowest = max(build, key=lambda r: r.wall_s)
    rows.append((f"  largest stage: {slowest.stage}", f"{100 * slowest.wall_s / build_s:.0f} % of it", "", None))
    peak = max(r.peak_tree_gb for r in build + increment)
    rows.append(("peak RSS (any stage, its processes together)", f"{peak:.2f} GB", f"< {RSS_TARGET_GB:.0f} GB",
                 peak < RSS_TARGET_GB))
    for label, figures in operations.items():
        rows.append((f"p95 {label}", f"{figures['p95']:.1f} ms", f"< {OPERATION_TARGET_MS:.0f} ms",
                     figures["p95"] < OPERATION_TARGET_MS))
    if increment:
        increment_s = sum(r.wall_s for r in increment)
        share = 100 * increment_s / build_s
        rows.append((f"{args.increment:g} % increment (wall, share of the build's)", f"{increment_s:.1f} s = {share:.1f} %",
                     f"< {INCREMENT_TARGET_PCT:.0f} %", share < INCREMENT_TARGET_PCT))
        increment_cpu = sum(r.cpu_s for r in increment)
        rows.append(("  by CPU time", f"{increment_cpu:.1f} s = {100 * increment_cpu / build_cpu:.1f} %", "", None))
    print(f"summary: {args.projects:,} projects"
          + ("" if args.projects == TARGET_PROJECTS else f" (targets are set for {TARGET_PROJECTS:,})")
          + f"; {load()}")
    print(f"  {'figure':<62}{'measured':>18}  {'target':<12}met")
    for label, measured, target, met in rows:
        print(f"  {label:<62}{measured:>18}  {target:<12}{'' if met is None else ('yes' if met else 'NO')}")
    (OUT / f"full-build-{args.projects}-{args.seed}.json").write_text(json.dumps({
        "projects": args.projects, "seed": args.seed, "engine": args.engine, "load": os.getloadavg(),
        "build": [asdict(r) for r in build], "operations": operations, "increment": [asdict(r) for r in increment],
    }, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
