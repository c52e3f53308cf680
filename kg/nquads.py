"""Fast N-Quads writing for rdflib terms: the path from mapped records to a bulk load.

rdflib's serializers go through a Graph; ingest streams millions of triples straight
to a file that Oxigraph bulk-loads, so terms are rendered here with minimal work.
"""
from __future__ import annotations

import re
from typing import IO, Iterable, NamedTuple

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

Triple = tuple  # (subject, predicate, object) of rdflib terms

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_IRI_FORBIDDEN = str.maketrans({c: f"%{ord(c):02X}" for c in ' <>"{}|^`\\'})
# Most values need no escaping; a regex search is several times cheaper than translate().
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\t]')
_IRI_UNSAFE = re.compile(r'[ <>"{}|^`\\]')
_XSD_STRING = str(XSD.string)


def iri_nt(iri: str) -> str:
    if _IRI_UNSAFE.search(iri):
        iri = iri.translate(_IRI_FORBIDDEN)
    # An f-string, not "<" + iri: with a URIRef, `+` makes a URIRef of "<…" and rdflib logs a warning per term.
    return f"<{iri}>"


def _lexical_nt(text: str) -> str:
    if _NEEDS_ESCAPE.search(text):
        text = text.translate(_ESCAPES)
    return '"' + text + '"'


def string_nt(text: str) -> str:
    """A plain string literal, as term_nt(Literal(text)) renders it without making the Literal."""
    return _lexical_nt(text)


class Lit(NamedTuple):
    """A literal as ingest builds it: rendered straight to N-Quads. Building an rdflib Literal
    costs ~10 µs (type casting and normalization), more than the rest of a field's mapping."""

    lexical: str
    lang: str | None = None
    datatype: str | None = None

    def to_rdflib(self) -> Literal:
        return Literal(self.lexical, lang=self.lang, datatype=URIRef(self.datatype) if self.datatype else None)


def _lit_nt(term: Lit) -> str:
    lexical = _lexical_nt(term.lexical)
    if term.lang:
        return lexical + "@" + term.lang
    if term.datatype and term.datatype != _XSD_STRING:
        return lexical + "^^" + iri_nt(term.datatype)
    return lexical


def term_nt(term) -> str:
    kind = type(term)
    if kind is Lit:
        return _lit_nt(term)
    if kind is URIRef or isinstance(term, URIRef):
        return iri_nt(term)
    if isinstance(term, Literal):
        lexical = _lexical_nt(str(term))
        if term.language:
            return lexical + "@" + term.language
        if term.datatype and str(term.datatype) != _XSD_STRING:
            return lexical + "^^" + iri_nt(term.datatype)
        return lexical
    if isinstance(term, BNode):
        return "_:b" + str(term)
    raise TypeError(f"not an RDF term: {term!r}")


class NQuadsWriter:
    """Writes triples into one named graph of an N-Quads stream."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.count = 0
        self._predicates: dict[str, str] = {}

    def write(self, triples: Iterable[Triple], graph: URIRef) -> None:
        lines = self.render(triples, graph)
        self.stream.write("".join(lines))
        self.count += len(lines)

    def render(self, triples: Iterable[Triple], graph: URIRef) -> list[str]:
        """The triples' lines, not written."""
        tail = f" {iri_nt(graph)} .\n"
        predicates = self._predicates
        lines = []
        # A record's statements mostly share one subject object: render it once per run of it.
        last_subject, subject_nt = None, ""
        for s, p, o in triples:
            if s is not last_subject:
                last_subject, subject_nt = s, term_nt(s)
            p_nt = predicates.get(p)
            if p_nt is None:
                p_nt = predicates[p] = iri_nt(p)
            lines.append(f"{subject_nt} {p_nt} {term_nt(o)}{tail}")
        return lines
