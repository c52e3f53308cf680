"""What linking reads from each source graph, and the same rows gathered while ingest maps.

Linking reads sixteen single-pattern SELECTs over the public source graphs (`READS`). On
the embedded store the rows of each (graph, read) are kept on disk (kg.linking.read's
InputCache), so a re-link reads from the store only the files ingested since. A first
link had no kept rows: at 100,000 projects reading them from the store took ~75 s of a
~240 s link (Oxigraph decodes every value from its dictionary, ~10-18 µs a row).

Ingest has every one of those values in its staged N-Quads parts (one per file) before
they are loaded, so `extract_part` takes the rows of each read from a part's lines, and
ingest keeps them in the cache under the name the linking read would give them
(`kg.linking.read.keep_extracts`). Ingest runs it in a background process while the store
derives its facts (a single-threaded step at 100,000 projects: the second core is free),
so it adds next to nothing to the ingest. The reads are defined once, here, as (predicate,
fixed object) pairs: the SPARQL pattern and the extract both come from that definition,
and a test compares the two on every fixture graph.

The rows of a (graph, read) are a set in the store (quads are unique): both paths hand
them over sorted, so the order linking sees, which breaks its ties, is the same whichever
path wrote them. A value the store names its own way (a blank node) or may write in
another form (a typed literal: Oxigraph keeps some datatypes' values in canonical form)
leaves that graph to the store, read as before.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import RDF, XSD

from kg import vocab as V
from kg.nquads import iri_nt, term_value


@dataclass(frozen=True)
class Read:
    """`?s <predicate> ?o`, or with a fixed object `?s <predicate> <object>` (rows of ?s alone)."""

    predicate: URIRef
    fixed_object: URIRef | None = None

    @property
    def variables(self) -> str:
        return "?s" if self.fixed_object is not None else "?s ?o"

    @property
    def pattern(self) -> str:
        obj = f"<{self.fixed_object}>" if self.fixed_object is not None else "?o"
        return f"?s <{self.predicate}> {obj}"


NAMES = Read(V.name)
SUPPORTING = Read(RDF.type, V.SupportingInstitution)
RORS = Read(V.ror)
TITLES = Read(V.title)
ALTERNATE_NAMES = Read(V.alternateName)
ORCIDS = Read(V.orcid)
CURRENT_INSTITUTIONS = Read(V.currentInstitution)
AUTHORS = Read(V.author)
AFFILIATIONS = Read(V.affiliation)
AFFILIATION_ORGS = Read(V.affiliationOrg)
PIS = Read(V.principalInvestigator)
MEMBERS = Read(V.member)
DEPARTMENTS = Read(V.department)
RESULT_OF = Read(V.resultOf)
CREATORS = Read(V.creator)
POPULARIZES = Read(V.popularizes)

# In the order linking makes them: announced to the reader so that Oxigraph evaluates each
# while the previous one is used (kg.linking.read). A read missing here, or moved, costs
# only that overlap.
READS = [NAMES, SUPPORTING, RORS, TITLES, ALTERNATE_NAMES, ORCIDS, CURRENT_INSTITUTIONS, AUTHORS, AFFILIATIONS,
         AFFILIATION_ORGS, PIS, MEMBERS, DEPARTMENTS, RESULT_OF, CREATORS, POPULARIZES]

_STRING_SUFFIX = f'"^^<{XSD.string}>'


def _literal_as_stored(term: str) -> bool:
    """A literal the store hands back with this very lexical form: a plain, language-tagged
    or xsd:string one (Oxigraph may rewrite other datatypes' values in canonical form)."""
    return term.endswith('"') or term[term.rindex('"'):].startswith('"@') or term.endswith(_STRING_SUFFIX)


def extract_part(part: Path, graph: str, directory: Path) -> bool:
    """Linking's rows of `graph` from a staged N-Quads part (kg.nquads.NQuadsWriter's lines:
    `<s> <p> o <g> .`, one space apart), saved in `directory` one pickle per read, sorted.

    Returns False, saving nothing, when a row would hold a value the store names its own
    way (a blank node) or may write otherwise (a typed literal): that graph is then read
    from the store."""
    wanted: dict[str, list[tuple[Read, set]]] = {}
    for read in READS:
        wanted.setdefault(iri_nt(read.predicate), []).append((read, set()))
    fixed = {read: iri_nt(read.fixed_object) for read in READS if read.fixed_object is not None}
    tail = f" {iri_nt(graph)} .\n"
    cut = -len(tail)
    with open(part, encoding="utf-8") as lines:
        for line in lines:
            subject, predicate, rest = line.split(" ", 2)
            targets = wanted.get(predicate)
            if targets is None or not rest.endswith(tail):
                continue   # not read by linking, or in the restricted graph
            term = rest[:cut]
            if subject[0] != "<" or term[0] == "_" or (term[0] == '"' and not _literal_as_stored(term)):
                return False
            for read, rows in targets:
                if read.fixed_object is None:
                    rows.add((subject[1:-1], term_value(term)))
                elif term == fixed[read]:
                    rows.add((subject[1:-1],))
    directory.mkdir(parents=True, exist_ok=True)
    for position, read in enumerate(READS):
        rows = next(found for candidate, found in wanted[iri_nt(read.predicate)] if candidate == read)
        save_rows(directory / f"{position}.pickle", sorted(rows))
    return True


def save_rows(path: Path, rows: list[tuple]) -> None:
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, path)   # a killed run leaves a .tmp, never a short file under the real name


def saved_reads(directory: Path) -> list[tuple[Read, Path]]:
    """The reads an extract directory holds, with their files (empty when it holds none)."""
    found = [(read, directory / f"{position}.pickle") for position, read in enumerate(READS)]
    return found if all(path.is_file() for _, path in found) else []
