"""Gap and compliance reports: which funded results never reached the public, and which
projects owe the public an account of their results.

One implementation, used by the CLI, the web and the exports: each function takes a
KnowledgeGraph (the staff store or the public view: the same graphs, different data) and
returns a `Report` of plain values. Every item row says why it is in the report — which
links exist and which are missing — so a person can check it.

Counts come from the aggregate tables kg.rollup materializes with the derived facts (one
statement per report, whatever the graph's size). Drill-downs query one group, with the
group's value bound and the derived facts (sp:popularizationStatus, sp:outputCount,
sp:popularizedOutputCount, sp:isPopularized) instead of negation over the whole graph,
and read each item's properties one predicate at a time (`lookup`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg import concepts, rollup
from kg.texts import count, say
from kg import vocab as V
from kg.errors import ScipopError
from kg.nquads import term_nt
from kg.patterns import values_batches
from kg.store import KnowledgeGraph, prefix_block

DEFAULT_ITEM_LIMIT = 50  # items per kind a drill-down lists by default; exports ask for all (limit 0)


class InvalidReport(ScipopError):
    code = "invalid_report"


@dataclass
class Report:
    """A table of plain values (str, int, float, None) with its notes; `parts` are further tables."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)
    parts: list["Report"] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "columns": self.columns, "rows": self.records(),
                "notes": self.notes, "parts": [part.to_json() for part in self.parts]}

    def all_tables(self) -> list["Report"]:
        """This table and every part, depth first: what an export writes."""
        return [self] + [table for part in self.parts for table in part.all_tables()]


# ---------------------------------------------------------------------------- dimensions
@dataclass(frozen=True)
class Dimension:
    """A way to group projects: its name (as in kg.rollup) and controlled list, if any."""

    name: str
    scheme: URIRef | None = None
    predicate: URIRef | None = None   # project -> group value, for drill-downs


DIMENSIONS: dict[str, Dimension] = {
    "department": Dimension("department", V.DepartmentScheme, V.department),
    "code": Dimension("code"),
    "type": Dimension("type", V.ProjectTypeScheme, V.projectType),
    "tier": Dimension("tier", V.ObligationTierScheme, V.obligationTier),
    "institution": Dimension("institution", None, V.hostedBy),
    "year": Dimension("year", None, V.approvalYear),
}


def dimension_label(dim: Dimension, lang: str) -> str:
    """'department', '科学部': a grouping's name in titles and messages."""
    return say(f"dim.{dim.name}", lang)


def dimension(name: str, allowed: tuple[str, ...] | None = None) -> Dimension:
    names = allowed or tuple(DIMENSIONS)
    if name not in names:
        raise InvalidReport(f"Cannot group this report by '{name}'.", f"Use one of: {', '.join(names)}.")
    return DIMENSIONS[name]


def year_pattern(year: int | None) -> str:
    """A triple pattern restricting ?p to one approval year (matched on the typed literal, so the index is used)."""
    if year is None:
        return ""
    return f"?p sp:approvalYear {term_nt(Literal(int(year), datatype=XSD.integer))} ."


def year_key(year: int | None) -> str:
    return rollup.ALL_YEARS if year is None else str(int(year))


class Labeler:
    """Group keys of the aggregate tables (notations, IRIs, codes, years) -> labels in `lang`."""

    def __init__(self, kg: KnowledgeGraph, dim: Dimension | None, lang: str = "zh") -> None:
        self.dim = dim
        self.lang = lang
        self._names = rollup.table(kg, "institution-labels")["labels"] if dim and dim.name == "institution" else {}

    def label(self, key: str) -> str:
        if self.dim is None:
            return say("all_projects", self.lang)
        if self.dim.scheme is not None:
            concept = concepts.lookup(self.dim.scheme, key)
            return concepts.pref_label(concept, self.lang) if concept is not None else key
        return self._names.get(key, key)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# ---------------------------------------------------------------------------- gaps
GAP_COLUMNS = ["group", "label", "projects", "projects_with_results", "projects_unpopularized",
               "unpopularized_pct", "outputs", "outputs_unpopularized"]


