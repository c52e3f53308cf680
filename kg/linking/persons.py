"""One identity per person: researcher mentions from every source resolved with evidence.

Ingest mints a person IRI per source identity: an NSFC person id, an ORCID, an OpenAlex
author id ("identified" nodes), or a hash of name and institution for a person known only
by name (a "mention"; one mention IRI may stand for several people when they share name
and institution, or a name in a source that gives no institution).

Evidence, each with a score (combined by noisy-or per pair of nodes):

- decisive: the same ORCID; two sources naming different nodes as the PI of one project
  or as author k of one output; an ORCID record claiming a grant whose PI or member, or a
  DOI whose author, has a compatible name;
- a paper (or popular-science work) tied to a grant (sp:resultOf, sp:popularizes) whose
  PI or member has a compatible name, the strongest non-identifier evidence there is;
  stronger when the author's stated institution is the team member's;
- the same full name at the same institution, when exactly one registered researcher
  (NSFC id or ORCID) of that name is known there (a Chinese name from a funder export
  counts more than a pinyin one).

Never on name alone: a name only narrows the candidates (blocking by family name and
first initial) and rules pairs out (different characters, different given names).

Clustering (kg.linking.clusters): identified nodes first; then each mention joins the
identified clusters its evidence points to, unless they conflict (two NSFC ids, ORCIDs,
OpenAlex ids or incompatible names: the mention then stands for several people and stays
apart); then mentions with mention-only evidence; last, each name-only mention still
outside the registered clusters is weighed against all its evidence, grouped by the
clusters found. A name-only mention must be supported on at least half of the records it
appears in, counted by record: one paper seen through two of a cluster's records counts
once. Curator splits and merges come first and always win.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Collection

from kg.linking.clusters import Clusters, Decision, Evidence, Text, combine, say
from kg.linking.names import EXACT, FULL, INITIALS, LEVEL_NAMES, NONE, NameSet, ParsedName, compare_sets, parse_name

THRESHOLD = 0.9
COAUTHORS_AT_MOST = 30   # authors of an output whose co-authors count as evidence
COAUTHOR_ROUNDS = 2   # each round may resolve co-authors that the next round counts (a third adds ~0.1% recall)
SCORES = {
    "orcid": 1.0, "same-pi": 0.99, "same-rank": 0.99, "orcid-work": 0.97, "orcid-grant": 0.97,
    "team": {EXACT: 0.96, FULL: 0.93, INITIALS: 0.8},
    "same-institution": 0.5,            # added (noisy-or) to grant evidence when institutions agree
    # The same name at the same institution, when one registered researcher has it there
    # (-unique: and no other registered researcher has it anywhere).
    "name-institution-zh": 0.9, "name-institution": 0.8,
    "name-institution-zh-unique": 0.95, "name-institution-unique": 0.92,
    "same-department": 0.5,             # added to name+institution when the science departments agree
    # Shared co-authors (1, 2, 3+) and shared acknowledged grants (1, 2+), by name agreement.
    "coauthors": {1: {INITIALS: 0.0, FULL: 0.8, EXACT: 0.85}, 2: {INITIALS: 0.8, FULL: 0.93, EXACT: 0.95},
                  3: {INITIALS: 0.9, FULL: 0.96, EXACT: 0.97}},
    "same-grant": {1: {INITIALS: 0.5, FULL: 0.8, EXACT: 0.85}, 2: {INITIALS: 0.8, FULL: 0.93, EXACT: 0.95}},
}
HAND_ON_EVERY = 14_000   # decisions handed on at once, within a stage of clustering too
REGISTERED = ("nsfc", "orcid")      # in a registry: an NSFC person id or an ORCID
Progress = Callable[[str], None]


@dataclass(slots=True)   # over a million at 200,000 projects: no __dict__ each
class PersonRecord:
    iri: str
    kind: str                                   # 'nsfc', 'orcid', 'openalex' or 'mention'
    names: Collection[str] = field(default_factory=set)   # sets while read, then sorted tuples
    ids: dict[str, str] = field(default_factory=dict)   # 'NSFC person id' / 'ORCID' -> value
    orgs: Collection[str] = field(default_factory=set)    # canonical organization IRIs
    context_free: bool = False                  # a mention minted from a name alone (no institution)


@dataclass
class PersonInput:
    """Everything person linking looks at, as plain Python (built from the store, or by tests)."""

    records: list[PersonRecord]
    roles: list[tuple[str, int, str]] = field(default_factory=list)          # (project, person, 'pi'|'member'|'claim')
    authorships: list[tuple[str, int, int | None]] = field(default_factory=list)  # (output, person, rank)
    output_projects: dict[str, Collection[str]] = field(default_factory=dict)  # output -> projects (resultOf)
    work_creators: list[tuple[str, int]] = field(default_factory=list)        # (work, person)
    work_projects: dict[str, Collection[str]] = field(default_factory=dict)  # work -> projects it popularizes
    label: Callable[[str], str] = str                                        # project/output IRI -> short label
    project_departments: dict[str, str] = field(default_factory=dict)        # project -> science department
    person_departments: dict[int, set[str]] = field(default_factory=dict)    # person -> departments (registry)
    merges: list[tuple[int, int, str]] = field(default_factory=list)         # curator merges (a, b, text)
    splits: list[tuple[int, int, str]] = field(default_factory=list)         # curator splits


@dataclass
class PersonLinks:
    records: list[PersonRecord]
    clusters: Clusters
    canonical: dict[int, str]                   # root -> canonical IRI
    ambiguous_mentions: int = 0

    @property
    def decisions(self) -> list[Decision]:
        return self.clusters.decisions


class _NameClusters(Clusters):
    """Clusters that also keep each cluster's names and refuse incompatible ones."""

    def __init__(self, anchors: list[dict[str, str]], names: list[tuple[ParsedName, ...]],
                 soft: dict[int, str] | None = None, node_names: list[NameSet | None] | None = None) -> None:
        super().__init__(anchors=anchors)
        self._names = names
        self._node_names = node_names if node_names is not None else [None] * len(names)
        self._by_names: dict[tuple[ParsedName, ...], NameSet] = {}
        self.names: dict[int, NameSet] = {}     # root -> names, for roots that merged (else built on demand)
        # OpenAlex author ids per cluster: not a constraint on merges, but a mention that
        # would join two of them is ambiguous.
        self.soft: dict[int, set[str]] = {node: {value} for node, value in (soft or {}).items()}
        self.check = self._names_agree
        # Called when HAND_ON_EVERY decisions are waiting (the resolver hands them on and,
        # writing as it goes, lets them go): one stage decides hundreds of thousands of
        # merges at 200,000 projects, each with its evidence text.
        self.on_decisions: Callable[[], None] | None = None

    def merge(self, a: int, b: int, method: str, score: float, text: str, *, record: bool = True,
              force: bool = False) -> bool:
        merged = super().merge(a, b, method, score, text, record=record, force=force)
        if self.on_decisions is not None and len(self.decisions) >= HAND_ON_EVERY:
            self.on_decisions()
        return merged

    def name_set(self, root: int) -> NameSet:
        """The names of a root's cluster (a node's own, until it merges)."""
        found = self.names.get(root)
        if found is None:
            found = self._node_names[root]
            if found is None:   # nodes of the same names share one (never grown in place: see after_merge)
                names = self._names[root]
                found = self._by_names.get(names)
                if found is None:
                    found = self._by_names[names] = NameSet(names)
                self._node_names[root] = found
        return found

    def _names_agree(self, ra: int, rb: int) -> str:
        a, b = self.name_set(ra), self.name_set(rb)
        if not a.agrees(b):
            return f"names differ ({_show(a)} / {_show(b)})"
        return ""

    def after_merge(self, ra: int, rb: int, root: int) -> None:
        a, b = self.name_set(ra), self.name_set(rb)
        merged = self.names.get(root)     # a cluster's own set may grow in place; a node's shared one not
        if merged is None:
            merged = NameSet()
            merged.update(a if root == ra else b)
        merged.update(b if root == ra else a)
        self.names.pop(ra, None)
        self.names.pop(rb, None)
        self.names[root] = merged
        soft = self.soft.pop(ra, set()) | self.soft.pop(rb, set())
        if soft:
            self.soft[root] = soft


