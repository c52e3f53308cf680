"""Curators' decisions about projects: departments' representative-achievement flags and
the science-communication centre's selections for the special popularization fund.

Each decision is its own node (who, when, what), never overwritten, so the history stays
and a report can show it; the latest decision per project is the one that counts.

- A department's flag goes to the curation graph: departments publish their
  representative achievements.
- The centre's selection decision goes to the curation graph's /restricted twin: it is
  internal until the centre announces it (and a rejection never is), so the public view,
  which physically lacks /restricted graphs, never holds it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg import concepts
from kg import vocab as V
from kg.errors import NotFound, ScipopError
from kg.ids import normalize_approval_number
from kg.nquads import term_nt
from kg.store import KnowledgeGraph, prefix_block
from kg.texts import say

REPRESENTATIVE = "representative"
SELECTION = "selection"


@dataclass(frozen=True)
class Decision:
    """One recorded decision, as reports show it."""

    iri: str
    kind: str              # REPRESENTATIVE or SELECTION
    project: str           # project IRI
    curator: str
    at: str                # ISO 8601 UTC time
    department: str = ""   # department notation (A…H, T) of a representative flag
    selected: bool | None = None  # selection decisions only

    def describe(self, lang: str = "en") -> str:
        """One phrase for a report cell: what, by whom, when."""
        day = self.at[:10]
        if self.kind == REPRESENTATIVE:
            concept = concepts.lookup(V.DepartmentScheme, self.department) if lang == "zh" else None
            department = concepts.pref_label(concept, lang) if concept is not None else self.department
            return say("curation.representative", lang, department=department, curator=self.curator, day=day)
        verdict = "curation.selected.fund" if self.selected else "curation.rejected.fund"
        return say(verdict, lang, curator=self.curator, day=day)


@dataclass(frozen=True)
class ProjectCuration:
    """What curators said about one project: its representative flags and the latest selection decision."""

    representative: tuple[Decision, ...] = ()
    selection: Decision | None = None

    def describe(self, lang: str = "en") -> str:
        parts = [d.describe(lang) for d in self.representative]
        if self.selection is not None:
            parts.append(self.selection.describe(lang))
        return say("separator", lang).join(parts)


class InvalidCuration(ScipopError):
    code = "invalid_curation"


def resolve_project(kg: KnowledgeGraph, project: str) -> URIRef:
    """A project IRI from an approval number or an IRI; NotFound when the graph lacks it."""
    text = project.strip()
    if text.startswith(("http://", "https://")):
        iri = URIRef(text)
    else:
        iri = kg.minter.project(normalize_approval_number(text))
    if not kg.query(prefix_block() + f"ASK {{ {term_nt(iri)} a sp:FundedProject }}").askAnswer:
        raise NotFound(f"No funded project {text} in the graph.", "Check the approval number (批准号) or ingest the project first.")
    return iri


def resolve_department(label: str) -> URIRef:
    department = concepts.lookup(V.DepartmentScheme, label)
    if department is None:
        raise InvalidCuration(f"'{label}' is not a science department.",
                              "Use a letter A–H or T, or a department name such as 生命科学部.")
    return department


def _curator(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidCuration("A decision needs the name of who made it.", "Give --by NAME.")
    return name


def _now(at: datetime | None) -> datetime:
    return (at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)


def _insert(kg: KnowledgeGraph, graph: URIRef, triples: list[tuple]) -> None:
    body = " ".join(f"{term_nt(s)} {term_nt(p)} {term_nt(o)} ." for s, p, o in triples)
    with kg.write():
        kg.update(f"INSERT DATA {{ GRAPH {term_nt(graph)} {{ {body} }} }}", touches=[graph])


def _project_department(kg: KnowledgeGraph, project: URIRef) -> set[URIRef]:
    query = prefix_block() + f"SELECT DISTINCT ?d WHERE {{ {term_nt(project)} sp:department ?d }}"
    return {row["d"] for row in kg.select(query)}


def flag_representative(kg: KnowledgeGraph, project: str, department: str, curator: str,
                        at: datetime | None = None) -> Decision:
    """Record that `department` recommends `project` as a representative achievement."""
    iri = resolve_project(kg, project)
    dept = resolve_department(department)
    own = _project_department(kg, iri)
    # A department recommends its own projects; the interdisciplinary department (T) spans all.
    if own and dept not in own and dept != V.concept("DeptT"):
        shown = ", ".join(sorted(concepts.notation(d) for d in own))
        raise InvalidCuration(f"Project {project} belongs to department {shown}, not {concepts.notation(dept)}.",
                              f"Flag it as --department {shown}, or ask that department to flag it.")
    name, when = _curator(curator), _now(at)
    node = kg.minter.curation_decision(REPRESENTATIVE, iri, when.isoformat())
    stamp = Literal(when.isoformat(), datatype=XSD.dateTime)
    _insert(kg, kg.minter.curation_graph(), [
        (node, RDF.type, V.RepresentativeAchievementFlag), (node, RDF.type, V.CurationDecision),
        (node, V.curatedEntity, iri), (node, V.department, dept),
        (node, V.curatorName, Literal(name)), (node, V.generatedAtTime, stamp)])
    return Decision(iri=str(node), kind=REPRESENTATIVE, project=str(iri), curator=name, at=when.isoformat(),
                    department=concepts.notation(dept))


def record_selection(kg: KnowledgeGraph, project: str, decision: str, curator: str,
                     at: datetime | None = None) -> Decision:
    """Record the centre's decision ('selected' or 'rejected') on `project` for the special fund."""
    choice = (decision or "").strip().lower()
    if choice not in ("selected", "rejected"):
        raise InvalidCuration(f"'{decision}' is not a selection decision.", "Use --decision selected or --decision rejected.")
    iri = resolve_project(kg, project)
    name, when = _curator(curator), _now(at)
    node = kg.minter.curation_decision(SELECTION, iri, when.isoformat())
    stamp = Literal(when.isoformat(), datatype=XSD.dateTime)
    graph = kg.minter.restricted_graph(kg.minter.curation_graph())
    _insert(kg, graph, [
        (node, RDF.type, V.FundSelectionDecision), (node, RDF.type, V.CurationDecision),
        (node, V.curatedEntity, iri), (node, V.selected, Literal(choice == "selected")),
        (node, V.curatorName, Literal(name)), (node, V.generatedAtTime, stamp)])
    return Decision(iri=str(node), kind=SELECTION, project=str(iri), curator=name, at=when.isoformat(),
                    selected=choice == "selected")


