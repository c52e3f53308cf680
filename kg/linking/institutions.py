"""One entity per institution across Chinese and English names, abbreviations, historical
names, affiliation strings and ROR ids.

Organizations are minted at ingest from the name as written (org/h-<hash>) or from a ROR
id (org/ror-<id>), so 清华大学 in a project export, "Tsinghua University" with its ROR in
OpenAlex and "Department of Physics, Tsinghua University, Beijing 100084, China" in
Crossref are three nodes. They are joined through keys:

- the ROR id (decisive; two different ROR ids never merge);
- the alias table shipped in `data/institutions.csv` (zh, en, abbreviations, historical
  names; an abbreviation two rows share is dropped as ambiguous), extendable with ROR
  records (`aliases_from_ror`);
- names the graph itself pairs with a ROR id (a ROR node named 清华大学 in one source
  and "Tsinghua University" in another teaches both names);
- an affiliation string's comma-separated segments: the longest run of segments that
  is a known name (a department segment is not), or a Chinese string that starts with a
  known name followed by a sub-unit (清华大学物理系). A string naming two different
  institutions, or an English name of a foreign namesake (a non-Chinese country in the
  string), joins nothing;
- exact equality of normalized names.

Matching is exact on normalized keys, never by substring of a longer name, so an
institute of the Chinese Academy of Sciences does not collapse into the Academy.
"""
from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from kg.linking.clusters import Clusters

ALIAS_TABLE = Path(__file__).resolve().parent / "data" / "institutions.csv"

_SEGMENT_SPLIT = re.compile(r"[,;，；、]|\s+-\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Sub-units that may follow an institution's Chinese name in an affiliation string.
_ZH_SUBUNIT = re.compile(r"^.{0,20}?(系|学院|实验室|研究中心|中心|课题组|教研室|研究室|科室|部)$")
_ZH_NOT_SUBUNIT = re.compile(r"医院|研究所|研究院|大学|分院")
# An English name in a string that names another country is that country's namesake
# (Northeastern University, Boston; Soochow University, Taipei).
_FOREIGN = re.compile(
    r"\b(usa|u\.s\.a|united states|america|taiwan|taipei|hsinchu|taichung|japan|korea|united kingdom|uk|england|"
    r"germany|france|canada|australia|singapore|boston|massachusetts|illinois|evanston|california)\b")
_CHINA_NOISE = {"china", "prchina", "peoplesrepublicofchina", "pr", "中国", "中华人民共和国"}


def org_key(name: str) -> str:
    """Case-, width-, space- and punctuation-insensitive key of an organization name."""
    text = unicodedata.normalize("NFKC", name or "").casefold().replace("&", " and ")
    text = re.sub(r"^the\s+", "", text.strip())
    return "".join(c for c in text if c.isalnum())


@dataclass(frozen=True)
class AliasEntry:
    zh: str
    en: str
    names: tuple[str, ...]
    ror: str = ""


@dataclass
class AliasTable:
    """Normalized name -> entry; keys two entries share are dropped as ambiguous."""

    entries: list[AliasEntry] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    _by_id: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, entry: AliasEntry) -> None:
        """Add a row; a row with the ROR id or Chinese name of a known one adds to it."""
        position = self._by_id.get(("ror", entry.ror)) if entry.ror else None
        if position is None and entry.zh:
            position = self._by_id.get(("zh", entry.zh))
        if position is None:
            position = len(self.entries)
            self.entries.append(entry)
        else:
            known = self.entries[position]
            self.entries[position] = AliasEntry(zh=known.zh or entry.zh, en=known.en or entry.en,
                                                names=tuple(dict.fromkeys(known.names + entry.names)),
                                                ror=known.ror or entry.ror)
        for kind, value in (("ror", entry.ror), ("zh", entry.zh)):
            if value:
                self._by_id.setdefault((kind, value), position)
        for name in entry.names:
            key = org_key(name)
            if not key:
                continue
            known = self.index.get(key)
            if known is None:
                self.index[key] = position
            elif known != position:
                self.index[key] = -1   # ambiguous: two institutions answer to it

    def lookup(self, key: str) -> AliasEntry | None:
        position = self.index.get(key, -1)
        return self.entries[position] if position >= 0 else None