def _show(names: NameSet) -> str:
    return "'" + "', '".join(sorted(names.texts)[:3]) + "'"


# ------------------------------------------------------------------------------ evidence
class _Evidence:
    """Evidence per unordered pair of nodes."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[int, int], list[Evidence]] = defaultdict(list)

    def add(self, a: int, b: int, method: str, score: float, text: Text, about: str = "") -> None:
        if a == b:
            return
        key = (a, b) if a < b else (b, a)
        items = self.pairs[key]
        if len(items) < 12:     # a bound: beyond a dozen papers more of the same adds nothing
            items.append(Evidence(method, score, text, about))

    def scored(self) -> list[tuple[float, int, int, list[Evidence]]]:
        out = [(combine(items), a, b, items) for (a, b), items in self.pairs.items()]
        out.sort(key=lambda item: (-item[0], item[1], item[2]))
        return out


def _strongest_method(items: list[Evidence]) -> str:
    order = ("curator", "identifier", "same-role", "orcid-claim", "grant-team", "coauthors", "name")
    return min((e.method for e in items), key=lambda m: order.index(m) if m in order else len(order))


def _text(items: list[Evidence]) -> str:
    return "; ".join(dict.fromkeys(say(e.text) for e in items))[:500]


class _Resolver:
    def __init__(self, data: PersonInput, progress: Progress | None,
                 decided: Callable[[list[Decision]], None] | None = None) -> None:
        self.data = data
        self.records = data.records
        self.progress = progress or (lambda stage: None)
        self.decided = decided or (lambda decisions: None)
        self._let_go = decided is not None   # decisions handed on are not kept (see resolve_persons)
        self._told = 0    # decisions handed to `decided` so far
        # Records of one name (many mentions of a common name) share one tuple of names and
        # one set of keys: a million records at 200,000 projects.
        shared: dict[tuple[ParsedName, ...], tuple[ParsedName, ...]] = {}
        self.names = [shared.setdefault(names, names)
                      for names in (tuple(parse_name(n) for n in sorted(r.names) if n) for r in self.records)]
        keys_of: dict[tuple[ParsedName, ...], tuple[frozenset[str], tuple[str, ...]]] = {}
        for names in shared:
            keys = frozenset(f.block_key for n in names for f in n.forms)
            # The same keys in a fixed order, for loops whose first find wins: a frozenset of str
            # iterates in an order that changes with the interpreter's hash seed, and so did the
            # team member a paper's author was tied to (and the links graph from run to run).
            keys_of[names] = (keys, tuple(sorted(keys)))
        del shared
        self.keys = [keys_of[names][0] for names in self.names]
        self.key_order = [keys_of[names][1] for names in self.names]
        self.node_names: list[NameSet | None] = [None] * len(self.names)   # built when first needed, then shared
        self._shown: list[str | None] = [None] * len(self.records)
        self._levels: dict[tuple[int, int], int] = {}
        self._registered: dict[str, int] = {}
        self._node_departments: dict[int, frozenset[str]] | None = None
        self._by_output: dict[str, list[int]] | None = None
        self._coauthored: dict[int, list[str]] | None = None
        self._ranked: dict[str, list[tuple[int, int | None]]] | None = None
        self.evidence = _Evidence()
        # Bound once: evidence keeps its wording function, and a bound method made per
        # piece of evidence would cost as much as the text it saves.
        self._say_team, self._say_name = self._team_text, self._name_text

    def let_go(self) -> None:
        """Drop all the resolver holds. Evidence (kept in several of its tables) refers back
        to it through its wording methods, and in that reference cycle it would outlive the
        run: linking keeps the cycle collector off."""
        self.__dict__.clear()

    # Names ------------------------------------------------------------------------
    def level(self, a: int, b: int) -> int:
        key = (a, b) if a < b else (b, a)
        level = self._levels.get(key)
        if level is None:
            if not (self.keys[a] & self.keys[b]) and not self._same_zh(a, b):
                level = NONE
            else:
                level = compare_sets(self.names[a], self.names[b])
            self._levels[key] = level
        return level

    def _same_zh(self, a: int, b: int) -> bool:
        zh_a = {n.zh for n in self.names[a] if n.zh}
        return bool(zh_a) and bool(zh_a & {n.zh for n in self.names[b] if n.zh})

    def name_of(self, node: int) -> str:
        """The name shown for a node in evidence text (the first of its names, or its IRI)."""
        shown = self._shown[node]
        if shown is None:
            shown = self._shown[node] = min(self.records[node].names, default=self.records[node].iri)
        return shown

    def label(self, iri: str) -> str:
        return self.data.label(iri)

    # Evidence ---------------------------------------------------------------------
    def collect(self) -> None:
        self._orcids()
        self._same_project_pi()
        self._same_author_position()
        self._orcid_claims()
        self.progress("persons: decisive evidence")
        grouping = self._grouping()
        for a, b in self._name_and_institution(grouping):
            items = self.evidence.pairs[(a, b) if a < b else (b, a)]
            score = combine(items)
            if score >= THRESHOLD:
                grouping.merge(a, b, "", score, "", record=False)
        self.progress("persons: name and institution")
        # Team members already known to be one person (the PI of two acknowledged grants,
        # once in a funder export with an id and once by name) count as one candidate.
        self._grant_teams(grouping)
        self.progress("persons: grant evidence")

    def _orcids(self) -> None:
        by_orcid: dict[str, list[int]] = defaultdict(list)
        for node, record in enumerate(self.records):
            orcid = record.ids.get("ORCID")
            if orcid:
                by_orcid[orcid].append(node)
        for orcid, nodes in by_orcid.items():
            for other in nodes[1:]:
                self.evidence.add(nodes[0], other, "identifier", SCORES["orcid"], f"same ORCID {orcid}")

    def _same_project_pi(self) -> None:
        pis: dict[str, list[int]] = defaultdict(list)
        for project, node, role in self.data.roles:
            if role == "pi" and node not in pis[project]:
                pis[project].append(node)
        for project, nodes in pis.items():
            for i, a in enumerate(nodes):
                for b in nodes[i + 1:]:
                    if self.level(a, b) >= INITIALS:
                        self.evidence.add(a, b, "same-role", SCORES["same-pi"],
                                          f"both '{self.name_of(a)}' and '{self.name_of(b)}' are named as the PI of "
                                          f"project {self.label(project)}", project)

    def _authors_by_output(self) -> dict[str, list[tuple[int, int | None]]]:
        """Output -> its distinct (author node, rank) entries (computed once)."""
        if self._ranked is None:
            out: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
            for output, node, rank in self.data.authorships:
                entry = (node, rank)
                found = out[output]
                if entry not in found:
                    found.append(entry)
            self._ranked = out
        return self._ranked

    def _same_author_position(self) -> None:
        for output, authors in self._authors_by_output().items():
            by_rank: dict[int, list[int]] = defaultdict(list)
            for node, rank in authors:
                if rank is not None:
                    by_rank[rank].append(node)
            for rank, nodes in by_rank.items():
                for i, a in enumerate(nodes):
                    for b in nodes[i + 1:]:
                        if self.level(a, b) >= INITIALS:
                            self.evidence.add(a, b, "same-role", SCORES["same-rank"],
                                              f"'{self.name_of(a)}' and '{self.name_of(b)}' are both author #{rank} "
                                              f"of {self.label(output)}", output)

    def _orcid_claims(self) -> None:
        """An ORCID record's works (authorship without rank) and fundings (claim on a project)."""
        for output, authors in self._authors_by_output().items():
            claimants = [node for node, rank in authors if rank is None]
            ranked = [(node, rank) for node, rank in authors if rank is not None]
            for claimant in claimants:
                matches = [(node, rank) for node, rank in ranked if self.level(claimant, node) >= INITIALS]
                if len(matches) == 1:
                    node, rank = matches[0]
                    self.evidence.add(claimant, node, "orcid-claim", SCORES["orcid-work"],
                                      f"the ORCID record of '{self.name_of(claimant)}' lists {self.label(output)}, "
                                      f"whose author #{rank} is '{self.name_of(node)}'", output)
        teams = self._teams()
        for project, team in teams.items():
            claimants = [node for node, role in team if role == "claim"]
            others = [(node, role) for node, role in team if role != "claim"]
            for claimant in claimants:
                matches = [(node, role) for node, role in others if self.level(claimant, node) >= INITIALS]
                if len(matches) == 1:
                    node, role = matches[0]
                    self.evidence.add(claimant, node, "orcid-claim", SCORES["orcid-grant"],
                                      f"the ORCID record of '{self.name_of(claimant)}' claims grant "
                                      f"{self.label(project)}, whose {_role(role)} is '{self.name_of(node)}'", project)

    def _teams(self) -> dict[str, list[tuple[int, str]]]:
        teams: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for project, node, role in self.data.roles:
            if (node, role) not in teams[project]:
                teams[project].append((node, role))
        return teams

    def _grouping(self) -> Clusters:
        """The evidence so far, above the threshold: tells nodes that are one person apart from two people."""
        grouping = _NameClusters(self._anchors(), self.names, node_names=self.node_names)
        for score, a, b, items in self.evidence.scored():
            if score >= THRESHOLD:
                grouping.merge(a, b, "", score, "", record=False)
        return grouping

    def _anchors(self) -> list[dict[str, str]]:
        # Not copied: Clusters copies the ones it keeps (a dict per record was 13 MB at 10,000 projects).
        return [r.ids for r in self.records]

    def _grant_teams(self, grouping: Clusters) -> None:
        teams = self._teams()
        team_index: dict[str, dict[str, list[tuple[int, str]]]] = {}

        def index(project: str) -> dict[str, list[tuple[int, str]]]:
            found = team_index.get(project)
            if found is None:
                found = defaultdict(list)
                for node, role in teams.get(project, ()):
                    for key in self.keys[node]:
                        found[key].append((node, role))
                team_index[project] = found
            return found

        def tie(node: int, projects: set[str], item: str, rank: int | None, work: bool) -> None:
            """Evidence that `node`, an author (of rank) or creator of `item`, is a member of its grants' teams."""
            candidates: dict[int, tuple[int, int, str, str]] = {}   # group root -> (level, member, role, project)
            # In a fixed order: with two grants the first to name a member at the best level is cited.
            for project in (projects if len(projects) == 1 else sorted(projects)):
                for key in self.key_order[node]:
                    for member, role in index(project).get(key, ()):
                        if member == node:
                            continue
                        level = self.level(node, member)
                        if level < INITIALS:
                            continue
                        root = grouping.find(member)
                        if root not in candidates or level > candidates[root][0]:
                            candidates[root] = (level, member, role, project)
            if not candidates:
                return
            best = max(level for level, *_ in candidates.values())
            top = [c for c in candidates.values() if c[0] == best]
            if len(top) != 1 or (len(candidates) > 1 and best < FULL):
                return   # two team members could be this person: no evidence either way
            level, member, role, project = top[0]
            score = SCORES["team"][level]
            same_institution = _share(self.records[node].orgs, self.records[member].orgs)
            if same_institution:
                score = combine([Evidence("", score, ""), Evidence("", SCORES["same-institution"], "")])
            self.evidence.add(node, member, "grant-team", score,
                              (self._say_team, node, member, item, project, role, rank, work, level, same_institution),
                              item)

        for output, authors in self._authors_by_output().items():
            projects = self.data.output_projects.get(output)
            if projects:
                for node, rank in authors:
                    tie(node, projects, output, rank, False)
        for work, node in self.data.work_creators:
            projects = self.data.work_projects.get(work)
            if projects:
                tie(node, projects, work, None, True)

    def _name_and_institution(self, grouping: Clusters) -> list[tuple[int, int]]:
        """Same full name at the same institution; returns the pairs given evidence."""
        added: list[tuple[int, int]] = []
        buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
        for node, record in enumerate(self.records):
            if not record.orgs:
                continue
            for key in self._name_keys(node):
                for org in record.orgs:
                    buckets[(key, org)].append(node)
        # How many registered researchers (an NSFC id or ORCID) bear each name, anywhere.
        registered: dict[str, set[int]] = defaultdict(set)
        for node in range(len(self.records)):
            root = grouping.find(node)
            if grouping.anchor_values(root):
                for key in self._name_keys(node):
                    registered[key].add(root)
        self._registered = {key: len(roots) for key, roots in registered.items()}
        best: dict[tuple[int, int], tuple[float, str, bool]] = {}
        for (key, org), nodes in buckets.items():
            if len(nodes) < 2:
                continue
            anchored = {grouping.find(n) for n in nodes if grouping.anchor_values(grouping.find(n))}
            if len(anchored) != 1:
                continue   # nobody registered by this name there, or several: the name decides nothing
            root = next(iter(anchored))
            anchor = min(n for n in nodes if grouping.find(n) == root)
            unique = len(registered[key]) == 1
            score = SCORES[("name-institution-zh" if key.startswith("zh:") else "name-institution")
                           + ("-unique" if unique else "")]
            for node in nodes:
                if grouping.find(node) != root and score > best.get((node, anchor), (0.0, "", False))[0]:
                    best[(node, anchor)] = (score, org, unique)
        # One piece of evidence per pair: the same name in two scripts is not twice the evidence.
        for (node, anchor), (score, org, unique) in sorted(best.items()):
            if self._departments(node) & self._departments(anchor):
                score = combine([Evidence("", score, ""), Evidence("", SCORES["same-department"], "")])
            self.evidence.add(node, anchor, "name", score, (self._say_name, node, anchor, org, unique))
            added.append((node, anchor))
        return added

    # Evidence texts of the plentiful kinds, worded only when a merge cites them. ---------
    def _team_text(self, node: int, member: int, item: str, project: str, role: str, rank: int | None, work: bool,
                   level: int, same_institution: bool) -> str:
        what = (f"popular-science work {self.label(item)}" if work else
                f"{self.label(item)} (author #{rank})" if rank else self.label(item))
        text = (f"{what} is tied to grant {self.label(project)}, whose {_role(role)} '{self.name_of(member)}' "
                f"matches '{self.name_of(node)}' ({LEVEL_NAMES[level]})")
        return text + " at the same institution" if same_institution else text

    def _name_text(self, node: int, anchor: int, org: str, unique: bool) -> str:
        where = "no other registered researcher has it anywhere" if unique else \
            "only one registered researcher has it there"
        text = f"'{self.name_of(node)}' and '{self.name_of(anchor)}' share the name at {self.data.label(org)}, and {where}"
        shared = self._departments(node) & self._departments(anchor)
        return text + f"; both work in department {', '.join(sorted(shared))}" if shared else text

    def _departments(self, node: int) -> frozenset[str]:
        """Science departments of a node: the registry's, and those of the grants its work is tied to."""
        if self._node_departments is None:
            by_node: dict[int, set[str]] = defaultdict(set)
            for node_id, departments in self.data.person_departments.items():
                by_node[node_id].update(departments)
            project_departments = self.data.project_departments
            for project, member, role in self.data.roles:
                if project in project_departments:
                    by_node[member].add(project_departments[project])
            for output, member, rank in self.data.authorships:
                for project in self.data.output_projects.get(output, ()):
                    if project in project_departments:
                        by_node[member].add(project_departments[project])
            # Kept for the run: nodes of the same departments share one set (a handful of
            # combinations of nine departments, where there was a set per node).
            combinations: dict[frozenset[str], frozenset[str]] = {}
            self._node_departments = {}
            for n, departments in by_node.items():
                found = frozenset(departments)
                self._node_departments[n] = combinations.setdefault(found, found)
        return self._node_departments.get(node, frozenset())

    def _name_keys(self, node: int) -> set[str]:
        """Full-name keys: the characters, and family|given for every full reading."""
        keys = {"zh:" + n.zh for n in self.names[node] if n.zh}
        return keys | {"full:" + k for n in self.names[node] for k in n.full_keys}

    def _coauthors(self, clusters: _NameClusters) -> list[tuple[int, int]]:
        """Same name, shared co-authors or grants (as resolved so far): the classic
        author-disambiguation evidence, and its funder version (both wrote papers acknowledging
        one grant: team members of a grant are a handful of people).

        Compared per cluster, so a mention that wrote with a PI meets the researcher whose
        other papers (from any source) were written with that PI. Only clusters without a
        registered researcher look for a home (two registered researchers are never joined
        on co-authors), so the index holds those and every other cluster probes it.
        Returns the pairs with new evidence.
        """
        find = clusters.find
        # Members of the clusters of several nodes only; a node alone is its own (a list per
        # node, 1.2 million of them at 200,000 projects, each round).
        root_of = [find(node) for node in range(len(self.records))]
        joined = {root for node, root in enumerate(root_of) if root != node}
        several: dict[int, list[int]] = defaultdict(list)
        for node, root in enumerate(root_of):
            if root in joined:
                several[root].append(node)
        del root_of, joined

        def members(root: int) -> list[int]:
            return several.get(root) or [root]

        # cluster root -> co-author roots (ints) and acknowledged projects (IRI strings) of
        # its members' outputs. Built a cluster at a time and kept as a tuple: a set per
        # cluster, all filled at once, was the peak of a first link (a few hundred items
        # each, at ~40 bytes an item in a set against 8 in a tuple).
        outputs = self._outputs()
        output_projects = self.data.output_projects
        node_outputs = self._node_outputs()
        context: dict[int, tuple] = {}
        for root in sorted({find(node) for node in node_outputs}):
            found: set = set()
            for member in members(root):
                for output in node_outputs.get(member, ()):
                    found.update(find(n) for n in outputs[output])
                    found.update(output_projects.get(output, ()))
            context[root] = tuple(found)
        keys = {root: frozenset(k for n in several[root] for k in self.keys[n]) if root in several else self.keys[root]
                for root in context}
        # The index is built and probed one name key at a time: whole, it held an entry per
        # cluster, key and co-author at once.
        roots_by_key: dict[str, list[int]] = defaultdict(list)
        for root in context:
            for key in keys[root]:
                roots_by_key[key].append(root)
        shared: dict[tuple[int, int], set] = defaultdict(set)
        for roots in roots_by_key.values():
            by_item: dict[object, list[int]] = defaultdict(list)
            for root in roots:
                if clusters.anchor_values(root):
                    continue   # registered: it probes, it is not looked for
                for item in context[root]:
                    if item != root:
                        by_item[item].append(root)
            if not by_item:
                continue
            for root in roots:
                found = context[root]
                for item in by_item.keys() & found:      # set intersection, in C
                    if item == root:
                        continue
                    for other in by_item[item]:
                        if other != root:
                            shared[(root, other) if root < other else (other, root)].add(item)
        del roots_by_key
        added: list[tuple[int, int]] = []
        # Per cluster, once: a large cluster (a researcher with hundreds of mentions) meets
        # many others, and scanning its members for every pair was a cost of its own.
        representative: dict[int, int] = {}
        name_only: dict[int, bool] = {}

        def of(root: int) -> int:
            found = representative.get(root)
            if found is None:
                found = representative[root] = self._representative(members(root))
                name_only[root] = all(self.records[n].context_free for n in members(root))
            return found

        for (ra, rb), found in sorted(shared.items(), key=lambda item: item[0]):
            found.discard(ra)
            found.discard(rb)
            a, b = of(ra), of(rb)
            soft_a, soft_b = clusters.soft.get(ra, set()), clusters.soft.get(rb, set())
            if not found or (soft_a and soft_b and soft_a != soft_b):
                continue   # OpenAlex already told these authors apart, co-authors included
            if name_only[ra] and name_only[rb]:
                continue   # name-only mentions on both sides: nothing anchors either
            if clusters.anchor_values(ra) and clusters.anchor_values(rb):
                continue   # two registered researchers: co-authors are not enough to say they are one
            level = self.level(a, b)
            if level < INITIALS or (clusters.check and clusters.check(ra, rb)):
                continue
            people = [x for x in found if type(x) is int]
            grants = [x for x in found if type(x) is str]
            pieces = []
            if people:
                pieces.append(Evidence("", SCORES["coauthors"][min(len(people), 3)][level], ""))
            if grants:
                pieces.append(Evidence("", SCORES["same-grant"][min(len(grants), 2)][level], ""))
            score = combine(pieces)
            if score and self._new_coauthor_evidence(a, b, score):
                parts = []
                if people:
                    names = ", ".join(sorted({f"'{self.name_of(of(r))}'" for r in people})[:3])
                    parts.append(f"both wrote with {names}")
                if grants:
                    parts.append("both wrote papers acknowledging grant " + ", ".join(sorted(self.label(g) for g in grants)[:3]))
                self.evidence.add(a, b, "coauthors", score, f"'{self.name_of(a)}' and '{self.name_of(b)}' " + " and ".join(parts))
                added.append((a, b) if a < b else (b, a))
        return added

    def _outputs(self) -> dict[str, list[int]]:
        """Output -> its distinct author nodes (computed once)."""
        if self._by_output is None:
            by_output: dict[str, list[int]] = defaultdict(list)
            for output, node, rank in self.data.authorships:
                found = by_output[output]
                if node not in found:
                    found.append(node)
            self._by_output = by_output
        return self._by_output

    def _node_outputs(self) -> dict[int, list[str]]:
        """Node -> the outputs it is an author of, of at most COAUTHORS_AT_MOST authors
        (computed once): consortium papers say nothing about who works with whom."""
        if self._coauthored is None:
            by_node: dict[int, list[str]] = defaultdict(list)
            for output, nodes in self._outputs().items():
                if len(nodes) <= COAUTHORS_AT_MOST:
                    for node in nodes:
                        by_node[node].append(output)
            self._coauthored = dict(by_node)
        return self._coauthored

    def _new_coauthor_evidence(self, a: int, b: int, score: float) -> bool:
        """Keep only the strongest co-author evidence per pair across rounds."""
        items = self.evidence.pairs.get((a, b) if a < b else (b, a), [])
        old = [e for e in items if e.method == "coauthors"]
        if old and max(e.score for e in old) >= score:
            return False
        for e in old:
            items.remove(e)
        return True

    def _representative(self, nodes: list[int]) -> int:
        """The node that stands for a cluster in evidence: a registered one if any, else the first."""
        return min(nodes, key=lambda n: (self.records[n].kind not in REGISTERED, n))

    # Clustering -------------------------------------------------------------------
    def cluster(self) -> PersonLinks:
        """Cluster on the evidence; then, round by round, add co-author evidence and merge on it."""
        soft = {n: r.iri for n, r in enumerate(self.records) if r.kind == "openalex"}
        clusters = _NameClusters(self._anchors(), self.names, soft, node_names=self.node_names)
        if self._let_go:
            clusters.on_decisions = partial(self._hand_on, clusters)
        for a, b, text in self.data.splits:
            clusters.forbid(a, b)
        for a, b, text in self.data.merges:
            clusters.merge(a, b, "curator", 1.0, text, force=True)
        self._registered_node = [r.kind in REGISTERED for r in self.records]
        self._appearances: dict[int, int] = defaultdict(int)    # outputs and works a node appears on
        for output, node, rank in {(o, n, None) for o, n, _ in self.data.authorships}:
            self._appearances[node] += 1
        for work, node in set(self.data.work_creators):
            self._appearances[node] += 1
        # node -> other node -> its latest evidence edge; a dict, not a list rewritten per edge:
        # a name-only mention of a common name has thousands of edges (quadratic as a list).
        self._by_node: dict[int, dict[int, tuple[float, int, list[Evidence]]]] = defaultdict(dict)
        self._ambiguous: set[int] = set()
        self._apply(clusters, self.evidence.scored())
        for _ in range(COAUTHOR_ROUNDS):
            added = self._coauthors(clusters)
            if not added:
                break
            self._stage(clusters, "persons: co-author evidence")
            pairs = [(combine(self.evidence.pairs[p]), p[0], p[1], self.evidence.pairs[p]) for p in added]
            self._apply(clusters, sorted(pairs, key=lambda item: (-item[0], item[1], item[2])))
        self._place_name_only(clusters)
        self._hand_on(clusters)
        clusters.on_decisions = None   # the clusters outlive the resolver: no reference back to it
        return PersonLinks(records=self.records, clusters=clusters, canonical=self._canonical(clusters),
                           ambiguous_mentions=len(self._ambiguous))

    def _stage(self, clusters: Clusters, stage: str) -> None:
        """A stage of clustering is done: hand on the decisions it made, and report it."""
        self._hand_on(clusters)
        self.progress(stage)

    def _hand_on(self, clusters: Clusters) -> None:
        if len(clusters.decisions) > self._told:
            self.decided(clusters.decisions[self._told:])
            self._told = len(clusters.decisions)
            if self._let_go:
                clusters.decisions.clear()
                self._told = 0

    def _apply(self, clusters: _NameClusters, scored: list[tuple[float, int, int, list[Evidence]]]) -> None:
        """Merge on scored pairs: registered researchers first, then the others (see the module notes)."""
        registered = self._registered_node
        for score, a, b, items in scored:
            if score >= THRESHOLD and registered[a] and registered[b]:
                clusters.merge(a, b, _strongest_method(items), score, _text(items))
        self._stage(clusters, "persons: registered")
        touched: set[int] = set()
        unregistered_pairs = []
        for score, a, b, items in scored:
            if registered[a] == registered[b]:
                if not registered[a]:
                    unregistered_pairs.append((score, a, b, items))
                continue
            node, other = (a, b) if not registered[a] else (b, a)
            edges = self._by_node[node]
            edges.pop(other, None)    # the newer evidence replaces it, and goes last (as it did in a list)
            edges[other] = (score, other, items)
            touched.add(node)
        # Nodes with an institution and the strongest evidence go first, so that a mention
        # standing for several people meets them already placed, and is seen to be ambiguous.
        order = sorted(touched - self._ambiguous, key=lambda n: (
            self.records[n].context_free, -max(e[0] for e in self._by_node[n].values()), n))
        for node in order:
            if not self._join(clusters, node, list(self._by_node[node].values())):
                self._ambiguous.add(node)
        self._stage(clusters, "persons: unregistered")
        for score, a, b, items in unregistered_pairs:
            if score < THRESHOLD or a in self._ambiguous or b in self._ambiguous:
                continue
            free_a, free_b = self.records[a].context_free, self.records[b].context_free
            if free_a and free_b:
                continue   # two name-only mentions: each may stand for several people
            if not self._consistent(clusters, [clusters.find(a), clusters.find(b)]):
                continue
            if (free_a or free_b) and not self._covers(a if free_a else b, [(score, b if free_a else a, items)]):
                continue
            clusters.merge(a, b, _strongest_method(items), score, _text(items))

    def _place_name_only(self, clusters: _NameClusters) -> None:
        """Weigh each name-only mention that no registered cluster took once more, against
        all its evidence: a paper shared with an OpenAlex author or a mention that is by now
        placed in a registered cluster is evidence for that cluster. Until here only the
        mention's edges to registered nodes were counted, so a mention whose papers were
        tied to the researcher through their other records covered too few of them."""
        waiting = {node for node, record in enumerate(self.records) if record.context_free
                   and node not in self._ambiguous and not clusters.anchor_values(clusters.find(node))}
        edges: dict[int, list[tuple[float, int, list[Evidence]]]] = defaultdict(list)
        for (a, b), items in self.evidence.pairs.items():
            if a in waiting or b in waiting:
                score = combine(items)
                if a in waiting:
                    edges[a].append((score, b, items))
                if b in waiting:
                    edges[b].append((score, a, items))
        for node in sorted(edges):
            if not self._join(clusters, node, edges[node], registered_only=True):
                self._ambiguous.add(node)
        self._stage(clusters, "persons: name-only mentions")

    def _join(self, clusters: _NameClusters, mention: int, edges: list[tuple[float, int, list[Evidence]]],
              registered_only: bool = False) -> bool:
        """Merge an unregistered node (an OpenAlex author, a mention) into every registered
        cluster it has strong evidence for; False when those clusters conflict.
        `registered_only`: the edges may lead to unregistered clusters too; only registered
        ones may take the node."""
        per_root: dict[int, list[tuple[float, int, list[Evidence]]]] = defaultdict(list)
        for score, other, items in edges:
            per_root[clusters.find(other)].append((score, other, items))
        strong = {root: max(e[0] for e in found) for root, found in per_root.items()
                  if (not registered_only or clusters.anchor_values(root))
                  and combine([x for e in found for x in e[2]]) >= THRESHOLD and self._covers(mention, found)}
        if not strong:
            return True
        notable = [root for root, found in per_root.items() if max(e[0] for e in found) >= 0.5]
        own = clusters.find(mention)
        bridged = notable if self.records[mention].kind == "openalex" else notable + [own]
        if not self._consistent(clusters, notable + [own], bridged):
            return False
        for root in sorted(strong, key=lambda r: -strong[r]):
            best = max(per_root[root], key=lambda e: e[0])
            items = [x for e in per_root[root] for x in e[2]]
            clusters.merge(mention, best[1], _strongest_method(items), combine(items), _text(items))
        return True

    def _covers(self, mention: int, found: list[tuple[float, int, list[Evidence]]]) -> bool:
        """A name-only mention stands for every record printing that name: unless the name is
        rare (exactly one registered researcher bears it), the evidence must speak for at least
        half of those records, not for one paper among dozens."""
        if not self.records[mention].context_free:
            return True
        keys = self._name_keys(mention)
        if keys and all(self._registered.get(key, 0) == 1 for key in keys):
            return True   # a name only one registered researcher bears: the mention is most likely one person
        pieces = len({e.about or say(e.text) for _, _, items in found for e in items})
        return pieces * 2 >= self._appearances.get(mention, 0)

    def _consistent(self, clusters: _NameClusters, roots: list[int], bridged: list[int] | None = None) -> bool:
        """Could these clusters be one person? (ids, OpenAlex ids and names must agree)

        `bridged` are the roots that must not hold two OpenAlex authors (default: all); an
        OpenAlex author itself may join a cluster with another OpenAlex id (OpenAlex splits
        people too, e.g. when they move), a name-only mention may not bridge two.
        """
        roots = list(dict.fromkeys(roots))
        seen: dict[str, str] = {}
        for root in roots:
            for kind, value in clusters.anchor_values(root).items():
                if seen.setdefault(kind, value) != value:
                    return False
        if sum(1 for root in set(roots if bridged is None else bridged) if clusters.soft.get(root)) > 1:
            return False   # OpenAlex tells these authors apart: the mention would bridge two people
        for i, a in enumerate(roots):
            for b in roots[i + 1:]:
                if clusters.check and clusters.check(a, b):
                    return False
        return True

    def _canonical(self, clusters: Clusters) -> dict[int, str]:
        """Per root: the NSFC-id IRI if any, else the ORCID IRI, else the smallest IRI."""
        best: dict[int, tuple] = {}
        for node, record in enumerate(self.records):
            root = clusters.find(node)
            rank = ({"nsfc": 0, "orcid": 1}.get(record.kind, 2), record.iri)
            if root not in best or rank < best[root]:
                best[root] = rank
        return {root: rank[1] for root, rank in best.items()}


def _share(a: Collection[str], b: Collection[str]) -> bool:
    return any(item in b for item in a)


def _role(role: str) -> str:
    return {"pi": "PI", "member": "member", "claim": "ORCID claimant"}.get(role, role)


def resolve_persons(data: PersonInput, progress: Progress | None = None,
                    decided: Callable[[list[Decision]], None] | None = None) -> PersonLinks:
    """Cluster person records; pure Python, no store access. `decided` is given the
    decisions made since its last call, after each stage of clustering, whenever
    HAND_ON_EVERY are waiting, and at the end;
    given one, the clusters keep no decision it was given (a million texts at 200,000
    projects), so the result's `decisions` are empty."""
    resolver = _Resolver(data, progress, decided)
    try:
        resolver.collect()
        return resolver.cluster()
    finally:
        resolver.let_go()
