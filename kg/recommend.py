"""Recommendations for the special popularization fund: an explainable, reproducible ranking.

Each candidate is a funded project with its representative result (its most-cited output that
no approved work popularizes, else its most-cited output; of the outputs with a known citation
count). Its score is the sum of weighted
factors, each factor a value in [0, 1]:

- significance: the representative result's citations (saturating at CITATION_SATURATION),
  its venue's impact (mean citations of the venue's outputs), awards, and a department's
  "representative achievement" flag (kg.curation);
- gap: nothing has reached the public (1), or the project is popularized but its
  representative result is not (0.5);
- tier: the project's obligation tier (obliged 1, encouraged 0.5, other 0.25);
- timeliness: fit of the project's and result's titles and keywords to a theme text
  (Chinese character bigrams and English words, cosine over the two sets, relative to the
  best-fitting candidate; kg.textfit, token sets precomputed by kg.rollup); 0 without a theme;
- capacity: someone able to popularize it: the PI created approved works (1), a member or
  co-author did (0.75), or the team is 1 or 2 collaboration hops from such a person (0.5,
  0.25), from kg.network.

The top list is diversified: at most ceil(top / 3) projects per department, unless fewer
departments have candidates. Ties break on the project IRI, so the same graph and the same
arguments always give the same list. The definitions are in docs/indicators.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rdflib import URIRef

from kg import concepts
from kg import vocab as V
from kg.capacity import Capacity
from kg.errors import ScipopError
from kg.patterns import values_batches
from kg.reports import lookup, pick_text
from kg.store import KnowledgeGraph, prefix_block
from kg.textfit import similarity, tokens
from kg.texts import count, say

FACTORS = ("significance", "gap", "tier", "timeliness", "capacity")
DEFAULT_WEIGHTS: dict[str, float] = {"significance": 0.35, "gap": 0.2, "tier": 0.1, "timeliness": 0.15,
                                     "capacity": 0.2}
CITATION_SATURATION = 1000   # a result cited this often (or more) has full citation significance
TIER_VALUE = {V.TierObliged: 1.0, V.TierEncouraged: 0.5, V.TierOther: 0.25}
CAPACITY_BY_HOPS = {1: 0.5, 2: 0.25}  # hops from the team to the nearest popularizer
SIGNIFICANCE_PARTS = {"citations": 0.7, "venue": 0.1, "awards": 0.1, "representative": 0.3}


class InvalidRecommendation(ScipopError):
    code = "invalid_recommendation"


def parse_weights(text: str | None) -> dict[str, float]:
    """'significance=0.5,gap=0.3' -> the default weights with those replaced."""
    weights = dict(DEFAULT_WEIGHTS)
    if not text:
        return weights
    for part in text.split(","):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in weights:
            raise InvalidRecommendation(f"'{name}' is not a factor.", f"Use factors among: {', '.join(FACTORS)}.")
        try:
            weights[name] = float(value)
        except ValueError:
            raise InvalidRecommendation(f"The weight of {name} ('{value.strip()}') is not a number.",
                                        "Write weights as name=number, e.g. significance=0.5,gap=0.3.") from None
        if weights[name] < 0 or math.isnan(weights[name]):
            raise InvalidRecommendation(f"The weight of {name} is negative.", "Use weights of 0 or more.")
    return weights


# ---------------------------------------------------------------------------- data
@dataclass
class Candidate:
    iri: str
    department: str = ""
    year: int | None = None
    tier: URIRef | None = None
    status: URIRef | None = None
    outputs: int = 0
    result: dict[str, Any] = field(default_factory=dict)   # representative result: iri, title, doi, citations, venue
    representative: list[str] = field(default_factory=list)  # departments' flags, described
    awards: int = 0
    label: str = ""
    id: str = ""
    words: str = ""                                          # theme tokens, space-separated (kg.textfit)
    text: set[str] = field(default_factory=set)
    capacity: Capacity | None = None                         # None: no popularizer within reach
    capacity_people: list[str] = field(default_factory=list)  # who the capacity reason names
    factors: dict[str, float] = field(default_factory=dict)   # factor -> value in [0, 1]
    reasons: list[str] = field(default_factory=list)
    curation: str = ""   # what curators said, described in the list's language
    score: float = 0.0

    def to_json(self, weights: dict[str, float]) -> dict[str, Any]:
        return {"iri": self.iri, "kind": "project", "id": self.id, "label": self.label, "department": self.department,
                "approval_year": self.year, "score": round(self.score, 4),
                "factors": {name: round(weights[name] * self.factors.get(name, 0.0), 4) for name in FACTORS},
                "values": {name: round(self.factors.get(name, 0.0), 4) for name in FACTORS},
                "reasons": self.reasons, "result": self.result or None,
                "curation": self.curation or None}


@dataclass
class Recommendation:
    items: list[Candidate]
    weights: dict[str, float]
    candidates: int
    theme: str | None
    notes: list[str]

    def to_json(self) -> list[dict[str, Any]]:
        return [item.to_json(self.weights) for item in self.items]


# ---------------------------------------------------------------------------- queries
# Flagged projects outside the materialized pool are read one property at a time with VALUES-bound
# queries (kg.reports.lookup): a few index lookups per project, whatever the size of the graph.
def _batched(kg: KnowledgeGraph, template: str, iris, size: int = 400):
    for values in values_batches(iris, size):
        yield from kg.select(prefix_block() + template % values)


# ---------------------------------------------------------------------------- the ranking
DEFAULT_POOL = 2000  # most-cited outputs whose projects are scored (grown when filters leave too few)


def recommend(kg: KnowledgeGraph, top: int = 20, theme: str | None = None, department: str | None = None,
              year: int | None = None, weights: dict[str, float] | None = None, network=None,
              include_decided: bool = False, pool: int = DEFAULT_POOL, lang: str = "zh") -> Recommendation:
    """The `top` projects to recommend for the special popularization fund, each with its factors and reasons.

    Candidates are the projects behind the `pool` most-cited research outputs (more when filters leave
    fewer than `top`) plus every project a department flagged as a representative achievement. Each
    candidate's facts, representative result, capacity and theme tokens come from the tables kg.rollup
    materializes after each ingest, so a request scores them without a lookup per candidate; pass
    `network` (a kg.network.CollaborationNetwork of the same view) to compute capacity from it instead.
    """
    from kg import curation as C

    if top < 1:
        raise InvalidRecommendation("--top must be at least 1.", "Ask for --top 20, for example.")
    weights = dict(weights or DEFAULT_WEIGHTS)
    dept = _department(department)
    curated = C.curation_by_project(kg)
    candidates, threshold = _pool(kg, top, dept, year, pool, curated, include_decided, network, lang)
    venues = _venue_scores(kg)
    theme_tokens = tokens(theme) if theme else set()
    fits: dict[str, float] = {}
    if theme_tokens:
        for c in candidates:
            c.text = set(c.words.split())
            fits[c.iri] = similarity(theme_tokens, c.text)
    best_fit = max(fits.values(), default=0.0)
    for c in candidates:  # reasons are written for the chosen only: thousands of sentences cost more than the scores
        _score(c, weights, venues, c.capacity, theme_tokens, fits.get(c.iri, 0.0), best_fit, explain=False, lang=lang)
    chosen = diversify(sorted(candidates, key=lambda c: (-c.score, c.iri)), top)
    for c in chosen:
        _score(c, weights, venues, c.capacity, theme_tokens, fits.get(c.iri, 0.0), best_fit, lang=lang)
    _labels(kg, chosen, lang)
    _name_people(kg, chosen, lang)
    notes = _notes(weights, theme, threshold, chosen, len(candidates), top, lang)
    return Recommendation(items=chosen, weights=weights, candidates=len(candidates), theme=theme, notes=notes)


def _department(label: str | None) -> URIRef | None:
    if not label:
        return None
    found = concepts.lookup(V.DepartmentScheme, label)
    if found is None:
        raise InvalidRecommendation(f"'{label}' is not a science department.",
                                    "Use a letter A–H or T, or a department name such as 生命科学部.")
    return found


def department_cap(top: int) -> int:
    """How many of a top list one department may take: a third of it, rounded up."""
    return math.ceil(top / 3)


def diversify(ranked: list[Candidate], top: int) -> list[Candidate]:
    """The best `top`, at most `department_cap(top)` per department; when too few departments have
    candidates to fill the list that way, the remaining places go to the next best regardless of department."""
    cap = department_cap(top)
    chosen: list[Candidate] = []
    per_department: dict[str, int] = {}
    for c in ranked:
        if len(chosen) == top:
            break
        if per_department.get(c.department, 0) < cap:
            chosen.append(c)
            per_department[c.department] = per_department.get(c.department, 0) + 1
    if len(chosen) < top:
        taken = {c.iri for c in chosen}
        chosen += [c for c in ranked if c.iri not in taken][:top - len(chosen)]
        chosen.sort(key=lambda c: (-c.score, c.iri))
    return chosen


def _entries(kg: KnowledgeGraph, size: int) -> tuple[list[list], int | None]:
    """The materialized candidate entries (kg.rollup.candidate_entry) of the projects behind the `size` most-cited
    outputs, and the citation count below which outputs were not looked at (None when every output was).
    Only the chunks the pool reaches are decoded; a pool beyond what was materialized is computed now (slow)."""
    from kg import rollup

    computed: dict[str, dict] = {}

    def chunk(i: int) -> dict:
        found = rollup.read_table(kg, rollup.candidates_name(i))
        if found is None:  # a derived graph older than the tables: compute them all once
            if not computed:
                computed.update(rollup.recommend_tables(kg, rollup.facts_from_derived(kg)))
            found = computed[rollup.candidates_name(i)]
        return found

    entries: list[list] = []
    citations: list[int] = []
    complete = False
    for i in range(len(rollup.POOL_CHUNKS)):
        found = chunk(i)
        entries += [e for e in found["candidates"] if e[1] < size]
        citations += found["citations"]
        complete = found["complete"]
        if found["end"] >= size or complete:
            break
    else:
        if size > rollup.TOP_OUTPUTS_KEPT:  # narrow filters: more outputs than were materialized
            found = rollup.recommend_tables(kg, rollup.facts_from_derived(kg), keep=size)[rollup.candidates_name(0)]
            entries, citations, complete = found["candidates"], found["citations"], found["complete"]
    if complete and len(citations) <= size or not citations:
        return entries, None
    return entries, citations[min(size, len(citations)) - 1]


def _pool(kg: KnowledgeGraph, top: int, dept: URIRef | None, year: int | None, size: int,
          curated: dict, include_decided: bool, network, lang: str) -> tuple[list[Candidate], int | None]:
    """Candidate projects with their facts and representative result; also the citation count below which
    outputs were not looked at (None when every output was)."""
    flagged = {p for p, c in curated.items() if c.representative}
    department = concepts.notation(dept) if dept is not None else None

    def wanted(entry: list) -> bool:
        decided = curated.get(entry[0]) is not None and curated[entry[0]].selection is not None
        return ((department is None or entry[2] == department) and (year is None or entry[3] == int(year))
                and (include_decided or not decided))

    extra: list[list] | None = None
    while True:
        entries, threshold = _entries(kg, size)
        missing = sorted(flagged - {e[0] for e in entries})  # flagged projects: their own outputs, wherever they rank
        if extra is None or {e[0] for e in extra} != set(missing):
            extra = _flagged_entries(kg, missing, network)
        keep = [_candidate(e, curated, network, lang) for e in entries + [e for e in extra if e[0] in missing] if wanted(e)]
        if len(keep) >= top or threshold is None:
            return keep, threshold
        size *= 4


OUTPUTS_OF = """
SELECT ?p ?o WHERE { VALUES ?p { %s } ?o sp:resultOf ?p }"""


def _outputs_of(kg: KnowledgeGraph, projects) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in _batched(kg, OUTPUTS_OF, projects):
        found.setdefault(str(row["p"]), []).append(str(row["o"]))
    return found


def _citations(kg: KnowledgeGraph, outputs) -> dict[str, int]:
    return {o: max(int(c) for c in found) for o, found in lookup(kg, outputs, V.citationCount).items()}


_STATUS = {"popularized": V.Popularized, "unpopularized": V.ResultsUnpopularized, "no-results": V.NoKnownResults}


def _project_facts(kg: KnowledgeGraph, projects: list[str]) -> dict[str, list]:
    """Project -> [department, year, tier, status, outputs] from the derived facts (as kg.rollup stores them)."""
    facts: dict[str, list] = {}
    values = {key: lookup(kg, projects, prop) for key, prop in (
        ("status", V.popularizationStatus), ("dept", V.department), ("year", V.approvalYear),
        ("tier", V.obligationTier), ("n", V.outputCount))}
    for p in projects:
        if p not in values["status"]:
            continue  # not a project of this view
        first = {key: min(found.get(p, []), key=str, default=None) for key, found in values.items()}
        status = {v: k for k, v in _STATUS.items()}.get(first["status"], "no-results")
        facts[p] = [concepts.notation(first["dept"]) if first["dept"] is not None else None,
                    int(first["year"]) if first["year"] is not None else None,
                    concepts.notation(first["tier"]) if first["tier"] is not None else None,
                    status, int(first["n"]) if first["n"] is not None else 0]
    return facts


def _flagged_entries(kg: KnowledgeGraph, projects: list[str], network) -> list[list]:
    """Candidate entries of flagged projects outside the materialized pool, read now (few: a department's flags)."""
    from kg import rollup

    if not projects:
        return []
    facts = _project_facts(kg, projects)
    projects = [p for p in projects if p in facts]
    outputs = _outputs_of(kg, projects)
    every = [o for found in outputs.values() for o in found]
    popularized = {o for o, found in lookup(kg, every, V.isPopularized).items() if any(v.toPython() for v in found)}
    src = rollup.CandidateSources(facts=facts, outputs=outputs, citations=_citations(kg, every),
                                  popularized=popularized, venues={}, awards={}, texts={}, capacity={})
    results = [r for p in projects if (r := rollup.representative_result(p, src)) is not None]
    src.venues = {o: min(map(str, found)) for o, found in lookup(kg, results, V.venue).items()}
    src.awards = {s: len(set(map(str, found))) for s, found in lookup(kg, projects + results, V.award).items()}
    for prop in (V.title, V.keyword):
        for s, found in lookup(kg, projects + results, prop).items():
            src.texts.setdefault(s, []).extend(str(t) for t in found)
    if network is None:  # read only the shards of the flagged projects
        names = sorted({rollup.capacity_name(p) for p in projects})
        tables = [rollup.read_table(kg, name) for name in names]
        if any(table is None for table in tables):   # a derived graph older than the shards: compute them once
            computed = rollup.capacity_tables(rollup.network_facts(kg).capacity)
            tables = [computed[name] for name in names]
        for table in tables:
            src.capacity.update((p, table["projects"][p]) for p in projects if p in table["projects"])
    else:
        src.capacity = {p: found.to_json() for p in projects if (found := network.capacity(p)).kind != "none"}
    return [rollup.candidate_entry(p, None, src) for p in projects]


@lru_cache(maxsize=None)
def _tier(notation: str | None) -> URIRef | None:
    return concepts.lookup(V.ObligationTierScheme, notation) if notation else None


def _candidate(entry: list, curated: dict, network, lang: str) -> Candidate:
    """A Candidate from a materialized entry (kg.rollup.candidate_entry) and the curation decisions."""
    project, _, department, year, tier, status, n, result, awards, capacity, words = entry
    c = Candidate(iri=project, department=department or "", year=year, outputs=n, status=_STATUS[status],
                  tier=_tier(tier), awards=awards, words=words)
    if result:
        c.result = {"iri": result[0], "title": "", "doi": "", "citations": result[1], "venue": result[3],
                    "popularized": result[2]}
    if network is not None:
        found = network.capacity(project)
        c.capacity = found if found.kind != "none" else None
    elif capacity:
        c.capacity = Capacity.from_json(capacity)
    cur = curated.get(project)
    if cur is not None:
        c.representative = [d.describe(lang) for d in cur.representative]
        c.curation = cur.describe(lang)
    return c


def _labels(kg: KnowledgeGraph, chosen: list[Candidate], lang: str) -> None:
    """Titles of the chosen projects and their results (DOI too), in `lang` when there is one."""
    results = [c.result["iri"] for c in chosen if c.result]
    titles, result_titles, dois = (lookup(kg, [c.iri for c in chosen], V.title), lookup(kg, results, V.title),
                                   lookup(kg, results, V.doi))
    ids = lookup(kg, [c.iri for c in chosen], V.approvalNumber)
    for c in chosen:
        c.label = pick_text(titles.get(c.iri, []), lang)
        c.id = min((str(i) for i in ids.get(c.iri, [])), default="")
        if c.result:
            c.result["title"] = pick_text(result_titles.get(c.result["iri"], []), lang)
            c.result["doi"] = min((str(d) for d in dois.get(c.result["iri"], [])), default="")


def _venue_scores(kg: KnowledgeGraph) -> dict[str, float]:
    """Venue -> its percentile (0..1) among venues by mean citations of their outputs (kg.rollup's venue table)."""
    from kg import rollup

    venues = rollup.table(kg, "venues")["venues"]
    ranked = sorted((mean, name) for name, (n, mean) in venues.items() if n >= rollup.MIN_VENUE_OUTPUTS)
    if len(ranked) < 2:
        return {name: 0.0 for _, name in ranked}
    return {name: i / (len(ranked) - 1) for i, (_, name) in enumerate(ranked)}


def _score(c: Candidate, weights: dict[str, float], venues: dict[str, float], capacity, theme: set[str],
           fit: float, best_fit: float, explain: bool = True, lang: str = "zh") -> None:
    """The factors and score of a candidate; with `explain`, also one reason per factor (in `lang`)."""
    c.factors, c.reasons = {}, []
    _significance(c, venues, explain, lang)
    _gap(c, lang)
    tier = TIER_VALUE.get(c.tier, TIER_VALUE[V.TierOther])
    c.factors["tier"] = tier
    if explain:
        named = concepts.pref_label(c.tier, lang) if c.tier else say("recommend.tier.other", lang)
        c.reasons.append(say("recommend.tier", lang, tier=named, weight=tier))
    _timeliness(c, theme, fit, best_fit, explain, lang)
    _capacity(c, capacity, lang)
    if not explain:
        c.reasons = []
    c.score = sum(weights[name] * c.factors.get(name, 0.0) for name in FACTORS)


def _significance(c: Candidate, venues: dict[str, float], explain: bool, lang: str) -> None:
    citations = int(c.result.get("citations", 0)) if c.result else 0
    parts = {"citations": min(1.0, citations / CITATION_SATURATION),
             "venue": venues.get(c.result.get("venue", ""), 0.0) if c.result else 0.0,
             "awards": 1.0 if c.awards else 0.0,
             "representative": 1.0 if c.representative else 0.0}
    c.factors["significance"] = min(1.0, sum(SIGNIFICANCE_PARTS[k] * v for k, v in parts.items()))
    if not explain:
        return
    said = [say("recommend.significance.cited", lang, times=count("n.times", citations, lang)) if c.result
            else say("recommend.significance.no_output", lang)]
    venue = c.result.get("venue", "") if c.result else ""
    if venue in venues:
        said.append(say("recommend.significance.venue", lang, venue=venue, percentile=round(100 * parts["venue"])))
    if c.awards:
        said.append(count("n.awards", c.awards, lang))
    said += c.representative
    c.reasons.append(say("recommend.significance", lang, parts=say("separator", lang).join(said)))


def _gap(c: Candidate, lang: str) -> None:
    if c.status == V.ResultsUnpopularized:
        c.factors["gap"] = 1.0
        c.reasons.append(say("recommend.gap.unpopularized", lang, outputs=count("n.outputs", c.outputs, lang)))
    elif c.status == V.NoKnownResults:
        c.factors["gap"] = 0.5
        c.reasons.append(say("recommend.gap.no_results", lang))
    elif c.result and not c.result.get("popularized"):
        c.factors["gap"] = 0.5
        c.reasons.append(say("recommend.gap.result", lang))
    else:
        c.factors["gap"] = 0.0
        c.reasons.append(say("recommend.gap.none", lang))


def _timeliness(c: Candidate, theme: set[str], fit: float, best_fit: float, explain: bool, lang: str) -> None:
    if not theme:
        c.factors["timeliness"] = 0.0
        return
    value = fit / best_fit if best_fit else 0.0
    c.factors["timeliness"] = value
    if not explain:
        return
    shared = sorted(theme & c.text)
    words = say("list", lang).join(shared[:8]) if shared else say("recommend.timeliness.nothing", lang)
    c.reasons.append(say("recommend.timeliness", lang, shared=words, fit=fit, best=best_fit))


def _capacity(c: Candidate, found, lang: str) -> None:
    """Capacity from a kg.capacity.Capacity (None: no popularizer within reach). People are written as
    {IRI} placeholders that _name_people replaces with names (only the chosen candidates' are looked up)."""
    if found is not None and found.kind == "pi":
        c.factors["capacity"] = 1.0
        c.capacity_people = list(found.path)
        c.reasons.append(say("recommend.capacity.pi", lang, person="{" + found.path[0] + "}",
                             works=count("n.works", found.works, lang)))
    elif found is not None and found.kind == "team":
        c.factors["capacity"] = 0.75
        c.capacity_people = list(found.path)
        c.reasons.append(say("recommend.capacity.team", lang, person="{" + found.path[0] + "}",
                             works=count("n.works", found.works, lang)))
    elif found is not None and found.hops in CAPACITY_BY_HOPS:
        c.factors["capacity"] = CAPACITY_BY_HOPS[found.hops]
        c.capacity_people = list(found.path)
        c.reasons.append(say("recommend.capacity.hops", lang, hops=count("n.hops", found.hops, lang),
                             path=" → ".join("{" + p + "}" for p in found.path)))
    else:
        c.factors["capacity"] = 0.0
        c.capacity_people = []
        c.reasons.append(say("recommend.capacity.none", lang, hops=count("n.hops", max(CAPACITY_BY_HOPS), lang)))


def _name_people(kg: KnowledgeGraph, chosen: list[Candidate], lang: str) -> None:
    """Replace {person IRI} placeholders in the chosen candidates' reasons with the person's name."""
    names = lookup(kg, {p for c in chosen for p in c.capacity_people}, V.name)
    for c in chosen:
        for i, reason in enumerate(c.reasons):
            for p in c.capacity_people:
                reason = reason.replace("{" + p + "}", pick_text(names.get(p, []), lang) or p)
            c.reasons[i] = reason


def _notes(weights: dict[str, float], theme: str | None, threshold: int | None, chosen: list[Candidate],
           pooled: int, top: int, lang: str) -> list[str]:
    formula = " + ".join(f"{weights[n]:g}×{say('factor.' + n, lang)}" for n in FACTORS)
    notes = [say("recommend.note.score", lang, formula=formula),
             say("recommend.note.pool", lang, candidates=count("n.candidates", pooled, lang),
                 cap=department_cap(top), top=top)]
    if not theme:
        notes.append(say("recommend.note.no_theme", lang))
    if threshold is not None and chosen:
        bound = (weights["significance"] * min(1.0, SIGNIFICANCE_PARTS["citations"] * min(1.0, threshold / CITATION_SATURATION)
                                               + SIGNIFICANCE_PARTS["venue"] + SIGNIFICANCE_PARTS["awards"])
                 + sum(weights[n] for n in FACTORS if n != "significance"))
        lowest = min(c.score for c in chosen)
        verdict = say("recommend.note.pool_safe" if bound <= lowest else "recommend.note.pool_unsafe", lang)
        notes.append(say("recommend.note.bound", lang, times=count("n.times", threshold, lang), bound=bound, lowest=lowest,
                         verdict=verdict))
    return notes