def gap_report(kg: KnowledgeGraph, by: str = "department", year: int | None = None, lang: str = "zh") -> Report:
    """Unpopularized results per group: projects with results and no approved work, and outputs no work popularizes."""
    dim = dimension(by)
    labeler = Labeler(kg, dim, lang)
    data = rollup.table(kg, rollup.table_name("gaps", dim.name))
    rows = []
    for group, years in data["groups"].items():
        counts = years.get(year_key(year))
        if counts is None:
            continue
        projects, with_results, unpop, outputs, unpop_outputs = counts
        rows.append([group, labeler.label(group), projects, with_results, unpop, _pct(unpop, with_results), outputs,
                     unpop_outputs])
    rows.sort(key=lambda r: (-r[4], r[0]))
    title = say("gaps.title.year" if year is not None else "gaps.title", lang, dim=dimension_label(dim, lang), year=year)
    return Report(key="gaps", title=title, columns=GAP_COLUMNS, rows=rows,
                  notes=[say(key, lang) for key in ("gaps.note.project", "gaps.note.output", "gaps.note.pct",
                                                    "gaps.note.drill")])


def group_pattern(kg: KnowledgeGraph, dim: Dimension, key: str) -> str:
    """A SPARQL pattern that binds ?p to the projects of one group, with the group's value bound (index lookups)."""
    text = key.strip()
    if dim.name == "code":
        codes = [s for s, o in kg.query(prefix_block() + "SELECT ?s ?o WHERE { ?s a sp:ApplicationCode ; skos:notation ?o }")
                 if str(o).upper().startswith(text.upper())]
        if not codes or len(text) < 1:
            raise InvalidReport(f"No application code starts with '{key}'.", "List the groups with by=code (--by code on the command line).")
        return f"VALUES ?code {{ {' '.join(term_nt(c) for c in codes)} }} ?p sp:applicationCode ?code ."
    if dim.name == "year":
        if not text.isdigit():
            raise InvalidReport(f"'{key}' is not a year.", "Give an approval year such as 2020.")
        value = term_nt(Literal(int(text), datatype=XSD.integer))
    elif dim.scheme is not None:
        concept = concepts.lookup(dim.scheme, text)
        if concept is None:
            raise InvalidReport(f"'{key}' is not a known {dimension_label(dim, 'en')}.", f"List the groups with by={dim.name} (--by {dim.name} on the command line).")
        value = term_nt(concept)
    else:  # institution: its IRI or its name
        iri = text if text.startswith(("http://", "https://")) else _institution_by_name(kg, text)
        if iri is None:
            raise InvalidReport(f"'{key}' is not a known supporting institution.",
                                "Give its IRI or its name as the report by institution lists it.")
        value = term_nt(URIRef(iri))
    return f"?p {term_nt(dim.predicate)} {value} ."


def _institution_by_name(kg: KnowledgeGraph, name: str) -> str | None:
    found = sorted(iri for iri, label in rollup.table(kg, "institution-labels")["labels"].items() if label == name)
    return found[0] if found else None


# No ORDER BY: the engine stops after `limit` matches instead of reading the whole group;
# the page is then sorted here, and the note says how many there are in all.
GAP_PROJECT_ITEMS = """
SELECT DISTINCT ?p ?n ?pn WHERE {
  %(group)s %(year)s
  ?p sp:popularizationStatus sp:ResultsUnpopularized ; sp:outputCount ?n ; sp:popularizedOutputCount ?pn .
} LIMIT %(limit)d"""

# Outputs that no approved work popularizes, of the group's projects (popularized projects too:
# a project can have one popularized output and others that never reached the public).
GAP_OUTPUT_ITEMS = """
SELECT DISTINCT ?o ?p WHERE {
  %(group)s %(year)s
  ?o sp:resultOf ?p ; sp:isPopularized false .
} LIMIT %(limit)d"""

ITEM_COLUMNS = ["kind", "iri", "id", "title", "department", "project_type", "tier", "institution", "approval_year",
                "why", "curation"]


