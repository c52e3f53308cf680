"""Streaming writers, one per source format of docs/formats.md.

Each writer takes plain dicts built by `demo.generator` and appends them to its file(s);
nothing here keeps more than one page (OAI-PMH) or the XLSX rows (<= 2,000) in memory.
Every writer produces byte-identical output for identical input.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr


def dumps(obj: Any) -> str:
    """Compact JSON, as the OpenAlex and Crossref APIs send it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _open(path: Path, encoding: str = "utf-8") -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "w", encoding=encoding, newline="")


class CsvWriter:
    def __init__(self, path: Path, header: list[str], *, delimiter: str = ",", quote_all: bool = False,
                 encoding: str = "utf-8") -> None:
        self.path = path
        self.fh = _open(path, encoding)
        self.w = csv.writer(self.fh, delimiter=delimiter, lineterminator="\n",
                            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
        if quote_all:  # the dailycafi scraper quotes every value but not the header
            csv.writer(self.fh, delimiter=delimiter, lineterminator="\n").writerow(header)
        else:
            self.w.writerow(header)
        self.lines = 1  # physical lines written (no embedded newlines are ever written)

    def row(self, values: list[Any]) -> int:
        self.w.writerow(["" if v is None else v for v in values])
        self.lines += 1
        return self.lines

    def close(self) -> None:
        self.fh.close()


class JsonLinesWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = _open(path)
        self.lines = 0

    def write(self, obj: Any) -> int:
        self.fh.write(dumps(obj))
        self.fh.write("\n")
        self.lines += 1
        return self.lines

    def close(self) -> None:
        self.fh.close()


class ShardedJsonLines:
    """JSON lines split into numbered shards of at most `per_file` records."""

    def __init__(self, directory: Path, stem: str, per_file: int, files: list[str], root: Path) -> None:
        self.directory, self.stem, self.per_file = directory, stem, per_file
        self.files, self.root = files, root
        self.current: JsonLinesWriter | None = None
        self.count = 0
        self.shard = 0

    def write(self, obj: Any) -> str:
        if self.current is None or self.current.lines >= self.per_file:
            if self.current:
                self.current.close()
            self.shard += 1
            path = self.directory / f"{self.stem}_{self.shard:04d}.jsonl"
            self.current = JsonLinesWriter(path)
            self.current_rel = path.relative_to(self.root).as_posix()
            self.files.append(self.current_rel)
        self.current.write(obj)
        self.count += 1
        return self.current_rel

    def close(self) -> None:
        if self.current:
            self.current.close()


# --------------------------------------------------------------------------- XLSX

_FIXED_XLSX_TIME = "2024-01-01T00:00:00Z"


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]], sheet: str = "NSFC-RESULT") -> None:
    """Small XLSX through openpyxl, then made byte-stable (fixed zip times and core dates)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rf"\g<1>{_FIXED_XLSX_TIME}\g<3>", text)
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)


# --------------------------------------------------------------------------- OAI-PMH

OAI_HOST = "ir.example.edu.cn"
_INDENT = re.compile(r"(?m)^ +")  # records are written flush-left to keep pages small


class OaiPager:
    """ListRecords pages with resumption tokens; holds one page until the next record proves more follow."""

    def __init__(self, directory: Path, page_size: int, files: list[str], root: Path) -> None:
        self.directory, self.page_size, self.files, self.root = directory, page_size, files, root
        self.pending: list[str] = []
        self.page_no = 0
        self.cursor = 0
        self.records = 0

    def page_file_for_next(self) -> str:
        """The file the next record will land in (known before it is written)."""
        n = self.page_no + (2 if len(self.pending) >= self.page_size else 1)
        return (self.directory / f"ListRecords_{n:04d}.xml").relative_to(self.root).as_posix()

    def add(self, record_xml: str) -> None:
        if len(self.pending) >= self.page_size:
            self._flush(self.pending, last=False)
            self.pending = []
        self.pending.append(_INDENT.sub("", record_xml))
        self.records += 1

    def _flush(self, records: list[str], last: bool) -> None:
        self.page_no += 1
        path = self.directory / f"ListRecords_{self.page_no:04d}.xml"
        self.files.append(path.relative_to(self.root).as_posix())
        cursor = self.cursor
        self.cursor += len(records)
        with _open(path) as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            fh.write('<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
                     'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                     'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n')
            day = 1 + (self.page_no % 27)
            fh.write(f"  <responseDate>2025-03-{day:02d}T08:00:{self.page_no % 60:02d}Z</responseDate>\n")
            if self.page_no == 1:
                fh.write(f'  <request verb="ListRecords" metadataPrefix="oai_dc">https://{OAI_HOST}/oai</request>\n')
            else:
                fh.write(f'  <request verb="ListRecords" resumptionToken="oai_dc.{cursor}">https://{OAI_HOST}/oai</request>\n')
            fh.write("  <ListRecords>\n")
            for r in records:
                fh.write(r)
            if last:
                if self.page_no > 1:
                    fh.write(f'    <resumptionToken completeListSize="{self.records}" cursor="{cursor}"/>\n')
            else:
                fh.write(f'    <resumptionToken cursor="{cursor}">oai_dc.{self.cursor}</resumptionToken>\n')
            fh.write("  </ListRecords>\n</OAI-PMH>\n")

    def close(self) -> None:
        if self.pending or self.page_no == 0:
            self._flush(self.pending, last=True)


def oai_record(rec: dict[str, Any]) -> str:
    x = escape
    if rec.get("deleted"):
        return ("    <record>\n      <header status=\"deleted\">\n"
                f"        <identifier>{x(rec['identifier'])}</identifier>\n"
                f"        <datestamp>{rec['datestamp']}</datestamp>\n"
                "      </header>\n    </record>\n")
    out = ["    <record>\n      <header>\n",
           f"        <identifier>{x(rec['identifier'])}</identifier>\n",
           f"        <datestamp>{rec['datestamp']}</datestamp>\n",
           f"        <setSpec>{x(rec['set'])}</setSpec>\n",
           "      </header>\n      <metadata>\n",
           '        <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">\n',
           f"          <dc:title>{x(rec['title'])}</dc:title>\n"]
    for c in rec["creators"]:
        out.append(f"          <dc:creator>{x(c)}</dc:creator>\n")
    for s in rec["subjects"]:
        out.append(f"          <dc:subject>{x(s)}</dc:subject>\n")
    for d in rec["descriptions"]:
        lang = f" xml:lang={quoteattr(d[0])}" if d[0] else ""
        out.append(f"          <dc:description{lang}>{x(d[1])}</dc:description>\n")
    out.append(f"          <dc:publisher>{x(rec['publisher'])}</dc:publisher>\n")
    out.append(f"          <dc:date>{rec['date']}</dc:date>\n")
    out.append(f"          <dc:type>{x(rec['type'])}</dc:type>\n")
    for i in rec["identifiers"]:
        out.append(f"          <dc:identifier>{x(i)}</dc:identifier>\n")
    out.append(f"          <dc:source>{x(rec['source'])}</dc:source>\n")
    out.append(f"          <dc:language>{rec['language']}</dc:language>\n")
    for r in rec.get("relations", []):
        out.append(f"          <dc:relation>{x(r)}</dc:relation>\n")
    out.append("        </oai_dc:dc>\n      </metadata>\n    </record>\n")
    return "".join(out)


# --------------------------------------------------------------------------- PubMed

class PubmedWriter:
    def __init__(self, directory: Path, per_file: int, files: list[str], root: Path) -> None:
        self.directory, self.per_file, self.files, self.root = directory, per_file, files, root
        self.fh: TextIO | None = None
        self.in_file = 0
        self.shard = 0

    def current_file(self) -> str:
        shard = self.shard + 1 if self.fh is None or self.in_file >= self.per_file else self.shard
        return (self.directory / f"pubmed_{shard:04d}.xml").relative_to(self.root).as_posix()

    def write(self, art: dict[str, Any]) -> None:
        if self.fh is None or self.in_file >= self.per_file:
            self._close_file()
            self.shard += 1
            path = self.directory / f"pubmed_{self.shard:04d}.xml"
            self.files.append(path.relative_to(self.root).as_posix())
            self.fh = _open(path)
            self.fh.write('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n')
            self.in_file = 0
        self.in_file += 1
        x = escape
        y, m, d = art["date"]
        parts = ["  <PubmedArticle>\n    <MedlineCitation Status=\"MEDLINE\" Owner=\"NLM\">\n",
                 f"      <PMID Version=\"1\">{art['pmid']}</PMID>\n",
                 "      <Article PubModel=\"Print-Electronic\">\n        <Journal>\n",
                 f"          <ISSN IssnType=\"Electronic\">{art['issn']}</ISSN>\n",
                 "          <JournalIssue CitedMedium=\"Internet\">\n",
                 f"            <Volume>{art['volume']}</Volume>\n",
                 f"            <PubDate>\n              <Year>{y}</Year>\n              <Month>{_MONTHS[m - 1]}</Month>\n            </PubDate>\n",
                 "          </JournalIssue>\n",
                 f"          <Title>{x(art['journal'])}</Title>\n",
                 "        </Journal>\n",
                 f"        <ArticleTitle>{x(art['title'])}</ArticleTitle>\n",
                 f"        <Abstract>\n          <AbstractText>{x(art['abstract'])}</AbstractText>\n        </Abstract>\n",
                 "        <AuthorList CompleteYN=\"Y\">\n"]
        for a in art["authors"]:
            if a.get("collective"):
                parts.append(f"          <Author ValidYN=\"Y\">\n            <CollectiveName>{x(a['collective'])}</CollectiveName>\n          </Author>\n")
                continue
            parts.append("          <Author ValidYN=\"Y\">\n")
            parts.append(f"            <LastName>{x(a['last'])}</LastName>\n            <ForeName>{x(a['fore'])}</ForeName>\n            <Initials>{x(a['initials'])}</Initials>\n")
            if a.get("affiliation"):
                parts.append(f"            <AffiliationInfo>\n              <Affiliation>{x(a['affiliation'])}</Affiliation>\n            </AffiliationInfo>\n")
            parts.append("          </Author>\n")
        parts.append("        </AuthorList>\n        <Language>eng</Language>\n")
        if art["grants"]:
            parts.append("        <GrantList CompleteYN=\"Y\">\n")
            for g in art["grants"]:
                parts.append(f"          <Grant>\n            <GrantID>{x(g[0])}</GrantID>\n            <Agency>{x(g[1])}</Agency>\n            <Country>{x(g[2])}</Country>\n          </Grant>\n")
            parts.append("        </GrantList>\n")
        parts.append("        <PublicationTypeList>\n          <PublicationType UI=\"D016428\">Journal Article</PublicationType>\n        </PublicationTypeList>\n")
        parts.append("      </Article>\n")
        parts.append(f"      <MedlineJournalInfo>\n        <Country>{x(art['country'])}</Country>\n        <MedlineTA>{x(art['journal'])}</MedlineTA>\n      </MedlineJournalInfo>\n")
        parts.append("    </MedlineCitation>\n    <PubmedData>\n      <PublicationStatus>ppublish</PublicationStatus>\n      <ArticleIdList>\n")
        parts.append(f"        <ArticleId IdType=\"pubmed\">{art['pmid']}</ArticleId>\n")
        if art.get("doi"):
            parts.append(f"        <ArticleId IdType=\"doi\">{x(art['doi'])}</ArticleId>\n")
        parts.append("      </ArticleIdList>\n    </PubmedData>\n  </PubmedArticle>\n")
        self.fh.write("".join(parts))

    def _close_file(self) -> None:
        if self.fh is not None:
            self.fh.write("</PubmedArticleSet>\n")
            self.fh.close()
            self.fh = None

    def close(self) -> None:
        self._close_file()


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# --------------------------------------------------------------------------- JSON-LD

class JsonLdGraphWriter:
    """A schema.org document `{"@context": ..., "@graph": [...]}` written node by node."""

    def __init__(self, path: Path) -> None:
        self.fh = _open(path)
        self.fh.write('{\n  "@context": "https://schema.org/",\n  "@graph": [\n')
        self.n = 0

    def write(self, node: dict[str, Any]) -> None:
        if self.n:
            self.fh.write(",\n")
        self.fh.write("    " + dumps(node))
        self.n += 1

    def close(self) -> None:
        self.fh.write("\n  ]\n}\n")
        self.fh.close()
