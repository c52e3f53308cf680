"""What the public view leaves out around a withheld entity.

An entity is withheld when no approved record describes it (kg.publish,
`restricted_only_entities`): a project or researcher under review, a work in
confidentiality review. Approved records may still name it, and dropping only the
statements that name it would leave two things that give it away:

- nodes that exist only to say something about it: a qualified link (how a record's link
  to it was found, with evidence text that quotes its approval number) and a curation
  decision (a department flagging it, with the curator's name and the time; such a node's
  IRI is a hash of the project's IRI and that time, so the number can be found by trying
  them). Every statement of such a node is withheld with the entity;
- its approval number, where a record states one as a plain value: a work's
  `sp:statedGrant`, an output's `sp:acknowledgedGrant`.

The verbatim acknowledgement text of a published paper (`sp:acknowledgement`) is the
paper's own words, already public, and stays.

Everything here is index lookups per withheld entity, so its cost follows the withheld set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pyoxigraph as ox

from kg import vocab as V

# Predicates whose value is an approval number a record states as text.
GRANT_CLAIMS = (ox.NamedNode(str(V.statedGrant)), ox.NamedNode(str(V.acknowledgedGrant)))
# Node types that exist only to say something about the entities they name.
DEPENDENT_TYPES = tuple(ox.NamedNode(str(t)) for t in (V.QualifiedLink, V.IdentityDecision, V.CurationDecision))
_RDF_TYPE = ox.NamedNode(str(V.RDF.type))
_APPROVAL_NUMBER = ox.NamedNode(str(V.approvalNumber))
_CLAIM_IRIS = frozenset(p.value for p in GRANT_CLAIMS)


@dataclass(frozen=True)
class Withheld:
    """The withheld entities, the nodes withheld with them, and the withheld approval numbers."""

    entities: frozenset[str] = frozenset()
    nodes: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    iris: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Checked for every statement a publish copies: one set, not two.
        object.__setattr__(self, "iris", self.entities | self.nodes)

    def names(self, quad: ox.Quad) -> bool:
        """Whether the statement names something withheld (and so stays out of the public view)."""
        subject, value = quad.subject, quad.object
        if isinstance(subject, ox.NamedNode) and subject.value in self.iris:
            return True
        if isinstance(value, ox.NamedNode):
            return value.value in self.iris
        return isinstance(value, ox.Literal) and value.value in self.numbers and quad.predicate.value in _CLAIM_IRIS

    def to_manifest(self) -> dict[str, list[str]]:
        return {"hidden_entities": sorted(self.entities), "hidden_nodes": sorted(self.nodes),
                "hidden_numbers": sorted(self.numbers)}

    @classmethod
    def from_manifest(cls, manifest: dict) -> Withheld | None:
        """What a publication withheld; None when its manifest did not record it."""
        if "hidden_entities" not in manifest:
            return None
        return cls(frozenset(manifest["hidden_entities"]), frozenset(manifest.get("hidden_nodes", ())),
                   frozenset(manifest.get("hidden_numbers", ())))


def withheld_around(store: ox.Store, entities: Iterable[str]) -> Withheld:
    """The entities with the nodes and approval numbers withheld with them, read from `store`
    (the working store: a withheld project's number is in its restricted record)."""
    entities = frozenset(entities)
    nodes: set[str] = set()
    numbers: set[str] = set()
    seen: set[str] = set()
    for iri in entities:
        node = ox.NamedNode(iri)
        for quad in store.quads_for_pattern(None, None, node, None):
            subject = quad.subject
            if isinstance(subject, ox.NamedNode) and subject.value not in seen:
                seen.add(subject.value)
                if subject.value not in entities and _is_dependent(store, subject):
                    nodes.add(subject.value)
        numbers.update(q.object.value for q in store.quads_for_pattern(node, _APPROVAL_NUMBER, None, None)
                       if isinstance(q.object, ox.Literal))
    return Withheld(entities, frozenset(nodes), frozenset(numbers))


def _is_dependent(store: ox.Store, node: ox.NamedNode) -> bool:
    return any(next(iter(store.quads_for_pattern(node, _RDF_TYPE, kind, None)), None) is not None
               for kind in DEPENDENT_TYPES)


def naming_iri(store: ox.Store, iri: str) -> list[ox.Quad]:
    """The statements with `iri` as subject or object (index lookups)."""
    node = ox.NamedNode(iri)
    return [*store.quads_for_pattern(node, None, None, None), *store.quads_for_pattern(None, None, node, None)]


def claims_of(store: ox.Store, number: str) -> Iterator[ox.Quad]:
    """The statements that state `number` as a grant a record names (index lookups)."""
    value = ox.Literal(number)
    for predicate in GRANT_CLAIMS:
        yield from store.quads_for_pattern(None, predicate, value, None)
