"""Snippets: the stored summary of a hit, HTML-escaped, with <mark> around what matched.

Made here rather than by an engine's highlighter so that both engines return the same
snippet for the same document. English words are matched by their stem ("computing"
marks "Computation"), Chinese words as substrings, including the shorter words inside
a long one (a query for 量子计算 marks 量子 and 计算 when they stand apart).
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from search.analysis import fold, has_cjk, segment_precise, stem, sub_words

MAX_CHARS = 240


@lru_cache(maxsize=256)
def _patterns(terms: tuple[str, ...]) -> list[re.Pattern]:
    """The patterns of a query's terms, made once per query (every hit's snippet uses them)."""
    patterns: list[re.Pattern] = []
    for term in terms:
        folded = fold(term).strip()
        if not folded:
            continue
        if has_cjk(folded):
            pieces = {folded}
            for word in segment_precise(folded):
                pieces.add(word)
                pieces.update(sub_words(word))
            patterns += [re.compile(re.escape(p)) for p in pieces if len(p) >= 2 or p == folded]
        else:
            for word in re.findall(r"[0-9a-z]+", folded):
                if len(word) >= 2:
                    patterns.append(re.compile(r"\b" + re.escape(stem(word)) + r"\w*", re.IGNORECASE))
    return patterns


def _spans(text: str, patterns: list[re.Pattern]) -> list[tuple[int, int]]:
    spans = sorted((m.start(), m.end()) for p in patterns for m in p.finditer(text) if m.end() > m.start())
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(text: str, terms: list[str], limit: int = MAX_CHARS) -> str:
    """HTML-escaped text with <mark>…</mark> around the matches, cut near the first one."""
    text = text or ""
    # Match on a case-folded copy of the same length, so positions carry over.
    folded = text.casefold() if len(text.casefold()) == len(text) else text
    spans = _spans(folded, _patterns(tuple(terms)))
    start = 0
    if spans and spans[0][0] > limit // 2:
        start = max(0, spans[0][0] - limit // 4)
    end = min(len(text), start + limit)
    out: list[str] = ["…" if start else ""]
    position = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[position:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        position = e
    out.append(html.escape(text[position:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
