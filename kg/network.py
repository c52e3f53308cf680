"""The researchers' collaboration network (networkx), built from a few big SELECTs.

Nodes are people, edges join two people who were on the same project (PI or member) or
wrote the same research output. People are counted by identity: once the linking step
has written `(mention owl:sameAs canonical)`, every mention collapses onto its canonical
person; before that, each IRI is its own person — the same query serves both.

Experienced popularizers are the creators of approved popular-science works. The network
answers "who could popularize this?": the distance from a result's people to the nearest
popularizer, and the path that connects them. `kg.recommend` uses it for its capacity
factor; the web's talent pages can use the same object.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx

from kg.capacity import Capacity
from kg.patterns import approved_work
from kg.store import KnowledgeGraph, prefix_block

# Single-pattern scans, joined here in Python: the engine reads each index range once
# instead of looking up every row of a join (ten times faster on the demo set).
SCANS = {
    "pi": "?s sp:principalInvestigator ?o",
    "member": "?s sp:member ?o",
    "result": "?s sp:resultOf ?o",
    "same": "?s owl:sameAs ?o",
}

# Output -> author, through the authorship nodes. As two subqueries, Oxigraph hash-joins them on
# its internal ids and never spells out the 1.3 million authorship node IRIs of 100,000 projects:
# 27 s there, against 143 s for the two scans joined in Python and 104 s for the plain join.
AUTHORS = prefix_block() + """
SELECT ?s ?o WHERE {
  { SELECT ?s ?slot WHERE { GRAPH ?g { ?s sp:authorship ?slot } } }
  { SELECT ?slot ?o WHERE { GRAPH ?h { ?slot sp:author ?o } FILTER(isIRI(?o)) } }
}"""

POPULARIZERS = prefix_block() + f"""
SELECT ?w ?x WHERE {{ {approved_work("?w")} ?w dcterms:creator ?x }}"""

# A team larger than this (a consortium paper) says little about who works with whom and
# would add its size squared in edges; its people are joined in a chain instead, which
# keeps them connected without the clique.
MAX_CLIQUE = 30


@dataclass(frozen=True)
class Reach:
    """How close a group of people is to an experienced popularizer."""

    distance: int | None          # 0: one of them is a popularizer; None: none within the cutoff
    person: str | None = None     # the one of them on the shortest path
    popularizer: str | None = None
    path: tuple[str, ...] = ()    # person … popularizer


@dataclass
class CollaborationNetwork:
    graph: nx.Graph
    popularizers: dict[str, int] = field(default_factory=dict)  # person -> approved works created
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)  # project/output IRI -> its people
    pis: dict[str, tuple[str, ...]] = field(default_factory=dict)    # project IRI -> its PI(s)
    outputs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # project IRI -> its outputs
    _distance: dict[str, int] | None = None
    _cutoff: int = -1
    # person -> the next person on its way down to a popularizer; computed once per person,
    # because a hub with thousands of collaborators lies on the paths of many projects
    # (scanning its neighbours for each of 100,000 projects took minutes).
    _down: dict[str, str] = field(default_factory=dict)

    # ---- summaries -------------------------------------------------------------------
    def components(self) -> list[set[str]]:
        """Connected components, largest first (ties by smallest member, so the order is stable)."""
        return sorted((set(c) for c in nx.connected_components(self.graph)), key=lambda c: (-len(c), min(c)))

    def degree_centrality(self, top: int = 20) -> list[tuple[str, float]]:
        scores = nx.degree_centrality(self.graph) if self.graph.number_of_nodes() > 1 else {}
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]

    def betweenness(self, top: int = 20, samples: int = 200, seed: int = 0) -> list[tuple[str, float]]:
        """Betweenness centrality, estimated from `samples` seeded sources on big networks (exact below that)."""
        n = self.graph.number_of_nodes()
        k = None if n <= samples else samples
        scores = nx.betweenness_centrality(self.graph, k=k, seed=seed)
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]

    # ---- popularization capacity -----------------------------------------------------
    def distances(self, cutoff: int = 3) -> dict[str, int]:
        """Every person within `cutoff` hops of a popularizer -> hops (0 for popularizers). One BFS."""
        if self._distance is None or self._cutoff != cutoff:
            sources = [p for p in self.popularizers if p in self.graph]
            found: dict[str, int] = {}
            if sources:
                for depth, layer in enumerate(nx.bfs_layers(self.graph, sources)):
                    if depth > cutoff:
                        break
                    found.update((person, depth) for person in layer)
            self._distance, self._cutoff = found, cutoff
            self._down = {}
        return self._distance

    def nearest_popularizer(self, people: list[str], cutoff: int = 3) -> Reach:
        """The shortest path from any of `people` to an experienced popularizer, within `cutoff` hops."""
        present = sorted(p for p in set(people) if p in self.graph)
        direct = sorted(p for p in set(people) if p in self.popularizers)
        if direct:
            return Reach(distance=0, person=direct[0], popularizer=direct[0], path=(direct[0],))
        known = self.distances(cutoff)
        reachable = [p for p in present if p in known]
        if not reachable:
            return Reach(distance=None)
        start = min(reachable, key=lambda p: (known[p], p))
        path = self._path_down(start, known)
        return Reach(distance=known[start], person=start, popularizer=path[-1], path=tuple(path))

    def _path_down(self, start: str, known: dict[str, int]) -> list[str]:
        """Walk from `start` to a popularizer, each step to a neighbour one hop closer (smallest IRI first)."""
        path = [start]
        while known[path[-1]] > 0:
            here = path[-1]
            step = self._down.get(here)
            if step is None:
                step = min(n for n in self.graph.neighbors(here) if known.get(n) == known[here] - 1)
                self._down[here] = step
            path.append(step)
        return path

    def people_of(self, entity: str) -> tuple[str, ...]:
        return self.teams.get(entity, ())

    def project_team(self, project: str) -> tuple[set[str], set[str]]:
        """(PIs, everyone else) of a project: its members and the authors of its outputs."""
        pis = set(self.pis.get(project, ()))
        others = set(self.teams.get(project, ()))
        for output in self.outputs.get(project, ()):
            others.update(self.teams.get(output, ()))
        return pis, others - pis

    def capacity(self, project: str, max_hops: int = 2) -> Capacity:
        """Who could popularize a project's results: its PI, a member or co-author, or someone within
        `max_hops` collaboration hops of the team who created approved popular-science works."""
        pis, others = self.project_team(project)
        for kind, people in (("pi", pis), ("team", others)):
            found = sorted(p for p in people if p in self.popularizers)
            if found:
                return Capacity(kind, 0, (found[0],), self.popularizers[found[0]])
        reach = self.nearest_popularizer(sorted(pis | others), cutoff=max_hops)
        if reach.distance is None:
            return Capacity("none", None, ())
        return Capacity("hops", reach.distance, reach.path, self.popularizers.get(reach.popularizer or "", 0))


def _scan(kg: KnowledgeGraph, pattern: str):
    """(subject IRI, object IRI) rows of one pattern, as text: building millions of rdflib terms
    would double the time at scale."""
    return kg.rows(prefix_block() + f"SELECT ?s ?o WHERE {{ {pattern} FILTER(isIRI(?o)) }}")


def build_network(kg: KnowledgeGraph) -> CollaborationNetwork:
    """The collaboration network of the whole view, from a few big single-pattern SELECTs."""
    canonical = dict(_scan(kg, SCANS["same"]))

    def who(x) -> str:
        return canonical.get(str(x), str(x))

    pis: dict[str, set[str]] = defaultdict(set)
    members: dict[str, set[str]] = defaultdict(set)
    for team, person in _scan(kg, SCANS["pi"]):
        pis[team].add(who(person))
        members[team].add(who(person))
    for team, person in _scan(kg, SCANS["member"]):
        members[team].add(who(person))
    for output, person in kg.rows(AUTHORS):
        members[output].add(who(person))
    outputs: dict[str, list[str]] = defaultdict(list)
    for output, project in _scan(kg, SCANS["result"]):
        outputs[project].append(output)
    works: dict[str, set[str]] = defaultdict(set)
    for work, creator in kg.query(POPULARIZERS):
        works[who(creator)].add(str(work))
    graph = nx.Graph()
    graph.add_nodes_from(works)
    teams: dict[str, tuple[str, ...]] = {}
    for team, people in members.items():
        ordered = tuple(sorted(people))
        teams[team] = ordered
        graph.add_nodes_from(ordered)
        if len(ordered) <= MAX_CLIQUE:
            graph.add_edges_from(combinations(ordered, 2))
        else:
            graph.add_edges_from(zip(ordered, ordered[1:]))
    return CollaborationNetwork(graph=graph, popularizers={p: len(w) for p, w in works.items()}, teams=teams,
                                pis={team: tuple(sorted(p)) for team, p in pis.items()},
                                outputs={p: tuple(sorted(o)) for p, o in outputs.items()})
