"""What linking reads from each source graph, and the same rows gathered while ingest maps.

Linking reads sixteen single-pattern SELECTs over the public source graphs (`READS`). On
the embedded store the rows of each (graph, read) are kept on disk (kg.linking.read's
InputCache), so a re-link reads from the store only the files ingested since. A first
link had no kept rows: at 100,000 projects reading them from the store took ~75 s of a
~240 s link (Oxigraph decodes every value from its dictionary, ~10-18 µs a row).

Ingest has every one of those values in hand as it maps a file, so `InputExtract` gathers
the rows of each read from the statements it writes into the file's public graph, and
ingest keeps them in the cache under the name the linking read would give them
(`kg.linking.read.keep_extracts`). The reads are defined once, here, as (predicate, fixed
object) pairs: the SPARQL pattern and the extract both come from that definition, and a
test compares the two on every fixture graph.

The rows of a (graph, read) are a set in the store (quads are unique): both paths hand
them over sorted, so the order linking sees, which breaks its ties, is the same whichever
path wrote them. A value the store would render differently than ingest has it (a blank
node, whose label the store chooses; a typed literal, which Oxigraph may write in a
canonical form) makes the extract of that graph unusable: the graph is then read from the
store as before.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg import vocab as V
from kg.nquads import Lit, store_iri


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

_PLAIN = {None, str(XSD.string), str(RDF.langString)}


class Unrepresentable(Exception):
    """A value ingest cannot write exactly as the store would return it."""


def _value(term) -> str:
    kind = type(term)
    if kind is URIRef:
        return store_iri(term)
    if kind is Lit:
        if term.datatype not in _PLAIN:
            raise Unrepresentable(term)
        return term.lexical
    if isinstance(term, URIRef):
        return store_iri(term)
    if isinstance(term, Literal) and (term.datatype is None or str(term.datatype) in _PLAIN):
        return str(term)
    raise Unrepresentable(term)   # a blank node, a typed literal: the graph is read from the store


class InputExtract:
    """The rows of every read in one graph, gathered from the statements written into it."""

    def __init__(self) -> None:
        self._by_predicate: dict[URIRef, list[tuple[Read, set]]] = {}
        for read in READS:
            self._by_predicate.setdefault(read.predicate, []).append((read, set()))
        self.usable = True

    def add(self, statements) -> None:
        if not self.usable:
            return
        wanted = self._by_predicate
        try:
            for s, p, o in statements:
                targets = wanted.get(p)
                if targets is None:
                    continue
                for read, rows in targets:
                    if read.fixed_object is None:
                        rows.add((_value(s), _value(o)))
                    elif o == read.fixed_object:
                        rows.add((_value(s),))
        except Unrepresentable:
            self.usable = False
            self._by_predicate = {}

    def rows(self, read: Read) -> list[tuple]:
        """The read's rows, sorted (the order a store read is handed over in)."""
        for candidate, rows in self._by_predicate.get(read.predicate, ()):
            if candidate == read:
                return sorted(rows)
        raise KeyError(read)

    def save(self, directory: Path) -> None:
        """One pickle per read, named by its position in READS (ingest renames them into
        the cache once the file's graph has its fingerprint). Nothing when unusable."""
        if not self.usable:
            return
        directory.mkdir(parents=True, exist_ok=True)
        for position, read in enumerate(READS):
            save_rows(directory / f"{position}.pickle", self.rows(read))


def save_rows(path: Path, rows: list[tuple]) -> None:
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, path)   # a killed run leaves a .tmp, never a short file under the real name


def saved_reads(directory: Path) -> list[tuple[Read, Path]]:
    """The reads an extract directory holds, with their files (empty when it holds none)."""
    found = [(read, directory / f"{position}.pickle") for position, read in enumerate(READS)]
    return found if all(path.is_file() for _, path in found) else []