def gap_items(kg: KnowledgeGraph, by: str, value: str, year: int | None = None, limit: int = DEFAULT_ITEM_LIMIT,
              lang: str = "zh") -> Report:
    """The unpopularized projects and outputs of one group, each with why it is listed (drill-down)."""
    dim = dimension(by)
    limit = limit if limit and limit > 0 else 10**9
    args = {"group": group_pattern(kg, dim, value), "year": year_pattern(year), "limit": limit}
    projects = [(p, int(n), int(pn)) for p, n, pn in kg.rows(prefix_block() + GAP_PROJECT_ITEMS % args)]
    outputs = [(o, p) for o, p in kg.rows(prefix_block() + GAP_OUTPUT_ITEMS % args)]
    facts = project_facts(kg, [p for p, _, _ in projects] + [p for _, p in outputs], lang)
    pending = pending_works(kg, [p for p, _, _ in projects] + [o for o, _ in outputs])
    curation = _curation_texts(kg, lang)
    rows = []
    for project, n, pn in sorted(projects, key=lambda t: (-t[1], facts.get(str(t[0]), {}).get("id", str(t[0])))):
        f = facts.get(str(project), {})
        why = say("gaps.why.project", lang, outputs=count("n.outputs", n, lang))
        rows.append(_item_row("project", project, f, why + _pending_note(pending.get(str(project), 0), lang), curation))
    output_facts = output_details(kg, [o for o, _ in outputs], lang)
    for output, project in sorted(outputs, key=lambda t: (facts.get(str(t[1]), {}).get("id", ""), str(t[0]))):
        f = facts.get(str(project), {})
        o = output_facts.get(str(output), {})
        why = say("gaps.why.output", lang, project=f.get("id", project),
                  link=o.get("link") or say("gaps.link.direct", lang))
        row = _item_row("output", output, f, why + _pending_note(pending.get(str(output), 0), lang), curation)
        row[2], row[3] = o.get("id", ""), o.get("title", "")
        rows.append(row)
    summary = {r[0]: r for r in gap_report(kg, by=by, year=year, lang=lang).rows}
    total = summary.get(_summary_key(kg, dim, value))
    notes = [say("gaps.note.pending", lang)]
    if limit < 10**9:
        listed = {"listed_projects": count("n.projects", limit, lang), "listed_outputs": count("n.outputs", limit, lang)}
        notes.insert(0, say("gaps.note.limit", lang, **listed, projects=count("n.projects", total[4], lang),
                            outputs=count("n.outputs", total[7], lang)) if total
                     else say("gaps.note.limit.plain", lang, **listed))
    return Report(key="gap-items", title=say("gaps.items.title.year" if year is not None else "gaps.items.title", lang,
                                             group=_group_name(kg, dim, value, lang), year=year),
                  columns=ITEM_COLUMNS, rows=rows, notes=notes)


def _group_name(kg: KnowledgeGraph, dim: Dimension, value: str, lang: str) -> str:
    """'生命科学部', '北京大学', 'application code C05': a drill-down's group as its title names it."""
    if dim.scheme is not None or dim.name == "institution":
        return Labeler(kg, dim, lang).label(_summary_key(kg, dim, value))
    return f"{dimension_label(dim, lang)} {value.strip().upper()}"


def _summary_key(kg: KnowledgeGraph, dim: Dimension, value: str) -> str:
    """The aggregate table's key of a group the user named."""
    text = value.strip()
    if dim.scheme is not None:
        concept = concepts.lookup(dim.scheme, text)
        return concepts.notation(concept) if concept is not None else text
    if dim.name == "institution" and not text.startswith(("http://", "https://")):
        return _institution_by_name(kg, text) or text
    return text.upper() if dim.name == "code" else text


def _pending_note(works: int, lang: str) -> str:
    return say("separator", lang) + count("n.pending", works, lang) if works else ""


def _item_row(kind: str, iri, facts: dict, why: str, curation: dict[str, str]) -> list[Any]:
    return [kind, str(iri), facts.get("id", ""), facts.get("title", ""), facts.get("department", ""),
            facts.get("type", ""), facts.get("tier", ""), facts.get("institution", ""), facts.get("year"), why,
            curation.get(str(facts.get("iri", iri)), "")]


BATCH = 500   # subjects per VALUES-bound lookup (kg.patterns.values_batches)


def _lookup_queries(subjects, predicate: URIRef, select: str = "?s ?o"):
    """The batched VALUES queries behind the lookups: one index lookup per subject. (With several
    OPTIONALs in one query the engine may instead join each against every statement of the predicate.)"""
    for values in values_batches(subjects, BATCH):
        yield f"SELECT {select} WHERE {{ VALUES ?s {{ {values} }} ?s {term_nt(predicate)} ?o }}"


def lookup(kg: KnowledgeGraph, subjects, predicate: URIRef) -> dict[str, list]:
    """Subject -> its values of one predicate (rdflib terms), for many subjects at once."""
    found: dict[str, list] = {}
    for query in _lookup_queries(subjects, predicate):
        for s, o in kg.query(query):
            found.setdefault(str(s), []).append(o)
    return found


