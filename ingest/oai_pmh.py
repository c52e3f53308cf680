"""OAI-PMH responses (`oai-pmh`): one `ListRecords` or `GetRecord` page per file.

Metadata formats: `oai_dc` (Dublin Core), and arXiv's native `arXiv` format.

oai_dc mapping: `dc:identifier` gives the DOI (`doi:`, `info:doi/`, doi.org URL or bare
10.x/...; the output IRI is minted from it), handles (hdl.handle.net; `V.oarHandle`)
and landing pages (`V.url`); without a DOI the output IRI comes from the OAI header
identifier, which is always kept as `V.oarHandle`. `dc:title`, `dc:creator` (ordered
authors, by name), `dc:subject` (keywords), `dc:description` (abstract), `dc:date`
(year), `dc:type` (first known output kind; `info:eu-repo/semantics/article` style
prefixes dropped), `dc:source` (venue).
NSFC links: an OpenAIRE project statement in `dc:relation`
(`info:eu-repo/grantAgreement/NSFC/<programme>/<approval number>`) is a project stated by
the OAR record (MethodOARField); numbers tied to NSFC in any other `dc:relation` or
`dc:description` text are mined (MethodAcknowledgementMining) and that text is kept as
`V.acknowledgement`.

Deleted records (`<header status="deleted">`) produce nothing: the pipeline replaces the
whole graph of the file, so a record that is gone simply is not in it. The stream counts
them (`OaiRecordStream.deleted`) and keeps the page's `resumptionToken` (recorded, never
followed). OAI errors: `noRecordsMatch` is an empty page (zero records); any other
error code (badResumptionToken, badArgument, idDoesNotExist ...) is an InputError naming
the code. Identify/ListSets/ListIdentifiers responses hold no records and are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from xml.etree.ElementTree import Element

from ingest.base import FormatModule, IngestContext, MappedRecord
from ingest.outputs import (OAR_FIELD_CONFIDENCE, Author, GrantClaim, Institution, OutputRecord, collapse,
                            doi_or_error, output_iri, year_or_error)
from ingest.safexml import iter_elements, local, namespace, text_of
from kg import vocab as V
from kg.errors import InputError, InvalidIdentifier
from kg.grants import is_nsfc_funder_name
from kg.ids import normalize_approval_number, normalize_doi

NAME = "oai-pmh"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
DC_NS = "http://purl.org/dc/elements/1.1/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
RECORD_VERBS = ("ListRecords", "GetRecord")
_GRANT_AGREEMENT_RE = re.compile(r"^info:eu-repo/grantAgreement/([^/]+)/([^/]*)/([^/]+)", re.IGNORECASE)
_BARE_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")


def sniff(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".xml" and (b"<OAI-PMH" in head or b"openarchives.org/OAI/2.0/\"" in head)


@dataclass
class PageInfo:
    """What a response page says about itself besides its records."""

    deleted: int = 0
    resumption_token: str | None = None


class OaiRecordStream:
    """The records of one response page; `deleted` and `resumption_token` are known once read.

    The generator does not refer back to the stream (no reference cycle), so the file
    is closed as soon as the stream is dropped.
    """

    def __init__(self, context: IngestContext) -> None:
        self.info = PageInfo()
        self._records = _read_page(context, self.info)

    def __iter__(self) -> "OaiRecordStream":
        return self

    def __next__(self) -> MappedRecord | InputError:
        return next(self._records)

    @property
    def deleted(self) -> int:
        return self.info.deleted

    @property
    def resumption_token(self) -> str | None:
        return self.info.resumption_token


_WANTED = {"record", "error", "resumptionToken", *RECORD_VERBS, "Identify", "ListSets", "ListIdentifiers",
           "ListMetadataFormats"}


def _read_page(context: IngestContext, info: PageInfo) -> Iterator[MappedRecord | InputError]:
    verbs: list[str] = []
    for ordinal, element in iter_elements(context, _WANTED):
        name = local(element.tag)
        if ordinal == 0:
            if name != "OAI-PMH":
                raise context.error(f"the root element is <{name}>, not <OAI-PMH>",
                                    hint="Give a saved OAI-PMH ListRecords or GetRecord response.")
            continue
        if name == "error":
            if _is_empty_page(context, element):
                return
        elif name == "resumptionToken":
            info.resumption_token = text_of(element) or None
        elif name == "record":
            yield from _record(context, info, element, ordinal)
        else:
            verbs.append(name)
    if verbs and not any(v in RECORD_VERBS for v in verbs):
        raise context.error(f"an OAI-PMH {verbs[0]} response holds no records",
                            hint="Harvest with verb=ListRecords (or GetRecord) and metadataPrefix=oai_dc.")


def _is_empty_page(context: IngestContext, element: Element) -> bool:
    """True for noRecordsMatch (an empty page); any other OAI error is raised."""
    code = element.get("code", "")
    if code == "noRecordsMatch":
        return True
    message = text_of(element)
    raise context.error(f"the OAI-PMH response is the error '{code}'" + (f": {message}" if message else ""),
                        hint="Harvest the page again (a resumption token expires; start a new ListRecords).")


def _record(context: IngestContext, info: PageInfo, record: Element, ordinal: int) -> Iterator[MappedRecord | InputError]:
    header = record.find(f"{{{OAI_NS}}}header")
    oai_id = text_of(header.find(f"{{{OAI_NS}}}identifier")) if header is not None else ""
    if header is not None and header.get("status") == "deleted":
        info.deleted += 1
        return
    try:
        yield map_record(context, record, oai_id or f"#{ordinal}")
    except InputError as exc:
        yield exc
    except RecursionError:
        yield context.error("the record is nested too deeply to read", record=oai_id or f"#{ordinal}")


def read(context: IngestContext) -> OaiRecordStream:
    return OaiRecordStream(context)


def map_record(context: IngestContext, record: Element, oai_id: str) -> MappedRecord:
    metadata = record.find(f"{{{OAI_NS}}}metadata")
    payload = next(iter(metadata), None) if metadata is not None else None
    if payload is None:
        raise context.error("the record has no metadata", record=oai_id, field="metadata")
    if local(payload.tag) == "dc" and namespace(payload.tag) != ARXIV_NS:
        return _map_dc(context, payload, oai_id)
    if namespace(payload.tag) == ARXIV_NS and local(payload.tag) == "arXiv":
        return _map_arxiv(context, payload, oai_id)
    raise context.error(f"metadata format <{local(payload.tag)}> is not supported", record=oai_id, field="metadata",
                        hint="Harvest with metadataPrefix=oai_dc (or arXiv).")


# oai_dc ------------------------------------------------------------------------------
def _dc(payload: Element, name: str) -> list[str]:
    return [v for v in (text_of(e) for e in payload.findall(f"{{{DC_NS}}}{name}")) if v]


def _map_dc(context: IngestContext, dc: Element, oai_id: str) -> MappedRecord:
    identifiers = _dc(dc, "identifier")
    doi = next((d for d in map(_doi_in, identifiers) if d), None)
    out = OutputRecord(context, oai_id, output_iri(context, doi, "oai", oai_id))
    out.doi(doi)
    if not oai_id.startswith("#"):
        out.builder.plain(out.iri, V.oarHandle, oai_id)
    for value in identifiers:
        if "hdl.handle.net/" in value or value.lower().startswith("hdl:"):
            out.builder.plain(out.iri, V.oarHandle, value)
        elif value.lower().startswith(("http://", "https://")) and not _doi_in(value):
            out.builder.plain(out.iri, V.url, value)
    for title in _dc(dc, "title"):
        out.title(title)
    out.require_title(record=oai_id, field="dc:title")
    for subject in _dc(dc, "subject"):
        out.keyword(subject)
    dates = _dc(dc, "date")
    out.year(year_or_error(context, dates[0] if dates else None, record=oai_id, field="dc:date"))
    out.kind(*[_type_label(t) for t in _dc(dc, "type")])
    sources = _dc(dc, "source")
    out.venue(sources[0] if sources else None)
    out.authors([Author(name=name) for name in _dc(dc, "creator")])
    for description in _dc(dc, "description"):
        out.abstract(description)
        if out.mine(description):
            out.acknowledgement(description)
    for relation in _dc(dc, "relation"):
        if not _grant_agreement(context, out, relation, oai_id) and out.mine(relation):
            out.acknowledgement(relation)
    return out.done()


def _doi_in(value: str) -> str | None:
    """The DOI an identifier names, if it names one."""
    text = value.strip()
    if text.lower().startswith("info:doi/"):
        text = text[len("info:doi/"):]
    lowered = text.lower()
    if not (lowered.startswith(("doi:", "https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/"))
            or _BARE_DOI_RE.match(text)):
        return None
    try:
        return normalize_doi(text)
    except InvalidIdentifier:
        return None


def _type_label(value: str) -> str:
    """'info:eu-repo/semantics/article' -> 'article'; 'doc-type:article' -> 'article'."""
    return re.split(r"[/:]", value.strip())[-1]


def _grant_agreement(context: IngestContext, out: OutputRecord, relation: str, oai_id: str) -> bool:
    """An OpenAIRE project statement; True when the relation is one (NSFC's or not)."""
    match = _GRANT_AGREEMENT_RE.match(relation.strip())
    if not match:
        return False
    funder, _programme, project = match.groups()
    if is_nsfc_funder_name(funder):
        try:
            number = normalize_approval_number(project)
        except InvalidIdentifier as exc:
            raise context.error(exc.message.rstrip("."), record=oai_id, field="dc:relation", hint=exc.hint,
                                value=project, problem_quotes_value=True) from None
        out.claim(GrantClaim(number, V.MethodOARField, OAR_FIELD_CONFIDENCE, relation))
    return True


# arXiv native format -------------------------------------------------------------------
def _ax(element: Element, path: str) -> Element | None:
    return element.find("/".join(f"{{{ARXIV_NS}}}{p}" for p in path.split("/")))


def _map_arxiv(context: IngestContext, arxiv: Element, oai_id: str) -> MappedRecord:
    arxiv_id = text_of(_ax(arxiv, "id"))
    doi = doi_or_error(context, text_of(_ax(arxiv, "doi")).split(" ")[0] or None, record=oai_id, field="doi")
    out = OutputRecord(context, oai_id, output_iri(context, doi, "oai", oai_id))
    out.doi(doi)
    if not oai_id.startswith("#"):
        out.builder.plain(out.iri, V.oarHandle, oai_id)
    out.source_id(f"arxiv:{arxiv_id}" if arxiv_id else None)
    out.title(text_of(_ax(arxiv, "title")))
    out.require_title(record=oai_id, field="title")
    out.abstract(text_of(_ax(arxiv, "abstract")))
    out.venue(text_of(_ax(arxiv, "journal-ref")))
    out.year(year_or_error(context, text_of(_ax(arxiv, "created")) or None, record=oai_id, field="created"))
    out.kind("journal-article" if doi or text_of(_ax(arxiv, "journal-ref")) else "preprint")
    for category in text_of(_ax(arxiv, "categories")).split():
        out.keyword(category)
    authors = []
    for author in arxiv.findall(f"{{{ARXIV_NS}}}authors/{{{ARXIV_NS}}}author"):
        name = " ".join(p for p in (text_of(_ax(author, "forenames")), text_of(_ax(author, "keyname")),
                                    text_of(_ax(author, "suffix"))) if p)
        affiliations = [Institution(text_of(a)) for a in author.findall(f"{{{ARXIV_NS}}}affiliation") if text_of(a)]
        authors.append(Author(name=collapse(name), institutions=affiliations))
    out.authors(authors)
    comments = text_of(_ax(arxiv, "comments"))
    if out.mine(comments):
        out.acknowledgement(comments)
    return out.done()


MODULE = FormatModule(NAME, "OAI-PMH ListRecords/GetRecord response (oai_dc or arXiv metadata)", sniff, read)
