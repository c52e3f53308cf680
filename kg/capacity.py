"""A project's capacity to popularize (kg.network computes it; kg.rollup stores it; kg.recommend scores it).

Its own module because kg.network imports networkx, which takes most of a second to import:
a recommendation read from the materialized tables needs the value, not the network."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capacity:
    """How close a project's team is to popularization experience."""

    kind: str                     # "pi", "team" (a member or co-author), "hops", or "none"
    hops: int | None              # 0 for pi/team; collaboration hops for "hops"
    path: tuple[str, ...]         # person (… the popularizer) the reason names
    works: int = 0                # approved works the popularizer created

    def to_json(self) -> list:
        return [self.kind, self.hops, list(self.path), self.works]

    @classmethod
    def from_json(cls, value: list) -> "Capacity":
        return cls(value[0], value[1], tuple(value[2]), value[3])
