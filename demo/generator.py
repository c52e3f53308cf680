"""Synthetic demo data in every source format of docs/formats.md, with its ground truth.

`generate(outdir, projects, seed)` walks the projects once, in order, from one seeded
random stream; each project's outputs and popular-science works are written as soon as
they are made, so memory stays bounded (the person registry is a few small integer
columns; see demo.people). Output is byte-identical for a seed.

Layout under OUTDIR: projects/, researchers/ (+ researchers/orcid/), outputs/{openalex,
crossref,oai_pmh,pubmed}/, works/, dirty/, truth/ground_truth.json. The truth file's
"conventions" entry explains its keys.

`generate(outdir, projects, seed, after=N)` writes the *next* `projects` projects of the
seed's world instead: the run replays the first N projects (to a scratch directory that is
then deleted, so the random stream and the person registry are those of the N-project
data set) and writes only what comes after them. That slice continues the approval
numbers, output and work keys, names researchers of the first N projects as well as new
ones, and its researchers files hold only the people it registers: new records to ingest
into a graph built from the N-project set, as an incremental load would bring.
"""
from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from demo import names as N
from demo import writers as W
from kg import concepts
from kg import vocab as V
from demo.people import (FLAG_EXPERIENCE, FLAG_NEVER_CREATOR, FLAG_PI, FLAG_RESTRICTED, FLAG_TALENT, STYLE_COMMA_FULL,
                         STYLE_COMMA_INITIALS, STYLE_GIVEN_FAMILY, STYLE_HYPHEN, People, Weighted, canary, format_orcid)

REFERENCE_YEAR = 2025  # "today" for the demo world: projects ending before it are concluded
NSFC_NAME = "National Natural Science Foundation of China"
NSFC_FUNDREF = "10.13039/501100001809"
NSFC_OPENALEX = "https://openalex.org/F4320321001"
NSFC_ROR = "https://ror.org/01h0zpd94"
HIGH_CITATION = 500  # only planted outputs reach this; everything else is capped below it
NORMAL_CITATION_CAP = 400
# At most this many strong candidates are planted: bench/recommend_eval.py judges a top-20 list, and with
# more planted than the list holds recall@20 could not reach 1 however good the ranking.
PLANT_MAX = 20
PLANT_LAST_YEAR = 2022  # planted projects are approved by then, so their results have had time to be cited
# Sources whose records carry a citation count (OpenAlex cited_by_count, Crossref is-referenced-by-count);
# OAI-PMH and PubMed records carry none, so a planted output's significance must come through one of these.
CITED_SOURCES = ("openalex", "crossref")

DEPTS = list(N.DEPARTMENTS)
YEARS = list(range(2015, 2025))
_YEAR_WEIGHTS = [0.85, 0.88, 0.9, 0.93, 0.96, 1.0, 1.03, 1.08, 1.12, 1.15]
_YEAR_PICK = Weighted(YEARS, _YEAR_WEIGHTS)
_DEPT_PICK = Weighted(range(len(DEPTS)), [N.DEPARTMENTS[d][2] for d in DEPTS])
_TYPE_PICK = Weighted(range(len(N.PROJECT_TYPES)), [t[3] for t in N.PROJECT_TYPES])
_TYPE_INDEX = {t[0]: i for i, t in enumerate(N.PROJECT_TYPES)}


def _obliged_type_keys() -> frozenset[str]:
    """Keys of the project types that ontology.ttl puts in the obliged tier: the project's one definition of
    who must popularize (重大, 重大研究计划, 创新研究群体, 国家重大科研仪器研制, 基础科学中心), so the planted
    strong candidates are obliged by the same rule the reports and the recommender apply."""
    keys = set()
    for t in N.PROJECT_TYPES:
        kind = concepts.lookup(V.ProjectTypeScheme, t[1])
        if kind is None:
            raise RuntimeError(f"demo project type {t[1]} has no concept in ontology.ttl")
        if concepts.obligation_tier(kind) == V.TierObliged:
            keys.add(t[0])
    return frozenset(keys)


_OBLIGED = _obliged_type_keys()
OBLIGED_TYPES = [t[1] for t in N.PROJECT_TYPES if t[0] in _OBLIGED]
# Expected share of projects that can be planted as strong: obliged type, approved by PLANT_LAST_YEAR.
_OBLIGED_SHARE = sum(t[3] for t in N.PROJECT_TYPES if t[0] in _OBLIGED) / _TYPE_PICK.total
_PLANT_YEAR_SHARE = sum(w for y, w in zip(YEARS, _YEAR_WEIGHTS) if y <= PLANT_LAST_YEAR) / sum(_YEAR_WEIGHTS)
_OUTPUT_MEAN = {"general": 8, "young": 4.8, "regional": 4, "key": 15, "major": 25, "mrp": 9, "group": 40,
                "excellent_young": 13, "distinguished_young": 22, "instrument": 10, "center": 80, "joint": 7,
                "international": 3.5}
_WORK_KINDS = Weighted(N.WORK_KINDS, [k[3] for k in N.WORK_KINDS])
_PUBLISHERS = [("10.1016", "Elsevier BV", "78"), ("10.1038", "Springer Science and Business Media LLC", "297"),
               ("10.1002", "Wiley", "311"), ("10.1021", "American Chemical Society (ACS)", "316"),
               ("10.1103", "American Physical Society (APS)", "16"), ("10.1109", "Institute of Electrical and Electronics Engineers (IEEE)", "263"),
               ("10.3389", "Frontiers Media SA", "1965"), ("10.1093", "Oxford University Press (OUP)", "286"),
               ("10.1007", "Springer Science and Business Media LLC", "297"), ("10.1360", "Science China Press., Co. Ltd.", "2135")]

# distractor funding: (kind, crossref funder DOI, name en, openalex funder id, zh name)
_DISTRACTORS = [
    ("keyrd", "10.13039/501100012166", "National Key Research and Development Program of China", "https://openalex.org/F4320335787", "国家重点研发计划"),
    ("jiangsu", "10.13039/501100004608", "Natural Science Foundation of Jiangsu Province", "https://openalex.org/F4320322520", "江苏省自然科学基金"),
    ("hubei", "10.13039/501100003819", "Natural Science Foundation of Hubei Province", "https://openalex.org/F4320325874", "湖北省自然科学基金"),
    ("rgc", "10.13039/501100002920", "Research Grants Council, University Grants Committee", "https://openalex.org/F4320321946", "香港研究资助局"),
    ("guangdong", "10.13039/501100003453", "Natural Science Foundation of Guangdong Province", "https://openalex.org/F4320322385", "广东省自然科学基金"),
]


def _publisher(journal: str) -> tuple[str, str, str]:
    for needle, idx in (("IEEE", 5), ("Physical Review", 4), ("Chemical Society", 3), ("Frontiers", 6), ("Science China", 9),
                        ("National Science Review", 9), ("Science Bulletin", 9), ("Nature", 1), ("Cell", 1), ("Lancet", 0),
                        ("Acta", 0), ("Applied", 0), ("Earth", 0), ("Journal of", 0), ("Engineering", 0), ("Omega", 0)):
        if needle in journal:
            return _PUBLISHERS[idx]
    return _PUBLISHERS[(2, 7, 8)[sum(map(ord, journal)) % 3]]


@dataclass
class GenerationSummary:
    projects: int
    researchers: int
    outputs: int
    works: int
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0


# ----------------------------------------------------------------------------- helpers

def _inst_type(kind: str) -> str:
    return {"u": "education", "c": "facility", "h": "healthcare", "o": "government"}[kind]


def _inst_pickers() -> tuple[dict[str, Weighted], dict[str, Weighted]]:
    normal: dict[str, Weighted] = {}
    regional: dict[str, Weighted] = {}
    reg_idx = [i for i, inst in enumerate(N.INSTITUTIONS)
               if inst[2] in N.LESS_DEVELOPED_REGIONS or inst[0] in N.EXTRA_REGIONAL]
    for d in DEPTS:
        kind_w = {"u": 1.0, "c": 0.7, "h": 0.0, "o": 0.3} if d != "H" else {"u": 1.0, "c": 0.1, "h": 3.0, "o": 0.4}
        normal[d] = Weighted(range(len(N.INSTITUTIONS)), [kind_w[i[4]] * (3.0 if n < 10 else 1.0) for n, i in enumerate(N.INSTITUTIONS)])
        regional[d] = Weighted(reg_idx, [max(kind_w[N.INSTITUTIONS[i][4]], 0.2) for i in reg_idx])
    return normal, regional


_INST_NORMAL, _INST_REGIONAL = _inst_pickers()
_REGIONAL_SET = frozenset(_INST_REGIONAL["A"].items)


def _email(people: People, pid: int, rng_val: int) -> str:
    family, syl = people.pinyin(pid)
    user = f"{''.join(syl)}.{family}".lower() if rng_val % 3 else f"{family}{''.join(s[0] for s in syl)}".lower()
    if rng_val % 7 == 0:
        return f"{user}{rng_val % 97}@163.com"
    en = N.INSTITUTIONS[people.inst[pid]][1]
    words = [w for w in en.replace(",", "").replace("(", "").replace(")", "").split() if w[0].isupper() and w not in ("Of", "The")]
    short = "".join(w[0] for w in words).lower() or "inst"
    tld = "ac.cn" if N.INSTITUTIONS[people.inst[pid]][4] == "c" else "edu.cn"
    return f"{user}@{short}.{tld}"