def _cas_variants(en: str) -> list[str]:
    """'Institute of Physics, Chinese Academy of Sciences' is also written 'Institute of Physics, CAS' …"""
    suffix = ", Chinese Academy of Sciences"
    if not en.endswith(suffix):
        return []
    unit = en[: -len(suffix)]
    return [f"{unit}, CAS", f"{unit} of CAS", f"{unit} of the Chinese Academy of Sciences",
            f"Chinese Academy of Sciences, {unit}"]


@lru_cache(maxsize=4)
def load_alias_table(path: Path = ALIAS_TABLE) -> AliasTable:
    table = AliasTable()
    with open(path, encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            aliases = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
            en = row["en"].strip()
            names = tuple(dict.fromkeys([row["zh"].strip(), en, *aliases, *_cas_variants(en)]))
            table.add(AliasEntry(zh=row["zh"].strip(), en=en, names=names, ror=(row.get("ror") or "").strip()))
    return table


def aliases_from_ror(paths: Iterable[Path]) -> list[AliasEntry]:
    """Alias entries from ROR records (schema v2 `names`, or v1 `name`/`labels`/`aliases`/`acronyms`)."""
    entries = []
    for path in paths:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        ror = str(record.get("id", "")).rsplit("/", 1)[-1]
        if "names" in record:
            names = [n.get("value", "") for n in record["names"]]
            zh = next((n["value"] for n in record["names"] if n.get("lang") == "zh"), "")
            en = next((n["value"] for n in record["names"] if "ror_display" in n.get("types", [])), "")
        else:
            labels = [label.get("label", "") for label in record.get("labels", [])]
            names = [record.get("name", "")] + labels + record.get("aliases", []) + record.get("acronyms", [])
            zh = next((label["label"] for label in record.get("labels", []) if label.get("iso639") == "zh"), "")
            en = record.get("name", "")
        entries.append(AliasEntry(zh=zh, en=en, names=tuple(n for n in names if n), ror=ror))
    return entries


def affiliation_keys(text: str, known: dict[str, str]) -> set[str]:
    """The known institutions an affiliation string names: {target} when exactly one, else empty."""
    whole = org_key(text)
    if whole in known:
        return {known[whole]}
    foreign = bool(_FOREIGN.search(text.casefold()))
    segments = [s.strip() for s in _SEGMENT_SPLIT.split(text) if s.strip()]
    keys = [org_key(s) for s in segments]
    found: set[str] = set()
    used = [False] * len(keys)
    for width in (3, 2, 1):                       # longest run of segments first
        for start in range(0, len(keys) - width + 1):
            if any(used[start:start + width]):
                continue
            key = "".join(keys[start:start + width])
            target = known.get(key)
            if target is None or (foreign and not _CJK.search(segments[start])):
                continue
            found.add(target)
            for i in range(start, start + width):
                used[i] = True
    for segment, key in zip(segments, keys):
        if _CJK.search(segment) and key not in known:
            target = _zh_prefix_match(key, known)
            if target:
                found.add(target)
    return found if len(found) == 1 else set()


def _zh_prefix_match(key: str, known: dict[str, str]) -> str | None:
    """清华大学物理系 -> 清华大学: the longest known name the string starts with, then a sub-unit."""
    for end in range(len(key) - 1, 1, -1):
        target = known.get(key[:end])
        if target is None:
            continue
        rest = key[end:]
        if _ZH_SUBUNIT.match(rest) and not _ZH_NOT_SUBUNIT.search(rest):
            return target
        return None
    return None


@dataclass
class OrgRecord:
    iri: str
    names: set[str] = field(default_factory=set)
    rors: set[str] = field(default_factory=set)
    supporting: bool = False       # a 依托单位 of some project
    ror_minted: bool = False       # the IRI itself was minted from the ROR id


@dataclass
class OrgLinks:
    """The outcome: cluster root per org, canonical IRI per root, and the merge decisions."""

    records: list[OrgRecord]
    clusters: Clusters
    canonical: dict[int, str]

    def canonical_of(self, index: int) -> str:
        return self.canonical[self.clusters.find(index)]


def link_institutions(records: list[OrgRecord], table: AliasTable | None = None,
                      extra: Iterable[AliasEntry] = (), merges: Iterable[tuple[int, int, str]] = (),
                      splits: Iterable[tuple[int, int, str]] = ()) -> OrgLinks:
    """Cluster organization records (curator merges and splits first); pure Python, no store access."""
    table = table or load_alias_table()
    if extra:
        merged = AliasTable()
        for entry in [*table.entries, *extra]:
            merged.add(entry)
        table = merged
    anchors = [{"ROR": next(iter(r.rors))} if len(r.rors) == 1 else {} for r in records]
    clusters = Clusters(anchors=anchors)
    for a, b, text in splits:
        clusters.forbid(a, b)
    for a, b, text in merges:
        clusters.merge(a, b, "curator", 1.0, text, force=True)
    known = _known_names(records, table)
    # Records that name the same target (a ROR id, an alias-table row, an exact name) join.
    by_target: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        for target in _record_targets(record, known):
            by_target.setdefault(target, []).append(index)
    for target in sorted(by_target):
        members = by_target[target]
        for other in members[1:]:
            identifier = target.startswith("ror:")
            clusters.merge(members[0], other, "identifier" if identifier else "name", 1.0 if identifier else 0.95,
                           _org_evidence(target, records[members[0]], records[other]))
    return OrgLinks(records=records, clusters=clusters, canonical=_canonical(records, clusters))


def _known_names(records: list[OrgRecord], table: AliasTable) -> dict[str, str]:
    """Normalized name -> target ('ror:<id>' or 'alias:<zh>') for every authoritative name.

    Names come from the alias table and from organizations the graph pairs with exactly one
    ROR id; a graph ROR id also becomes the target of the alias row that names it.
    """
    known: dict[str, str] = {}
    for key, position in table.index.items():
        if position >= 0:
            entry = table.entries[position]
            known[key] = f"ror:{entry.ror}" if entry.ror else f"alias:{entry.zh}"
    learned: dict[str, str] = {}
    for record in records:
        if len(record.rors) != 1:
            continue
        target = f"ror:{next(iter(record.rors))}"
        for name in record.names:
            key = org_key(name)
            current = known.get(key)
            if current is None:
                known[key] = target
            elif current.startswith("alias:"):
                learned.setdefault(current, target)
    if learned:
        known = {key: learned.get(target, target) for key, target in known.items()}
    return known


def _record_targets(record: OrgRecord, known: dict[str, str]) -> list[str]:
    found = [f"ror:{ror}" for ror in sorted(record.rors)]
    for name in sorted(record.names):
        key = org_key(name)
        if not key:
            continue
        target = known.get(key)
        if target is None:
            matched = affiliation_keys(name, known)
            target = next(iter(matched)) if matched else f"name:{key}"
        found.append(target)
    return list(dict.fromkeys(found))


def _org_evidence(target: str, a: OrgRecord, b: OrgRecord) -> str:
    name_a = sorted(a.names)[0] if a.names else a.iri
    name_b = sorted(b.names)[0] if b.names else b.iri
    kind, _, value = target.partition(":")
    if kind == "ror":
        return f"'{name_a}' and '{name_b}' name ROR {value}"
    if kind == "alias":
        return f"'{name_a}' and '{name_b}' are names of {value} (alias table)"
    return f"'{name_a}' and '{name_b}' are the same name"


def _canonical(records: list[OrgRecord], clusters: Clusters) -> dict[int, str]:
    """Per cluster root: the ROR-minted IRI if any, else a 依托单位, else the smallest IRI."""
    best: dict[int, tuple] = {}
    for index, record in enumerate(records):
        root = clusters.find(index)
        rank = (0 if record.ror_minted else 1 if record.supporting else 2, record.iri)
        if root not in best or rank < best[root]:
            best[root] = rank
    return {root: rank[1] for root, rank in best.items()}
