"""Aggregate tables for the gap, compliance and indicator reports, materialized with the derived facts.

A report groups every project of the view (by department, institution, year …). As a
grouped SPARQL join that costs a random index seek per project and property, seconds at
100,000 projects. So, after each ingest (kg.derive.compute calls `table_triples`), the
per-project facts are read once with single-pattern scans, aggregated here in Python, and
each table is stored as ONE JSON literal in the derived graph:

    <base>table/<name>  sp:aggregateTable  "{...}"

A report then reads one triple. Each view computes its tables from what it holds (kg.publish
refreshes the public view's derived graph), so the public tables never name a restricted
record. Drill-downs are queried per group; only the compliance report's default item lists
(the first 50 projects per tier and year) and the recommendation candidates are materialized
as items, because every request shows them.

Table layout: {"groups": {group key: {year key: [counts…]}}, "labels": {group key: label}}
where the year key is the approval year as text, or "all" for every year together (stored,
not summed, because works and people shared between years must count once).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg import concepts
from kg import vocab as V
from kg.iri import stable_hash
from kg.nquads import term_nt
from kg.patterns import approved_work, instances
from kg.store import KnowledgeGraph, prefix_block

TABLE_VERSION = 3  # bump when a table's layout changes
ALL_YEARS = "all"
NO_YEAR = "none"
GAP_DIMENSIONS = ("department", "code", "type", "tier", "institution", "year")
COMPLIANCE_DIMENSIONS = ("all", "department", "institution", "code", "type", "year")
INDICATOR_DIMENSIONS = ("department", "institution")
TIERS = ("obliged", "encouraged")

# Column order of each table's count lists.
GAP_COUNTS = ("projects", "with_results", "unpopularized", "outputs", "unpopularized_outputs")
COMPLIANCE_COUNTS = ("projects", "not_popularized", "results_unpopularized", "concluded", "concluded_without_field")
INDICATOR_BASE = ("projects", "projects_with_results", "projects_popularized", "works")
INDICATOR_TAIL = ("researchers_engaged", "views", "attendance", "awards", "talent_pool_members")


def work_kind_columns() -> list[tuple[URIRef, str]]:
    """(kind concept, column name) for every work kind of the controlled list, in notation order."""
    kinds = sorted(concepts.members(V.WorkKindScheme), key=concepts.notation)
    return [(k, "works_" + concepts.notation(k)) for k in kinds]


def indicator_counts() -> tuple[str, ...]:
    return INDICATOR_BASE + tuple(c for _, c in work_kind_columns()) + INDICATOR_TAIL


# ---------------------------------------------------------------------------- per-project facts
@dataclass
class ProjectFacts:
    department: str | None = None
    type: str | None = None
    tier: str | None = None
    institutions: set[str] = field(default_factory=set)
    year: int | None = None
    codes: set[str] = field(default_factory=set)      # 3-character application codes (C05)
    status: str = "no-results"                          # popularized | unpopularized | no-results
    outputs: int = 0
    popularized_outputs: int = 0
    concluded: bool = False
    reported: bool = False                              # the concluding report has a popularization field
    type_iris: set[URIRef] = field(default_factory=set)  # every project type stated (sources may differ)
    department_iris: set[URIRef] = field(default_factory=set)  # every department stated

    def groups(self, dimension: str) -> list[str]:
        """The group keys of this project along a dimension (an institution may be named twice)."""
        if dimension == "all":
            return ["all"]
        value = {"department": self.department, "type": self.type, "tier": self.tier,
                 "year": str(self.year) if self.year is not None else None}.get(dimension)
        if dimension == "institution":
            return sorted(self.institutions)
        if dimension == "code":
            return sorted(self.codes)
        return [value] if value is not None else []

    def year_keys(self) -> tuple[str, str]:
        return (str(self.year) if self.year is not None else NO_YEAR, ALL_YEARS)


def _scan(kg: KnowledgeGraph, pattern: str) -> Iterable[tuple]:
    """(subject, object) rows of a single-pattern query: the engine reads one index range, no
    per-row seeks. Subjects and IRI objects come back as URIRefs, literals as their text
    (read through kg.rows: rdflib's result conversion cost more than the scans)."""
    query = prefix_block() + f"SELECT ?s ?o (isIRI(?o) AS ?iri) WHERE {{ {pattern} }}"
    for s, o, iri in kg.rows(query):
        yield URIRef(s), (URIRef(o) if iri == "true" else o)


def _status_name(status: URIRef) -> str:
    return {V.Popularized: "popularized", V.ResultsUnpopularized: "unpopularized"}.get(status, "no-results")


def load_facts(kg: KnowledgeGraph, status: dict, outputs: dict, popularized: dict) -> dict[URIRef, ProjectFacts]:
    """Every project's grouping facts, from single-pattern scans; the counts come from the caller
    (kg.derive computes them fresh; `facts_from_derived` reads them back)."""
    facts = {p: ProjectFacts(status=_status_name(s), outputs=outputs.get(p, 0), popularized_outputs=popularized.get(p, 0))
             for p, s in status.items()}
    # Researchers have departments too: joined with the projects first, only projects' are spelled out.
    for s, o in _scan(kg, instances("?s", "sp:FundedProject") + " { SELECT ?s ?o WHERE { GRAPH ?g { ?s sp:department ?o } } }"):
        if s in facts:
            facts[s].department = concepts.notation(o)
            if isinstance(o, URIRef):
                facts[s].department_iris.add(o)
    for s, o in _scan(kg, "?s sp:projectType ?o"):
        if s in facts:
            if isinstance(o, URIRef):   # a type given as a literal states no tier
                facts[s].type_iris.add(o)
            facts[s].type = concepts.notation(o)
            facts[s].tier = concepts.notation(concepts.obligation_tier(o))
    for s, o in _scan(kg, "?s sp:hostedBy ?o"):
        if s in facts:
            facts[s].institutions.add(str(o))
    for s, o in _scan(kg, "?s sp:approvalYear ?o"):
        if s in facts:
            facts[s].year = int(o)
    notations = {s: str(o) for s, o in _scan(kg, "?s a sp:ApplicationCode ; skos:notation ?o")}
    for s, o in _scan(kg, "?s sp:applicationCode ?o"):
        code = notations.get(o, "")
        if s in facts and len(code) >= 3:
            facts[s].codes.add(code[:3])
    for s, _ in _scan(kg, "?s sp:concluded true . BIND(true AS ?o)"):
        if s in facts:
            facts[s].concluded = True
    for s, _ in _scan(kg, "?s sp:popularizationReport ?o"):
        if s in facts:
            facts[s].reported = True
    return facts


def facts_from_derived(kg: KnowledgeGraph) -> dict[URIRef, ProjectFacts]:
    """The same facts when the derived graph is already there (used when a table is missing)."""
    status = {s: o for s, o in _scan(kg, "?s sp:popularizationStatus ?o")}
    outputs = {s: int(o) for s, o in _scan(kg, "?s sp:outputCount ?o") if s in status}
    popularized = {s: int(o) for s, o in _scan(kg, "?s sp:popularizedOutputCount ?o")}
    return load_facts(kg, status, outputs, popularized)


# ---------------------------------------------------------------------------- tables
def _add(cells: dict, group: str, years: tuple[str, ...], values: list[int]) -> None:
    for year in years:
        row = cells[group].setdefault(year, [0] * len(values))
        for i, v in enumerate(values):
            row[i] += v


def gap_table(facts: dict[URIRef, ProjectFacts], dimension: str) -> dict[str, Any]:
    cells: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for f in facts.values():
        values = [1, int(f.status != "no-results"), int(f.status == "unpopularized"), f.outputs,
                  max(0, f.outputs - f.popularized_outputs)]
        for group in f.groups(dimension):
            _add(cells, group, f.year_keys(), values)
    return {"columns": list(GAP_COUNTS), "groups": cells}


def compliance_table(facts: dict[URIRef, ProjectFacts], dimension: str) -> dict[str, Any]:
    """Groups keyed 'group|tier' for the obliged and encouraged tiers."""
    cells: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for f in facts.values():
        if f.tier not in TIERS:
            continue
        values = [1, int(f.status != "popularized"), int(f.status == "unpopularized"), int(f.concluded),
                  int(f.concluded and not f.reported)]
        for group in f.groups(dimension):
            _add(cells, f"{group}|{f.tier}", f.year_keys(), values)
    return {"columns": list(COMPLIANCE_COUNTS), "groups": cells}


@dataclass
class WorkFacts:
    kind: str = ""
    views: int = 0
    attendance: int = 0
    awards: int = 0


@dataclass
class PopularizationFacts:
    """What the indicators need beyond the projects: works per project and people per project."""

    works_by_project: dict[URIRef, set[URIRef]]
    works: dict[URIRef, WorkFacts]
    engaged: dict[URIRef, set[str]]   # project -> canonical people who created approved works
    talent: dict[URIRef, set[str]]    # project -> canonical people in the talent pool


def indicator_table(facts: dict[URIRef, ProjectFacts], pop: PopularizationFacts, dimension: str) -> dict[str, Any]:
    kinds = work_kind_columns()
    kind_index = {concepts.notation(k): i for i, (k, _) in enumerate(kinds)}
    projects: dict[str, dict[str, list[int]]] = defaultdict(dict)
    works: dict[tuple[str, str], set] = defaultdict(set)
    engaged: dict[tuple[str, str], set] = defaultdict(set)
    talent: dict[tuple[str, str], set] = defaultdict(set)
    for p, f in facts.items():
        values = [1, int(f.status != "no-results"), int(f.status == "popularized")]
        for group in f.groups(dimension):
            _add(projects, group, f.year_keys(), values)
            for year in f.year_keys():
                works[group, year] |= pop.works_by_project.get(p, set())
                engaged[group, year] |= pop.engaged.get(p, set())
                talent[group, year] |= pop.talent.get(p, set())
    cells: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for group, years in projects.items():
        for year, base in years.items():
            found = [pop.works[w] for w in works[group, year] if w in pop.works]
            by_kind = [0] * len(kinds)
            for w in found:
                if w.kind in kind_index:
                    by_kind[kind_index[w.kind]] += 1
            cells[group][year] = (base + [len(works[group, year])] + by_kind
                                  + [len(engaged[group, year]), sum(w.views for w in found),
                                     sum(w.attendance for w in found), sum(w.awards for w in found),
                                     len(talent[group, year])])
    return {"columns": list(indicator_counts()), "groups": cells}


# ---------------------------------------------------------------------------- people and works
APPROVED_WORKS = approved_work("?s") + " BIND(true AS ?o)"

# Canonical people of a set (creators of approved works, talent-pool members), their mentions
# (the person itself, or whatever the links graph says is owl:sameAs it), and the projects
# those mentions lead or take part in. Starts from the small set, so it follows indexes.
PEOPLE_PROJECTS = """
SELECT DISTINCT ?person ?p WHERE {
  { %(persons)s BIND(?person AS ?m) } UNION { %(persons)s ?m owl:sameAs ?person }
  { ?p sp:principalInvestigator ?m } UNION { ?p sp:member ?m }
}"""
PERSONS = "{ SELECT DISTINCT ?person WHERE { %s OPTIONAL { ?x owl:sameAs ?c } BIND(COALESCE(?c, ?x) AS ?person) } }"
CREATORS = approved_work("?w") + " ?w dcterms:creator ?x ."
TALENT = "?x sp:talentPoolMembership ?tp ."


def people_projects(kg: KnowledgeGraph, persons: str) -> dict[URIRef, set[str]]:
    found: dict[URIRef, set[str]] = defaultdict(set)
    for person, project in kg.rows(prefix_block() + PEOPLE_PROJECTS % {"persons": PERSONS % persons}):
        found[URIRef(project)].add(person)
    return found


def work_facts(kg: KnowledgeGraph, relevant: set[URIRef]) -> dict[URIRef, WorkFacts]:
    works = {w: WorkFacts() for w in relevant}
    for s, o in _scan(kg, "?s sp:workKind ?o"):
        if s in works:
            works[s].kind = concepts.notation(o)
    for prop, attr in ((V.views, "views"), (V.attendance, "attendance")):
        for s, o in _scan(kg, f"?s <{prop}> ?o"):
            if s in works:
                setattr(works[s], attr, max(getattr(works[s], attr), int(o)))
    awards: dict[URIRef, set[str]] = defaultdict(set)
    for s, o in _scan(kg, f"?s <{V.award}> ?o"):
        if s in works:
            awards[s].add(str(o))
    for s, found in awards.items():
        works[s].awards = len(found)
    return works


def popularization_facts(kg: KnowledgeGraph, works_by_project: dict) -> PopularizationFacts:
    relevant = {w for found in works_by_project.values() for w in found}
    return PopularizationFacts(works_by_project=works_by_project, works=work_facts(kg, relevant),
                               engaged=people_projects(kg, CREATORS), talent=people_projects(kg, TALENT))


WORKS_OF_PROJECTS = f"""
SELECT DISTINCT ?p ?w WHERE {{
  {approved_work("?w")}
  {{ ?w sp:popularizes ?p }} UNION {{ ?w sp:popularizes ?o . ?o sp:resultOf ?p }}
}}"""


def works_from_graph(kg: KnowledgeGraph) -> dict[URIRef, set[URIRef]]:
    found: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, w in kg.rows(prefix_block() + WORKS_OF_PROJECTS):
        found[URIRef(p)].add(URIRef(w))
    return found


# ---------------------------------------------------------------------------- storing and reading
def table_name(report: str, dimension: str) -> str:
    return f"{report}-{dimension}"


def institution_labels(kg: KnowledgeGraph) -> dict[str, str]:
    """Supporting institution IRI -> one name (Chinese first, then the smallest), for labels."""
    names: dict[str, list[tuple[int, str]]] = defaultdict(list)
    query = prefix_block() + "SELECT ?s ?o (LANG(?o) AS ?lang) WHERE { ?s a sp:SupportingInstitution ; schema:name ?o }"
    for s, o, lang in kg.rows(query):
        names[s].append((0 if lang == "zh" else 1, o))
    return {iri: min(found)[1] for iri, found in names.items()}


def build_tables(kg: KnowledgeGraph, facts: dict[URIRef, ProjectFacts], pop: PopularizationFacts) -> dict[str, dict]:
    """The report tables: gaps, compliance and indicators by every grouping, and institution labels."""
    tables: dict[str, dict] = {}
    for dim in GAP_DIMENSIONS:
        tables[table_name("gaps", dim)] = gap_table(facts, dim)
    for dim in COMPLIANCE_DIMENSIONS:
        tables[table_name("compliance", dim)] = compliance_table(facts, dim)
    for dim in INDICATOR_DIMENSIONS:
        tables[table_name("indicators", dim)] = indicator_table(facts, pop, dim)
    tables["institution-labels"] = {"labels": institution_labels(kg)}
    tables["compliance-items"] = compliance_items_table(kg, facts)
    return tables


COMPLIANCE_ITEMS_KEPT = 50  # kg.reports.DEFAULT_ITEM_LIMIT: what a compliance report lists per tier by default


def compliance_items_table(kg: KnowledgeGraph, facts: dict[URIRef, ProjectFacts]) -> dict[str, Any]:
    """Per 'tier|year' (and 'tier|all'): the first COMPLIANCE_ITEMS_KEPT projects by approval number that fail a
    check (not popularized, or concluded without the popularization field), with what their rows show.

    Listing them at request time costs a dozen index lookups per project (about 0.4 s at 100,000 projects);
    read here, a compliance report is one statement. Labels that depend on the language are stored for
    both languages; curation decisions are not (they change without an ingest)."""
    from kg.reports import lookup, pending_works, pick_text

    failing = {str(p): f for p, f in facts.items()
               if f.tier in TIERS and (f.status != "popularized" or (f.concluded and not f.reported))}
    numbers = {s: o for s, o in _text_scan(kg, f"?s <{V.approvalNumber}> ?o") if s in failing}
    lists: dict[str, list[str]] = defaultdict(list)
    for p in sorted(failing, key=lambda p: (numbers.get(p, p), p)):
        f = failing[p]
        for year in f.year_keys():
            key = f"{f.tier}|{year}"
            if len(lists[key]) < COMPLIANCE_ITEMS_KEPT:
                lists[key].append(p)
    kept = sorted({p for found in lists.values() for p in found})
    titles = lookup(kg, kept, V.title)
    pending = pending_works(kg, kept)
    projects = {}
    for p in kept:
        f = failing[p]
        projects[p] = {"id": numbers.get(p, ""), "title": {lang: pick_text(titles.get(p, []), lang) for lang in ("zh", "en")},
                       "department": f.department, "type": f.type, "institution": min(f.institutions, default=None),
                       "year": f.year, "status": f.status, "outputs": f.outputs, "concluded": f.concluded,
                       "field": f.reported, "pending": pending.get(p, 0)}
    return {"lists": lists, "projects": projects}


MIN_VENUE_OUTPUTS = 5  # a venue's mean citations says little below this many outputs
# Output ranks (by citations) at which the candidate chunks end: kg.recommend's default pool of
# 2,000 outputs, then the pool grown x4 twice when filters leave too few candidates. A request
# decodes only the chunks its pool reaches (the first is about 1 MB at 100,000 projects).
POOL_CHUNKS = (2_000, 8_000, 20_000)
TOP_OUTPUTS_KEPT = POOL_CHUNKS[-1]


def candidates_name(chunk: int) -> str:
    return f"recommend-candidates-{chunk}"


# Every project's capacity is one table per shard (by a hash of the project IRI): whole, it
# outgrew one statement at 200,000 projects (Oxigraph's parser stops at 16 MB a line), and a
# request needs the capacity of only a few projects.
CAPACITY_SHARDS = 64


def capacity_shard(shard: int) -> str:
    return f"capacity-{shard:02d}"


def capacity_name(project: str) -> str:
    """The capacity table that holds this project."""
    return capacity_shard(int(stable_hash(project, length=8), 16) % CAPACITY_SHARDS)


RECOMMEND_TABLES = (("venues",) + tuple(capacity_shard(i) for i in range(CAPACITY_SHARDS))
                    + tuple(candidates_name(i) for i in range(len(POOL_CHUNKS))))


def _text_scan(kg: KnowledgeGraph, pattern: str):
    """(subject IRI, object as text) rows of one pattern."""
    return kg.rows(prefix_block() + f"SELECT ?s ?o WHERE {{ {pattern} }}")


POPULARIZED_OUTPUTS = f"""
SELECT DISTINCT ?o WHERE {{ {approved_work("?w")} ?w sp:popularizes ?o .
                           ?o a sp:ResearchOutput }}"""


@dataclass
class CandidateSources:
    """What a candidate entry is made of, for some projects and their outputs (whole-graph scans after an
    ingest; kg.recommend fills one from per-IRI lookups for the few flagged projects outside the pool)."""

    facts: dict[str, list]                 # project -> [department, year, tier, status, outputs]
    outputs: dict[str, list[str]]          # project -> its outputs
    citations: dict[str, int]              # output -> citation count (outputs without one are left out)
    popularized: set[str]                  # outputs an approved work popularizes
    venues: dict[str, str]                 # output -> venue
    awards: dict[str, int]                 # project or output -> distinct awards
    texts: dict[str, list[str]]            # project or output -> titles and keywords
    capacity: dict[str, list]              # project -> kg.capacity.Capacity as JSON (absent: none)


def representative_result(project: str, src: CandidateSources) -> str | None:
    """A project's representative result: its most-cited output no approved work popularizes, else its most-cited
    output (of the outputs with a known citation count; ties by IRI)."""
    cited = sorted((-src.citations[o], o) for o in src.outputs.get(project, ()) if o in src.citations)
    if not cited:
        return None
    return next((o for _, o in cited if o not in src.popularized), cited[0][1])


def candidate_entry(project: str, rank: int | None, src: CandidateSources) -> list:
    """[project, pool rank, department, year, tier, status, outputs, result, awards, capacity, theme tokens]:
    everything kg.recommend scores, so a request needs no lookup per candidate. result is
    [output, citations, popularized, venue] or None; tokens are space-separated (kg.textfit)."""
    from kg.textfit import tokens

    result = representative_result(project, src)
    words = src.texts.get(project, []) + (src.texts.get(result, []) if result else [])
    return [project, rank, *src.facts[project],
            [result, src.citations[result], result in src.popularized, src.venues.get(result, "")] if result else None,
            src.awards.get(project, 0) + (src.awards.get(result, 0) if result else 0),
            src.capacity.get(project), " ".join(sorted(tokens(" ".join(words))))]


def _facts_list(f: ProjectFacts) -> list:
    return [f.department, f.year, f.tier, f.status, f.outputs]


@dataclass
class NetworkFacts:
    """What the recommendation tables take from the collaboration network (kg.network): building
    it is about a third of a derive, so kg.derive builds it in a second process meanwhile."""

    outputs: dict[str, tuple[str, ...]]   # project -> its outputs
    capacity: dict[str, list]             # project -> kg.capacity.Capacity as JSON (absent: none)


def network_facts(kg: KnowledgeGraph) -> NetworkFacts:
    """Each project's outputs and popularization capacity, from the collaboration network."""
    from kg.network import build_network

    network = build_network(kg)
    capacity = {}
    for project in network.outputs.keys() | network.pis.keys():
        found = network.capacity(project)
        if found.kind != "none":
            capacity[project] = found.to_json()
    return NetworkFacts(outputs=network.outputs, capacity=capacity)


def recommend_tables(kg: KnowledgeGraph, facts: dict[URIRef, ProjectFacts], keep: int = TOP_OUTPUTS_KEPT,
                     network: Callable[[], NetworkFacts] | None = None) -> dict[str, dict]:
    """What kg.recommend needs at any scale: venue impact, every project's popularization capacity from the
    collaboration network (kg.network), and the candidates: the projects behind the `keep` most-cited outputs,
    each a finished entry (candidate_entry), in chunks by pool rank (POOL_CHUNKS). `network`: gives the
    network's facts when they are being built elsewhere (by default they are built here)."""
    from kg.reports import lookup_text

    citations: dict[str, int] = {}
    for s, o in _text_scan(kg, f"?s <{V.citationCount}> ?o"):
        citations[s] = max(citations.get(s, 0), int(o))
    made = network() if network else network_facts(kg)   # asked for as late as possible
    projects_of: dict[str, list[str]] = defaultdict(list)
    for project, outputs in made.outputs.items():
        for output in outputs:
            projects_of[output].append(project)
    by_iri = {str(p): f for p, f in facts.items()}
    ranked = sorted(((-c, o) for o, c in citations.items() if o in projects_of))[:keep]
    first_rank: dict[str, int] = {}  # a project enters the pool with its most-cited output
    for rank, (_, output) in enumerate(ranked):
        for project in sorted(projects_of[output]):
            if project in by_iri:
                first_rank.setdefault(project, rank)
    capacity = made.capacity
    src = CandidateSources(facts={p: _facts_list(by_iri[p]) for p in first_rank},
                           outputs={p: list(made.outputs.get(p, ())) for p in first_rank}, citations=citations,
                           popularized={row[0] for row in kg.rows(prefix_block() + POPULARIZED_OUTPUTS)},
                           venues={}, awards={}, texts=defaultdict(list), capacity=capacity)
    results = {r for p in first_rank if (r := representative_result(p, src)) is not None}
    wanted = set(first_rank) | results
    totals: dict[str, list] = {}
    for s, o in _text_scan(kg, f"?s <{V.venue}> ?o"):
        entry = totals.setdefault(o, [0, 0])
        entry[0] += 1
        entry[1] += citations.get(s, 0)
        if s in results:
            src.venues[s] = min(o, src.venues.get(s, o))
    awards: dict[str, set[str]] = defaultdict(set)
    for s, o in _text_scan(kg, f"?s <{V.award}> ?o"):
        if s in wanted:
            awards[s].add(o)
    src.awards = {s: len(found) for s, found in awards.items()}
    # One index lookup per candidate and result (about 16,000 at 100,000 projects) instead of a scan
    # of every title and keyword (1.5 million values, 34 s there).
    for prop in (V.title, V.keyword):
        for s, found in lookup_text(kg, sorted(wanted), prop).items():
            src.texts[s].extend(found)
    tables = {"venues": {"venues": {v: [n, round(t / n, 2)] for v, (n, t) in totals.items()}}}
    tables.update(capacity_tables(capacity))
    complete = len(ranked) < keep
    start = 0
    for i, end in enumerate(POOL_CHUNKS if keep == TOP_OUTPUTS_KEPT else (keep,)):
        tables[candidates_name(i)] = {
            "start": start, "end": end, "complete": complete, "citations": [-c for c, _ in ranked[start:end]],
            "candidates": [candidate_entry(p, r, src) for p, r in sorted(first_rank.items(), key=lambda pr: (pr[1], pr[0]))
                           if start <= r < end]}
        start = end
    return tables


def capacity_tables(capacity: dict[str, list]) -> dict[str, dict]:
    """The capacity shards (every one, empty or not: a missing table would be recomputed on reading)."""
    tables: dict[str, dict] = {capacity_shard(i): {"projects": {}} for i in range(CAPACITY_SHARDS)}
    for project, found in capacity.items():
        tables[capacity_name(project)]["projects"][project] = found
    return tables


def table_triples(kg: KnowledgeGraph, facts: dict[URIRef, ProjectFacts], works_by_project: dict,
                  network: Callable[[], NetworkFacts] | None = None) -> list[tuple]:
    """The derived triples holding every aggregate table (called by kg.derive.compute with
    the facts of `load_facts`, and what gives the network's facts when they are built apart)."""
    tables = build_tables(kg, facts, popularization_facts(kg, works_by_project))
    tables.update(recommend_tables(kg, facts, network=network))
    triples: list[tuple] = []
    for name, data in sorted(tables.items()):
        node = kg.minter.derived_table(name)
        text = json.dumps({**data, "version": TABLE_VERSION}, ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True)
        triples += [(node, RDF.type, V.AggregateTable), (node, V.aggregateTable, Literal(text))]
    return triples


# ---------------------------------------------------------------------------- gap observations
# The measures of a sp:GapObservation, in the order gap_observations counts them.
GAP_OBSERVATION_MEASURES = (V.projectCount, V.popularizedProjectCount, V.unpopularizedProjectCount,
                            V.noResultsProjectCount)
_STATUS_MEASURE = {"popularized": 1, "unpopularized": 2, "no-results": 3}


def gap_observations(facts: dict[URIRef, ProjectFacts]) -> dict[tuple[URIRef, URIRef, int | None], list[int]]:
    """Project counts per (department, project type, approval year): all, then by status. A project
    stating two departments or types counts under each, as a SPARQL join over them would."""
    cells: dict[tuple[URIRef, URIRef, int | None], list[int]] = defaultdict(lambda: [0] * len(GAP_OBSERVATION_MEASURES))
    for f in facts.values():
        for department in f.department_iris:
            for project_type in f.type_iris:
                counts = cells[(department, project_type, f.year)]
                counts[0] += 1
                counts[_STATUS_MEASURE[f.status]] += 1
    return cells


def observation_triples(kg: KnowledgeGraph, facts: dict[URIRef, ProjectFacts]) -> list[tuple]:
    """The derived sp:GapObservation nodes: a few thousand at any scale, so that SPARQL users
    (docs/queries/gaps-by-department-and-type.rq) count gaps without joining every project."""
    triples: list[tuple] = []
    for (department, project_type, year), counts in gap_observations(facts).items():
        node = kg.minter.gap_observation(department, project_type, year)
        triples += [(node, RDF.type, V.GapObservation), (node, V.gapDepartment, department),
                    (node, V.gapProjectType, project_type)]
        if year is not None:
            triples.append((node, V.gapApprovalYear, Literal(year, datatype=XSD.integer)))
        triples += [(node, measure, Literal(n, datatype=XSD.integer))
                    for measure, n in zip(GAP_OBSERVATION_MEASURES, counts)]
    return triples


# ---------------------------------------------------------------------------- talent-pool observations
# The measures of a sp:TalentPoolObservation, in the order TALENT_BY_EXPERTISE selects them.
TALENT_OBSERVATION_MEASURES = (V.memberCount, V.memberWithWorksCount, V.memberWorkCount)

# Members and their expertise are read by one pattern per subquery and joined by hashing (a
# group would probe an index per member); the type is checked per joined row. Whatever the
# form, this reads every member: 0.8 s at 200,000 projects, which is why it runs here, once
# per refresh, and not per question.
TALENT_BY_EXPERTISE = prefix_block() + """
SELECT ?expertise (COUNT(DISTINCT ?person) AS ?members) (COUNT(DISTINCT ?creator) AS ?withWorks)
       (COUNT(DISTINCT ?work) AS ?works)
WHERE {
  { SELECT ?person WHERE { ?person sp:talentPoolMembership ?membership } }
  { SELECT ?person ?expertise WHERE { ?person sp:expertise ?expertise } }
  ?person a ?class . FILTER(?class = sp:Researcher)
  OPTIONAL {
    SELECT ?person ?work ?creator WHERE {
      { SELECT ?work ?person WHERE { ?work dcterms:creator ?person } }
      { SELECT ?work WHERE { ?work a sp:PopularScienceWork } }
      BIND(?person AS ?creator)
    }
  }
}
GROUP BY ?expertise"""


def talent_observation_triples(kg: KnowledgeGraph) -> list[tuple]:
    """The derived sp:TalentPoolObservation nodes, one per field of expertise members state, so
    that SPARQL users (docs/queries/talent-pool-by-expertise.rq) count the talent pool by field
    without joining every member."""
    triples: list[tuple] = []
    for expertise, *counts in kg.query(TALENT_BY_EXPERTISE):
        node = kg.minter.talent_observation(expertise)
        triples += [(node, RDF.type, V.TalentPoolObservation), (node, V.observedExpertise, expertise)]
        triples += [(node, measure, Literal(int(n), datatype=XSD.integer))
                    for measure, n in zip(TALENT_OBSERVATION_MEASURES, counts)]
    return triples


def read_table(kg: KnowledgeGraph, name: str) -> dict | None:
    node = term_nt(kg.minter.derived_table(name))
    rows = list(kg.query(prefix_block() + f"SELECT ?data WHERE {{ {node} sp:aggregateTable ?data }}"))
    data = json.loads(str(rows[0][0])) if rows else None
    # A table written by an older layout is as good as missing: it is recomputed until the next refresh.
    return data if data is not None and data.get("version") == TABLE_VERSION else None


def table(kg: KnowledgeGraph, name: str) -> dict:
    """A materialized table, or the same table computed now when the derived graph predates it (slow)."""
    found = read_table(kg, name)
    if found is not None:
        return found
    facts = facts_from_derived(kg)
    if name in RECOMMEND_TABLES:
        return recommend_tables(kg, facts)[name]
    pop = popularization_facts(kg, works_from_graph(kg)) if name.startswith("indicators") else \
        PopularizationFacts({}, {}, {}, {})
    return build_tables(kg, facts, pop)[name]
