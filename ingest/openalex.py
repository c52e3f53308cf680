"""OpenAlex Works (`openalex`): one Work JSON object, a list or API page of Works, or JSON lines.

Mapped: `id` (sourceRecordId `openalex:W…`), `doi`, `title`/`display_name`,
`publication_year`, `type`, `authorships[]` (author id, name, ORCID; institutions with
ROR), `primary_location.source.display_name` (venue), `cited_by_count`, `keywords[]`,
the abstract rebuilt from `abstract_inverted_index`, and NSFC awards:
`awards[]` entries (current schema: `funder_award_id`, `funder_id`,
`funder_display_name`) whose funder is OpenAlex `F4320321001` or a name naming NSFC.
The old `grants[]` field (`funder`, `funder_display_name`, `award_id`) of older
snapshots is read the same way.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.base import FormatModule, IngestContext, MappedRecord, RecordStream
from ingest.outputs import (Author, Institution, OutputRecord, as_dict, as_list, as_str, count_or_error,
                            doi_or_error, json_documents, orcid_or_error, output_iri, ror_or_none, year_or_error)
from kg.errors import InputError
from kg.grants import is_nsfc_funder_name, split_award_string

NAME = "openalex"
NSFC_FUNDER_ID = "F4320321001"
_PREFIX = "https://openalex.org/"


def sniff(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".json", ".jsonl", ".ndjson") and b"openalex.org" in head


def read(context: IngestContext) -> RecordStream:
    ordinal = 0
    for line, document in json_documents(context):
        if isinstance(document, InputError):
            yield document
            continue
        for work in _works(document):
            ordinal += 1
            try:
                yield map_work(context, work, line=line, ordinal=ordinal)
            except InputError as exc:
                yield exc


def _works(document: Any) -> list:
    """A Work, a list of Works, or an API page {"meta", "results": [...]}."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("results"), list) and "meta" in document:
        return document["results"]
    return [document]


def map_work(context: IngestContext, work: Any, *, line: int | None, ordinal: int) -> MappedRecord:
    record_id = f"#{ordinal}"
    if not isinstance(work, dict):
        raise context.error("not an OpenAlex Work object", line=line, record=record_id,
                            hint="Each record must be a JSON object with an OpenAlex 'id'.")
    work_id = short_id(work.get("id"))
    record_id = work_id or record_id
    where = {"line": line, "record": record_id}
    doi = doi_or_error(context, as_str(work.get("doi")) or None, field="doi", **where)
    if not doi and not work_id:
        raise context.error("a Work needs an OpenAlex id or a DOI", field="id", **where)
    out = OutputRecord(context, f"openalex:{work_id}" if work_id else f"doi:{doi}",
                       output_iri(context, doi, NAME, work_id))
    out.source_id(f"openalex:{work_id}" if work_id else None)
    out.doi(doi)
    out.title(as_str(work.get("title")) or as_str(work.get("display_name")))
    out.require_title(field="title", **where)
    out.kind(as_str(work.get("type")), as_str(work.get("type_crossref")))
    out.year(year_or_error(context, work.get("publication_year") or None, field="publication_year", **where))
    out.citations(count_or_error(context, work.get("cited_by_count"), field="cited_by_count", **where))
    location = as_dict(work.get("primary_location"))
    out.venue(as_str(as_dict(location.get("source")).get("display_name")) or as_str(location.get("raw_source_name")))
    for keyword in as_list(work.get("keywords")):
        out.keyword(as_str(as_dict(keyword).get("display_name")))
    out.abstract(abstract_from_index(work.get("abstract_inverted_index")))
    out.authors([_author(context, a, i, where) for i, a in enumerate(as_list(work.get("authorships")))])
    _awards(out, work)
    return out.done()


def _author(context: IngestContext, authorship: Any, index: int, where: dict) -> Author:
    authorship = as_dict(authorship)
    person = as_dict(authorship.get("author"))
    name = as_str(person.get("display_name")) or as_str(authorship.get("raw_author_name"))
    orcid = orcid_or_error(context, as_str(person.get("orcid")) or None,
                           field=f"authorships[{index}].author.orcid", **where)
    institutions = [Institution(as_str(as_dict(i).get("display_name")), ror_or_none(as_str(as_dict(i).get("ror"))))
                    for i in as_list(authorship.get("institutions"))]
    return Author(name=name, orcid=orcid, openalex_id=short_id(person.get("id")),
                  institutions=[i for i in institutions if i.name or i.ror])


def _awards(out: OutputRecord, work: dict) -> None:
    """NSFC numbers from `awards[]` (current schema) and `grants[]` (older snapshots)."""
    entries = [(a.get("funder_id"), a.get("funder_display_name"), a.get("funder_award_id"))
               for a in map(as_dict, as_list(work.get("awards")))]
    entries += [(g.get("funder"), g.get("funder_display_name"), g.get("award_id"))
                for g in map(as_dict, as_list(work.get("grants")))]
    for funder_id, funder_name, award in entries:
        funder_name, award = as_str(funder_name), as_str(award)
        if not award or not (short_id(funder_id) == NSFC_FUNDER_ID or is_nsfc_funder_name(funder_name)):
            continue
        out.funder_numbers(split_award_string(award), f"OpenAlex award of {funder_name or NSFC_FUNDER_ID}: {award}")


def short_id(value: Any) -> str:
    """'W3174427814' from 'https://openalex.org/W3174427814' (or the bare id)."""
    text = as_str(value)
    return text[len(_PREFIX):] if text.startswith(_PREFIX) else text


def abstract_from_index(index: Any) -> str:
    """OpenAlex ships abstracts as {word: [positions]}; put the words back in order."""
    if not isinstance(index, dict):
        return ""
    slots: dict[int, str] = {}
    for word, positions in index.items():
        for position in as_list(positions):
            if isinstance(position, int) and not isinstance(position, bool) and 0 <= position < 100_000:
                slots[position] = str(word)
    return " ".join(slots[p] for p in sorted(slots))


MODULE = FormatModule(NAME, "OpenAlex Work JSON (one object, a list/API page, or JSON lines)", sniff, read)
