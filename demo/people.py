"""The synthetic person registry: compact columns, names rendered on demand.

A person is an integer id (`pid`); the true identity used in the ground truth is
`P{pid:07d}`. Only small integer columns are stored (about 25 bytes a person), so the
registry for 300,000 people stays a few megabytes; names, ORCIDs and ids are derived.
"""
from __future__ import annotations

import hashlib
import random
from array import array
from bisect import bisect_right
from itertools import accumulate
from typing import Sequence

from demo import names as N


class Weighted:
    """Weighted choice with precomputed cumulative weights (fast for hot loops)."""

    def __init__(self, items: Sequence, weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        i = bisect_right(self.cum, rng.random() * self.total)
        return self.items[i if i < len(self.items) else -1]


def orcid_checksum(base_digits: str) -> str:
    """ISO 7064 MOD 11-2, as kg.ids._orcid_checksum."""
    total = 0
    for ch in base_digits:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def format_orcid(n: int) -> str:
    base = f"{n:015d}"
    d = base + orcid_checksum(base)
    return f"{d[0:4]}-{d[4:8]}-{d[8:12]}-{d[12:16]}"


def canary(seed: int, kind: str, key: object) -> str:
    return "CANARY-" + hashlib.sha256(f"{seed}:{kind}:{key}".encode()).hexdigest()[:12]


# given names: common full names, single characters, then all two-character combinations
GIVEN: list[tuple[str, tuple[str, ...]]] = [(g, s) for g, s, _ in N.COMMON_GIVEN]
_N_COMMON = len(GIVEN)
GIVEN += [(c, (p,)) for c, p in N.GIVEN_CHARS]
_N_SINGLE = len(N.GIVEN_CHARS)
GIVEN += [(a + b, (pa, pb)) for a, pa in N.GIVEN_CHARS for b, pb in N.GIVEN_CHARS]
_COMMON_PICK = Weighted(range(_N_COMMON), [w for _, _, w in N.COMMON_GIVEN])
_SURNAME_PICK = Weighted(range(len(N.SURNAMES)), [w for _, _, w in N.SURNAMES])

TITLES = N.TITLES_JUNIOR + N.TITLES_MID + N.TITLES_SENIOR
_SENIORITY_SLICES = [(0, len(N.TITLES_JUNIOR)), (len(N.TITLES_JUNIOR), len(N.TITLES_JUNIOR) + len(N.TITLES_MID)),
                     (len(N.TITLES_JUNIOR) + len(N.TITLES_MID), len(TITLES))]

_H_INDEX = list(N.DEPARTMENTS).index("H")
_NON_CLINICAL = {"主任医师": "研究员", "副主任医师": "副研究员", "主治医师": "助理研究员"}

# English name styles; the researcher registry uses one per person, sources pick their own
STYLE_GIVEN_FAMILY, STYLE_HYPHEN, STYLE_UPPER_FAMILY, STYLE_FAMILY_GIVEN, STYLE_COMMA_INITIALS, STYLE_COMMA_FULL = range(6)

FLAG_TALENT, FLAG_RESTRICTED, FLAG_EXPERIENCE, FLAG_NEVER_CREATOR, FLAG_PI = 1, 2, 4, 8, 16


class People:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.surname = array("H")
        self.given = array("I")
        self.inst = array("H")
        self.prev_inst = array("h")
        self.dept = bytearray()
        self.title = bytearray()
        self.style = bytearray()
        self.orcid_n = array("I")
        self.flags = bytearray()
        self.topic = bytearray()
        self.since = array("H")  # year of first appointment
        self.last_project = array("i")
        self.talent_since = array("H")

    def __len__(self) -> int:
        return len(self.surname)

    def new(self, rng: random.Random, dept_idx: int, inst: int, seniority: int, topic: int) -> int:
        pid = len(self.surname)
        self.surname.append(_SURNAME_PICK.pick(rng))
        r = rng.random()
        if r < 0.28:
            g = _COMMON_PICK.pick(rng)
        elif r < 0.40:
            g = _N_COMMON + rng.randrange(_N_SINGLE)
        else:
            g = _N_COMMON + _N_SINGLE + rng.randrange(_N_SINGLE * _N_SINGLE)
        self.given.append(g)
        self.inst.append(inst)
        self.prev_inst.append(-1 if rng.random() < 0.55 else rng.randrange(len(N.INSTITUTIONS)))
        self.dept.append(dept_idx)
        lo, hi = _SENIORITY_SLICES[seniority]
        self.title.append(rng.randrange(lo, hi))
        self.style.append(rng.choices(range(6), weights=(40, 12, 18, 12, 8, 10))[0])
        has_orcid = rng.random() < (0.22, 0.33, 0.42)[seniority]
        self.orcid_n.append(15000000 + pid * 17 + rng.randrange(17) if has_orcid else 0)
        flags = 0
        if rng.random() < 0.03:
            flags |= FLAG_TALENT
            self.talent_since.append(rng.randint(2016, 2024))
        else:
            self.talent_since.append(0)
        if rng.random() < 0.03:
            flags |= FLAG_RESTRICTED
        self.flags.append(flags)
        self.topic.append(topic)
        self.since.append(2024 - rng.randint(1, 8) - 8 * seniority)
        self.last_project.append(-1)
        return pid

    # ---- identity
    @staticmethod
    def true_id(pid: int) -> str:
        return f"P{pid:07d}"

    @staticmethod
    def nsfc_id(pid: int) -> str:
        return str(100100000 + pid * 3 + (pid * 7919) % 3)

    def orcid(self, pid: int) -> str:
        n = self.orcid_n[pid]
        return format_orcid(n) if n else ""

    def has_flag(self, pid: int, flag: int) -> bool:
        return bool(self.flags[pid] & flag)

    def set_flag(self, pid: int, flag: int) -> None:
        self.flags[pid] |= flag

    # ---- names
    def zh(self, pid: int) -> str:
        return N.SURNAMES[self.surname[pid]][0] + GIVEN[self.given[pid]][0]

    def pinyin(self, pid: int) -> tuple[str, tuple[str, ...]]:
        return N.SURNAMES[self.surname[pid]][1], GIVEN[self.given[pid]][1]

    def en(self, pid: int, style: int | None = None) -> str:
        family, syl = self.pinyin(pid)
        style = self.style[pid] if style is None else style
        given = "".join(syl).capitalize()
        if style == STYLE_GIVEN_FAMILY:
            return f"{given} {family}"
        if style == STYLE_HYPHEN:
            if len(syl) == 2:
                return f"{syl[0].capitalize()}-{syl[1].capitalize() if pid % 2 else syl[1]} {family}"
            return f"{given} {family}"
        if style == STYLE_UPPER_FAMILY:
            return f"{family.upper()} {given}"
        if style == STYLE_FAMILY_GIVEN:
            return f"{family} {given}"
        if style == STYLE_COMMA_INITIALS:
            return f"{family}, {self.initials(pid)}"
        return f"{family}, {given}"

    def given_en(self, pid: int, hyphen: bool = False) -> str:
        syl = self.pinyin(pid)[1]
        if hyphen and len(syl) == 2:
            return f"{syl[0].capitalize()}-{syl[1].capitalize()}"
        return "".join(syl).capitalize()

    def initials(self, pid: int) -> str:
        syl = self.pinyin(pid)[1]
        return "-".join(s[0].upper() + "." for s in syl)

    def title_zh(self, pid: int) -> str:
        t = TITLES[self.title[pid]]
        if self.dept[pid] != _H_INDEX:  # clinical titles only in the medical department
            return _NON_CLINICAL.get(t, t)
        return t

    def seniority(self, pid: int) -> int:
        t = self.title[pid]
        return 0 if t < _SENIORITY_SLICES[0][1] else (1 if t < _SENIORITY_SLICES[1][1] else 2)

    def promote(self, pid: int, rng: random.Random, to: int) -> None:
        if self.seniority(pid) < to:
            lo, hi = _SENIORITY_SLICES[to]
            self.title[pid] = rng.randrange(lo, hi)
