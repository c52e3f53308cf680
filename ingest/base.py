"""What every source-format module provides, and the small record type they all emit.

A format module turns one source file into a stream of `MappedRecord`s (triples for one
source record, with that record's visibility) or `InputError`s for records it cannot
map. File-level problems (unreadable XML, unknown header) are raised as `InputError`.
Modules never touch the store: the pipeline decides what gets loaded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from rdflib import URIRef
from rdflib.namespace import RDF, XSD

from kg import concepts
from kg import vocab as V
from kg.errors import InputError, InvalidIdentifier, Location
from kg.iri import Minter
from kg.nquads import Lit, Triple


@dataclass
class IngestContext:
    """What a format module knows about the file it reads."""

    path: Path
    source_id: str          # stable id of the source file (its graph is minted from it)
    minter: Minter
    encoding: str | None = None   # None: detect

    @property
    def label(self) -> str:
        return self.path.name

    def at(self, line: int | None = None, record: str | None = None, field: str | None = None) -> Location:
        return Location(file=str(self.path), line=line, record=record, field=field)

    def error(self, problem: str, *, line: int | None = None, record: str | None = None,
              field: str | None = None, value=None, hint: str = "", problem_quotes_value: bool = False) -> InputError:
        return InputError(self.at(line, record, field), problem, hint=hint, value=value,
                          problem_quotes_value=problem_quotes_value)


@dataclass
class MappedRecord:
    """The statements of one source record. Restricted records go to the restricted graph."""

    key: str
    statements: list[Triple] = field(default_factory=list)   # literals may be kg.nquads.Lit
    public: bool = True
    kind: URIRef | None = None   # the main entity's class, for counts

    @property
    def triples(self) -> list[Triple]:
        """The statements as rdflib triples (for tests and tools; the pipeline writes `statements`)."""
        return [(s, p, o.to_rdflib() if type(o) is Lit else o) for s, p, o in self.statements]


RecordStream = Iterator["MappedRecord | InputError"]


@dataclass(frozen=True)
class FormatModule:
    """One source format as the registry sees it; each format module exposes one as MODULE.

    `sniff` looks at the file name and the first bytes only; `read` maps the whole file.
    """

    name: str
    description: str
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[IngestContext], RecordStream]


class RecordBuilder:
    """Collects the triples of one record, with the few literal shapes the mappings use.

    Every helper ignores empty values, so mappings read as a list of fields.
    """

    def __init__(self, key: str, kind: URIRef | None = None) -> None:
        self.record = MappedRecord(key=key, kind=kind)

    @property
    def triples(self) -> list[Triple]:
        return self.record.statements

    def add(self, s: URIRef, p: URIRef, o) -> None:
        if o is not None and o != "":
            self.record.statements.append((s, p, o))

    def a(self, s: URIRef, cls: URIRef) -> None:
        self.record.statements.append((s, _RDF_TYPE, cls))

    def text(self, s: URIRef, p: URIRef, value, lang: str | None = "auto") -> None:
        """A text literal; lang='auto' tags Chinese text @zh and other text @en."""
        if value is None:
            return
        value = str(value).strip()
        if not value:
            return
        if lang == "auto":
            lang = "zh" if has_cjk(value) else "en"
        self.record.statements.append((s, p, Lit(value, lang or None)))

    def plain(self, s: URIRef, p: URIRef, value) -> None:
        """An untagged string (identifiers, codes, URLs as text)."""
        if value is not None and str(value).strip():
            self.record.statements.append((s, p, Lit(str(value).strip())))

    def typed(self, s: URIRef, p: URIRef, lexical, datatype: URIRef) -> None:
        if lexical is not None and str(lexical) != "":
            self.record.statements.append((s, p, Lit(str(lexical), None, str(datatype))))

    def integer(self, s: URIRef, p: URIRef, value: int | None) -> None:
        if value is not None:
            self.typed(s, p, int(value), XSD.integer)

    def decimal(self, s: URIRef, p: URIRef, value: str | None) -> None:
        self.typed(s, p, value, XSD.decimal)

    def boolean(self, s: URIRef, p: URIRef, value: bool | None) -> None:
        if value is not None:
            self.typed(s, p, "true" if value else "false", XSD.boolean)

    def qualified_link(self, minter: Minter, subject: URIRef, relation: URIRef, obj: URIRef,
                       method: URIRef, confidence: float, evidence: str | None = None) -> None:
        """The direct link plus a node saying how it was found (OpenAIRE-style provenance)."""
        self.add(subject, relation, obj)
        link = minter.link(subject, relation, obj, method)
        self.a(link, V.QualifiedLink)
        self.add(link, V.linkSubject, subject)
        self.add(link, V.linkRelation, relation)
        self.add(link, V.linkObject, obj)
        self.add(link, V.linkMethod, method)
        self.typed(link, V.confidence, f"{confidence:.3f}", XSD.decimal)
        if evidence:
            self.plain(link, V.evidence, evidence[:500])


_RDF_TYPE = RDF.type   # rdflib resolves RDF.type on every access; resolve it once
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    """Chinese characters present? (one regex scan: abstracts are long)"""
    return _CJK.search(text) is not None


def review_status(context: IngestContext, raw, default: URIRef, *, line=None, record=None, field="review_status") -> URIRef:
    """The review-status concept for a raw label, the default when empty; an unknown label is an error."""
    if raw is None or str(raw).strip() == "":
        return default
    status = concepts.lookup(V.ReviewStatusScheme, str(raw))
    if status is None:
        raise context.error("unknown review status", line=line, record=record, field=field, value=raw,
                            hint="Use approved, pending, rejected or confidential (or 已审核, 待审核, 未通过, 涉密).")
    return status


def is_public(status: URIRef) -> bool:
    """Only records approved by the confidentiality review are public."""
    return status == V.Approved


def identifier(context: IngestContext, normalizer, raw, *, line=None, record=None, field=None):
    """Run a kg.ids normalizer; a malformed value becomes an InputError naming where it was."""
    try:
        return normalizer(raw)
    except InvalidIdentifier as exc:
        raise context.error(exc.message.rstrip("."), line=line, record=record, field=field, hint=exc.hint,
                            value=raw, problem_quotes_value=True) from None