def lookup_text(kg: KnowledgeGraph, subjects, predicate: URIRef) -> dict[str, list[str]]:
    """As `lookup`, with each value as text (an IRI, or a literal's lexical form), read without rdflib's
    per-term conversion (kg.rows): for values whose datatype and language the caller does not need."""
    found: dict[str, list[str]] = {}
    for query in _lookup_queries(subjects, predicate):
        for s, o in kg.rows(query):
            found.setdefault(s, []).append(o)
    return found


def lookup_texts_in_languages(kg: KnowledgeGraph, subjects, predicate: URIRef) -> dict[str, list[Literal]]:
    """As `lookup`, for language-tagged texts (titles, names): read as text and tag (kg.rows), which is
    cheaper than rdflib's conversion of every term."""
    found: dict[str, list[Literal]] = {}
    for query in _lookup_queries(subjects, predicate, select="?s ?o (LANG(?o) AS ?lang)"):
        for s, o, lang in kg.rows(query):
            found.setdefault(s, []).append(Literal(o, lang=lang or None))
    return found


PROJECT_PROPERTIES = {"id": V.approvalNumber, "department": V.department, "type": V.projectType,
                      "tier": V.obligationTier, "institution": V.hostedBy, "year": V.approvalYear}


def project_facts(kg: KnowledgeGraph, projects: list, lang: str = "zh") -> dict[str, dict[str, Any]]:
    """Identifier, title (in `lang` when there is one), department, type, tier, institution and year per project."""
    if not projects:
        return {}
    names = rollup.table(kg, "institution-labels")["labels"]
    titles = lookup_texts_in_languages(kg, projects, V.title)
    values = {key: lookup_text(kg, projects, prop) for key, prop in PROJECT_PROPERTIES.items()}
    show = {"id": str, "department": concepts.notation, "type": lambda t: concepts.pref_label(t, lang),
            "tier": concepts.notation, "institution": lambda i: names.get(i, i), "year": int}
    facts: dict[str, dict[str, Any]] = {}
    for p in dict.fromkeys(str(p) for p in projects):
        f = facts[p] = {"iri": p, "title": pick_text(titles.get(p, []), lang)}
        for key, render in show.items():
            found = sorted(values[key].get(p, []))
            if found:
                f[key] = render(found[0])
    return facts


def pick_text(literals: list, lang: str = "zh") -> str:
    """One of several language-tagged texts: the `lang` one if any, then the smallest, so the choice is stable."""
    if not literals:
        return ""
    preferred = sorted(str(t) for t in literals if getattr(t, "language", None) == lang)
    return preferred[0] if preferred else sorted(str(t) for t in literals)[0]


RESULT_LINKS = """
SELECT ?o ?method ?confidence WHERE {
  VALUES ?o { %s }
  ?l sp:linkSubject ?o ; sp:linkRelation sp:resultOf ; sp:linkMethod ?method ; sp:confidence ?confidence .
}"""


def output_details(kg: KnowledgeGraph, outputs: list, lang: str = "zh") -> dict[str, dict[str, Any]]:
    """DOI, title and how the output's link to its project is known (strongest method first)."""
    dois, titles = lookup_text(kg, outputs, V.doi), lookup_texts_in_languages(kg, outputs, V.title)
    methods: dict[str, set] = {}
    for values in values_batches(outputs, BATCH):
        for o, method, confidence in kg.rows(prefix_block() + RESULT_LINKS % values):
            said = say("gaps.link", lang, method=concepts.pref_label(method, lang), confidence=float(confidence))
            methods.setdefault(o, set()).add((_method_rank(method), said))
    details: dict[str, dict[str, Any]] = {}
    for o in dict.fromkeys(str(o) for o in outputs):
        best = sorted(methods.get(o, ()))
        details[o] = {"id": min((str(d) for d in dois.get(o, [])), default=""),
                      "title": pick_text(titles.get(o, []), lang),
                      "link": best[0][1] if best else ""}
    return details


@lru_cache(maxsize=None)
def _method_rank(method: str) -> int:
    rank = concepts.ontology_graph().value(URIRef(method), V.rank)
    return int(rank) if rank is not None else 99


PENDING = """
SELECT ?target (COUNT(DISTINCT ?w) AS ?n) WHERE {
  VALUES ?target { %s }
  ?w sp:popularizes ?target ; a sp:PopularScienceWork ; sp:reviewStatus ?status .
  FILTER(?status != sp:Approved)
} GROUP BY ?target"""