def _ym(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


class Truth:
    """Big ground-truth sections are streamed to temporary files and assembled at the end."""

    SECTIONS = ("outputs", "output_duplicate_groups")

    def __init__(self, tdir: Path) -> None:
        tdir.mkdir(parents=True, exist_ok=True)
        self.tdir = tdir
        self.fh = {s: open(tdir / f".{s}.tmp", "w", encoding="utf-8") for s in self.SECTIONS}
        self.first = {s: True for s in self.SECTIONS}
        self.small: dict[str, Any] = {}
        self.mention_fh: dict[str, Any] = {}

    def add(self, section: str, item: Any) -> None:
        fh = self.fh[section]
        if not self.first[section]:
            fh.write(",\n")
        self.first[section] = False
        fh.write(W.dumps(item))

    def output(self, key: str, item: Any) -> None:
        fh = self.fh["outputs"]
        if not self.first["outputs"]:
            fh.write(",\n")
        self.first["outputs"] = False
        fh.write(f"{json.dumps(key, ensure_ascii=False)}: {W.dumps(item)}")

    def mention(self, file: str, key: str, fld: str, name: str, true_id: str) -> None:
        fh = self.mention_fh.get(file)
        if fh is None:
            fh = self.mention_fh[file] = open(self.tdir / f".m{len(self.mention_fh)}.tmp", "w", encoding="utf-8")
        else:
            fh.write(",\n")
        fh.write(W.dumps([key, fld, name, true_id]))

    def discard(self) -> None:
        """Close the streams of a replayed run; its directory is deleted with the rest."""
        for fh in [*self.fh.values(), *self.mention_fh.values()]:
            fh.close()

    def finish(self) -> Path:
        path = self.tdir / "ground_truth.json"
        with open(path, "w", encoding="utf-8") as out:
            out.write("{\n")
            for k, v in self.small.items():
                out.write(f'"{k}": {json.dumps(v, ensure_ascii=False, indent=1)},\n')
            for i, s in enumerate(self.SECTIONS):
                self.fh[s].close()
                out.write(f'"{s}": {"{" if s == "outputs" else "["}\n')
                with open(self.tdir / f".{s}.tmp", encoding="utf-8") as fh:
                    shutil.copyfileobj(fh, out)
                out.write(f'\n{"}" if s == "outputs" else "]"},\n')
                (self.tdir / f".{s}.tmp").unlink()
            out.write('"person_mentions": {\n')
            files = sorted(self.mention_fh)
            for i, f in enumerate(files):
                fh = self.mention_fh[f]
                fh.close()
                out.write(f"{json.dumps(f, ensure_ascii=False)}: [\n")
                with open(fh.name, encoding="utf-8") as src:
                    shutil.copyfileobj(src, out)
                out.write(f"\n]{',' if i < len(files) - 1 else ''}\n")
                Path(fh.name).unlink()
            out.write("}\n}\n")
        return path


# ----------------------------------------------------------------------------- the generator

class _Gen:
    def __init__(self, outdir: Path, n_projects: int, seed: int, progress: Callable[[int], None] | None,
                 after: int = 0, output_scale: float = 1.0) -> None:
        # With `after`, the first `after` projects are replayed into a scratch directory (see the module docstring).
        self.final_out = outdir
        self.out = outdir / ".replay" if after else outdir
        self.after = after
        self.n = after + n_projects
        # Sizes and rates come from the data set the run continues, so its random stream is that set's.
        self.scale = after or n_projects
        self.seed = seed
        self.output_scale = output_scale
        self.rng = random.Random(seed)
        self.progress = progress
        self.people = People(seed)
        self.dept_pool: dict[int, list[int]] = {i: [] for i in range(len(DEPTS))}
        self.regional_pool: dict[int, list[int]] = {i: [] for i in range(len(DEPTS))}
        self.approvals: list[str] = []
        self.restricted_project = bytearray()
        self.counters: dict[str, int] = {}
        self.files: list[str] = []
        self.n_outputs = 0
        self.n_records = 0
        self.n_works = 0
        self.n_ext = 0
        self.restricted: list[dict[str, Any]] = []
        self.dirty: list[dict[str, Any]] = []
        self.two_files: list[dict[str, Any]] = []
        self.planted: list[dict[str, Any]] = []
        self.near_misses: list[dict[str, Any]] = []
        self.popularization_field: list[str] = []
        self.oai_deleted: list[str] = []
        self.orcid_people: dict[int, dict[str, list[str]]] = {}
        self.format_counts: dict[str, int] = {}
        # Strong candidates and two of the three kinds of near miss need an obliged project approved by
        # PLANT_LAST_YEAR, and obliged types are rare (about 2% of projects): plant about 3% of the projects, at
        # most PLANT_MAX and at most 60% of the eligible obliged projects the set is expected to have.
        eligible = max(1.0, self.scale * _OBLIGED_SHARE * _PLANT_YEAR_SHARE)
        k = min(PLANT_MAX, max(1, round(min(self.scale * 0.03, eligible * 0.6))))
        self.plant_target = k
        near = max(1, k // 6)
        self.near_target = {"has_work": near, "not_obliged": near, "pi_without_experience": near}
        self.near_done = {key: 0 for key in self.near_target}
        self.plant_p = min(1.0, 1.5 * (k + 2 * near) / eligible)
        self.no_work_projects: set[int] = set()
        self.no_work_approvals: set[str] = set()
        self.xlsx_rows: list[list[Any]] = []
        self.bad_row_done = False
        self.slice_start = {"people": 0, "outputs": 0, "works": 0, "records": 0, "planted": 0, "near_misses": 0}
        self._open_writers()

    # ---- files
    def rel(self, p: Path) -> str:
        return p.relative_to(self.out).as_posix()

    def _csv(self, rel: str, header: list[str], **kw: Any) -> W.CsvWriter:
        w = W.CsvWriter(self.out / rel, header, **kw)
        self.files.append(rel)
        return w

    def _open_writers(self) -> None:
        o = self.out
        big = self.scale > 5000
        self.dailycafi: dict[str, W.CsvWriter] = {}
        self.dc_index: dict[str, int] = {}
        self.dc_prefix: dict[tuple[str, str], int] = {}
        tsv_header = ["项目名称", "批准号", "项目类别", "依托单位", "项目负责人", "资助经费(万元)", "批准年度", "关键词", "是否结题",
                      "研究成果(期刊论文;会议论文;著作;奖励;专利)", "依托单位ID", "项目负责人ID", "项目类别代码", "申请代码", "起止年月",
                      "中文摘要", "英文摘要", "负责人职称"]
        self.tsv = self._csv("projects/nsfc_suqingdong.tsv", tsv_header, delimiter="\t")
        self.tsv_gbk = self._csv("projects/nsfc_suqingdong_regional.gbk.tsv", tsv_header, delimiter="\t", encoding="gb18030")
        self.pjsonl = W.JsonLinesWriter(o / "projects/nsfc_projects.jsonl")
        self.files.append("projects/nsfc_projects.jsonl")
        self.xlsx_rel = "projects/nsfc_suqingdong.xlsx"
        self.openalex = W.ShardedJsonLines(o / "outputs/openalex", "works", 100000 if big else 10**9, self.files, o)
        self.crossref = W.ShardedJsonLines(o / "outputs/crossref", "works", 100000 if big else 10**9, self.files, o)
        self.oai = W.OaiPager(o / "outputs/oai_pmh", 1000 if big else 100, self.files, o)
        self.pubmed = W.PubmedWriter(o / "outputs/pubmed", 10000 if big else 10**9, self.files, o)
        works_header = ["work_id", "title", "kind", "creators", "creator_ids", "channel", "url", "date", "audience", "views",
                        "likes", "shares", "attendance", "awards", "event", "grant_numbers", "dois", "review_status"]
        self.works_csv = self._csv("works/popsci_works.csv", works_header)
        self.works_jsonl = W.JsonLinesWriter(o / "works/popsci_works.jsonl")
        self.files.append("works/popsci_works.jsonl")
        self.works_ld = W.JsonLdGraphWriter(o / "works/popsci_works.jsonld")
        self.files.append("works/popsci_works.jsonld")
        self.truth = Truth(o / "truth")

    def dailycafi_writer(self, dept: str) -> tuple[str, W.CsvWriter]:
        rel = f"projects/nsfc_dailycafi_{dept}.csv"
        if dept not in self.dailycafi:
            self.dailycafi[dept] = self._csv(rel, ["index", "approveText", "title", "searchYear", "searchFund", "searchCode", "codeText",
                                                   "fundTypeText", "personText", "money", "approveYear", "endYear", "organization",
                                                   "keywords"], quote_all=True)
            self.dc_index[dept] = 0
        return rel, self.dailycafi[dept]

    # ---- approval numbers
    def approval_number(self, dept: str, year: int, tkey: str) -> str:
        rng = self.rng
        yy = f"{year % 100:02d}"
        d = N.DEPARTMENTS[dept][3]
        t = N.PROJECT_TYPES[_TYPE_INDEX[tkey]]
        if tkey == "joint":
            prefix, width = "U" + yy + d, 4
        elif tkey == "international":
            prefix, width = d + yy + "5", 7
        elif dept == "T":
            prefix, width = "T" + yy + str(_TYPE_INDEX[tkey] % 10), 4
        elif tkey == "mrp":
            prefix, width = "9" + yy + "5" + d, 3
        else:
            prefix, width = d + yy + t[6], 8 - 3 - len(t[6])
        cur = self.counters.get(prefix)
        if cur is None:
            cur = {7: rng.randint(400000, 420000), 4: rng.randint(1, 300)}.get(width, rng.randint(1, 20 if width == 3 else 3))
        else:
            cur += rng.randint(1, 2) if width >= 4 and self.scale < 300000 else 1
        if cur >= 10 ** width:
            raise RuntimeError(f"approval-number space {prefix}… exhausted; generate fewer projects")
        self.counters[prefix] = cur
        return f"{prefix}{cur:0{width}d}"

    # ---- people
    def pick_person(self, dept_i: int, new_p: float, seniority: int, topic: int, regional: bool = False) -> int:
        rng = self.rng
        pool = self.regional_pool[dept_i] if regional else self.dept_pool[dept_i]
        if pool and rng.random() >= new_p:
            pid = pool[rng.randrange(len(pool))]
            self.people.promote(pid, rng, seniority)
            return pid
        dept = DEPTS[dept_i]
        inst = (_INST_REGIONAL if regional else _INST_NORMAL)[dept].pick(rng)
        pid = self.people.new(rng, dept_i, inst, seniority, topic)
        self.dept_pool[dept_i].append(pid)
        if inst in _REGIONAL_SET:
            self.regional_pool[dept_i].append(pid)
        return pid

    # ---- main loop
    def run(self) -> GenerationSummary:
        t0 = time.perf_counter()
        pending_progress = 0
        for i in range(self.n):
            if i == self.after and self.after:
                self.start_slice()
            self.project(i)
            pending_progress += 1
            if self.progress and pending_progress >= 500:
                self.progress(pending_progress)
                pending_progress = 0
        if self.progress and pending_progress:
            self.progress(pending_progress)
        self.finish_projects()
        n_res = self.write_researchers()
        if not self.after:  # the dirty rows have fixed keys: a slice would repeat them
            self.write_dirty()
        self.close_all()
        self.drop_empty_files()
        self.write_truth(n_res)
        files = sorted(self.files)
        return GenerationSummary(projects=self.n - self.after, researchers=n_res,
                                 outputs=self.n_outputs - self.slice_start["outputs"],
                                 works=self.n_works - self.slice_start["works"], files=files,
                                 seconds=time.perf_counter() - t0)

    def start_slice(self) -> None:
        """Drop the replayed files and write from here on into the real output directory.

        Only bookkeeping that feeds the files and the ground truth is reset; everything the
        random choices depend on (counters, pools, planted counts) carries on.
        """
        self.finish_projects()
        self.close_all()
        self.truth.discard()
        shutil.rmtree(self.out)
        self.out = self.final_out
        self.files = []
        self.restricted, self.dirty, self.two_files, self.popularization_field, self.oai_deleted = [], [], [], [], []
        self.format_counts = {}
        self.slice_start = {"people": len(self.people), "outputs": self.n_outputs, "works": self.n_works,
                            "records": self.n_records, "planted": len(self.planted),
                            "near_misses": len(self.near_misses)}
        self._open_writers()

    def project(self, i: int) -> None:
        rng = self.rng
        ti = _TYPE_PICK.pick(rng)
        t = N.PROJECT_TYPES[ti]
        tkey = t[0]
        year = _YEAR_PICK.pick(rng)
        dept_i = _DEPT_PICK.pick(rng)
        if DEPTS[dept_i] == "T" and year < 2020:
            year = rng.randint(2020, 2024)
        if tkey == "center" and year < 2020:
            year = rng.randint(2020, 2024)
        dept = DEPTS[dept_i]
        codes = N.CODES[dept]
        c1 = codes[rng.randrange(len(codes))]
        code6 = f"{c1[0]}{rng.randint(1, 8):02d}{rng.randint(1, 4):02d}"
        topics = N.TOPICS[dept]
        topic_i = rng.randrange(len(topics))
        topic = topics[topic_i]
        topic2 = topics[rng.randrange(len(topics))]
        aspect = N.ASPECTS[rng.randrange(len(N.ASPECTS))]
        method = N.METHODS[rng.randrange(len(N.METHODS))]
        form = rng.randrange(4)
        if form == 0:
            title, title_en = f"{topic[0]}的{aspect[0]}研究", f"Research on the {aspect[1]} of {topic[1]}"
        elif form == 1:
            title, title_en = f"基于{method[0]}的{topic[0]}{aspect[0]}研究", f"{aspect[1].capitalize()} of {topic[1]} based on {method[1]}"
        elif form == 2:
            title, title_en = f"{topic[0]}中{aspect[0]}的{method[0]}研究", f"A {method[1]} study of {aspect[1]} in {topic[1]}"
        else:
            title, title_en = f"面向{topic2[0]}的{topic[0]}{aspect[0]}", f"{aspect[1].capitalize()} of {topic[1]} for {topic2[1]}"
        kw = [topic, method, aspect] + ([topic2] if topic2 != topic else [])
        rng.shuffle(kw)
        approval = self.approval_number(dept, year, tkey)
        duration = t[5] if tkey != "excellent_young" or year < 2020 else 3
        start = year + 1
        end = year + duration
        concluded = end < REFERENCE_YEAR and rng.random() < 0.96
        lo, hi = t[4]
        money = float(rng.randint(lo, hi)) if hi - lo < 100 else float(rng.randrange(lo, hi, 10))
        seniority = {"young": 0, "regional": 1, "general": 1, "joint": 1, "international": 1}.get(tkey, 2)
        pi_new = {"young": 0.85, "general": 0.45, "regional": 0.5, "joint": 0.4, "international": 0.5}.get(tkey, 0.15)
        pi = self.pick_person(dept_i, pi_new, seniority, topic_i, regional=(tkey == "regional"))
        n_members = rng.choices((0, 1, 2, 3, 4), (15, 25, 30, 20, 10))[0] + (2 if seniority == 2 else 0)
        members: list[int] = []
        for _ in range(n_members):
            m = self.pick_person(dept_i, 0.5, 0, topic_i)
            if m != pi and m not in members:
                members.append(m)
        ppl = self.people
        ppl.set_flag(pi, FLAG_PI)
        if (len(self.orcid_people) < 8 and ppl.orcid(pi) and seniority == 2 and pi not in self.orcid_people
                and not ppl.has_flag(pi, FLAG_RESTRICTED)):
            self.orcid_people[pi] = {"grants": [], "dois": []}
        prev_project = ppl.last_project[pi]
        restricted = rng.random() < 0.03 and i >= 2
        status = "approved"
        if restricted:
            status = rng.choice(("pending", "pending", "confidential"))
            can = canary(self.seed, "project", approval)
            title = f"{title} {can}"
        self.approvals.append(approval)
        self.restricted_project.append(1 if restricted else 0)
        if not restricted:
            ppl.last_project[pi] = i
            if pi in self.orcid_people:
                self.orcid_people[pi]["grants"].append(approval)
        inst = N.INSTITUTIONS[ppl.inst[pi]]
        p = dict(i=i, approval=approval, title=title, title_en=title_en, tkey=tkey, type=t, dept=dept, code6=code6, c1=c1,
                 year=year, start=start, end=end, concluded=concluded, money=money, pi=pi, members=members,
                 inst=inst, inst_i=ppl.inst[pi], keywords=kw, topic=topic, topic2=topic2, aspect=aspect, method=method,
                 status=status, obliged=tkey in _OBLIGED, n_outputs=0, popularization="")

        # what this project is planted as
        plant = None
        obliged = p["obliged"]
        if not restricted and year <= PLANT_LAST_YEAR and rng.random() < (self.plant_p if obliged else 0.05):
            if rng.random() < 0.25 or len(self.planted) >= self.plant_target:
                for reason, want in self.near_target.items():
                    if self.near_done[reason] >= want:
                        continue
                    if reason == "not_obliged" and obliged:
                        continue
                    if reason != "not_obliged" and not obliged:
                        continue
                    if reason == "pi_without_experience" and (ppl.flags[pi] & (FLAG_EXPERIENCE | FLAG_TALENT)):
                        continue
                    if reason != "pi_without_experience" and ppl.has_flag(pi, FLAG_NEVER_CREATOR):
                        continue
                    plant = reason
                    break
            if plant is None and obliged and len(self.planted) < self.plant_target and not ppl.has_flag(pi, FLAG_NEVER_CREATOR):
                plant = "strong"
        if plant in ("strong", "not_obliged", "pi_without_experience"):
            self.no_work_projects.add(i)
            self.no_work_approvals.add(approval)
        if plant == "pi_without_experience":
            ppl.set_flag(pi, FLAG_NEVER_CREATOR)
        if plant in ("strong", "not_obliged") and not ppl.has_flag(pi, FLAG_EXPERIENCE):
            self.experience_work(pi, prev_project)

        # popularization field in the concluding report (JSON lines only shows it)
        if concluded and not restricted and plant is None and rng.random() < 0.08:
            p["popularization"] = rng.choice([
                f"https://kepu.example.org/project/{approval}",
                f"项目组在{rng.choice(N.CHANNELS['video'])}发布科普视频，介绍{topic[0]}的研究进展",
                f"在全国科普日期间举办{topic[0]}主题讲座，约{rng.randint(2, 30) * 10}人参加",
            ])

        # outputs first (works may point at their DOIs), then the project rows
        dois = self.outputs_for(p, plant)
        self.write_project(p, restricted)
        if restricted:
            self.restricted.append({"canary": can, "kind": "project", "key": approval, "review_status": status,
                                    "file": "projects/nsfc_projects.jsonl"})
        elif plant not in ("strong", "not_obliged", "pi_without_experience"):
            want_work = plant == "has_work"
            p_work = (0.3 if obliged else 0.1) * (1.3 if concluded else 0.7)
            if want_work or rng.random() < p_work:
                for _ in range(1 if want_work else rng.choices((1, 2, 3), (65, 25, 10))[0]):
                    self.work_for(p, dois, force_public=want_work)

    # ---- projects in their formats
    def write_project(self, p: dict[str, Any], restricted: bool) -> None:
        rng = self.rng
        if restricted:
            fmts = ["jsonl"]
        else:
            r = rng.random()
            if r < 0.70:
                f = "dailycafi"
            elif r < 0.82:
                f = "tsv"
            elif r < 0.90 and len(self.xlsx_rows) < 2000:
                f = "xlsx"
            else:
                f = "jsonl"
            fmts = [f]
            if p["i"] in (7, 37, 67) or rng.random() < 0.004:
                other = [x for x in ("dailycafi", "tsv", "jsonl", "xlsx") if x != f and (x != "xlsx" or len(self.xlsx_rows) < 2000)]
                fmts.append(other[rng.randrange(len(other))])
        written = []
        for f in fmts:
            rel = getattr(self, f"_p_{f}")(p)
            written.append(rel)
            self.format_counts[f] = self.format_counts.get(f, 0) + 1
            if f == "jsonl":
                for k, m in enumerate(p["members"]):
                    self.truth.mention(rel, p["approval"], f"member:{k}", self.people.zh(m), People.true_id(m))
            self.truth.mention(rel, p["approval"], "pi", self.people.zh(p["pi"]), People.true_id(p["pi"]))
        if len(written) > 1:
            self.two_files.append({"approval_number": p["approval"], "files": written})

    def _kw(self, p: dict[str, Any], lang: int) -> list[str]:
        return [k[lang] for k in p["keywords"]]

    def _abstract(self, p: dict[str, Any]) -> tuple[str, str]:
        t, a, m, t2 = p["topic"], p["aspect"], p["method"], p["topic2"]
        zh = (f"{t[0]}是{N.DEPARTMENTS[p['dept']][0][:-1]}领域的重要前沿问题。本项目拟综合运用{m[0]}等方法，系统研究{t[0]}的{a[0]}，"
              f"揭示其内在规律，建立相应的理论模型，并探索其在{t2[0]}中的应用，为相关领域提供理论基础和技术支撑。")
        en = (f"{t[1][0].upper() + t[1][1:]} is an important frontier problem. This project will use {m[1]} and related approaches to study "
              f"the {a[1]} of {t[1]} systematically, reveal the underlying principles, build theoretical models and explore "
              f"applications in {t2[1]}, providing a theoretical and technical basis for the field.")
        return zh, en

    def _p_dailycafi(self, p: dict[str, Any]) -> str:
        rel, w = self.dailycafi_writer(p["dept"])
        fund = p["type"][1]
        self.dc_index[p["dept"]] += 1
        n = self.dc_prefix.get((p["dept"], fund), 0) + 1
        self.dc_prefix[(p["dept"], fund)] = n
        code4 = p["code6"][:5]
        w.row([str(self.dc_index[p["dept"]]), p["approval"], f"{n}.{p['title']}", str(p["end"]), fund, code4, code4, fund,
               self.people.zh(p["pi"]), f"{p['money']:.1f}", str(p["year"]), str(p["end"]), p["inst"][0],
               "； ".join(self._kw(p, 0))])
        if not self.bad_row_done and p["i"] >= 5:
            self.bad_row_done = True
            bad = p["approval"][:4] + "O" + p["approval"][5:]
            self.dc_index[p["dept"]] += 1
            line = w.row([str(self.dc_index[p["dept"]]), bad, f"{n + 1}.{p['topic'][0]}的{p['aspect'][0]}研究（重复录入）",
                          str(p["end"]), fund, code4, code4, fund, self.people.zh(p["pi"]), f"{p['money']:.1f}",
                          str(p["year"]), str(p["end"]), p["inst"][0], "； ".join(self._kw(p, 0))])
            self.dc_prefix[(p["dept"], fund)] = n + 1
            self.truth.mention(rel, bad, "pi", self.people.zh(p["pi"]), People.true_id(p["pi"]))
            self.dirty.append({"file": rel, "line": line, "field": "approveText", "value": bad,
                               "problem": "approval number with the letter O instead of a zero", "in_main_data": True})
        return rel

    def _tsv_row(self, p: dict[str, Any]) -> list[Any]:
        zh, en = self._abstract(p)
        n = p["n_outputs"]
        stats = f"{max(0, n - n // 5)};{n // 5};{1 if n > 10 else 0};0;{n // 8}" if p["concluded"] else "0;0;0;0;0"
        return [p["title"], p["approval"], p["type"][1], p["inst"][0], self.people.zh(p["pi"]), str(int(p["money"])),
                str(p["year"]), "；".join(self._kw(p, 0)), "是" if p["concluded"] else "否", stats,
                str(100000 + p["inst_i"] * 37), People.nsfc_id(p["pi"]), p["type"][7], p["code6"],
                f"{p['start']}-01至{p['end']}-12", zh, en, self.people.title_zh(p["pi"])]

    def _p_tsv(self, p: dict[str, Any]) -> str:
        w = self.tsv_gbk if p["inst"][2] in N.LESS_DEVELOPED_REGIONS or self.rng.random() < 0.1 else self.tsv
        w.row(self._tsv_row(p))
        return self.rel(w.path)

    def _p_xlsx(self, p: dict[str, Any]) -> str:
        zh, en = self._abstract(p)
        c = p["code6"]
        codes = f"一级：{c[:3]}，二级：{c[:5]}，三级：{c}" if self.rng.random() < 0.6 else f"一级：{c[:3]}，二级：{c[:5]}"
        self.xlsx_rows.append([p["approval"], p["title"], zh, en, p["type"][1], codes, self.people.zh(p["pi"]), p["inst"][0],
                               int(p["money"]), p["start"] * 100 + 1, p["end"] * 100 + 12, p["year"],
                               "；".join(self._kw(p, 0)), "；".join(self._kw(p, 1)), p["concluded"],
                               zh if p["concluded"] and self.rng.random() < 0.5 else None])
        return self.xlsx_rel

    def _p_jsonl(self, p: dict[str, Any]) -> str:
        rng = self.rng
        zh, en = self._abstract(p)
        c = p["code6"]
        period = rng.choice((f"{p['start']}-01至{p['end']}-12", f"{p['start']}-01~{p['end']}-12", f"{p['start']}01-{p['end']}12"))
        sep = rng.choice(("；", ";", "、", ","))
        status = {"approved": rng.choice(("approved", "已审核", "通过")), "pending": rng.choice(("pending", "待审核")),
                  "confidential": rng.choice(("confidential", "涉密", "保密"))}[p["status"]]
        rec = {"项目批准号": p["approval"], "项目名称": p["title"], "英文名称": p["title_en"],
               "项目类别": p["type"][1] if rng.random() < 0.85 else p["type"][2], "申请代码": rng.choice((c, c[:5], c[:3] if len(c) else c)),
               "项目负责人": self.people.zh(p["pi"]), "项目负责人ID": People.nsfc_id(p["pi"]), "负责人职称": self.people.title_zh(p["pi"]),
               "参与者": sep.join(self.people.zh(m) for m in p["members"]), "依托单位": p["inst"][0],
               "依托单位ID": str(100000 + p["inst_i"] * 37), "批准金额(万元)": p["money"], "项目起止年月": period,
               "批准年度": p["year"], "结题年度": p["end"] if p["concluded"] else None,
               "中文关键词": "；".join(self._kw(p, 0)), "英文关键词": "; ".join(self._kw(p, 1)),
               "中文摘要": zh, "英文摘要": en, "结题摘要": zh if p["concluded"] else None, "是否结题": "是" if p["concluded"] else "否",
               "项目成果科普性介绍或展示网站": p["popularization"] or None, "审核状态": status}
        self.pjsonl.write(rec)
        if p["popularization"]:
            self.popularization_field.append(p["approval"])
        return "projects/nsfc_projects.jsonl"

    def finish_projects(self) -> None:
        header = ["project_id", "title", "abstract", "abstract_en", "project_type", "subject_code_list", "person", "institution",
                  "money", "start_time", "end_time", "approval_year", "keyword", "keyword_en", "finished", "abstract_conc"]
        W.write_xlsx(self.out / self.xlsx_rel, header, self.xlsx_rows)
        self.files.append(self.xlsx_rel)
        self.xlsx_rows = []

    # ---- research outputs
    def acknowledged(self, p: dict[str, Any]) -> list[str]:
        rng = self.rng
        nums = [p["approval"]]
        prev = self.people.last_project[p["pi"]]
        if prev >= 0 and prev != p["i"] and not self.restricted_project[prev] and rng.random() < 0.3:
            nums.append(self.approvals[prev])
        if p["members"] and rng.random() < 0.1:
            mp = self.people.last_project[p["members"][0]]
            if mp >= 0 and not self.restricted_project[mp] and self.approvals[mp] not in nums:
                nums.append(self.approvals[mp])
        if rng.random() < 0.4:
            rng.shuffle(nums)
        return nums

    def distractors(self, year: int) -> list[tuple[tuple[str, ...], str]]:
        rng = self.rng
        out = []
        for _ in range(rng.choices((0, 1, 2), (60, 30, 10))[0]):
            d = _DISTRACTORS[rng.randrange(len(_DISTRACTORS))]
            y = max(2016, min(year - rng.randint(0, 2), 2023))
            if d[0] == "keyrd":
                num = f"{y}YF{rng.choice('ABCDE')}{rng.randint(700000, 1999999):07d}"
            elif d[0] == "jiangsu":
                num = f"BK{y}{rng.randint(0, 1999):04d}"
            elif d[0] == "hubei":
                num = f"{y}CF{rng.choice('ABC')}{rng.randint(100, 999)}"
            elif d[0] == "rgc":
                num = f"1{rng.randint(1, 7)}{rng.randint(100000, 399999)}"
            else:
                num = f"{y}A1515{rng.randint(10000, 12999):06d}"
            if all(num != o[1] for o in out):
                out.append((d, num))
        return out

    def ack_text(self, nums: list[str], dist: list[tuple[tuple[str, ...], str]], zh: bool) -> str:
        rng = self.rng
        if zh:
            sep = rng.choice(("，", "、", ",", "；"))
            parts = [f"国家自然科学基金{rng.choice(('', '资助项目', '项目', '面上项目'))}（{sep.join(nums)}）" if rng.random() < 0.5
                     else f"国家自然科学基金({sep.join(nums)})"]
            for d, num in dist:
                parts.append(f"{d[4]}({num})")
            rng.shuffle(parts)
            return rng.choice(("基金项目：", "本研究得到以下项目资助：", "[项目来源] ")) + "；".join(parts) + "。"
        if len(nums) == 1:
            nsfc = rng.choice((f"the National Natural Science Foundation of China (Grant No. {nums[0]})",
                               f"National Natural Science Foundation of China under Grant {nums[0]}",
                               f"the NSFC (No. {nums[0]})"))
        else:
            joined = ", ".join(nums[:-1]) + " and " + nums[-1] if rng.random() < 0.5 else ", ".join(nums)
            nsfc = f"the National Natural Science Foundation of China (Grant Nos. {joined})"
        parts = [nsfc]
        for d, num in dist:
            label = {"keyrd": "the National Key R&D Program of China", "rgc": "the Research Grants Council of Hong Kong"}.get(d[0], "the " + d[2])
            parts.append(f"{label} ({'Project No. ' if d[0] == 'rgc' else ''}{num})")
        rng.shuffle(parts)
        if len(parts) > 1:
            body = ", ".join(parts[:-1]) + " and " + parts[-1]
        else:
            body = parts[0]
        return rng.choice(("This work was supported by ", "This work was partially supported by ", "Funding: ",
                           "The authors acknowledge support from ")) + body + "."

    def outputs_for(self, p: dict[str, Any], plant: str | None) -> list[str]:
        rng = self.rng
        if p["status"] != "approved":
            return []
        elapsed = (REFERENCE_YEAR - p["start"]) / (p["end"] - p["start"] + 2)
        lam = _OUTPUT_MEAN[p["tkey"]] * self.output_scale * max(0.12, min(1.0, elapsed))
        n = int(rng.gammavariate(2.0, lam / 2.0) + 0.5)
        if plant:
            n = max(n, 1)
        p["n_outputs"] = n
        dois = []
        for k in range(n):
            dois.append(self.output(p, plant if k == 0 else None))
        return [d for d in dois if d]

    def output(self, p: dict[str, Any], plant: str | None) -> str:
        rng = self.rng
        ppl = self.people
        self.n_outputs += 1
        oid = self.n_outputs
        okey = f"O{oid:07d}"
        year = min(REFERENCE_YEAR, rng.randint(p["start"], p["end"] + 2))
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        dept = p["dept"]
        journal = N.JOURNALS[dept][rng.randrange(len(N.JOURNALS[dept]))]
        pub = _publisher(journal)
        slug = "".join(w[0] for w in journal.replace(":", "").split() if w[0].isalpha()).lower()
        doi = f"{pub[0]}/{slug}.{year}.{oid:07d}"
        issn = f"{1000 + (sum(map(ord, journal)) * 7) % 9000:04d}-{(sum(map(ord, journal)) * 13) % 9000 + 1000:04d}"
        q = N.QUALIFIERS[rng.randrange(len(N.QUALIFIERS))]
        m = N.METHODS[rng.randrange(len(N.METHODS))]
        a = N.ASPECTS[rng.randrange(len(N.ASPECTS))]
        form = rng.randrange(3)
        tp = p["topic"]
        if form == 0:
            title = f"{q} {m[1]} reveals the {a[1]} of {tp[1]}"
        elif form == 1:
            title = f"{a[1].capitalize()} of {tp[1]}: a {q.lower()} {m[1]} approach ({oid % 997})"
        else:
            title = f"{q} {tp[1]} {a[1]} via {m[1]} in {p['topic2'][1]}"
        title_zh = f"{tp[0]}{a[0]}的{m[0]}研究"
        team = [p["pi"]] + p["members"]
        k = min(len(team), rng.randint(2, 4) if rng.random() < 0.9 else rng.randint(5, 6))
        authors = rng.sample(team, k)
        if p["pi"] not in authors and rng.random() < 0.9:
            authors[-1] = p["pi"]
        elif p["pi"] in authors and rng.random() < 0.6:
            authors.remove(p["pi"])
            authors.append(p["pi"])
        ext = None
        if rng.random() < 0.15:
            self.n_ext += 1
            ext = (N.FOREIGN_NAMES[rng.randrange(len(N.FOREIGN_NAMES))], f"E{self.n_ext:07d}")
        if plant in ("strong", "has_work", "not_obliged", "pi_without_experience"):
            cites = rng.randint(HIGH_CITATION + 100, 5000)
        else:
            age = REFERENCE_YEAR - year + 0.5
            cites = min(NORMAL_CITATION_CAP, int((rng.paretovariate(1.3) - 1.0) * 4 * age))
        no_funding = plant is None and rng.random() < 0.04
        nums = [] if no_funding else self.acknowledged(p)
        if plant:
            nums = [p["approval"]] + [x for x in nums if x != p["approval"]]
        dist = [] if no_funding else self.distractors(year)
        o = dict(oid=okey, n=oid, doi=doi, title=title, title_zh=title_zh, year=year, month=month, day=day, journal=journal,
                 pub=pub, issn=issn, authors=authors, ext=ext, cites=cites, nums=nums, dist=dist, p=p,
                 keywords=[tp[1], m[1], a[1]])
        # choose sources
        if plant:  # a planted output's citation count must be in the graph: its first record comes from a source with one
            src = rng.choices(CITED_SOURCES, (40, 30))[0]
        elif dept == "H":
            src = rng.choices(("openalex", "crossref", "oai", "pubmed"), (30, 18, 17, 35))[0]
        else:
            src = rng.choices(("openalex", "crossref", "oai"), (40, 30, 30))[0]
        nodoi_dup = plant is None and rng.random() < 0.012
        dup = not nodoi_dup and (rng.random() < 0.06 or p["i"] in (3, 11))
        has_doi = plant is not None or dup or {"openalex": 0.97, "crossref": 1.0, "oai": 0.7, "pubmed": 0.9}[src] > rng.random()
        records = []
        if nodoi_dup:
            o["nodoi_dup"] = True
            records.append(self.emit("openalex", o, doi_form=None))
            records.append(self.emit("oai", o, doi_form=None))
            self.truth.add("output_duplicate_groups", {"output": okey, "match": "title+year+first_author", "records": records})
        else:
            records.append(self.emit(src, o, doi_form="canonical" if has_doi else None))
            if dup:
                others = [s for s in ("openalex", "crossref", "oai", "pubmed") if s != src and (s != "pubmed" or dept == "H")]
                s2 = others[rng.randrange(len(others))]
                form2 = rng.choice(("upper", "url", "doi_prefix", "dx_url"))
                records.append(self.emit(s2, o, doi_form=form2))
                self.truth.add("output_duplicate_groups", {"output": okey, "match": "doi", "doi": doi, "records": records})
        if plant:
            entry = {"output": okey, "records": records, "approval_number": p["approval"], "project_type": p["type"][1],
                     "pi": People.true_id(p["pi"]), "cited_by_count": cites, "doi": doi}
            if plant == "strong":
                self.planted.append(entry)
            else:
                entry["reason"] = plant
                self.near_misses.append(entry)
                self.near_done[plant] += 1
        if (p["pi"] in self.orcid_people) and has_doi:
            self.orcid_people[p["pi"]]["dois"].append(doi)
        # A later project's output may acknowledge a planted project (its PI's or a member's earlier grant);
        # a work naming that output would popularize the planted project too, so works may not name it.
        if any(n in self.no_work_approvals for n in nums):
            return ""
        return doi if (has_doi or dup) and not nodoi_dup else ""

    def _doi_as(self, doi: str, form: str | None) -> str | None:
        if form is None:
            return None
        return {"canonical": doi, "upper": doi.upper(), "url": f"https://doi.org/{doi}", "doi_prefix": f"doi:{doi}",
                "dx_url": f"http://dx.doi.org/{doi.upper()}"}[form]

    def _author_mentions(self, file: str, key: str, names: list[tuple[str, str]]) -> None:
        for k, (name, tid) in enumerate(names):
            self.truth.mention(file, key, f"author:{k}", name, tid)

    def emit(self, src: str, o: dict[str, Any], doi_form: str | None) -> str:
        self.n_records += 1
        return getattr(self, f"_o_{src}")(o, doi_form)

    def _o_openalex(self, o: dict[str, Any], doi_form: str | None) -> str:
        rng = self.rng
        ppl = self.people
        wid = f"https://openalex.org/W{4300000000 + o['n'] * 7}"
        doi = o["doi"] if doi_form else None
        doi_url = f"https://doi.org/{doi.upper() if doi_form in ('upper', 'dx_url') else doi}" if doi else None
        names = []
        authorships = []
        order = list(o["authors"]) + ([None] if o["ext"] else [])
        for k, pid in enumerate(order):
            if pid is None:
                (given, family), tid = o["ext"]
                name, orcid, inst_obj, country = f"{given} {family}", None, None, "US"
            else:
                tid = People.true_id(pid)
                name = ppl.en(pid, STYLE_HYPHEN if rng.random() < 0.25 else STYLE_GIVEN_FAMILY)
                oc = ppl.orcid(pid)
                orcid = f"https://orcid.org/{oc}" if oc and rng.random() < 0.8 else None
                inst = N.INSTITUTIONS[ppl.inst[pid]]
                inst_obj = {"id": f"https://openalex.org/I{40000000 + ppl.inst[pid] * 131}", "display_name": inst[1],
                            "ror": f"https://ror.org/{inst[3]}" if inst[3] else None, "country_code": "CN",
                            "type": _inst_type(inst[4])}
                country = "CN"
            names.append((name, tid))
            authorships.append({
                "author_position": "first" if k == 0 else ("last" if k == len(order) - 1 else "middle"),
                "author": {"id": f"https://openalex.org/A{5000000000 + (int(tid[1:]) * 2 + (tid[0] == 'E'))}", "display_name": name, "orcid": orcid},
                "institutions": [inst_obj] if inst_obj else [], "countries": [country],
                "is_corresponding": k == len(order) - 1})
        awards = []
        funders = []
        for k, num in enumerate(o["nums"]):
            awards.append({"id": f"https://openalex.org/G{1000000000 + o['n'] * 10 + k}", "display_name": None,
                           "funder_award_id": num, "funder_id": NSFC_OPENALEX, "funder_display_name": NSFC_NAME})
        if o["nums"]:
            funders.append({"id": NSFC_OPENALEX, "display_name": NSFC_NAME, "ror": NSFC_ROR})
        for k, (d, num) in enumerate(o["dist"]):
            awards.append({"id": f"https://openalex.org/G{1000000000 + o['n'] * 10 + 5 + k}", "display_name": None,
                           "funder_award_id": num, "funder_id": d[3], "funder_display_name": d[2]})
            if all(f["id"] != d[3] for f in funders):
                funders.append({"id": d[3], "display_name": d[2], "ror": None})
        is_oa = o["n"] % 3 != 0
        src = {"id": f"https://openalex.org/S{2000000000 + sum(map(ord, o['journal'])) * 101}", "display_name": o["journal"],
               "issn_l": o["issn"], "is_oa": is_oa, "host_organization_name": o["pub"][1], "type": "journal"}
        rec = {"id": wid, "doi": doi_url, "title": o["title"], "display_name": o["title"], "publication_year": o["year"],
               "publication_date": f"{o['year']}-{o['month']:02d}-{o['day']:02d}",
               "ids": {"openalex": wid, **({"doi": doi_url} if doi_url else {})}, "language": "en",
               "primary_location": {"id": f"doi:{doi}" if doi else f"mag:{o['n']}", "is_oa": is_oa, "landing_page_url": doi_url,
                                    "pdf_url": None, "source": src, "license": "cc-by" if is_oa else None, "version": "publishedVersion"},
               "type": "article", "open_access": {"is_oa": is_oa, "oa_status": "gold" if is_oa else "closed"},
               "authorships": authorships, "cited_by_count": o["cites"],
               "is_retracted": False,
               "awards": awards, "funders": funders, "updated_date": "2025-03-01T00:00:00.000000"}
        file = self.openalex.write(rec)
        key = f"openalex:{wid.rsplit('/', 1)[1]}"
        self._author_mentions(file, key, names)
        self.truth.output(key, {"output": o["oid"], "nsfc": o["nums"]})
        return key

    def _o_crossref(self, o: dict[str, Any], doi_form: str | None) -> str:
        rng = self.rng
        ppl = self.people
        doi = o["doi"] if doi_form in ("canonical", None) else o["doi"].upper()
        names = []
        authors = []
        order = list(o["authors"]) + ([None] if o["ext"] else [])
        for k, pid in enumerate(order):
            if pid is None:
                (given, family), tid = o["ext"]
                a = {"given": given, "family": family, "sequence": "additional", "affiliation": []}
            else:
                tid = People.true_id(pid)
                family, _ = ppl.pinyin(pid)
                a = {"given": ppl.given_en(pid, hyphen=rng.random() < 0.3), "family": family,
                     "sequence": "first" if k == 0 else "additional",
                     "affiliation": [{"name": f"{N.INSTITUTIONS[ppl.inst[pid]][1]}, China"}]}
                oc = ppl.orcid(pid)
                if oc and rng.random() < 0.7:
                    a["ORCID"] = f"http://orcid.org/{oc}"
                    a["authenticated-orcid"] = rng.random() < 0.5
                given = a["given"]
            names.append((f"{a['given']} {a['family']}", tid))
            authors.append(a)
        funder = []
        nums = o["nums"]
        if nums:
            if len(nums) > 1 and rng.random() < 0.5:
                award = [", ".join(nums)]
            else:
                award = list(nums)
            r = rng.random()
            if r < 0.85:
                funder.append({"DOI": NSFC_FUNDREF, "name": NSFC_NAME, "doi-asserted-by": rng.choice(("crossref", "publisher")), "award": award})
            else:
                funder.append({"name": rng.choice(("National Natural Science Foundation of China", "NSFC",
                                                   "National Science Foundation of China", "Natural Science Foundation of China")), "award": award})
        for d, num in o["dist"]:
            funder.append({"DOI": d[1], "name": d[2], "doi-asserted-by": "crossref", "award": [num]})
        rng.shuffle(funder)
        y, m, d = o["year"], o["month"], o["day"]
        work = {"indexed": {"date-parts": [[2025, 3, 1]], "date-time": "2025-03-01T00:00:00Z", "timestamp": 1740787200000},
                "reference-count": 20 + o["n"] % 40, "publisher": o["pub"][1], "funder": funder,
                "content-domain": {"domain": [], "crossmark-restriction": False},
                "DOI": doi, "type": "journal-article", "created": {"date-parts": [[y, m, d]]}, "source": "Crossref",
                "is-referenced-by-count": o["cites"], "title": [o["title"]], "prefix": o["pub"][0], "volume": str(y - 1990),
                "author": authors, "member": o["pub"][2], "container-title": [o["journal"]], "language": "en",
                "published": {"date-parts": [[y, m]]}, "issued": {"date-parts": [[y, m, d]]},
                "URL": f"https://doi.org/{doi}", "ISSN": [o["issn"]], "subject": [], "page": f"{o['n'] % 900 + 1}-{o['n'] % 900 + 12}"}
        if rng.random() < 0.3:
            rec: dict[str, Any] = {"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": work}
        else:
            rec = work
        file = self.crossref.write(rec)
        key = f"crossref:{doi}"
        self._author_mentions(file, key, names)
        self.truth.output(key, {"output": o["oid"], "nsfc": nums})
        return key

    def _o_oai(self, o: dict[str, Any], doi_form: str | None) -> str:
        rng = self.rng
        ppl = self.people
        if rng.random() < 0.012:
            dead = f"oai:{W.OAI_HOST}:{900000000 + o['n']}"
            self.oai.add(W.oai_record({"deleted": True, "identifier": dead, "datestamp": f"{min(o['year'] + 1, 2025)}-02-01T00:00:00Z"}))
            self.oai_deleted.append(dead)
        zh = rng.random() < 0.3 and not o.get("nodoi_dup")
        names = []
        creators = []
        for pid in o["authors"]:
            if zh:
                name = ppl.zh(pid)
            else:
                name = ppl.en(pid, rng.choice((STYLE_COMMA_FULL, STYLE_COMMA_FULL, STYLE_COMMA_INITIALS)))
            creators.append(name)
            names.append((name, People.true_id(pid)))
        if o["ext"]:
            (given, family), tid = o["ext"]
            creators.append(f"{family}, {given}")
            names.append((f"{family}, {given}", tid))
        ident = f"oai:{W.OAI_HOST}:{100000 + o['n']}"
        ids = []
        if doi_form:
            ids.append(self._doi_as(o["doi"], doi_form if doi_form != "canonical" else rng.choice(("url", "doi_prefix", "canonical"))))
        ids.append(f"http://hdl.handle.net/20.500.12345/{100000 + o['n']}")
        descs = []
        p = o["p"]
        if zh:
            descs.append(("zh", f"本文采用{o['keywords'][1]}方法研究了{p['topic'][0]}的{p['aspect'][0]}。结果表明，所提出的方法显著提高了分析精度。"))
        else:
            descs.append(("en", f"We study the {o['keywords'][2]} of {o['keywords'][0]} with {o['keywords'][1]}. "
                                f"The results show clear improvements over previous approaches."))
        if o["nums"] or o["dist"]:
            descs.append(("zh" if zh else "en", self.ack_text(o["nums"], o["dist"], zh) if o["nums"] else
                          ("基金项目：" + "；".join(f"{d[4]}({n})" for d, n in o["dist"]) if zh else
                           "Funding: " + "; ".join(f"{d[2]} ({n})" for d, n in o["dist"]) + ".")))
        rels = []
        if o["nums"] and rng.random() < 0.1:
            rels.append(f"info:eu-repo/grantAgreement/NSFC//{o['nums'][0]}")
        rec = {"identifier": ident, "datestamp": f"{o['year']}-{o['month']:02d}-{o['day']:02d}T00:00:00Z",
               "set": f"col_{p['dept']}", "title": o["title_zh"] + f"（{o['n'] % 97}）" if zh else o["title"],
               "creators": creators, "subjects": [k[0] if zh else k[1] for k in p["keywords"][:3]], "descriptions": descs,
               "publisher": o["pub"][1], "date": f"{o['year']}-{o['month']:02d}-{o['day']:02d}",
               "type": "期刊论文" if zh else "info:eu-repo/semantics/article", "identifiers": ids, "source": o["journal"],
               "language": "zh" if zh else "en", "relations": rels}
        file = self.oai.page_file_for_next()
        self.oai.add(W.oai_record(rec))
        key = ident
        self._author_mentions(file, key, names)
        self.truth.output(key, {"output": o["oid"], "nsfc": o["nums"]})
        return key

    def _o_pubmed(self, o: dict[str, Any], doi_form: str | None) -> str:
        ppl = self.people
        pmid = str(30000000 + o["n"] * 3)
        names = []
        authors = []
        for pid in o["authors"]:
            family, _ = ppl.pinyin(pid)
            fore = ppl.given_en(pid)
            authors.append({"last": family, "fore": fore, "initials": ppl.initials(pid).replace(".", "").replace("-", ""),
                            "affiliation": f"{N.INSTITUTIONS[ppl.inst[pid]][1]}, China."})
            names.append((f"{family} {fore}", People.true_id(pid)))
        if o["ext"]:
            (given, family), tid = o["ext"]
            authors.append({"last": family, "fore": given, "initials": given[0]})
            names.append((f"{family} {given}", tid))
        grants = [(n, self.rng.choice((NSFC_NAME, NSFC_NAME, "National Natural Science Foundation of China (National Science Foundation of China)")), "China")
                  for n in o["nums"]]
        grants += [(n, d[2], "China") for d, n in o["dist"]]
        art = {"pmid": pmid, "date": (o["year"], o["month"], o["day"]), "issn": o["issn"], "volume": str(o["year"] - 1990),
               "journal": o["journal"], "title": o["title"] + ".", "abstract": f"We investigated the {o['keywords'][2]} of {o['keywords'][0]}.",
               "authors": authors, "grants": grants, "country": "England" if o["n"] % 2 else "China",
               "keywords": o["keywords"], "doi": self._doi_as(o["doi"], doi_form) if doi_form else None}
        if art["doi"]:
            art["doi"] = art["doi"].replace("https://doi.org/", "").replace("http://dx.doi.org/", "").replace("doi:", "")
        file = self.pubmed.current_file()
        self.pubmed.write(art)
        key = f"pubmed:{pmid}"
        self._author_mentions(file, key, names)
        self.truth.output(key, {"output": o["oid"], "nsfc": o["nums"]})
        return key

    # ---- popular-science works
    def experience_work(self, pi: int, prev_project: int) -> None:
        grants = []
        if (prev_project >= 0 and not self.restricted_project[prev_project] and prev_project not in self.no_work_projects
                and self.rng.random() < 0.5):
            grants = [self.approvals[prev_project]]
        self.write_work(creators=[pi], grants=grants, dois=[], dept=DEPTS[self.people.dept[pi]],
                        topic=N.TOPICS[DEPTS[self.people.dept[pi]]][self.people.topic[pi] % len(N.TOPICS[DEPTS[self.people.dept[pi]]])],
                        year=self.rng.randint(2016, 2024), force_public=True)

    def work_for(self, p: dict[str, Any], dois: list[str], force_public: bool = False) -> None:
        rng = self.rng
        ppl = self.people
        if ppl.has_flag(p["pi"], FLAG_NEVER_CREATOR):
            return
        creators = [p["pi"]]
        for m in p["members"]:
            if rng.random() < 0.2 and not ppl.has_flag(m, FLAG_NEVER_CREATOR):
                creators.append(m)
        r = rng.random()
        grants = [p["approval"]] if r < 0.65 else []
        wd = rng.sample(dois, min(len(dois), rng.randint(1, 2))) if dois and 0.45 < r < 0.85 else []
        if force_public and not grants:
            grants = [p["approval"]]
        self.write_work(creators, grants, wd, p["dept"], p["topic"], min(2025, rng.randint(p["start"], p["end"] + 1)), force_public)

    def write_work(self, creators: list[int], grants: list[str], dois: list[str], dept: str, topic: tuple[str, str],
                   year: int, force_public: bool) -> None:
        rng = self.rng
        ppl = self.people
        self.n_works += 1
        wid = f"SPW{self.n_works:07d}"
        kind = _WORK_KINDS.pick(rng)
        for c in creators:
            ppl.set_flag(c, FLAG_EXPERIENCE)
        hooks = [f"走近{topic[0]}", f"一分钟看懂{topic[0]}", f"{topic[0]}如何改变我们的生活", f"你不知道的{topic[0]}",
                 f"{topic[0]}：从实验室到日常", f"科学家讲{topic[0]}"]
        title = hooks[rng.randrange(len(hooks))]
        title_en = f"{topic[1].capitalize()} explained"
        r = rng.random()
        status = "approved" if force_public or r < 0.88 else ("pending" if r < 0.96 else "confidential")
        can = None
        if status != "approved":
            can = canary(self.seed, "work", wid)
            title = f"{title} {can}"
        channel = rng.choice(N.CHANNELS[kind[0]])
        url = ""
        if channel in N.CHANNEL_URL:
            url = N.CHANNEL_URL[channel].format(f"{(self.n_works * 7919) % 10**8:08d}")
        event = ""
        if kind[2] == "Event" and rng.random() < 0.5:
            event = rng.choice(N.EVENTS)
        month = event[3] if event else rng.randint(1, 12)
        date = f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
        heavy = rng.paretovariate(1.1)
        views = likes = shares = attendance = None
        if kind[2] == "Event":
            attendance = int(30 * heavy) if kind[0] != "exhibition" else int(800 * heavy)
        elif kind[0] != "book":
            views = int(500 * heavy)
            likes = int(views * rng.uniform(0.01, 0.08))
            shares = int(likes * rng.uniform(0.05, 0.5))
        awards = [rng.choice(N.AWARDS)] if rng.random() < 0.05 + (0.1 if heavy > 20 else 0) else []
        audience = rng.choice(N.AUDIENCES)
        r2 = rng.random()
        if r2 < 0.5:
            fmt, rel = "csv", "works/popsci_works.csv"
            names = []
            for c in creators:
                nm = ppl.zh(c)
                names.append(f"{nm} <{People.nsfc_id(c)}>" if rng.random() < 0.5 else nm)
            cids = ";".join(ppl.orcid(c) or People.nsfc_id(c) for c in creators) if rng.random() < 0.7 else ""
            dfmt = rng.random()
            dshow = date if dfmt < 0.8 else (date[:7] if dfmt < 0.93 else date[:4])
            ev = (event[0] if rng.random() < 0.5 else event[1]) if event else ""
            self.works_csv.row([wid, title, kind[0] if rng.random() < 0.7 else kind[1], "；".join(names), cids, channel, url, dshow,
                                audience, views, likes, shares, attendance, "；".join(awards), ev,
                                rng.choice(("；", ",")).join(grants), ";".join(dois),
                                status if rng.random() < 0.7 else {"approved": "已审核", "pending": "待审核", "confidential": "涉密"}[status]])
            for k, c in enumerate(creators):
                self.truth.mention(rel, wid, f"creator:{k}", names[k].split(" <")[0], People.true_id(c))
        elif r2 < 0.75:
            fmt, rel = "jsonl", "works/popsci_works.jsonl"
            rec = {"work_id": wid, "title": title, "kind": kind[0], "creators": [ppl.zh(c) for c in creators],
                   "creator_ids": [ppl.orcid(c) or People.nsfc_id(c) for c in creators], "channel": channel, "url": url or None,
                   "date": date, "audience": audience, "views": views, "likes": likes, "shares": shares, "attendance": attendance,
                   "awards": awards, "event": event[0] if event else None, "grant_numbers": grants, "dois": dois,
                   "review_status": status}
            self.works_jsonl.write(rec)
            for k, c in enumerate(creators):
                self.truth.mention(rel, wid, f"creator:{k}", ppl.zh(c), People.true_id(c))
        else:
            fmt, rel = "jsonld", "works/popsci_works.jsonld"
            node: dict[str, Any] = {"@type": kind[2], "@id": f"https://demo.scipop.example/work/{wid}", "identifier": wid,
                                    "name": title, "alternateName": title_en, "genre": kind[0], "inLanguage": "zh"}
            people = []
            for c in creators:
                person: dict[str, Any] = {"@type": "Person", "name": ppl.zh(c), "identifier": People.nsfc_id(c)}
                if ppl.orcid(c):
                    person["sameAs"] = f"https://orcid.org/{ppl.orcid(c)}"
                people.append(person)
            node["creator"] = people if kind[2] != "Event" else people
            if kind[2] == "Event":
                node["organizer"] = people
                node["startDate"] = date
                node["location"] = {"@type": "Place", "name": channel}
                if event:
                    node["superEvent"] = {"@type": "Event", "name": event[1], "alternateName": event[2]}
            else:
                node["datePublished"] = date
                node["publisher"] = {"@type": "Organization", "name": channel}
            if url:
                node["url"] = url
            about: list[Any] = []
            for g in grants:
                about.append({"@type": "MonetaryGrant", "identifier": g,
                              "funder": {"@type": "Organization", "name": NSFC_NAME}} if rng.random() < 0.8 else g)
            if about:
                node["about" if rng.random() < 0.5 else "funding"] = about
            if dois:
                node["isBasedOn"] = [f"https://doi.org/{d}" for d in dois]
            stats = []
            for itype, val in (("WatchAction" if kind[0] == "video" else "ReadAction", views), ("LikeAction", likes),
                               ("ShareAction", shares), ("AttendAction", attendance)):
                if val is not None:
                    stats.append({"@type": "InteractionCounter", "interactionType": f"https://schema.org/{itype}", "userInteractionCount": val})
            if stats:
                node["interactionStatistic"] = stats
            if awards:
                node["award"] = awards
            node["audience"] = {"@type": "Audience", "audienceType": audience}
            node["creativeWorkStatus"] = status
            self.works_ld.write(node)
            for k, c in enumerate(creators):
                self.truth.mention(rel, wid, f"creator:{k}", ppl.zh(c), People.true_id(c))
        if can:
            self.restricted.append({"canary": can, "kind": "work", "key": wid, "review_status": status, "file": rel})

    # ---- researchers
    def write_researchers(self) -> int:
        ppl = self.people
        rng = random.Random(self.seed * 7 + 1)
        header = ["person_id", "name_zh", "name_en", "orcid", "title", "institution", "institution_ror", "department", "expertise",
                  "email", "talent_pool_since", "nominated_by", "review_status"]
        csvw = self._csv("researchers/researchers.csv", header)
        jl = W.JsonLinesWriter(self.out / "researchers/researchers.jsonl")
        self.files.append("researchers/researchers.jsonl")
        for pid in range(self.slice_start["people"], len(ppl)):  # a slice registers only its new people
            h = (pid * 2654435761) % 100
            dept = DEPTS[ppl.dept[pid]]
            inst = N.INSTITUTIONS[ppl.inst[pid]]
            topics = N.TOPICS[dept]
            exp = [topics[ppl.topic[pid] % len(topics)]] + [topics[rng.randrange(len(topics))] for _ in range(rng.randint(1, 3))]
            exp_zh = "；".join(dict.fromkeys(t[0] for t in exp))
            name = ppl.zh(pid)
            status = "approved"
            if ppl.has_flag(pid, FLAG_RESTRICTED):
                status = "pending" if pid % 3 else "confidential"
                can = canary(self.seed, "person", pid)
                name = f"{name} {can}"
            talent = ppl.has_flag(pid, FLAG_TALENT)
            since = f"{ppl.talent_since[pid]}-{1 + pid % 12:02d}-{1 + pid % 28:02d}" if talent else ""
            nominated = N.NOMINATORS[pid % len(N.NOMINATORS)] if talent else ""
            if nominated == "依托单位推荐":
                nominated = inst[0]
            pid_s = People.nsfc_id(pid)
            email = _email(ppl, pid, rng.randrange(10**6))
            files_here = []
            if h < 85:
                dshow = dept if rng.random() < 0.7 else N.DEPARTMENTS[dept][0]
                csvw.row([pid_s, name, ppl.en(pid), ppl.orcid(pid), ppl.title_zh(pid), inst[0], inst[3], dshow, exp_zh, email,
                          since, nominated, status])
                files_here.append("researchers/researchers.csv")
            if h >= 80:
                aff = []
                if ppl.prev_inst[pid] >= 0 and ppl.prev_inst[pid] != ppl.inst[pid]:
                    pi_ = N.INSTITUTIONS[ppl.prev_inst[pid]]
                    moved = min(ppl.since[pid] + 5, 2023)
                    aff.append({"institution": pi_[0], "ror": pi_[3] or None, "start": str(ppl.since[pid]), "end": str(moved)})
                    start = str(moved)
                else:
                    start = str(ppl.since[pid])
                aff.append({"institution": inst[0], "ror": inst[3] or None, "start": start, "end": None})
                jl.write({"person_id": pid_s, "name_zh": name, "name_en": ppl.en(pid), "orcid": ppl.orcid(pid) or None,
                          "title": ppl.title_zh(pid), "institution": inst[0], "institution_ror": inst[3] or None,
                          "affiliations": aff, "department": dept, "expertise": [t[0] for t in dict.fromkeys(exp)],
                          "email": email, "talent_pool_since": since or None, "nominated_by": nominated or None,
                          "review_status": status})
                files_here.append("researchers/researchers.jsonl")
            for f in files_here:
                self.truth.mention(f, pid_s, "name_zh", name, People.true_id(pid))
            if status != "approved":
                for f in files_here:
                    self.restricted.append({"canary": can, "kind": "researcher", "key": pid_s, "review_status": status, "file": f})
            if pid in self.orcid_people and self.orcid_people[pid]["grants"] and status == "approved":
                rel = f"researchers/orcid/{ppl.orcid(pid)}.json"
                path = self.out / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps(self.orcid_record(pid), ensure_ascii=False, indent=2) + "\n")
                self.files.append(rel)
                self.truth.mention(rel, ppl.orcid(pid), "credit-name", ppl.en(pid, STYLE_GIVEN_FAMILY), People.true_id(pid))
        csvw.close()
        jl.close()
        return len(ppl) - self.slice_start["people"]

    def orcid_record(self, pid: int) -> dict[str, Any]:
        ppl = self.people
        oc = ppl.orcid(pid)
        family, _ = ppl.pinyin(pid)
        given = ppl.given_en(pid)
        ts = 1700000000000 + pid * 1000
        src = {"source-orcid": {"uri": f"https://orcid.org/{oc}", "path": oc, "host": "orcid.org"}, "source-client-id": None,
               "source-name": {"value": f"{given} {family}"}, "assertion-origin-orcid": None, "assertion-origin-client-id": None,
               "assertion-origin-name": None}

        def date(y: int | None, m: int = 1) -> dict[str, Any] | None:
            return None if y is None else {"year": {"value": str(y)}, "month": {"value": f"{m:02d}"}, "day": None}

        def org(idx: int) -> dict[str, Any]:
            inst = N.INSTITUTIONS[idx]
            o: dict[str, Any] = {"name": inst[1], "address": {"city": inst[2], "region": inst[2], "country": "CN"}}
            o["disambiguated-organization"] = ({"disambiguated-organization-identifier": f"https://ror.org/{inst[3]}",
                                                "disambiguation-source": "ROR"} if inst[3] else None)
            return o

        emps = []
        put = 100000 + pid * 10
        spans = []
        if ppl.prev_inst[pid] >= 0 and ppl.prev_inst[pid] != ppl.inst[pid]:
            moved = min(ppl.since[pid] + 5, 2023)
            spans.append((ppl.prev_inst[pid], ppl.since[pid], moved))
            spans.append((ppl.inst[pid], moved, None))
        else:
            spans.append((ppl.inst[pid], ppl.since[pid], None))
        for k, (idx, s, e) in enumerate(reversed(spans)):
            emps.append({"last-modified-date": {"value": ts}, "external-ids": {"external-id": []}, "summaries": [{"employment-summary": {
                "created-date": {"value": ts}, "last-modified-date": {"value": ts}, "source": src, "put-code": put + k,
                "department-name": N.DEPARTMENTS[DEPTS[ppl.dept[pid]]][1].replace("Department of ", "School of "),
                "role-title": N.TITLE_EN.get(ppl.title_zh(pid), "Professor"), "start-date": date(s), "end-date": date(e),
                "organization": org(idx), "url": None, "external-ids": None, "display-index": "0", "visibility": "public",
                "path": f"/{oc}/employment/{put + k}"}}]})
        fund_groups = []
        for k, g in enumerate(self.orcid_people[pid]["grants"]):
            ext = {"external-id": [{"external-id-type": "grant_number", "external-id-value": g, "external-id-normalized": None,
                                    "external-id-normalized-error": None, "external-id-url": None, "external-id-relationship": "self"}]}
            fund_groups.append({"last-modified-date": {"value": ts}, "external-ids": ext, "funding-summary": [{
                "created-date": {"value": ts}, "last-modified-date": {"value": ts}, "source": src,
                "title": {"title": {"value": f"NSFC grant {g}"}, "translated-title": None}, "external-ids": ext, "url": None,
                "type": "grant", "start-date": date(2000 + int(g[1:3]) + 1 if g[1:3].isdigit() else None),
                "end-date": None, "organization": {"name": NSFC_NAME, "address": {"city": "Beijing", "region": None, "country": "CN"},
                                                   "disambiguated-organization": {"disambiguated-organization-identifier": f"http://dx.doi.org/{NSFC_FUNDREF}",
                                                                                  "disambiguation-source": "FUNDREF"}},
                "visibility": "public", "put-code": put + 5 + k, "path": f"/{oc}/funding/{put + 5 + k}", "display-index": "1"}]})
        return {
            "orcid-identifier": {"uri": f"https://orcid.org/{oc}", "path": oc, "host": "orcid.org"},
            "preferences": {"locale": "zh_CN"},
            "history": {"creation-method": "DIRECT", "completion-date": None, "submission-date": {"value": ts - 10**10},
                        "last-modified-date": {"value": ts}, "claimed": True, "source": None, "deactivation-date": None,
                        "verified-email": True, "verified-primary-email": True},
            "person": {"last-modified-date": {"value": ts},
                       "name": {"created-date": {"value": ts}, "last-modified-date": {"value": ts}, "given-names": {"value": given},
                                "family-name": {"value": family}, "credit-name": {"value": f"{given} {family}"}, "source": None,
                                "visibility": "public", "path": oc},
                       "other-names": {"last-modified-date": {"value": ts}, "other-name": [{"created-date": {"value": ts},
                                       "last-modified-date": {"value": ts}, "source": src, "content": ppl.zh(pid), "visibility": "public",
                                       "path": f"/{oc}/other-names/{put}", "put-code": put, "display-index": 1}], "path": f"/{oc}/other-names"},
                       "biography": None, "researcher-urls": {"last-modified-date": None, "researcher-url": [], "path": f"/{oc}/researcher-urls"},
                       "emails": {"last-modified-date": None, "email": [], "path": f"/{oc}/email"},
                       "addresses": {"last-modified-date": None, "address": [], "path": f"/{oc}/address"},
                       "keywords": {"last-modified-date": {"value": ts}, "keyword": [{"created-date": {"value": ts}, "last-modified-date": {"value": ts},
                                    "source": src, "content": N.TOPICS[DEPTS[ppl.dept[pid]]][ppl.topic[pid] % len(N.TOPICS[DEPTS[ppl.dept[pid]]])][1],
                                    "visibility": "public", "path": f"/{oc}/keywords/{put}", "put-code": put, "display-index": 1}], "path": f"/{oc}/keywords"},
                       "external-identifiers": {"last-modified-date": None, "external-identifier": [], "path": f"/{oc}/external-identifiers"},
                       "path": f"/{oc}/person"},
            "activities-summary": {
                "last-modified-date": {"value": ts},
                "distinctions": {"last-modified-date": None, "affiliation-group": [], "path": f"/{oc}/distinctions"},
                "educations": {"last-modified-date": None, "affiliation-group": [], "path": f"/{oc}/educations"},
                "employments": {"last-modified-date": {"value": ts}, "affiliation-group": emps, "path": f"/{oc}/employments"},
                "fundings": {"last-modified-date": {"value": ts}, "group": fund_groups, "path": f"/{oc}/fundings"},
                "works": {"last-modified-date": {"value": ts}, "group": [
                    {"last-modified-date": {"value": ts}, "external-ids": {"external-id": [
                        {"external-id-type": "doi", "external-id-value": d, "external-id-normalized": {"value": d, "transient": True},
                         "external-id-normalized-error": None, "external-id-url": {"value": f"https://doi.org/{d}"},
                         "external-id-relationship": "self"}]},
                     "work-summary": [{"put-code": put + 50 + k, "created-date": {"value": ts}, "last-modified-date": {"value": ts},
                                       "source": src, "title": {"title": {"value": f"Work {d}"}, "subtitle": None, "translated-title": None},
                                       "type": "journal-article", "visibility": "public", "path": f"/{oc}/work/{put + 50 + k}"}]}
                    for k, d in enumerate(self.orcid_people.get(pid, {}).get("dois", [])[:10])], "path": f"/{oc}/works"},
                "path": f"/{oc}/activities"},
            "path": f"/{oc}",
        }

    # ---- dirty files
    def write_dirty(self) -> None:
        dc_header = ["index", "approveText", "title", "searchYear", "searchFund", "searchCode", "codeText", "fundTypeText",
                     "personText", "money", "approveYear", "endYear", "organization", "keywords"]
        w = self._csv("dirty/projects_bad_rows.csv", dc_header, quote_all=True)
        rows = [
            (["1", "61872001", "1.面向边缘计算的联邦学习隐私保护机制研究", "2022", "面上项目", "F0206", "F0206", "面上项目", "陈静", "63.0", "2018", "2022", "电子科技大学", "联邦学习； 隐私保护； 边缘计算"], None, None),
            (["2", "6187200", "2.缺位批准号的示例项目", "2022", "面上项目", "F0206", "F0206", "面上项目", "李强", "60.0", "2018", "2022", "北京邮电大学", "示例"], "approveText", "approval number with 7 digits"),
            (["3", "AB1234567", "3.前缀字母无效的示例项目", "2021", "青年科学基金项目", "F0201", "F0201", "青年科学基金项目", "张敏", "24.0", "2018", "2021", "浙江大学", "示例"], "approveText", "approval number with an invalid letter prefix"),
            (["4", "61872003", "4.批准年度无法解析的示例项目", "2022", "面上项目", "F0206", "F0206", "面上项目", "王伟", "62.0", "二〇一八年", "2022", "清华大学", "示例"], "approveYear", "unparseable year"),
            (["5", "61872004", "5.金额无法解析的示例项目", "2022", "面上项目", "F0206", "F0206", "面上项目", "刘洋", "六十三万", "2018", "2022", "武汉大学", "示例"], "money", "unparseable amount"),
            (["6", "61872005", "", "2022", "面上项目", "F0206", "F0206", "面上项目", "赵磊", "63.0", "2018", "2022", "南京大学", "示例"], "title", "missing required title"),
        ]
        for values, fld, problem in rows:
            line = w.row(values)
            if problem:
                self.dirty.append({"file": "dirty/projects_bad_rows.csv", "line": line, "field": fld, "value": values[dc_header.index(fld)], "problem": problem})
        w.close()
        w = self._csv("dirty/projects_unknown_header.csv", dc_header + ["fundingRemark"], quote_all=True)
        line = w.row(["1", "41872006", "1.未知列示例项目", "2022", "面上项目", "D0201", "D0201", "面上项目", "孙丽", "62.0", "2018", "2022", "兰州大学", "示例", "备注"])
        self.dirty.append({"file": "dirty/projects_unknown_header.csv", "line": 1, "field": "fundingRemark", "value": "fundingRemark", "problem": "unknown header"})
        w.close()
        tsv_header = ["项目名称", "批准号", "项目类别", "依托单位", "项目负责人", "资助经费(万元)", "批准年度", "关键词", "是否结题",
                      "研究成果(期刊论文;会议论文;著作;奖励;专利)", "依托单位ID", "项目负责人ID", "项目类别代码", "申请代码", "起止年月",
                      "中文摘要", "英文摘要", "负责人职称"]
        w = self._csv("dirty/projects_bad_dates.tsv", tsv_header, delimiter="\t")
        for k, period in enumerate(("2016-13至2018-12", "2019年春至2021年底", "sometime")):
            line = w.row([f"起止年月无法解析的示例项目{k + 1}", f"3150070{k}", "青年科学基金项目", "浙江大学", "周杰", "20", "2015", "示例", "是",
                          "0;0;0;0;0", "100152", "100145756", "630", "C050101", period, "示例摘要", "Example abstract", "副教授"])
            self.dirty.append({"file": "dirty/projects_bad_dates.tsv", "line": line, "field": "起止年月", "value": period, "problem": "unparseable period"})
        w.close()
        works_header = ["work_id", "title", "kind", "creators", "creator_ids", "channel", "url", "date", "audience", "views",
                        "likes", "shares", "attendance", "awards", "event", "grant_numbers", "dois", "review_status"]
        w = self._csv("dirty/works_bad_rows.csv", works_header)
        for values, fld, problem in (
                (["BADW1", "日期无效的科普作品", "article", "王伟", "", "科普中国", "", "2021-02-30", "public", "10", "1", "0", "", "", "", "61772368", "", "approved"], "date", "impossible date"),
                (["BADW2", "类型未知的科普作品", "podcast", "李娜", "", "喜马拉雅", "", "2021-05-01", "public", "10", "1", "0", "", "", "", "", "", "approved"], "kind", "unknown kind"),
                (["BADW3", "批准号错误的科普作品", "video", "张敏", "", "哔哩哔哩", "", "2021-05-01", "public", "10", "1", "0", "", "", "", "6177236", "", "approved"], "grant_numbers", "approval number with 7 digits")):
            line = w.row(values)
            self.dirty.append({"file": "dirty/works_bad_rows.csv", "line": line, "field": fld, "value": values[works_header.index(fld)], "problem": problem})
        w.close()
        w = self._csv("dirty/researchers_bad_rows.csv", ["person_id", "name_zh", "name_en", "orcid", "title", "institution",
                                                          "institution_ror", "department", "expertise", "email",
                                                          "talent_pool_since", "nominated_by", "review_status"])
        line = w.row(["999000001", "吴刚", "Gang Wu", "0000-0002-1825-0098", "教授", "四川大学", "", "E", "氢能", "", "", "", "approved"])
        self.dirty.append({"file": "dirty/researchers_bad_rows.csv", "line": line, "field": "orcid", "value": "0000-0002-1825-0098", "problem": "ORCID check digit wrong"})
        line = w.row(["999000002", "郑芳", "Fang Zheng", "", "教授", "厦门大学", "", "C", "生物多样性", "", "2019-13-01", "中国科普作家协会", "approved"])
        self.dirty.append({"file": "dirty/researchers_bad_rows.csv", "line": line, "field": "talent_pool_since", "value": "2019-13-01", "problem": "unparseable date"})
        w.close()

    def close_all(self) -> None:
        for w in self.dailycafi.values():
            w.close()
        for w in (self.tsv, self.tsv_gbk, self.pjsonl, self.openalex, self.crossref, self.oai, self.pubmed, self.works_csv,
                  self.works_jsonl, self.works_ld):
            w.close()

    def drop_empty_files(self) -> None:
        """A small data set may give a format no record; an empty file would be refused by
        ingest (it names no format), so none is left."""
        for rel in list(self.files):
            path = self.out / rel
            if path.is_file() and path.stat().st_size == 0:
                path.unlink()
                self.files.remove(rel)

    def write_truth(self, n_res: int) -> None:
        t = self.truth
        start = self.slice_start
        t.small["generator"] = {"name": "scipop demo-data", "seed": self.seed, "projects": self.n - self.after,
                                "reference_year": REFERENCE_YEAR, **({"after": self.after} if self.after else {}),
                                **({"output_scale": self.output_scale} if self.output_scale != 1.0 else {})}
        t.small["counts"] = {"projects": self.n - self.after, "project_rows_by_format": self.format_counts,
                             "researchers": n_res, "outputs": self.n_outputs - start["outputs"],
                             "output_records": self.n_records - start["records"], "works": self.n_works - start["works"],
                             "restricted": len(self.restricted)}
        t.small["conventions"] = {
            "true_person_id": "P + 7 digits for registry people, E + 7 digits for external (foreign) co-authors",
            "output_record_key": "openalex:W…, crossref:<DOI as written>, oai:<OAI identifier>, pubmed:<PMID>",
            "outputs": "record key -> {output: true output id, file, nsfc: approval numbers the record's funding/acknowledgement truly names}",
            "person_mentions": "file -> [record key (approval number, person_id, work_id, ORCID or output record key), field, name as written, true person id]",
            "strong_candidates": "outputs with cited_by_count >= min_cited_by_count, written in a record of a source that carries citation counts (citation_count_sources), of projects whose type ontology.ttl puts in the obliged tier, with no popular-science work (no work names the project or its outputs, no 科普 field), whose PI created an approved popular-science work; exactly the planted set (near misses fail one criterion: reason)",
            "dirty_rows": "line = physical line in the file, header is line 1",
        }
        t.small["files"] = sorted(self.files) + ["truth/ground_truth.json"]
        t.small["restricted"] = self.restricted
        t.small["dirty_rows"] = self.dirty
        t.small["projects_in_two_files"] = self.two_files
        t.small["projects_with_popularization_field"] = self.popularization_field
        t.small["oai_deleted_records"] = self.oai_deleted
        t.small["strong_candidates"] = {"criteria": {"min_cited_by_count": HIGH_CITATION, "max_other_cited_by_count": NORMAL_CITATION_CAP,
                                                     "obliged_project_types": OBLIGED_TYPES,
                                                     "citation_count_sources": list(CITED_SOURCES),
                                                     "pi_has_popularization_experience": True, "project_has_popular_science_work": False},
                                        "outputs": self.planted[start["planted"]:],
                                        "near_misses": self.near_misses[start["near_misses"]:]}
        t.finish()


def generate(outdir: Path, projects: int, seed: int = 1, progress: Callable[[int], None] | None = None,
             after: int = 0, output_scale: float = 1.0) -> GenerationSummary:
    """Write a synthetic demo data set of `projects` projects under `outdir` (replacing generated folders).

    `after=N`: the `projects` projects that follow the first N of the same seed (module docstring).
    `output_scale`: multiplies every project type's mean number of research outputs (about 4.6
    a project at 1.0, as a decade of NSFC has about five results a project); benches use it to
    reach a stated number of outputs, e.g. issue 3's 300,000 for 100,000 projects (0.67).
    """
    if output_scale <= 0:
        raise ValueError("output_scale must be positive")
    if projects < 1:
        raise ValueError("projects must be at least 1")
    if after < 0:
        raise ValueError("after must not be negative")
    outdir = Path(outdir)
    for sub in ("projects", "researchers", "outputs", "works", "dirty", "truth"):
        if (outdir / sub).exists():
            shutil.rmtree(outdir / sub)
    outdir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(outdir / ".replay", ignore_errors=True)
    return _Gen(outdir, projects, seed, progress, after=after, output_scale=output_scale).run()
