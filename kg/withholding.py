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
  `sp:statedGrant`, an output's `sp:acknowledgedGrant`; and the evidence text of that
  record's links to other projects when it quotes the number (a funder's award string,
  "31870719, T2221001", is the evidence of the link to each number in it, and an
  acknowledgement span can hold several). Such a link stays, with its method and
  confidence: only its evidence text is withheld.

The verbatim acknowledgement text of a published paper (`sp:acknowledgement`) is the
paper's own words, already public, and stays.

Everything here is index lookups per withheld entity, so its cost follows the withheld set.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pyoxigraph as ox

from kg import vocab as V

# Predicates whose value is an approval number a record states as text.
GRANT_CLAIMS = (ox.NamedNode(str(V.statedGrant)), ox.NamedNode(str(V.acknowledgedGrant)))
# How the nodes that exist only to say something about an entity name it: qualified links
# and identity decisions (sp:QualifiedLink, sp:IdentityDecision) by these two, curation
# decisions (sp:CurationDecision) by the third. Nothing else uses them.
ABOUT = tuple(ox.NamedNode(str(p)) for p in (V.linkSubject, V.linkObject, V.curatedEntity))
_APPROVAL_NUMBER = ox.NamedNode(str(V.approvalNumber))
_CLAIM_IRIS = frozenset(p.value for p in GRANT_CLAIMS)
_EVIDENCE = ox.NamedNode(str(V.evidence))
_LINK_SUBJECT = ox.NamedNode(str(V.linkSubject))
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Za-z]+")


@dataclass(frozen=True)
class Withheld:
    """The withheld entities, the nodes withheld with them, the withheld approval numbers, and
    the links whose evidence text alone is withheld."""

    entities: frozenset[str] = frozenset()
    nodes: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    evidence: frozenset[str] = frozenset()   # link nodes whose evidence text quotes a withheld number
    iris: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Checked for every statement a publish copies: one set, not two.
        object.__setattr__(self, "iris", self.entities | self.nodes)

    def names(self, quad: ox.Quad) -> bool:
        """Whether the statement names something withheld (and so stays out of the public view)."""
        subject, value = quad.subject, quad.object
        if isinstance(subject, ox.NamedNode):
            if subject.value in self.iris:
                return True
            if subject.value in self.evidence and quad.predicate == _EVIDENCE:
                return True
        if isinstance(value, ox.NamedNode):
            return value.value in self.iris
        return isinstance(value, ox.Literal) and value.value in self.numbers and quad.predicate.value in _CLAIM_IRIS

    def to_manifest(self) -> dict[str, list[str]]:
        return {"hidden_entities": sorted(self.entities), "hidden_nodes": sorted(self.nodes),
                "hidden_numbers": sorted(self.numbers), "hidden_evidence": sorted(self.evidence)}

    @classmethod
    def from_manifest(cls, manifest: dict) -> Withheld | None:
        """What a publication withheld; None when its manifest did not record it."""
        if "hidden_entities" not in manifest:
            return None
        return cls(frozenset(manifest["hidden_entities"]), frozenset(manifest.get("hidden_nodes", ())),
                   frozenset(manifest.get("hidden_numbers", ())), frozenset(manifest.get("hidden_evidence", ())))


def withheld_around(store: ox.Store, entities: Iterable[str]) -> Withheld:
    """The entities with the nodes and approval numbers withheld with them, read from `store`
    (the working store: a withheld project's number is in its restricted record)."""
    entities = frozenset(entities)
    nodes: set[str] = set()
    numbers: set[str] = set()
    for iri in entities:
        node = ox.NamedNode(iri)
        # Only these predicates, not every statement naming the entity: a researcher under
        # review is the author of many approved papers, none of them a node about him.
        nodes.update(q.subject.value for predicate in ABOUT for q in store.quads_for_pattern(None, predicate, node, None)
                     if isinstance(q.subject, ox.NamedNode))
        numbers.update(q.object.value for q in store.quads_for_pattern(node, _APPROVAL_NUMBER, None, None)
                       if isinstance(q.object, ox.Literal))
    nodes -= entities
    evidence = _evidence_quoting(store, numbers) - nodes
    return Withheld(entities, frozenset(nodes), frozenset(numbers), frozenset(evidence))


def _evidence_quoting(store: ox.Store, numbers: Iterable[str]) -> set[str]:
    """The link nodes whose evidence quotes one of `numbers`: only the links of the records
    that state the number (every number a record's evidence yields is also stated by it as
    a grant it names), so index lookups per number."""
    found: set[str] = set()
    for number in numbers:
        records = {q.subject for q in claims_of(store, number)}
        for record in records:
            for link in store.quads_for_pattern(None, _LINK_SUBJECT, record, None):
                node = link.subject
                if isinstance(node, ox.NamedNode) and node.value not in found and any(
                        quotes(q.object.value, number) for q in store.quads_for_pattern(node, _EVIDENCE, None, None)):
                    found.add(node.value)
    return found


def quotes(text: str, number: str) -> bool:
    """Whether the text names the approval number, however spaced or punctuated (PDF text
    splits numbers; a false match only withholds an evidence text)."""
    return number in text or number in _NOT_ALPHANUMERIC.sub("", text)


def naming_iri(store: ox.Store, iri: str) -> list[ox.Quad]:
    """The statements with `iri` as subject or object (index lookups)."""
    node = ox.NamedNode(iri)
    return [*store.quads_for_pattern(node, None, None, None), *store.quads_for_pattern(None, None, node, None)]


def evidence_of(store: ox.Store, node: str) -> list[ox.Quad]:
    """A link node's evidence statements (index lookups)."""
    return list(store.quads_for_pattern(ox.NamedNode(node), _EVIDENCE, None, None))


def claims_of(store: ox.Store, number: str) -> Iterator[ox.Quad]:
    """The statements that state `number` as a grant a record names (index lookups)."""
    value = ox.Literal(number)
    for predicate in GRANT_CLAIMS:
        yield from store.quads_for_pattern(None, predicate, value, None)
