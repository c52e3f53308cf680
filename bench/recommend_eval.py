"""Recall@20 of the special-fund recommendations against the strong candidates the demo generator plants.

    python bench/recommend_eval.py                       # the bundled demo set (700 projects, seed 7)
    python bench/recommend_eval.py --projects 10000 --seed 2   # bench/out/source-10000-2, recommend-eval-10000-2

A generated source is reused when present: delete one written by an older generator (the
"planted projects by our ontology's obligation tier" line shows which types its ground
truth treats as obliged).

The generator (demo.generator.generate) plants a known set of strong candidates and lists
them in OUTDIR/truth/ground_truth.json under "strong_candidates": outputs cited at least
`min_cited_by_count` times (in a record of a source that carries citation counts), of
projects whose type ontology.ttl puts in the obliged tier, that no popular-science work
popularizes, whose PI created an approved work; at most 20, so a perfect ranking reaches
recall@20 = 1. It also plants near misses (a work exists / not obliged / PI without
experience). A planted output is found when its project is in the top list (a
recommendation is a project with its representative result; the script also says whether
that result is the planted output).

Prints recall@20 = found / planted (target >= 0.8), the same over the reachable maximum
min(20, planted), which near misses got in and why, and the obligation tier our ontology
gives the planted projects' types.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.config import Settings  # noqa: E402
from kg.store import KnowledgeGraph  # noqa: E402

OUT = ROOT / "bench" / "out"
DEMO = ROOT / "demo" / "data"
PARTS = ("projects", "researchers", "outputs", "works")


def truth(source: Path) -> dict:
    """The strong_candidates entry of the ground truth (streamed: the file is large at scale)."""
    path = source / "truth" / "ground_truth.json"
    if not path.is_file():
        raise SystemExit(f"{path} is not present: the generator's ground truth is needed to evaluate.")
    text = path.read_text(encoding="utf-8")
    start = text.index('"strong_candidates": {')
    decoder = json.JSONDecoder()
    value, _ = decoder.raw_decode(text, start + len('"strong_candidates": '))
    return value


def _stamp(source: Path) -> str:
    """What READY records: the source and its ground truth's digest, so a store ingested from other data (another
    seed, or files the generator has since changed) is rebuilt rather than evaluated against the wrong truth."""
    digest = hashlib.sha256((source / "truth" / "ground_truth.json").read_bytes()).hexdigest()
    return f"{source}\n{digest}\n"


def prepared_store(projects: int | None, seed: int) -> tuple[Path, Path]:
    """(source directory, ingested data directory), generating and ingesting once when needed."""
    from ingest.pipeline import ingest_paths

    if projects is None:
        source, data_dir = DEMO, OUT / "recommend-eval-demo"
    else:
        source = OUT / f"source-{projects}-{seed}"
        if not (source / "truth" / "ground_truth.json").is_file():
            from demo.generator import generate

            generate(source, projects=projects, seed=seed)
        data_dir = OUT / f"recommend-eval-{projects}-{seed}"  # its own store: READY may make it rebuild
    ready = data_dir / "READY"
    if not ready.is_file() or ready.read_text() != _stamp(source):
        shutil.rmtree(data_dir, ignore_errors=True)
        started = time.monotonic()
        with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
            ingest_paths(kg, [source / part for part in PARTS], skip_invalid=True)
        ready.write_text(_stamp(source))
        print(f"ingested {source} in {time.monotonic() - started:.0f} s")
    return source, data_dir


def observable(kg: KnowledgeGraph, outputs: list[dict]) -> set[str]:
    """Approval numbers of planted outputs whose citation count is in the graph (a source that has one:
    OpenAlex, Crossref); OAI-PMH and PubMed records carry none, so their significance cannot be seen."""
    from kg.store import prefix_block

    found = set()
    for entry in outputs:
        if not entry.get("doi"):
            continue
        iri = kg.minter.output(doi=entry["doi"].lower())
        if kg.query(prefix_block() + f"ASK {{ <{iri}> sp:citationCount ?c FILTER(?c >= 500) }}").askAnswer:
            found.add(entry["approval_number"])
    return found


def link(data_dir: Path) -> str:
    """Run the linking step once on the store (people counted by identity), then refresh the derived facts."""
    marker = data_dir / "LINKED"
    if marker.is_file():
        return marker.read_text().strip()
    try:
        from kg.linking.run import run_linking
    except ImportError:
        return "not available (kg.linking is missing): people are IRIs, not identities"
    from kg import derive

    started = time.monotonic()
    with KnowledgeGraph(Settings(data_dir=data_dir)) as kg:
        with kg.write():
            run_linking(kg)
            derive.refresh(kg)
    said = f"run ({time.monotonic() - started:.0f} s)"
    marker.write_text(said + "\n")
    return said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=None, help="generated set size (default: the bundled demo)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--weights", default=None, help="factor weights, as for `scipop recommend --weights`")
    parser.add_argument("--link", action=argparse.BooleanOptionalAction, default=True,
                        help="run the linking step first (when kg.linking is there), as `scipop build` does")
    args = parser.parse_args()

    from kg import concepts
    from kg import vocab as V
    from kg.recommend import parse_weights, recommend

    source, data_dir = prepared_store(args.projects, args.seed)
    linked = link(data_dir) if args.link else "not run (--no-link)"
    strong = truth(source)
    planted = {entry["approval_number"]: entry for entry in strong["outputs"]}
    near = {entry["approval_number"]: entry for entry in strong.get("near_misses", [])}
    with KnowledgeGraph(Settings(data_dir=data_dir), read_only=True) as kg:
        started = time.perf_counter()
        result = recommend(kg, top=args.top, weights=parse_weights(args.weights))
        seconds = time.perf_counter() - started
        visible = observable(kg, strong["outputs"])
    listed = [(item.id, item) for item in result.items]
    found = [number for number, _ in listed if number in planted]
    same_result = sum(1 for number, item in listed if number in planted
                      and (item.result or {}).get("doi", "").lower() == (planted[number].get("doi") or "").lower())
    recall = len(found) / len(planted) if planted else 0.0
    reachable = min(args.top, len(planted))
    print(f"source                         {source}")
    print(f"identity linking               {linked}")
    print(f"planted strong candidates      {len(planted)}  (near misses: {len(near)})")
    print(f"recommend --top {args.top:<3}            {seconds * 1000:8.0f} ms, {result.candidates} candidates scored")
    print(f"found in the top {args.top:<3}           {len(found)}  ({same_result} with the planted output as the representative result)")
    # With fewer planted than places, recall@20 alone would not say whether anything outranks them.
    ranks = [rank for rank, (number, _) in enumerate(listed, 1) if number in planted]
    print(f"ranks of the planted found     {', '.join(map(str, ranks)) or '-'}  "
          f"(in the top {len(planted)}: {sum(1 for r in ranks if r <= len(planted))} of {len(planted)})")
    print(f"recall@{args.top}                      {recall:.3f}   (target >= 0.8)")
    print(f"recall@{args.top} of the reachable     {len(found) / reachable if reachable else 0:.3f}   "
          f"(found / min({args.top}, planted))")
    seen = [number for number in planted if number in visible]
    found_seen = [number for number in found if number in visible]
    print(f"planted whose citation count the graph holds  {len(seen)} of {len(planted)}; found {len(found_seen)} of them "
          f"(recall@{args.top} {len(found_seen) / len(seen) if seen else 0:.3f}); the others come only from sources "
          "without citation counts (OAI-PMH, PubMed)")
    # What "strong" means (cited >= min_cited_by_count) cannot be seen for the others: nothing in the graph
    # sets them apart from any uncited output, so no ranking can be expected to find them.
    ceiling = min(args.top, len(seen)) / len(planted) if planted else 0.0
    print(f"best recall@{args.top} the graph allows    {ceiling:.3f}   (min({args.top}, planted with a visible "
          f"citation count) / planted)")
    others = [(number, item) for number, item in listed if number not in planted]
    for number, item in others:
        why = f"near miss: {near[number]['reason']}" if number in near else "not planted"
        print(f"  also listed: {number} [{item.department}] score {item.score:.3f} ({why})")
    missed = [number for number in planted if number not in found]
    tiers: dict[str, int] = {}
    for entry in strong["outputs"]:
        kind = concepts.lookup(V.ProjectTypeScheme, entry["project_type"])
        tier = concepts.notation(concepts.obligation_tier(kind)) if kind is not None else "?"
        tiers[tier] = tiers.get(tier, 0) + 1
    print(f"planted projects by our ontology's obligation tier: {tiers} "
          f"(the generator treats {', '.join(strong['criteria']['obliged_project_types'])} as obliged)")
    if missed:
        print(f"missed: {', '.join(sorted(missed))}")


if __name__ == "__main__":
    main()
