"""Union-find with cannot-link constraints: the clustering every linker shares.

Nodes are small integers. A merge is refused when the two clusters would hold two
different values of one anchor kind (two NSFC person ids, two ORCIDs, two RORs, two
DOIs), when a curator split names one node on each side, or when the caller's own
check (names) says no. Accepted and refused merges are both recorded, with their
evidence, for the links graph and for `explain-link`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable



# An evidence text, or the parts to word it from: (function, its arguments...). At 200,000
# projects there are millions of pieces of evidence, and only the ones a merge cites are
# ever read; a tuple of the parts costs a fraction of the words.
Text = str | tuple


def say(text: Text) -> str:
    """The words of an evidence text."""
    return text if isinstance(text, str) else text[0](*text[1:])


@dataclass(slots=True)
class Evidence:
    """One reason to believe two nodes are one entity."""

    method: str      # a key of kg.linking.run.METHODS
    score: float     # 0..1
    text: Text       # human-readable, shown by explain-link (see `say`)
    # The record (output, work, project) the evidence comes from; '' when it is about the
    # person as a whole (name and institution, co-authors). Coverage counts records, so
    # one paper seen through two of a cluster's records counts once.
    about: str = ""


@dataclass(slots=True)   # hundreds of thousands per stage of clustering at 200,000 projects
class Decision:
    """A merge the clustering accepted (same) or refused although the evidence was strong (apart)."""

    a: int
    b: int
    same: bool
    method: str
    score: float
    text: str


def combine(evidence: list[Evidence]) -> float:
    """Independent evidence adds up (noisy-or), capped below certainty unless one piece is certain."""
    remaining = 1.0
    for item in evidence:
        if item.score >= 1.0:
            return 1.0
        remaining *= 1.0 - item.score
    return min(0.999, 1.0 - remaining)


@dataclass
class Clusters:
    """Constrained union-find over nodes 0..n-1.

    The forest is two plain lists (parent, size) rather than networkx's UnionFind: linking a
    large store makes millions of finds, and a list lookup is several times cheaper than
    the dictionary walk of a general-purpose structure.
    """

    anchors: list[dict[str, str]]                        # per node: kind -> value (e.g. 'nsfc' -> '100123')
    check: Callable[[int, int], str] | None = None       # roots -> '' if compatible, else the reason
    decisions: list[Decision] = field(default_factory=list)
    _anchor_sets: dict[int, dict[str, str]] = field(default_factory=dict)
    _forbidden: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._anchor_sets = {i: dict(a) for i, a in enumerate(self.anchors) if a}
        self._parent = list(range(len(self.anchors)))
        self._size = [1] * len(self.anchors)

    def find(self, node: int) -> int:
        parent = self._parent
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:            # path compression
            parent[node], node = root, parent[node]
        return root

    def _union(self, ra: int, rb: int) -> int:
        """Join two roots (the larger tree keeps its root); returns the new root."""
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]
        return ra

    def forbid(self, a: int, b: int) -> None:
        """A curator split: a and b must never end in one cluster."""
        self._forbidden.setdefault(self.find(a), set()).add(b)
        self._forbidden.setdefault(self.find(b), set()).add(a)

    def anchor_values(self, root: int) -> dict[str, str]:
        return self._anchor_sets.get(root, {})

    def conflict(self, ra: int, rb: int) -> str:
        """Why the clusters of roots ra and rb cannot merge ('' when they can)."""
        sa, sb = self._anchor_sets.get(ra, {}), self._anchor_sets.get(rb, {})
        for kind, value in sa.items():
            other = sb.get(kind)
            if other is not None and other != value:
                return f"different {kind} ({value} / {other})"
        if self._forbidden:
            for root, other_root in ((ra, rb), (rb, ra)):
                if any(self.find(x) == other_root for x in self._forbidden.get(root, ())):
                    return "a curator split them"
        if self.check is not None:
            return self.check(ra, rb)
        return ""

    def merge(self, a: int, b: int, method: str, score: float, text: str, *, record: bool = True,
              force: bool = False) -> bool:
        """Join the clusters of a and b unless a constraint forbids it (force: curator merges)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        reason = self.conflict(ra, rb)
        if reason and not (force and "curator split" not in reason):
            if record:
                self.decisions.append(Decision(a, b, False, method, score, f"{text}; kept apart: {reason}"))
            return False
        root = self._union(ra, rb)
        merged_anchors = {**self._anchor_sets.pop(rb, {}), **self._anchor_sets.pop(ra, {})}
        if merged_anchors:
            self._anchor_sets[root] = merged_anchors
        forbidden = self._forbidden.pop(ra, set()) | self._forbidden.pop(rb, set())
        if forbidden:
            self._forbidden[root] = forbidden
        self.after_merge(ra, rb, root)
        if record:
            self.decisions.append(Decision(a, b, True, method, score, text))
        return True

    def after_merge(self, ra: int, rb: int, root: int) -> None:
        """Hook for subclasses that keep per-cluster data (names)."""

    def groups(self, size: int) -> dict[int, list[int]]:
        """Root -> members, for every node 0..size-1."""
        out: dict[int, list[int]] = {}
        for node in range(size):
            out.setdefault(self.find(node), []).append(node)
        return out
