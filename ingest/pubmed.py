"""PubMed XML (`pubmed`): a `PubmedArticleSet` of `PubmedArticle`s, read one article at a time.

Mapped: `PMID` (sourceRecordId `pmid:…`), the DOI from `ArticleIdList` (else
`ELocationID EIdType="doi"`), `ArticleTitle` and `VernacularTitle` (the original-language
title, e.g. Chinese), `AbstractText`, authors (`ForeName LastName`, else `LastName
Initials`, else `CollectiveName`; ORCID `Identifier`; `AffiliationInfo/Affiliation`),
the journal `Title` as venue, the year of `PubDate` (`Year` or `MedlineDate`), the first
`PublicationType` the output-kind list knows, `KeywordList`, and `GrantList/Grant`:
a grant whose `Agency` names NSFC gives funder-metadata links for the numbers in its
`GrantID`; other agencies are ignored unless the `GrantID` text itself ties a number to
NSFC ("NSFC 81570001"), which counts as acknowledgement mining.
`PubmedBookArticle` and `DeleteCitation` entries are skipped.
"""
from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from ingest.base import FormatModule, IngestContext, MappedRecord, RecordStream
from ingest.outputs import (Author, Institution, OutputRecord, doi_or_error, orcid_or_error, output_iri,
                            ror_or_none, year_or_error)
from ingest.safexml import iter_elements, local, text_of
from kg.errors import InputError
from kg.grants import is_nsfc_funder_name, split_award_string

NAME = "pubmed"


def sniff(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".xml" and b"PubmedArticle" in head


def read(context: IngestContext) -> RecordStream:
    for ordinal, element in iter_elements(context, {"PubmedArticle"}):
        if ordinal == 0:
            if local(element.tag) not in ("PubmedArticleSet", "PubmedArticle"):
                raise context.error(f"the root element is <{local(element.tag)}>, not <PubmedArticleSet>",
                                    hint="Export from PubMed as XML (efetch rettype=xml).")
            continue
        try:
            yield map_article(context, element, ordinal)
        except InputError as exc:
            yield exc
        except RecursionError:
            yield context.error("the article is nested too deeply to read", record=f"#{ordinal}")


def map_article(context: IngestContext, article: Element, ordinal: int) -> MappedRecord:
    citation = article.find("MedlineCitation")
    pmid = text_of(citation.find("PMID")) if citation is not None else ""
    record_id = f"pmid:{pmid}" if pmid else f"#{ordinal}"
    art = citation.find("Article") if citation is not None else None
    if art is None:
        raise context.error("a PubmedArticle needs MedlineCitation/Article", record=record_id, field="Article")
    doi = doi_or_error(context, _doi(article, art), record=record_id, field="ArticleId[@IdType='doi']")
    if not pmid and not doi:
        raise context.error("a PubmedArticle needs a PMID or a DOI", record=record_id, field="PMID")
    out = OutputRecord(context, record_id, output_iri(context, doi, NAME, pmid))
    out.source_id(f"pmid:{pmid}" if pmid else None)
    out.doi(doi)
    out.title(text_of(art.find("ArticleTitle")))
    out.title(text_of(art.find("VernacularTitle")))
    out.require_title(record=record_id, field="ArticleTitle")
    out.abstract(" ".join(_abstract_parts(art)))
    out.venue(text_of(art.find("Journal/Title")))
    out.year(year_or_error(context, _year(art), record=record_id, field="PubDate"))
    out.kind(*[text_of(t) for t in art.findall("PublicationTypeList/PublicationType")])
    for keyword in citation.findall("KeywordList/Keyword"):
        out.keyword(text_of(keyword))
    out.authors([_author(context, a, record_id, i) for i, a in enumerate(art.findall("AuthorList/Author"))])
    for grant in art.findall("GrantList/Grant"):
        _grant(out, grant)
    return out.done()


def _doi(article: Element, art: Element) -> str | None:
    for article_id in article.findall("PubmedData/ArticleIdList/ArticleId"):
        if article_id.get("IdType", "").lower() == "doi" and text_of(article_id):
            return text_of(article_id)
    for location in art.findall("ELocationID"):
        if location.get("EIdType", "").lower() == "doi" and text_of(location):
            return text_of(location)
    return None


def _abstract_parts(art: Element) -> list[str]:
    parts = []
    for block in art.findall("Abstract/AbstractText"):
        label = block.get("Label")
        text = text_of(block)
        if text:
            parts.append(f"{label}: {text}" if label else text)
    return parts


def _year(art: Element) -> str | None:
    date = art.find("Journal/JournalIssue/PubDate")
    if date is not None:
        year = text_of(date.find("Year")) or text_of(date.find("MedlineDate"))
        if year:
            return year
    return text_of(art.find("ArticleDate/Year")) or None


def _author(context: IngestContext, author: Element, record_id: str, index: int) -> Author:
    last, fore = text_of(author.find("LastName")), text_of(author.find("ForeName"))
    initials = text_of(author.find("Initials"))
    name = (f"{fore} {last}" if fore else f"{last} {initials}").strip() if last else text_of(author.find("CollectiveName"))
    orcid = None
    for ident in author.findall("Identifier"):
        if ident.get("Source", "").upper() == "ORCID":
            orcid = orcid_or_error(context, text_of(ident), record=record_id, field=f"Author[{index + 1}]/Identifier")
    institutions = []
    for info in author.findall("AffiliationInfo"):
        ror = next((ror_or_none(text_of(i)) for i in info.findall("Identifier") if i.get("Source", "").upper() == "ROR"), None)
        affiliation = text_of(info.find("Affiliation"))
        if affiliation or ror:
            institutions.append(Institution(affiliation, ror))
    return Author(name=name, orcid=orcid, institutions=institutions)


def _grant(out: OutputRecord, grant: Element) -> None:
    grant_id, agency = text_of(grant.find("GrantID")), text_of(grant.find("Agency"))
    if not grant_id:
        return
    if is_nsfc_funder_name(agency):
        out.funder_numbers(split_award_string(grant_id), f"PubMed grant of {agency}: {grant_id}")
    else:
        out.mine(grant_id)


MODULE = FormatModule(NAME, "PubMed XML (PubmedArticleSet)", sniff, read)
