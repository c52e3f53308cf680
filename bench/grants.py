"""Grant-number mining: statements per second and the slowest adversarial input.

    python bench/grants.py
Target (issue 3): > 2,000 statements/s; linear in text length.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from kg.grants import evaluate, find_nsfc_grants  # noqa: E402
from test_grant_mining import ADVERSARIAL  # noqa: E402


def main() -> None:
    rows = [json.loads(line) for line in open(ROOT / "tests" / "data" / "acknowledgements_labelled.jsonl", encoding="utf-8")]
    texts = [r["text"] for r in rows]
    started = time.perf_counter()
    for _ in range(10):
        for text in texts:
            find_nsfc_grants(text)
    rate = 10 * len(texts) / (time.perf_counter() - started)
    print(f"statements/s               {rate:10.0f}  (target > 2,000)")
    scores = evaluate(rows)
    print(f"precision / recall / F1    {scores['precision']:.3f} / {scores['recall']:.3f} / {scores['f1']:.3f}  (hand-labelled set)")
    worst = 0.0
    for text in ADVERSARIAL:
        started = time.perf_counter()
        find_nsfc_grants(text)
        worst = max(worst, time.perf_counter() - started)
    print(f"slowest adversarial input  {worst:10.3f} s")


if __name__ == "__main__":
    main()