def pending_works(kg: KnowledgeGraph, targets: list) -> dict[str, int]:
    """Works not (yet) approved that name each project or output; none in the public view."""
    found: dict[str, int] = {}
    for values in values_batches(targets, BATCH):
        for target, n in kg.rows(prefix_block() + PENDING % values):
            found[target] = int(n)
    return found


def _curation_texts(kg: KnowledgeGraph, lang: str) -> dict[str, str]:
    from kg.curation import curation_by_project

    return {project: c.describe(lang) for project, c in curation_by_project(kg).items()}


# ---------------------------------------------------------------------------- compliance
COMPLIANCE_COLUMNS = ["group", "label", "tier", "projects", "not_popularized", "not_popularized_pct",
                      "results_unpopularized", "concluded", "concluded_without_popularization_field"]
COMPLIANCE_GROUPINGS = ("department", "institution", "code", "type", "year")


def compliance_report(kg: KnowledgeGraph, by: str | None = None, year: int | None = None,
                      limit: int = DEFAULT_ITEM_LIMIT, lang: str = "zh") -> Report:
    """Obliged-tier projects without any popularization and concluded projects whose report lacks the
    popularization field; the encouraged tier is reported separately (its own rows and item list)."""
    dim = dimension(by, COMPLIANCE_GROUPINGS) if by else None
    labeler = Labeler(kg, dim, lang)
    data = rollup.table(kg, rollup.table_name("compliance", dim.name if dim else "all"))
    rows = []
    for key, years in data["groups"].items():
        counts = years.get(year_key(year))
        if counts is None:
            continue
        group, _, tier = key.rpartition("|")
        projects, not_pop, unpop, concluded, nofield = counts
        rows.append([group, labeler.label(group), tier, projects, not_pop, _pct(not_pop, projects), unpop, concluded,
                     nofield])
    tier_order = {"obliged": 0, "encouraged": 1}
    rows.sort(key=lambda r: (tier_order.get(r[2], 9), -r[4], r[0]))
    key = ("compliance.title.by" if dim else "compliance.title") + (".year" if year is not None else "")
    title = say(key, lang, year=year, dim=dimension_label(dim, lang) if dim else None)
    report = Report(key="compliance", title=title, columns=COMPLIANCE_COLUMNS, rows=rows,
                    notes=[say(key, lang) for key in ("compliance.note.tiers", "compliance.note.not_popularized",
                                                      "compliance.note.field")])
    for tier in (V.TierObliged, V.TierEncouraged):
        report.parts.append(compliance_items(kg, tier, year=year, limit=limit, lang=lang))
    return report


def compliance_items(kg: KnowledgeGraph, tier: URIRef, year: int | None = None, limit: int = DEFAULT_ITEM_LIMIT,
                     lang: str = "zh") -> Report:
    """The projects of one tier that fail a check, each with which links exist and which are missing."""
    limit = limit if limit and limit > 0 else 10**9
    listed = _failing_materialized(kg, tier, year, limit, lang) if limit <= rollup.COMPLIANCE_ITEMS_KEPT else None
    found, facts, pending = listed if listed is not None else _failing_from_store(kg, tier, year, limit, lang)
    curation = _curation_texts(kg, lang)
    rows = []
    for iri in sorted(found, key=lambda i: facts.get(i, {}).get("id", i)):
        f, p = found[iri], facts.get(iri, {})
        no_field = f["concluded"] and not f["field"]
        concluded = ("compliance.why.concluded.no_field" if no_field else "compliance.why.concluded.field") \
            if f["concluded"] else "compliance.why.open"
        why = say("separator", lang).join([
            say("compliance.why.tier", lang, tier=concepts.pref_label(tier, lang), type=p.get("type", "?")),
            _status_reason(f["status"], f["outputs"], lang), say(concluded, lang)])
        rows.append([iri, p.get("id", ""), p.get("title", ""), p.get("department", ""), p.get("type", ""),
                     p.get("institution", ""), p.get("year"), f["status"] != V.Popularized, no_field,
                     why + _pending_note(pending.get(iri, 0), lang), curation.get(iri, "")])
    if limit >= 10**9:
        notes = [say("compliance.note.all", lang)]
    else:
        notes = [say("compliance.note.first" if listed is not None else "compliance.note.some", lang,
                     projects=count("n.projects", limit, lang))]
    return Report(key=f"compliance-{concepts.notation(tier)}",
                  title=say("compliance.items.title", lang, tier=concepts.pref_label(tier, lang)),
                  columns=COMPLIANCE_ITEM_COLUMNS, rows=rows, notes=notes)


