"""Why two IRIs are (or are not) one entity, in lines a person can read.

`explain_link(kg, a, b)` reads the links and curation graphs: the canonical IRI of each,
the curators' decisions about the pair, and, when both resolve to one entity, the chain
of merge decisions that joins them (each with method, confidence and evidence); when
they do not, the decisions that kept their clusters apart, if any.
"""
from __future__ import annotations

from collections import deque

from kg import concepts
from kg import vocab as V
from kg.errors import NotFound
from kg.linking.curation import checked_iri, load_decisions
from kg.store import KnowledgeGraph, prefix_block

DECISIONS = prefix_block() + """
SELECT ?s ?o ?relation ?method ?confidence ?evidence WHERE { GRAPH <%(links)s> {
  VALUES ?x { %(members)s }
  { ?d sp:linkSubject ?x } UNION { ?d sp:linkObject ?x }
  ?d a sp:IdentityDecision ; sp:linkSubject ?s ; sp:linkObject ?o ; sp:linkRelation ?relation ;
     sp:linkMethod ?method ; sp:confidence ?confidence .
  OPTIONAL { ?d sp:evidence ?evidence } } }"""


def _canonical(kg: KnowledgeGraph, iri: str) -> str:
    rows = kg.select(f"SELECT ?c WHERE {{ GRAPH <{kg.minter.links_graph()}> {{ <{iri}> owl:sameAs ?c }} }}")
    return str(rows[0]["c"]) if rows else iri


def _members(kg: KnowledgeGraph, canonical: str) -> list[str]:
    rows = kg.select(f"SELECT ?x WHERE {{ GRAPH <{kg.minter.links_graph()}> {{ ?x owl:sameAs <{canonical}> }} }}")
    return sorted({canonical} | {str(r["x"]) for r in rows})


def _label(kg: KnowledgeGraph, iri: str) -> str:
    rows = kg.select(prefix_block() + f"SELECT ?n WHERE {{ {{ <{iri}> schema:name ?n }} UNION {{ <{iri}> dcterms:title ?n }} }}")
    names = sorted({str(r["n"]) for r in rows})[:3]
    return f"'{' / '.join(names)}' <{iri}>" if names else f"<{iri}>"


def _exists(kg: KnowledgeGraph, iri: str) -> bool:
    return bool(kg.select(f"SELECT ?p WHERE {{ <{checked_iri(iri)}> ?p ?o }} LIMIT 1"))


def _decisions(kg: KnowledgeGraph, members: list[str]) -> list[dict]:
    if not members:
        return []
    text = DECISIONS % {"links": kg.minter.links_graph(), "members": " ".join(f"<{m}>" for m in members)}
    seen, out = set(), []
    for row in kg.select(text):
        key = (str(row["s"]), str(row["o"]), str(row["relation"]))
        if key not in seen:
            seen.add(key)
            out.append({"a": key[0], "b": key[1], "same": row["relation"] == V.sameAs,
                        "method": concepts.pref_label(row["method"], "en"), "method_iri": str(row["method"]),
                        "confidence": float(row["confidence"]), "evidence": str(row.get("evidence", ""))})
    return out