DECISIONS = prefix_block() + """
SELECT ?d ?kind ?project ?curator ?at ?dept ?selected WHERE {
  VALUES ?kind { sp:RepresentativeAchievementFlag sp:FundSelectionDecision }
  ?d a ?kind ; sp:curatedEntity ?project ; sp:curatorName ?curator ; prov:generatedAtTime ?at .
  OPTIONAL { ?d sp:department ?dept }
  OPTIONAL { ?d sp:selected ?selected }
}"""


def decisions(kg: KnowledgeGraph) -> list[Decision]:
    """Every decision the view holds, oldest first (ties by IRI, so the order is stable)."""
    found = []
    for row in kg.select(DECISIONS):
        representative = row["kind"] == V.RepresentativeAchievementFlag
        found.append(Decision(
            iri=str(row["d"]), kind=REPRESENTATIVE if representative else SELECTION, project=str(row["project"]),
            curator=str(row["curator"]), at=str(row["at"]),
            department=concepts.notation(row["dept"]) if "dept" in row else "",
            selected=None if representative else bool(row["selected"].toPython()) if "selected" in row else None))
    return sorted(found, key=lambda d: (d.at, d.iri))


def curation_by_project(kg: KnowledgeGraph) -> dict[str, ProjectCuration]:
    """Per project IRI: its representative flags (one per department, the latest) and latest selection."""
    flags: dict[str, dict[str, Decision]] = {}
    selections: dict[str, Decision] = {}
    for decision in decisions(kg):  # oldest first: later ones overwrite
        if decision.kind == REPRESENTATIVE:
            flags.setdefault(decision.project, {})[decision.department] = decision
        else:
            selections[decision.project] = decision
    projects = set(flags) | set(selections)
    return {p: ProjectCuration(representative=tuple(sorted(flags.get(p, {}).values(), key=lambda d: d.department)),
                               selection=selections.get(p)) for p in projects}
