"""One entity per research output: a DOI already gives one IRI; the rest by bibliography.

Outputs without a DOI (OAI-PMH records, some OpenAlex and PubMed records) get a
source-specific IRI at ingest, so the same paper harvested twice is two nodes. They are
blocked by normalized title, then joined when the publication years are at most one apart
(online first vs issue), the first authors' names agree, and the venues agree where both
are known. Two different DOIs are never joined (a preprint and its article are two
outputs); short or generic titles ("Editorial", "前言") never join anything.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from kg.linking.clusters import Clusters
from kg.linking.names import INITIALS, compare_sets, parse_name

TITLE_SCORE = 0.95
MIN_TITLE_KEY = 16     # characters of the normalized title (a CJK character counts 2)
GENERIC_TITLES = frozenset({
    "editorial", "preface", "introduction", "foreword", "erratum", "corrigendum", "correction", "reply",
    "comment", "commentary", "letter", "response", "retraction", "abstracts", "index", "contents",
    "前言", "序言", "编者按", "更正", "目录", "引言",
})


_NOT_WORD = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """Case-, width-, space- and punctuation-insensitive title key."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", title or "").casefold())


def _weight(key: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in key)


@dataclass
class OutputRecord:
    iri: str
    titles: set[str] = field(default_factory=set)
    year: int | None = None
    doi: str = ""
    venues: set[str] = field(default_factory=set)
    first_authors: set[str] = field(default_factory=set)


@dataclass
class OutputLinks:
    records: list[OutputRecord]
    clusters: Clusters
    canonical: dict[int, str]


def _agree(a: OutputRecord, b: OutputRecord) -> str:
    """'' when the two records can be the same output, else why not."""
    if a.year is not None and b.year is not None and abs(a.year - b.year) > 1:
        return f"years {a.year} and {b.year}"
    venues_a, venues_b = {title_key(v) for v in a.venues}, {title_key(v) for v in b.venues}
    if venues_a and venues_b and not venues_a & venues_b:
        return "different venues"
    names_a = tuple(parse_name(n) for n in sorted(a.first_authors))
    names_b = tuple(parse_name(n) for n in sorted(b.first_authors))
    if not names_a or not names_b:
        return "no first author to compare"
    if compare_sets(names_a, names_b) < INITIALS:
        return "different first authors"
    return ""


def dedup_outputs(records: list[OutputRecord], merges: list[tuple[int, int, str]] = (),
                  splits: list[tuple[int, int, str]] = ()) -> OutputLinks:
    """Cluster output records; pure Python, no store access."""
    clusters = Clusters(anchors=[{"DOI": r.doi} if r.doi else {} for r in records])
    for a, b, text in splits:
        clusters.forbid(a, b)
    for a, b, text in merges:
        clusters.merge(a, b, "curator", 1.0, text, force=True)
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for title in record.titles:
            key = title_key(title)
            if _weight(key) >= MIN_TITLE_KEY and key not in GENERIC_TITLES:
                blocks[key].append(index)
    for key in sorted(blocks):
        members = sorted(set(blocks[key]))
        if len(members) < 2 or len(members) > 50:
            continue   # a title shared by dozens of records is not one paper's title
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if (records[a].doi and records[b].doi) or clusters.find(a) == clusters.find(b) \
                        or _agree(records[a], records[b]):
                    continue
                title = next(t for t in sorted(records[a].titles) if title_key(t) == key)
                text = (f"same title '{title[:120]}', year {records[a].year or '?'}/{records[b].year or '?'}, "
                        f"first author '{sorted(records[a].first_authors)[0]}' / '{sorted(records[b].first_authors)[0]}'")
                clusters.merge(a, b, "title", TITLE_SCORE, text)
    return OutputLinks(records=records, clusters=clusters, canonical=_canonical(records, clusters))


def _canonical(records: list[OutputRecord], clusters: Clusters) -> dict[int, str]:
    """Per root: the DOI-minted IRI if any, else the smallest IRI."""
    best: dict[int, tuple] = {}
    for index, record in enumerate(records):
        root = clusters.find(index)
        rank = (0 if record.doi else 1, record.iri)
        if root not in best or rank < best[root]:
            best[root] = rank
    return {root: rank[1] for root, rank in best.items()}
