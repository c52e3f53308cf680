"""Safe, incremental XML reading for the OAI-PMH and PubMed modules.

Two lines of defence against entity bombs and external references:

1. Before parsing, the prolog (the bytes before the root element) is scanned; a file
   that declares an internal DTD subset or any ENTITY is refused with
   `REFUSED_MESSAGE`, so a billion-laughs file costs one read of its head.
2. The parser itself is defusedxml's (entities and external references forbidden).
   A *bare* document type declaration that only names an external DTD
   (`<!DOCTYPE PubmedArticleSet PUBLIC "..." "https://dtd.nlm.nih.gov/...">`, which
   every real PubMed export carries) is tolerated: it declares nothing, and the DTD is
   never fetched or read. Anything inside `[...]` is refused.

Records are yielded one at a time and detached from the tree afterwards, so a large
PubMed file is never held in memory whole.
"""
from __future__ import annotations

import codecs
import re
from typing import Iterator
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from ingest.base import IngestContext
from kg.errors import InputError

REFUSED_MESSAGE = "XML with a DTD or entity declarations is refused"
REFUSED_HINT = ("Remove the <!DOCTYPE ... [ ... ]> block and any <!ENTITY> declarations; "
                "SciPop never expands entities or loads DTDs.")
PROLOG_LIMIT = 1 << 16     # bytes scanned for declarations before the parser starts
CHUNK = 1 << 16
_DECL_RE = re.compile(rb"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)


class _BareDoctypeParser(DefusedXMLParser):
    """defusedxml's parser, tolerating a DOCTYPE without an internal subset."""

    def __init__(self, target) -> None:
        super().__init__(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def defused_start_doctype_decl(self, name, sysid, pubid, has_internal_subset):
        if has_internal_subset:
            super().defused_start_doctype_decl(name, sysid, pubid, has_internal_subset)


def local(tag: str) -> str:
    """'{http://www.openarchives.org/OAI/2.0/}record' -> 'record'."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def text_of(element: Element | None) -> str:
    """All text inside an element (inline markup such as <i> kept as text), spaces collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def check_prolog(context: IngestContext) -> None:
    """Refuse DTD subsets and entity declarations before any parsing happens."""
    with open(context.path, "rb") as handle:
        head = handle.read(PROLOG_LIMIT)
    if _DECL_RE.search(_as_ascii_bytes(head)):
        raise InputError(context.at(), REFUSED_MESSAGE, hint=REFUSED_HINT)


def _as_ascii_bytes(head: bytes) -> bytes:
    """UTF-16/32 heads re-encoded so the byte pattern can see the markup."""
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return head.decode(name, errors="ignore").encode("ascii", errors="replace")
    return head


class _Collector:
    """Parser target: builds the tree and queues each wanted element once it is complete.

    A finished wanted element is detached from its parent, so memory stays flat.
    """

    def __init__(self, wanted: set[str]) -> None:
        self.builder = TreeBuilder()
        self.wanted = wanted
        self.ready: list[Element] = []
        self.stack: list[Element] = []

    def start(self, tag, attrs):
        element = self.builder.start(tag, attrs)
        if not self.stack:
            self.ready.append(element)    # the root, announced when it opens
        self.stack.append(element)
        return element

    def end(self, tag):
        element = self.builder.end(tag)
        self.stack.pop()
        if local(element.tag) in self.wanted:
            self.ready.append(element)
            if self.stack:
                self.stack[-1].remove(element)
        return element

    def data(self, text):
        self.builder.data(text)

    def close(self):
        return self.builder.close()


def iter_elements(context: IngestContext, wanted: set[str]) -> Iterator[tuple[int, Element]]:
    """(ordinal, element) for each completed element whose local name is in `wanted`.

    The root element comes first, as ordinal 0, when it starts (tag and attributes
    only), so a caller can refuse a file of the wrong kind before reading on.
    Wanted elements are not nested in one another. Parse errors become an InputError
    with line and column.
    """
    check_prolog(context)
    collector = _Collector(wanted)
    parser = _BareDoctypeParser(collector)
    count = -1
    try:
        with open(context.path, "rb") as handle:   # closed as soon as the reader stops
            while True:
                chunk = handle.read(CHUNK)
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
                while collector.ready:
                    count += 1
                    yield count, collector.ready.pop(0)
                if not chunk:
                    return
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise InputError(context.at(line=line), f"malformed XML at line {line}, column {column} ({_reason(exc)})",
                         hint="The file is not well-formed XML; re-download or re-export it.") from None
    except DefusedXmlException:
        raise InputError(context.at(), REFUSED_MESSAGE, hint=REFUSED_HINT) from None
    except (UnicodeError, LookupError, ValueError) as exc:
        raise InputError(context.at(), f"cannot decode the XML ({exc})",
                         hint="Save the file as UTF-8 with an accurate <?xml encoding?> declaration.") from None


def _reason(exc: ParseError) -> str:
    return str(exc).split(":", 1)[0]
