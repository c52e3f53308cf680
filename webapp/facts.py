"""Aggregates the home and department pages show, read from the derived facts.

Each is a whole-graph GROUP BY (about a second at 100k projects), so pages get them
through ViewState.fact: computed once per publication and view, then served from memory.
"""
from __future__ import annotations

from rdflib import URIRef

from kg import concepts
from kg import vocab as V
from kg.nquads import iri_nt
from kg.stats import CLASS_COUNTS, ENTITY_CLASSES, local_name, people_count
from kg.store import KnowledgeGraph, prefix_block

STATUS_KEYS = {str(V.Popularized): "popularized", str(V.ResultsUnpopularized): "unpopularized",
               str(V.NoKnownResults): "noresults"}
SHOWN_CLASSES = (V.FundedProject, V.Researcher, V.SupportingInstitution, V.ResearchOutput,
                 V.PopularScienceWork, V.TalentPoolMembership)


def departments() -> list:
    """Department concepts in letter order (A … H, then T)."""
    return sorted(concepts.members(V.DepartmentScheme), key=lambda d: concepts.notation(d))


def department_by_letter(letter: str):
    for dept in departments():
        if concepts.notation(dept).upper() == letter.upper():
            return dept
    return None


def class_counts(kg: KnowledgeGraph) -> dict[str, int]:
    """Records per shown class; Researcher counts people, not their IRIs: after linking, the
    mentions of one person in several sources are several IRIs joined by owl:sameAs."""
    values = " ".join(f"<{c}>" for c in ENTITY_CLASSES)
    found = {local_name(row[0]): int(row[1]) for row in kg.query(CLASS_COUNTS % values)}
    found[local_name(V.Researcher)] = people_count(kg)
    return {local_name(c): found.get(local_name(c), 0) for c in SHOWN_CLASSES}


def projects_by_department(kg: KnowledgeGraph) -> dict[str, int]:
    rows = kg.select(prefix_block() + """SELECT ?d (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?p a sp:FundedProject ; sp:department ?d } GROUP BY ?d""")
    return {str(r["d"]): int(r["n"]) for r in rows}


def projects_by_year(kg: KnowledgeGraph, department=None) -> list[tuple[str, int]]:
    scope = f"?p sp:department {iri_nt(str(department))} ." if department is not None else ""
    rows = kg.select(prefix_block() + f"""SELECT ?y (COUNT(DISTINCT ?p) AS ?n) WHERE {{
        ?p a sp:FundedProject ; sp:approvalYear ?y . {scope} }} GROUP BY ?y ORDER BY ?y""")
    return [(str(r["y"]), int(r["n"])) for r in rows]


def coverage_by_department(kg: KnowledgeGraph) -> dict[str, dict[str, int]]:
    rows = kg.select(prefix_block() + """SELECT ?d ?s (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?p sp:popularizationStatus ?s ; sp:department ?d } GROUP BY ?d ?s""")
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(str(r["d"]), {})[STATUS_KEYS.get(str(r["s"]), "other")] = int(r["n"])
    return out


def coverage_by_tier(kg: KnowledgeGraph) -> dict[str, dict[str, int]]:
    rows = kg.select(prefix_block() + """SELECT ?t ?s (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?p sp:popularizationStatus ?s ; sp:obligationTier ?t } GROUP BY ?t ?s""")
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(str(r["t"]), {})[STATUS_KEYS.get(str(r["s"]), "other")] = int(r["n"])
    return out


COVERAGE_COLUMNS = ("popularized", "unpopularized", "noresults", "other")


def coverage_report(data: dict, lang: str):
    """Home facts' coverage counts as a report table (by department) with the tiers as its part:
    what the coverage CSV and XLSX downloads hold."""
    from kg.reports import Report
    from webapp.i18n import translate

    def rows(counts: dict[str, dict[str, int]]) -> list[list]:
        return [[concepts.notation(URIRef(key)), concepts.pref_label(URIRef(key), lang),
                 *(n.get(c, 0) for c in COVERAGE_COLUMNS), sum(n.values())]
                for key, n in sorted(counts.items(), key=lambda kv: concepts.notation(URIRef(kv[0])))]

    columns = ["group", "label", *COVERAGE_COLUMNS, "projects"]
    # The downloads are titled as the home page's charts are.
    tiers = Report("coverage-tier", translate(lang, "home.coverage_tier"), columns, rows(data["coverage_tier"]))
    return Report("coverage-department", translate(lang, "home.coverage"), columns,
                  rows(data["coverage_department"]), notes=[translate(lang, "home.coverage_note")], parts=[tiers])


def home_facts(kg: KnowledgeGraph) -> dict:
    return {
        "classes": class_counts(kg),
        "by_department": projects_by_department(kg),
        "by_year": projects_by_year(kg),
        "coverage_department": coverage_by_department(kg),
        "coverage_tier": coverage_by_tier(kg),
    }


def department_facts(kg: KnowledgeGraph, department) -> dict:
    dept = iri_nt(str(department))
    status = kg.select(prefix_block() + f"""SELECT ?s (COUNT(DISTINCT ?p) AS ?n) WHERE {{
        ?p sp:department {dept} ; sp:popularizationStatus ?s }} GROUP BY ?s""")
    institutions = kg.select(prefix_block() + f"""SELECT ?org (SAMPLE(?name) AS ?label) (COUNT(DISTINCT ?p) AS ?n) WHERE {{
        ?p sp:department {dept} ; sp:hostedBy ?org . OPTIONAL {{ ?org schema:name ?name }}
    }} GROUP BY ?org ORDER BY DESC(?n) LIMIT 10""")
    gaps = kg.select(prefix_block() + f"""SELECT ?p (SAMPLE(?t) AS ?title) (SAMPLE(?y) AS ?year) (SAMPLE(?o) AS ?outputs) WHERE {{
        ?p sp:department {dept} ; sp:obligationTier sp:TierObliged ;
           sp:popularizationStatus sp:ResultsUnpopularized .
        OPTIONAL {{ ?p dcterms:title ?t }} OPTIONAL {{ ?p sp:approvalYear ?y }} OPTIONAL {{ ?p sp:outputCount ?o }}
    }} GROUP BY ?p ORDER BY DESC(?year) LIMIT 25""")
    counts = {STATUS_KEYS.get(str(r["s"]), "other"): int(r["n"]) for r in status}
    return {
        "status": counts,
        "projects": sum(counts.values()),
        "by_year": projects_by_year(kg, department),
        "institutions": [{"iri": str(r["org"]), "label": str(r.get("label", r["org"])), "n": int(r["n"])}
                         for r in institutions],
        "gaps": [{"iri": str(r["p"]), "title": str(r.get("title", r["p"])), "year": str(r.get("year", "")),
                  "outputs": int(r["outputs"]) if "outputs" in r else 0} for r in gaps],
    }
