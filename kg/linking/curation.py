"""Curators' forced merges and forced splits (OpenAIRE's white and black lists).

Decisions live in the curation graph, which no ingest ever replaces, so they survive a
re-ingest of every source; `run_linking` reads them first and they always win:
a split is a cannot-link constraint, a merge is applied even across two NSFC ids.

Two ways in, both ending in the curation graph:
- `scipop curate merge|split IRI_A IRI_B --by NAME [--note TEXT]`, one decision;
- `scipop link --curation FILE`, a CSV with columns `action,a,b,curator[,note]`
  (`action` is merge or split), recorded before linking runs. Re-running with the same
  file changes nothing: a row equal to the pair's current decision is not recorded again.

One decision node per pair and verdict (IRI minted from the pair, relation and
sp:MethodCurator): deciding again updates who and when; between a merge and a split of
the same pair the later one counts.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg import vocab as V
from kg.errors import InputError, Location, NotFound, ScipopError
from kg.nquads import term_nt
from kg.store import KnowledgeGraph, prefix_block

KINDS = {V.Researcher: "person", V.SupportingInstitution: "institution", V.Organization: "institution",
         V.ResearchOutput: "output"}


class InvalidCuration(ScipopError):
    code = "invalid_curation"


@dataclass(frozen=True)
class CuratorDecision:
    a: str
    b: str
    same: bool          # True: merge; False: split
    curator: str
    at: str             # ISO 8601 UTC
    note: str = ""

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.a, self.b))

    def describe(self) -> str:
        verdict = "merged" if self.same else "split"
        note = f": {self.note}" if self.note else ""
        return f"curator {self.curator} {verdict} them on {self.at[:10]}{note}"


_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


def checked_iri(text: str) -> str:
    """The IRI itself, refused unless it is a plain http(s) IRI (it is written into SPARQL text)."""
    if not _IRI.match(text or ""):
        raise InvalidCuration(f"'{text}' is not an entity IRI.", "Give full entity IRIs, e.g. from `scipop query`.")
    return text


def entity_kind(kg: KnowledgeGraph, iri: str) -> str:
    """'person', 'institution' or 'output'; NotFound when the graph does not hold the IRI as one."""
    rows = kg.select(f"SELECT DISTINCT ?t WHERE {{ <{checked_iri(iri)}> a ?t }}")
    kinds = {KINDS[row["t"]] for row in rows if row["t"] in KINDS}
    if not kinds:
        raise NotFound(f"No researcher, institution or research output {iri} in the graph.",
                       "Check the IRI, or ingest the records that describe it first.")
    return sorted(kinds)[0]


def record_decision(kg: KnowledgeGraph, a: str, b: str, same: bool, curator: str, note: str = "",
                    at: datetime | None = None) -> CuratorDecision:
    """Store one decision in the curation graph; call inside kg.write()."""
    curator = (curator or "").strip()
    if not curator:
        raise InvalidCuration("A curation decision needs the curator's name.", "Pass --by NAME.")
    if a == b:
        raise InvalidCuration("Both IRIs are the same entity.", "Give two different IRIs.")
    kind_a, kind_b = entity_kind(kg, a), entity_kind(kg, b)
    if kind_a != kind_b:
        raise InvalidCuration(f"{a} is a {kind_a} and {b} is a {kind_b}: only entities of one kind can be merged or split.",
                              "Give two researchers, two institutions or two outputs.")
    first, second = sorted((a, b))
    stamp = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    decision = CuratorDecision(first, second, same, curator, stamp, note.strip())
    _write(kg, decision)
    return decision


def _node(kg: KnowledgeGraph, decision: CuratorDecision) -> URIRef:
    relation = V.sameAs if decision.same else V.differentFrom
    return kg.minter.link(URIRef(decision.a), relation, URIRef(decision.b), V.MethodCurator)


def _write(kg: KnowledgeGraph, decision: CuratorDecision) -> None:
    graph = kg.minter.curation_graph()
    node = _node(kg, decision)
    triples = [
        (node, RDF.type, V.CurationDecision), (node, RDF.type, V.IdentityDecision), (node, RDF.type, V.QualifiedLink),
        (node, V.linkSubject, URIRef(decision.a)), (node, V.linkObject, URIRef(decision.b)),
        (node, V.linkRelation, V.sameAs if decision.same else V.differentFrom),
        (node, V.linkMethod, V.MethodCurator), (node, V.confidence, Literal("1.000", datatype=XSD.decimal)),
        (node, V.curatorName, Literal(decision.curator)),
        (node, V.generatedAtTime, Literal(decision.at, datatype=XSD.dateTime)),
    ]
    if decision.note:
        triples.append((node, V.evidence, Literal(decision.note[:500])))
    body = " ".join(f"{term_nt(s)} {term_nt(p)} {term_nt(o)} ." for s, p, o in triples)
    kg.update(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{node}> ?p ?o }} }} ;\n"
              f"INSERT DATA {{ GRAPH <{graph}> {{ {body} }} }}", touches=[graph])


DECISIONS = prefix_block() + """
SELECT ?a ?b ?relation ?curator ?at ?note WHERE { GRAPH ?g {
  ?d a sp:IdentityDecision, sp:CurationDecision ; sp:linkSubject ?a ; sp:linkObject ?b ; sp:linkRelation ?relation ;
     sp:curatorName ?curator ; prov:generatedAtTime ?at .
  OPTIONAL { ?d sp:evidence ?note } } }"""


def load_decisions(kg: KnowledgeGraph) -> list[CuratorDecision]:
    """The decision in force for every pair a curator decided (the latest one), oldest first."""
    graph = kg.minter.curation_graph()
    latest: dict[frozenset[str], CuratorDecision] = {}
    for row in kg.select(DECISIONS.replace("GRAPH ?g", f"GRAPH <{graph}>")):
        decision = CuratorDecision(str(row["a"]), str(row["b"]), row["relation"] == V.sameAs, str(row["curator"]),
                                   str(row["at"]), str(row.get("note", "")))
        kept = latest.get(decision.pair)
        if kept is None or (decision.at, decision.same) > (kept.at, kept.same):
            latest[decision.pair] = decision
    return sorted(latest.values(), key=lambda d: (d.at, d.a, d.b))


def import_csv(kg: KnowledgeGraph, path: Path) -> int:
    """Record the decisions of a curator CSV (action,a,b,curator[,note]); returns how many changed."""
    current = {d.pair: d for d in load_decisions(kg)}
    try:
        data = path.read_bytes()   # a curator's sheet: small, and read whole to place a bad byte on its line
    except OSError as exc:
        raise InputError(Location(file=str(path)), f"cannot be read ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel saves a CSV in the system's code page (GBK on Chinese Windows) unless told otherwise.
        raise InputError(Location(file=str(path), line=data.count(b"\n", 0, exc.start) + 1), "is not UTF-8 text",
                         hint="Save it as UTF-8 (in Excel: 'CSV UTF-8'), then run the command again.") from exc
    changed = _import_rows(kg, path, csv.DictReader(io.StringIO(text, newline="")), current)
    return changed


def _import_rows(kg: KnowledgeGraph, path: Path, reader: csv.DictReader, current: dict) -> int:
    """The rows of an open curator CSV, recorded one by one; returns how many changed."""
    changed = 0
    missing = {"action", "a", "b", "curator"} - set(reader.fieldnames or [])
    if missing:
        raise InputError(Location(file=str(path), line=1), f"the header lacks {', '.join(sorted(missing))}",
                         hint="The header must be action,a,b,curator[,note].")
    for row in reader:
        line = reader.line_num
        action = (row.get("action") or "").strip().lower()
        if action not in ("merge", "split"):
            raise InputError(Location(file=str(path), line=line, field="action"), "the action is not merge or split",
                             value=row.get("action"), hint="Write merge or split in that row, then run the command again.")
        a, b = (row.get("a") or "").strip(), (row.get("b") or "").strip()
        same = action == "merge"
        kept = current.get(frozenset((a, b)))
        if kept is not None and kept.same == same:
            continue
        try:
            decision = record_decision(kg, a, b, same, row.get("curator") or "", row.get("note") or "")
        except ScipopError as error:
            raise InputError(Location(file=str(path), line=line), error.message[:-1] if error.message.endswith(".")
                             else error.message, hint=error.hint) from error
        current[decision.pair] = decision
        changed += 1
    return changed