def _path(decisions: list[dict], start: str, goal: str) -> list[dict]:
    """The merge decisions on the path from start to goal (breadth-first over merges)."""
    edges: dict[str, list[tuple[str, dict]]] = {}
    for d in decisions:
        if d["same"]:
            edges.setdefault(d["a"], []).append((d["b"], d))
            edges.setdefault(d["b"], []).append((d["a"], d))
    previous: dict[str, tuple[str, dict] | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for other, decision in edges.get(node, []):
            if other not in previous:
                previous[other] = (node, decision)
                queue.append(other)
    if goal not in previous:
        return []
    steps, node = [], goal
    while previous[node] is not None:
        node, decision = previous[node]
        steps.append(decision)
    return list(reversed(steps))


def _step(number: int, decision: dict) -> str:
    return (f"  {number}. <{decision['a']}> = <{decision['b']}>: {decision['method']}, "
            f"confidence {decision['confidence']:.3f}: {decision['evidence']}")


def explain_link(kg: KnowledgeGraph, a_iri: str, b_iri: str) -> list[str]:
    """Human-readable lines: are a and b one entity, and on what evidence."""
    for iri in (a_iri, b_iri):
        if not _exists(kg, iri):
            raise NotFound(f"Nothing in the graph is called {iri}.", "Check the IRI (e.g. with `scipop query`).")
    lines = [f"A: {_label(kg, a_iri)}", f"B: {_label(kg, b_iri)}"]
    return lines + _Explainer(kg).lines(a_iri, b_iri)


def identity_steps(kg: KnowledgeGraph, iri: str, others: list[str]) -> dict[str, list[dict]]:
    """For each of `others` that is one entity with `iri`: the merge decisions that join them,
    in order, each as {method (the concept IRI), confidence, evidence}, for a page to word in
    its own language; [] for the others. One person's page explains all of their identities:
    the canonical IRIs and the cluster's decisions are read once, not per pair."""
    if not _exists(kg, iri):
        return {other: [] for other in others}
    explainer = _Explainer(kg)
    return {other: [{"method": step["method_iri"], "confidence": step["confidence"], "evidence": step["evidence"]}
                    for step in explainer.path(iri, other)] for other in others}


class _Explainer:
    """explain_link's reasoning, with the lookups several pairs share kept for its lifetime."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self._curated = None
        self._canonical: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}
        self._decisions: dict[tuple[str, ...], list[dict]] = {}

    def canonical(self, iri: str) -> str:
        if iri not in self._canonical:
            self._canonical[iri] = _canonical(self.kg, iri)
        return self._canonical[iri]

    def members(self, canonical: str) -> list[str]:
        if canonical not in self._members:
            self._members[canonical] = _members(self.kg, canonical)
        return self._members[canonical]

    def decisions(self, members: list[str]) -> list[dict]:
        key = tuple(members)
        if key not in self._decisions:
            self._decisions[key] = _decisions(self.kg, members)
        return self._decisions[key]

    def path(self, a_iri: str, b_iri: str) -> list[dict]:
        """The merge decisions joining a and b, when they resolve to one entity; else []."""
        canonical = self.canonical(a_iri)
        if a_iri == b_iri or canonical != self.canonical(b_iri):
            return []
        return _path(self.decisions(self.members(canonical)), a_iri, b_iri)

    def lines(self, a_iri: str, b_iri: str) -> list[str]:
        if self._curated is None:
            self._curated = load_decisions(self.kg)
        lines = []
        for decision in self._curated:
            if decision.pair == frozenset((a_iri, b_iri)):
                lines.append(f"Curator decision: {decision.describe()} (curators' decisions always win).")
        canonical_a, canonical_b = self.canonical(a_iri), self.canonical(b_iri)
        if a_iri == b_iri or canonical_a == canonical_b:
            lines.append(f"Same entity: both resolve to <{canonical_a}>.")
            steps = self.path(a_iri, b_iri)
            if steps:
                lines.append(f"Joined by {len(steps)} decision(s):")
                lines += [_step(i, d) for i, d in enumerate(steps, start=1)]
            return lines
        lines.append(f"Different entities: A resolves to <{canonical_a}>, B to <{canonical_b}>.")
        members_a, members_b = set(self.members(canonical_a)), set(self.members(canonical_b))
        apart = [d for d in self.decisions(sorted(members_a)) if not d["same"]
                 and ((d["a"] in members_a and d["b"] in members_b) or (d["a"] in members_b and d["b"] in members_a))]
        if apart:
            lines.append("Evidence that was refused:")
            lines += [_step(i, d) for i, d in enumerate(apart, start=1)]
        else:
            lines.append("No evidence strong enough connects them (a shared name alone never merges two people).")
        return lines
