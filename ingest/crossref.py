"""Crossref works (`crossref`): a work `message`, an API envelope, a work list, or JSON lines of those.

Mapped: `DOI` (required; the output IRI), `title[0]`, `type`, `container-title[0]`
(venue), the year of `issued` (else `published`, `published-print`, `published-online`),
`is-referenced-by-count`, `author[]` (given/family or name, ORCID, affiliation names and
ROR ids), the JATS `abstract` (tags removed), `subject[]` as keywords, and `funder[]`:

- an entry whose `DOI` (or `id[]`) is NSFC's 10.13039/501100001809 in any form, or whose
  `name` names NSFC: every number in its `award[]` / `award-info[].award-number[]`
  strings (one string may hold several: "61932008, 61772368") -> funder metadata;
- any entry whose `name` itself carries numbers tied to NSFC ("National Natural Science
  Foundation of China (No. 61772368)") -> acknowledgement mining.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.base import FormatModule, IngestContext, MappedRecord, RecordStream
from ingest.outputs import (Author, Institution, OutputRecord, as_dict, as_list, as_str, count_or_error,
                            doi_or_error, json_documents, orcid_or_error, output_iri, ror_or_none, strip_markup,
                            year_or_error)
from kg.errors import InputError
from kg.grants import is_nsfc_funder_name, split_award_string

NAME = "crossref"


def sniff(path: Path, head: bytes) -> bool:
    return (path.suffix.lower() in (".json", ".jsonl", ".ndjson") and b'"DOI"' in head
            and any(cue in head for cue in (b"crossref", b"message-type", b"reference-count")))


def read(context: IngestContext) -> RecordStream:
    ordinal = 0
    for line, document in json_documents(context):
        if isinstance(document, InputError):
            yield document
            continue
        try:
            works = _works(context, document, line)
        except InputError as exc:
            yield exc
            continue
        for work in works:
            ordinal += 1
            try:
                yield map_work(context, work, line=line, ordinal=ordinal)
            except InputError as exc:
                yield exc


def _works(context: IngestContext, document: Any, line: int | None) -> list:
    """The works of a bare work, an envelope {"status","message-type","message"} or a work list."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict) or "message" not in document:
        return [document]
    if as_str(document.get("status")) not in ("", "ok"):
        raise context.error(f"the Crossref API answered status '{as_str(document.get('status'))}'", line=line,
                            hint="Save a successful API response (status 'ok').")
    message = document["message"]
    if as_str(document.get("message-type")) == "work-list":
        return as_list(as_dict(message).get("items"))
    return [message]


def map_work(context: IngestContext, work: Any, *, line: int | None, ordinal: int) -> MappedRecord:
    record_id = f"#{ordinal}"
    if not isinstance(work, dict):
        raise context.error("not a Crossref work object", line=line, record=record_id)
    raw_doi = as_str(work.get("DOI"))
    if not raw_doi:
        raise context.error("a Crossref work needs its DOI", line=line, record=record_id, field="DOI")
    doi = doi_or_error(context, raw_doi, line=line, record=record_id, field="DOI")
    where = {"line": line, "record": doi}
    out = OutputRecord(context, f"doi:{doi}", output_iri(context, doi, NAME, doi))
    out.doi(doi)
    out.title(_first(work.get("title")))
    out.require_title(field="title", **where)
    out.kind(as_str(work.get("type")))
    out.venue(_first(work.get("container-title")))
    out.year(year_or_error(context, _year(work), field="issued", **where))
    out.citations(count_or_error(context, work.get("is-referenced-by-count"), field="is-referenced-by-count", **where))
    out.abstract(strip_markup(work.get("abstract")))
    for subject in as_list(work.get("subject")):
        out.keyword(as_str(subject))
    out.authors([_author(context, a, i, where) for i, a in enumerate(as_list(work.get("author")))])
    for funder in as_list(work.get("funder")):
        _funder(out, as_dict(funder))
    return out.done()


def _first(value: Any) -> str:
    """Crossref wraps titles in lists; a plain string is accepted too."""
    if isinstance(value, list):
        return next((as_str(v) for v in value if as_str(v)), "")
    return as_str(value)


def _year(work: dict) -> Any:
    for key in ("issued", "published", "published-print", "published-online"):
        parts = as_list(as_dict(work.get(key)).get("date-parts"))
        first = as_list(parts[0]) if parts else []
        if first and first[0] is not None:
            return first[0]
    return None


def _author(context: IngestContext, author: Any, index: int, where: dict) -> Author:
    author = as_dict(author)
    name = " ".join(p for p in (as_str(author.get("given")), as_str(author.get("family"))) if p) or as_str(author.get("name"))
    orcid = orcid_or_error(context, as_str(author.get("ORCID")) or None, field=f"author[{index}].ORCID", **where)
    institutions = []
    for affiliation in map(as_dict, as_list(author.get("affiliation"))):
        ror = next((ror_or_none(as_str(i.get("id"))) for i in map(as_dict, as_list(affiliation.get("id")))
                    if as_str(i.get("id-type")).upper() == "ROR"), None)
        if as_str(affiliation.get("name")) or ror:
            institutions.append(Institution(as_str(affiliation.get("name")), ror))
    return Author(name=name, orcid=orcid, institutions=institutions)


def _funder(out: OutputRecord, funder: dict) -> None:
    name = as_str(funder.get("name"))
    dois = [as_str(funder.get("DOI"))] + [as_str(as_dict(i).get("id")) for i in as_list(funder.get("id"))]
    awards = [as_str(a) for a in as_list(funder.get("award"))]
    for info in map(as_dict, as_list(funder.get("award-info"))):
        awards += [as_str(a) for a in as_list(info.get("award-number"))]
    awards = list(dict.fromkeys(a for a in awards if a))
    if any(is_nsfc_funder_name(d) for d in dois if d) or is_nsfc_funder_name(name):
        for award in awards:
            out.funder_numbers(split_award_string(award), f"Crossref funder {name or dois[0]}: {award}")
    out.mine(name)


MODULE = FormatModule(NAME, "Crossref work JSON (message, API envelope, work list, or JSON lines)", sniff, read)
