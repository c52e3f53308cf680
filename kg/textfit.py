"""Theme fit of short texts: the token sets kg.recommend compares with a user's theme.

Tokens are Chinese character bigrams (a lone character stands for itself) and lower-case
English words minus a few title words. kg.rollup stores each candidate's token set with
the recommendation tables after each ingest, so a request with --theme compares sets and
never segments a title at request time.
"""
from __future__ import annotations

import math
import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
# Words that say nothing about a topic in titles ("Research on the … of …").
_STOP = frozenset("""a an and are as at based by for from in into is its of on or the to via with study studies
research mechanism mechanisms analysis novel new approach""".split())


def tokens(text: str) -> set[str]:
    """Chinese character bigrams (a lone character stands for itself) and lower-case English words."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    found: set[str] = set()
    for run in _CJK.findall(text):
        found.update(run[i:i + 2] for i in range(len(run) - 1)) if len(run) > 1 else found.add(run)
    found.update(w for w in _WORD.findall(_CJK.sub(" ", text)) if len(w) > 1 and w not in _STOP)
    return found


def similarity(theme: set[str], text: set[str]) -> float:
    """Cosine of two token sets (|A∩B| / sqrt(|A|·|B|)): 1 for the same tokens, 0 for none shared."""
    if not theme or not text:
        return 0.0
    return len(theme & text) / math.sqrt(len(theme) * len(text))