_STATUS_TERMS = {"popularized": V.Popularized, "unpopularized": V.ResultsUnpopularized, "no-results": V.NoKnownResults}


def _failing_materialized(kg: KnowledgeGraph, tier: URIRef, year: int | None, limit: int, lang: str):
    """(checks, facts, pending works) of the first `limit` failing projects, from kg.rollup's compliance-items table."""
    data = rollup.table(kg, "compliance-items")
    iris = data["lists"].get(f"{concepts.notation(tier)}|{year_key(year)}", [])[:limit]
    names = rollup.table(kg, "institution-labels")["labels"] if iris else {}
    found, facts, pending = {}, {}, {}
    for iri in iris:
        d = data["projects"][iri]
        found[iri] = {"status": _STATUS_TERMS[d["status"]], "outputs": d["outputs"], "concluded": d["concluded"],
                      "field": d["field"]}
        kind = concepts.lookup(V.ProjectTypeScheme, d["type"]) if d["type"] else None
        f = facts[iri] = {"iri": iri, "id": d["id"], "title": d["title"].get(lang, d["title"]["zh"]), "tier":
                          concepts.notation(tier)}
        for key, value in (("department", d["department"]), ("type", concepts.pref_label(kind, lang) if kind else None),
                           ("institution", names.get(d["institution"], d["institution"]) if d["institution"] else None),
                           ("year", d["year"])):
            if value is not None:
                f[key] = value
        pending[iri] = d["pending"]
    return found, facts, pending


# Projects of a tier failing either check. No ORDER BY, so the engine stops at the limit.
COMPLIANCE_ITEMS = """
SELECT DISTINCT ?p WHERE {
  { ?p sp:obligationTier %(tier)s ; sp:popularizationStatus sp:ResultsUnpopularized . %(year)s }
  UNION { ?p sp:obligationTier %(tier)s ; sp:popularizationStatus sp:NoKnownResults . %(year)s }
  UNION { ?p sp:obligationTier %(tier)s ; sp:concluded true . %(year)s
          OPTIONAL { ?p sp:popularizationReport ?r } FILTER(!BOUND(?r)) }
} LIMIT %(limit)d"""

COMPLIANCE_ITEM_COLUMNS = ["iri", "id", "title", "department", "project_type", "institution", "approval_year",
                           "not_popularized", "concluded_without_field", "why", "curation"]


def _failing_from_store(kg: KnowledgeGraph, tier: URIRef, year: int | None, limit: int, lang: str):
    """(checks, facts, pending works) of up to `limit` failing projects, queried now (exports list them all)."""
    args = {"tier": term_nt(tier), "year": year_pattern(year), "limit": limit}
    iris = list(dict.fromkeys(str(row[0]) for row in kg.query(prefix_block() + COMPLIANCE_ITEMS % args)))
    status, outputs = lookup(kg, iris, V.popularizationStatus), lookup(kg, iris, V.outputCount)
    concluded, field = lookup(kg, iris, V.concluded), lookup(kg, iris, V.popularizationReport)
    found = {p: {"status": status[p][0], "outputs": int(outputs.get(p, [0])[0]),
                 "concluded": any(bool(c.toPython()) for c in concluded.get(p, [])), "field": p in field}
             for p in iris if p in status}
    return found, project_facts(kg, list(found), lang), pending_works(kg, list(found))


def _status_reason(status, outputs: int, lang: str) -> str:
    if status == V.ResultsUnpopularized:
        return say("status.unpopularized", lang, outputs=count("n.outputs", outputs, lang))
    if status == V.NoKnownResults:
        return say("status.no_results", lang)
    return say("status.popularized", lang)


REPORTS = ("gaps", "compliance", "indicators", "curation")


def curation_report(kg: KnowledgeGraph, lang: str = "zh") -> Report:
    """Every curation decision the view holds, oldest first: who decided what about which project, and when."""
    from kg.curation import decisions

    found = decisions(kg)
    facts = project_facts(kg, [d.project for d in found], lang)
    rows = [[d.at, d.kind, d.project, facts.get(d.project, {}).get("id", ""),
             facts.get(d.project, {}).get("title", ""), d.department or None,
             None if d.selected is None else ("selected" if d.selected else "rejected"), d.curator] for d in found]
    return Report(key="curation", title=say("curation.title", lang),
                  columns=["at", "kind", "iri", "id", "title", "department", "decision", "by"], rows=rows,
                  notes=[say("curation.note.latest", lang), say("curation.note.internal", lang)])
