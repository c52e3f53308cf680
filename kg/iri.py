"""Entity and graph IRIs, minted here and nowhere else.

IRIs are stable: the same record always mints the same IRI, so re-ingest replaces
rather than duplicates, and no entity is ever a blank node.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

from rdflib import Literal, URIRef

_SAFE = re.compile(r"[^0-9A-Za-z._~-]+")

# The fixed named graphs (source files' graphs are minted per file): name -> (English label,
# Chinese label, English description, Chinese description). kg.bootstrap states them in the
# ontology graph, so that each graph IRI a provenance record names dereferences to what it holds.
SYSTEM_GRAPHS: dict[str, tuple[str, str, str, str]] = {
    "ontology": ("Ontology, shapes and controlled lists", "本体、约束与受控词表",
                 "The ontology, the SHACL shapes and the controlled lists (departments, project types, tiers).",
                 "本体、SHACL 约束以及受控词表（科学部、项目类型、科普义务类别等）。"),
    "catalog": ("Catalog of ingested source files", "源文件目录",
                "PROV metadata of every ingested source file: name, checksum, format, record counts, when.",
                "每个已导入源文件的 PROV 元数据：名称、校验和、格式、记录数与导入时间。"),
    "derived": ("Derived facts", "派生事实",
                "Facts materialized after each ingest: popularization status, counts and the reports' tables.",
                "每次导入后计算的事实：科普状态、各类计数以及统计报告所用的汇总表。"),
    "links": ("Links found by linking", "关联结果",
              "Links found by the linking step: grant numbers mined from acknowledgements and identity "
              "decisions, each with its method, confidence and evidence.",
              "关联步骤得到的链接：从致谢中识别的基金批准号与身份合并决定，各附方法、置信度与证据。"),
    "curation": ("Curators' decisions", "人工决定",
                 "Curators' decisions (representative achievements, forced merges and splits); never replaced by "
                 "an ingest.", "人工作出的决定（代表性成果、强制合并与拆分）；导入不会覆盖。"),
}


def stable_hash(*parts: str, length: int = 16) -> str:
    """A short, stable hex digest of normalized text parts (NFKC, case-folded, trimmed)."""
    text = "\x1f".join(unicodedata.normalize("NFKC", p or "").strip().casefold() for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def slug(text: str) -> str:
    """A path segment safe in an IRI; non-ASCII is percent-encoded, so distinct names stay distinct."""
    return quote(unicodedata.normalize("NFKC", text).strip(), safe="-._~")


class Minter:
    """Mints every IRI under one configurable base, e.g. https://kg.example.org/project/61772368."""

    def __init__(self, base_iri: str) -> None:
        self.base = base_iri

    def _iri(self, *segments: str) -> URIRef:
        return URIRef(self.base + "/".join(segments))

    # Entities -------------------------------------------------------------------
    def project(self, approval_number: str) -> URIRef:
        return self._iri("project", approval_number)

    def person(self, scheme: str, local_id: str) -> URIRef:
        """scheme: 'orcid', 'nsfc' (NSFC person id), 'src-<source>' (a source's own id), or 'h' (hash)."""
        return self._iri("person", f"{scheme}-{slug(local_id)}")

    def person_by_name(self, name: str, institution: str = "") -> URIRef:
        """A person known only by name (and institution) in one source: a mention, merged later by linking."""
        return self.person("h", stable_hash(name, institution))

    def institution(self, name: str, ror: str | None = None) -> URIRef:
        return self._iri("org", f"ror-{ror}") if ror else self._iri("org", "h-" + stable_hash(name))

    def output(self, doi: str | None = None, source: str = "", local_id: str = "") -> URIRef:
        if doi:
            return self._iri("output", "doi", slug(doi))
        return self._iri("output", f"{slug(source)}-{stable_hash(local_id)}")

    def work(self, source: str, local_id: str) -> URIRef:
        return self._iri("work", f"{slug(source)}-{slug(local_id)}")

    def application_code(self, code: str) -> URIRef:
        return self._iri("code", code)

    def affiliation(self, person: URIRef, institution: URIRef, start: str = "") -> URIRef:
        return self._iri("affiliation", stable_hash(str(person), str(institution), start))

    def authorship(self, output: URIRef, rank: int) -> URIRef:
        return self._iri("authorship", stable_hash(str(output)), str(rank))

    def pool_membership(self, person: URIRef) -> URIRef:
        return self._iri("talent-pool", stable_hash(str(person)))

    def link(self, subject: URIRef, relation: URIRef, obj: URIRef, method: URIRef) -> URIRef:
        return self._iri("link", stable_hash(str(subject), str(relation), str(obj), str(method)))

    def curation_decision(self, kind: str, subject: URIRef, stamp: str) -> URIRef:
        """One curator's decision of `kind` about `subject` at time `stamp`; earlier decisions stay."""
        return self._iri("curation", kind, stable_hash(str(subject), stamp))

    def derived_table(self, name: str) -> URIRef:
        """A materialized aggregate table of the reports (kg.rollup), e.g. 'gaps-department'."""
        return self._iri("table", slug(name))

    def gap_observation(self, department: URIRef, project_type: URIRef, year: int | None) -> URIRef:
        """The gap counts of one science department, project type and approval year (kg.rollup)."""
        return self._iri("observation", "gaps", stable_hash(str(department), str(project_type), str(year)))

    def talent_observation(self, expertise: Literal | URIRef) -> URIRef:
        """The talent-pool counts of one field of expertise (kg.rollup): the term exactly, with its
        kind and its language tag or datatype; not through stable_hash's case folding, since
        "AI" and "ai" stated by members are two fields."""
        exact = "\x1f".join((type(expertise).__name__, str(expertise), getattr(expertise, "language", None) or "",
                              str(getattr(expertise, "datatype", None) or "")))
        return self._iri("observation", "talent", hashlib.sha1(exact.encode("utf-8")).hexdigest()[:16])

    # Named graphs ---------------------------------------------------------------
    def source_graph(self, source_id: str) -> URIRef:
        return self._iri("graph", "source", slug(source_id))

    def restricted_graph(self, public_graph: URIRef) -> URIRef:
        """The twin of a graph that holds its restricted (unreviewed, confidential) statements."""
        return URIRef(str(public_graph) + "/restricted")

    def system_graph(self, name: str) -> URIRef:
        """One of the SYSTEM_GRAPHS by name."""
        if name not in SYSTEM_GRAPHS:
            raise KeyError(name)
        return self._iri("graph", name)

    def ontology_graph(self) -> URIRef:
        return self.system_graph("ontology")

    def catalog_graph(self) -> URIRef:
        return self.system_graph("catalog")

    def derived_graph(self) -> URIRef:
        return self.system_graph("derived")

    def links_graph(self) -> URIRef:
        return self.system_graph("links")

    def curation_graph(self) -> URIRef:
        return self.system_graph("curation")

    def is_restricted_graph(self, graph: URIRef) -> bool:
        return str(graph).endswith("/restricted")

    def public_twin(self, restricted_graph: URIRef) -> URIRef:
        """The graph a restricted twin belongs to (`restricted_graph` inverted)."""
        return URIRef(str(restricted_graph)[: -len("/restricted")])
