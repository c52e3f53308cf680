"""NSFC approval numbers (批准号) mined from acknowledgement and 基金项目 text.

A number is NSFC's only when the text ties it to NSFC. The approach:

1. Normalize the text (HTML entities and tags, NFKC, line-break hyphenation,
   whitespace) while keeping a map from every normalized character back to the
   original, so spans always point into what the caller gave us.
2. Find funder phrases: NSFC ones ("National Natural Science Foundation of China",
   "NSFC", "国家自然科学基金") and other funders (provincial foundations, councils,
   programmes, universities, 计划/项目/专项 ...). Other funders matter as much as
   NSFC: they end the stretch of text NSFC governs.
3. Find number-like tokens and attribute each to a funder phrase:
   - reversed order first ("Grant 61772368 from the NSFC");
   - then the nearest preceding funder phrase in the same segment (segments end at
     ';' '。' or a sentence end outside the funder's brackets, or at the next funder);
   - "A and B under Grants x and y (respectively)" is resolved by position.
4. Normalize each NSFC-attributed token with `kg.ids.normalize_approval_number`;
   tokens it rejects are dropped.

Every regex is bounded or linear (no nested unbounded quantifiers), so the work is
linear in the text length.
"""
from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Callable, Iterable, Union

from kg.errors import InvalidIdentifier
from kg.ids import fold_width, normalize_approval_number

__all__ = [
    "GrantMention",
    "find_nsfc_grants",
    "split_award_string",
    "is_nsfc_funder_name",
    "evaluate",
]

MAX_EVIDENCE = 300
# How far (normalized characters) a number may sit from its funder phrase or from the
# previous number of the same list; farther numbers are about something else.
MAX_GAP = 90
NSFC_FUNDER_DOI = "10.13039/501100001809"


@dataclass(frozen=True)
class GrantMention:
    approval_number: str   # normalized via kg.ids.normalize_approval_number
    start: int             # span of the evidence in the ORIGINAL text
    end: int
    evidence: str          # original text from funder phrase to number, <= 300 chars
    confidence: float      # 0..1
    method: str            # "ack-pattern-en", "ack-pattern-zh", "ack-reverse-en", ...


# ---------------------------------------------------------------------------
# 1. Normalization with an offset map
# ---------------------------------------------------------------------------

@dataclass
class _Normalized:
    """Normalized text; char i came from original[starts[i]:ends[i]]."""

    text: str
    starts: list[int]
    ends: list[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.starts[start], self.starts[start]
        return self.starts[start], self.ends[end - 1]


_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Tags from HTML/JATS exports ("<sup>fi</sup>rst"); bounded so a stray '<' costs nothing.
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]{0,15}(?:\s[^<>]{0,200})?/?>")
# "Founda-\ntion": a hyphen at a line end between letters is a PDF line break.
_HYPHEN_BREAK_RE = re.compile(r"(?<=[A-Za-z])[-\u00ad\u2010][ \t]*\r?\n[ \t]*(?=[a-z])")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
_ZW = "\u200b\u200c\u200d\ufeff"
# Runs that are not already one plain space (most text needs no rewrite at all).
_SPACE_RE = re.compile(rf"(?:[^\S ]|[{_ZW}])[\s{_ZW}]*| [\s{_ZW}]+")


# A replacement is either plain text (every new char maps to the whole match) or text
# with its own per-character source offsets.
_Replacement = Union[str, tuple[str, list[int], list[int]]]


def _rewrite(
    text: str, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], _Replacement]
) -> tuple[str, list[int], list[int]] | None:
    """Apply `replace` to every match; None when nothing matched.

    Returns the new text and, per new character, the [start, end) it came from.
    """
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for match in pattern.finditer(text):
        a, b = match.span()
        if a > pos:
            pieces.append(text[pos:a])
            starts.extend(range(pos, a))
            ends.extend(range(pos + 1, a + 1))
        new = replace(match)
        if isinstance(new, tuple):
            new, new_starts, new_ends = new
            starts.extend(new_starts)
            ends.extend(new_ends)
        else:
            starts.extend([a] * len(new))
            ends.extend([b] * len(new))
        pieces.append(new)
        pos = b
    if not pieces:
        return None
    if pos < len(text):
        pieces.append(text[pos:])
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    return "".join(pieces), starts, ends


def _nfkc_run(match: re.Match[str]) -> _Replacement:
    """NFKC a run of non-ASCII characters, character by character so each output
    character knows its source (NFKC may expand one character into several)."""
    run = match.group()
    if fold_width(run) == run:
        return run if len(run) == 1 else (run, list(range(match.start(), match.end())), list(range(match.start() + 1, match.end() + 1)))
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(run):
        piece = unicodedata.normalize("NFKC", ch)
        chars.append(piece)
        starts.extend([match.start() + i] * len(piece))
        ends.extend([match.start() + i + 1] * len(piece))
    return "".join(chars), starts, ends


def _normalize(text: str) -> _Normalized:
    current = text
    starts = list(range(len(text)))
    ends = list(range(1, len(text) + 1))
    stages = (
        (_ENTITY_RE, lambda m: html.unescape(m.group())),
        (_TAG_RE, lambda m: ""),
        (_HYPHEN_BREAK_RE, lambda m: ""),
        (_NON_ASCII_RE, _nfkc_run),
        (_SPACE_RE, lambda m: " "),
    )
    for pattern, replace in stages:
        if pattern is _NON_ASCII_RE and fold_width(current) == current:
            continue  # CJK text that NFKC leaves alone needs no character map
        result = _rewrite(current, pattern, replace)
        if result is None:
            continue
        current, new_starts, new_ends = result
        # Compose with the map so far: new char -> previous text -> original.
        starts = [starts[s] for s in new_starts]
        ends = [ends[e - 1] for e in new_ends]
    return _Normalized(current, starts, ends)


# ---------------------------------------------------------------------------
# 2. Funder phrases
# ---------------------------------------------------------------------------

@dataclass
class _Phrase:
    start: int
    end: int
    nsfc: bool
    lang: str            # "en" or "zh"
    strength: float      # base confidence for numbers it governs
    joint: bool = False  # joint funds name a second party: "... NSFC and Guangdong"
    depth: int = 0       # bracket depth at the phrase end


_CHINA = r"(?:the\s+)?(?:china|p\.?\s?r\.?\s?(?:of\s+)?china|people'?s\s+republic\s+of\s+china|prc)\b"
# "... of China University of Geosciences" names a university, not the country.
_NOT_UNIVERSITY = r"(?!\s+(?:[A-Za-z]+\s+){0,3}(?:university|institute|college)\b)"
_FOUNDATION = r"(?:fo?undations?|funds?)"  # "Fundation" is a frequent typo
# Each of these two starts with a lookahead on the letters its alternatives begin with:
# the engine then leaves most positions after one character test instead of trying every
# alternative (about 3-6x faster; a test checks the letter sets against the alternatives).
_NSFC_EN_RE = re.compile(
    r"(?=[CcNn])"
    rf"(?P<full>\b(?:chinese\s+)?national\s+natur(?:al|e)\s+sciences?\s+{_FOUNDATION}"
    rf"(?:\s+(?:of|for)\s+{_CHINA})?)"
    rf"|(?P<cnsf>\b(?:chinese|china)\s+natur(?:al|e)\s+sciences?\s+{_FOUNDATION})"
    rf"|(?P<noc>\bnatur(?:al|e)\s+sciences?\s+{_FOUNDATION}\s+of\s+{_CHINA}{_NOT_UNIVERSITY})"
    rf"|(?P<natsci>\bnational\s+science\s+foundation\s+of\s+{_CHINA}{_NOT_UNIVERSITY})"
    r"|(?P<talent>\bnational\s+science\s+fund\s+for\s+(?:distinguished|excellent|outstanding)\s+young\s+scholars)"
    rf"|(?P<acro>\b(?:NSFC|NNSFC|NNSF|CNSF)\b|\bNN?SF\s+of\s+{_CHINA})",
    re.IGNORECASE,
)
# Words that continue an NSFC name ("... of China Key Project under Grant No.") rather
# than start another funder's name.
_NSFC_EN_TAIL_RE = re.compile(
    r"(?:\s*\(\s*(?:NSFC|NNSFC|NSF\s?C|China)\s*\))?"
    r"(?:\s?-\s?[A-Z][A-Za-z]{2,20}(?=\s+joint))?"
    r"(?:\s+(?:key|major|general|youth|young|scientists?|excellent|distinguished|outstanding|"
    r"scholars?|joint|regional|international|cooperation|cooperative|exchange|research|fund|funds|"
    r"funding|programs?|programmes?|projects?|foundation|for|of|the|creative|groups?|innovative|"
    r"special|instrument|development|tianyuan|mathematics|overseas|emergency|integrated|"
    r"integration|plan|basic|science|sciences|center|centre|grants?|awards?|under|through|"
    r"with|via|numbers?|nos?|no|contracts?|id|a|an|in|part|talents?|face|surface|"
    r"fellowship|fostering|incubation|facility)\b\.?){0,12}",
    re.IGNORECASE,
)
_NSFC_ZH_RE = re.compile(
    r"国家自然科学基金(?:委员会|委)?|国家自然科学青年基金|国家青年科学基金|国家自然基金|国家自科基金"
    r"|国家杰出青年科学基金|国家优秀青年科学基金|国家基金委"
)
_OTHER_EN_RE = re.compile(
    r"\b(?=[abcdfhilmoprstuABCDFHILMOPRSTU])(?:foundations?|funds?|councils?|programs?|programmes?|projects?|plans?|ministry|ministries|"
    r"agency|agencies|commission|society|academy|universit(?:y|ies)|institutes?|institution|"
    r"laborator(?:y|ies)|labs?|cent(?:er|re)s?|initiatives?|schemes?|fellowships?|trusts?|"
    r"department|bureau|office|administration|organi[sz]ation|association|consortium|"
    r"province|provincial|municipal(?:ity)?|prefecture|hong\s+kong|hksar|macao|macau|taiwan|"
    r"horizon|talents?|plan|scholarship|sponsorship|award\s+from|postdoc(?:toral)?|R&D|"
    r"fondation|fonds|forschungsgemeinschaft|fondazione)\b",
    re.IGNORECASE,
)
# Acronyms are case-sensitive so that "arc" or "most" in prose are not funders.
_OTHER_ACRONYM_RE = re.compile(
    r"\b(?:NSF|DFG|ERC|JSPS|KAKENHI|MEXT|JST|NIH|NRF|RGC|GRF|CRF|ITF|ECS|CityU|PolyU|HKUST|"
    r"CUHK|HKU|CAS|CAST|CPSF|MOST|MoST|MOE|MoE|EPSRC|BBSRC|UKRI|NSERC|CIHR|ARC|NHMRC|ANR|SNSF|"
    r"NWO|FWO|ISF|BSF|DOE|NASA|DARPA|ONR|AFOSR|CSC|MSIT|NSTC|STINT|EU|FCT|CNPq|FAPESP|JSPS)\b"
)
_CJK_RUN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_ZH_CONJ_RE = re.compile(r"以及|和|与|及|并")
_ZH_OTHER_RE = re.compile(
    r"基金|计划|项目|专项|课题|工程|经费|资金|基地|中心|实验室|大学|学院|研究院|研究所|委员会"
    r"|教育部|科技部|科学技术部|财政部|科技厅|教育厅|局(?!部)|省|自治区|人才|团队|平台|协会|学会"
)
# Cue words inside the brackets ("批准号", "基金号") are not funders even though some
# contain 基金/项目.
_ZH_CUE_ONLY_RE = re.compile(r"^(?:项目|基金|资助|批准|课题|合同|编|项目批准|基金批准)?(?:编)?号?(?:为)?$|^编码$|^资助$")
_JOINT_RE = re.compile(r"joint|联合", re.IGNORECASE)

_FUNCTION_WORDS = frozenset(
    "the by and of from through chinese china via in part also with a an under to for as well "
    "partly partially jointly funding funded supported support acknowledge acknowledges thank "
    "thanks grant grants financial financially generous generously grateful is was were are "
    "been be project projects this work research".split()
)
_PROVINCIAL_WORDS = frozenset("provincial province municipal city regional local".split())


def _nsfc_en_phrases(t: str) -> list[_Phrase]:
    phrases = []
    for match in _NSFC_EN_RE.finditer(t):
        kind = match.lastgroup
        if kind == "noc" and _is_provincial_prefix(t, match.start()):
            continue
        strength = 0.92 if kind in ("full", "acro") else 0.85
        tail = _NSFC_EN_TAIL_RE.match(t, match.end())
        end = _trim_tail(t, match.end(), tail.end() if tail else match.end())
        phrases.append(_Phrase(match.start(), end, True, "en", strength))
    return phrases


def _trim_tail(t: str, core_end: int, tail_end: int) -> int:
    """Give back trailing function words ("... Foundation of China and the") so a
    following funder name keeps its own start."""
    tail = t[core_end:tail_end]
    trimmed = re.sub(r"(?:\s+(?:and|the|of|for|a|an|in|with|under|through|via)\b\.?)+$", "", tail, flags=re.IGNORECASE)
    return core_end + len(trimmed)


def _is_provincial_prefix(t: str, start: int) -> bool:
    """'Zhejiang Provincial Natural Science Foundation of China' is not NSFC."""
    before = t[max(0, start - 40):start]
    words = re.findall(r"[A-Za-z][A-Za-z'&.-]*", before)
    if not words:
        return False
    word = words[-1].strip(".")
    lower = word.lower()
    if lower in _PROVINCIAL_WORDS:
        return True
    if lower in _FUNCTION_WORDS or _looks_like_national(lower):
        return False
    # A capitalized name right before "Natural Science Foundation" is a place
    # (Beijing, Zhejiang, Shandong ...), i.e. a provincial or municipal fund.
    return word[:1].isupper() and not before.rstrip().endswith((",", ";", ":", ")"))


def _looks_like_national(word: str) -> bool:
    """'Natinal', 'Nationl': a misspelt 'National', not a place name."""
    return SequenceMatcher(None, word, "national").ratio() >= 0.8


def _zh_phrases(t: str) -> list[_Phrase]:
    phrases: list[_Phrase] = []
    for run in _CJK_RUN_RE.finditer(t):
        for a, b in _split_conjunctions(run.group(), run.start()):
            phrase = _classify_zh(t, a, b)
            if phrase is not None:
                phrases.append(phrase)
    return _merge_zh_joint(t, phrases)


def _split_conjunctions(run: str, offset: int) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for match in _ZH_CONJ_RE.finditer(run):
        if match.start() > pos:
            spans.append((offset + pos, offset + match.start()))
        pos = match.end()
    if pos < len(run):
        spans.append((offset + pos, offset + len(run)))
    return spans


def _classify_zh(t: str, a: int, b: int) -> _Phrase | None:
    piece = t[a:b]
    nsfc = _NSFC_ZH_RE.search(piece)
    if nsfc:
        strength = 0.92 if piece[nsfc.start():].startswith("国家自然科学基金") else 0.85
        return _Phrase(a + nsfc.start(), b, True, "zh", strength)
    if _ZH_CUE_ONLY_RE.match(piece):
        return None
    if _ZH_OTHER_RE.search(piece):
        return _Phrase(a, b, False, "zh", 0.0)
    return None


def _merge_zh_joint(t: str, phrases: list[_Phrase]) -> list[_Phrase]:
    """'国家自然科学基金-广东联合基金', '国家自然科学基金委员会与中国工程物理研究院联合基金':
    the joint-fund part belongs to the NSFC phrase."""
    merged: list[_Phrase] = []
    for phrase in phrases:
        prev = merged[-1] if merged else None
        if (
            prev is not None and prev.nsfc and not phrase.nsfc
            and "联合" in t[phrase.start:phrase.end]
            and re.fullmatch(r"[\s\-–—/]*|以及|和|与|及", t[prev.end:phrase.start])
        ):
            prev.end = phrase.end
            prev.joint = True
            continue
        merged.append(phrase)
    return merged


# Words that may continue a funder's name around its keyword:
# "the [Natural Science Foundation of Jiangsu Province]", "[Ministry of Science and Technology]".
_NAME_WORD = r"(?:[A-Z][A-Za-z&'.-]*|of|for|the|and|&|on|in|de|du)"
_NAME_WORD_RE = re.compile(_NAME_WORD)
_NAME_RIGHT_RE = re.compile(rf"(?: {_NAME_WORD}){{0,8}}")
_EDGE_WORDS = frozenset("of for the and & on in de du".split())


def _other_en_phrases(t: str) -> list[_Phrase]:
    spans = [m.span() for m in _OTHER_EN_RE.finditer(t)]
    spans += [m.span() for m in _OTHER_ACRONYM_RE.finditer(t)]
    spans = [_extend_name(t, a, b) for a, b in sorted(spans)]
    return [_Phrase(a, b, False, "en", 0.0) for a, b in _merge_spans(t, spans)]


def _extend_name(t: str, a: int, b: int) -> tuple[int, int]:
    """Widen a funder keyword to the name around it, without leading/trailing 'of the'."""
    words = _name_words_before(t, a)
    while words and words[0].lower() in _EDGE_WORDS:
        words.pop(0)
    new_a = a - len(" ".join(words)) - 1 if words else a
    right = _NAME_RIGHT_RE.match(t, b)
    words = right.group().split() if right else []
    while words and words[-1].lower() in _EDGE_WORDS:
        words.pop()
    new_b = b + 1 + len(" ".join(words)) if words else b
    return new_a, new_b


def _name_words_before(t: str, a: int, limit: int = 8) -> list[str]:
    """Up to `limit` name words right before position a, nearest last."""
    words: list[str] = []
    pos = a
    while len(words) < limit and pos > 1 and t[pos - 1] == " ":
        space = t.rfind(" ", max(0, pos - 42), pos - 1)
        if space < 0 and pos - 42 > 0:
            break  # a word longer than any name word
        word = t[space + 1:pos - 1]
        if not word or not _NAME_WORD_RE.fullmatch(word):
            break
        words.insert(0, word)
        pos = space + 1
    return words


def _merge_spans(t: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1 and not t[merged[-1][1]:a].strip():
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _find_phrases(t: str, depths: _Depths | None = None) -> list[_Phrase]:
    zh = _zh_phrases(t)
    nsfc = sorted(_nsfc_en_phrases(t) + [p for p in zh if p.nsfc], key=lambda p: p.start)
    _mark_joint(t, nsfc)
    others = [p for p in zh if not p.nsfc] + _other_en_phrases(t)
    others = _cut_at_nsfc(t, others, nsfc)
    _programme_names_continue_nsfc(t, others, nsfc)
    phrases = sorted(nsfc + others, key=lambda p: (p.start, not p.nsfc))
    _set_depths(t, phrases, depths or _Depths(t))
    return phrases


# A bare NSFC programme name after an NSFC phrase ("... of NSFC (No. 1) and the General
# Program (No. 2)", "国家自然科学基金(1)；青年科学基金项目(2)") still means NSFC.
_PROGRAMME_ONLY_RE = re.compile(
    r"^(?:the\s+)?(?:general|key|major|youth|young\s+scientists?|excellent\s+young\s+scientists?|"
    r"distinguished\s+young\s+scholars?|regional|major\s+research)\s+(?:programs?|programmes?|projects?|funds?|plan)$"
    r"|^(?:面上|青年|青年科学基金|重点|地区科学基金|优秀青年科学基金|重大研究计划)项目$",
    re.IGNORECASE,
)
_PROGRAMME_REACH = 200


def _programme_names_continue_nsfc(t: str, others: list[_Phrase], nsfc: list[_Phrase]) -> None:
    starts = [p.start for p in nsfc]
    for other in others:
        i = bisect_right(starts, other.start) - 1
        if i < 0 or other.start - nsfc[i].end > _PROGRAMME_REACH:
            continue
        if _PROGRAMME_ONLY_RE.match(t[other.start:other.end].strip()):
            other.nsfc, other.strength = True, 0.8


_TRAILING_LINK_RE = re.compile(r"(?:\s+(?:and|the|of|for|by|&))*\s*$")


def _cut_at_nsfc(t: str, others: list[_Phrase], nsfc: list[_Phrase]) -> list[_Phrase]:
    """Keywords inside an NSFC name ("Foundation", "Key Project") belong to it; a name
    that runs into an NSFC name ("Jiangsu Province and the NSFC") stops before it."""
    starts = [p.start for p in nsfc]
    kept = []
    for other in others:
        i = bisect_right(starts, other.start) - 1
        if i >= 0 and other.start < nsfc[i].end:
            continue
        nxt = nsfc[i + 1] if i + 1 < len(nsfc) else None
        if nxt is not None and nxt.start < other.end:
            head = _TRAILING_LINK_RE.sub("", t[other.start:nxt.start])
            if not head.strip():
                continue
            other.end = other.start + len(head)
        kept.append(other)
    return kept


def _mark_joint(t: str, phrases: list[_Phrase]) -> None:
    """Joint funds ("Joint Fund of the NSFC and Guangdong Province") name a second
    party that is not a separate funder."""
    for phrase in phrases:
        window = t[max(0, phrase.start - 30):min(len(t), phrase.end + 40)]
        cut = re.search(r"[0-9(]", t[phrase.end:phrase.end + 40])
        if cut:
            window = t[max(0, phrase.start - 30):phrase.end + cut.start()]
        if _JOINT_RE.search(window):
            phrase.joint = True


_BRACKET_RE = re.compile(r"[(\[{【〔)\]}】〕]")
_OPEN = "([{【〔"


class _Depths:
    """Bracket depth at any position; unbalanced closers clamp at 0."""

    def __init__(self, t: str) -> None:
        self.positions: list[int] = []
        self.after: list[int] = []
        depth = 0
        for match in _BRACKET_RE.finditer(t):
            depth = depth + 1 if match.group() in _OPEN else max(0, depth - 1)
            self.positions.append(match.start())
            self.after.append(depth)

    def at(self, pos: int) -> int:
        """Depth just before the character at pos."""
        i = bisect_right(self.positions, pos - 1) - 1
        return self.after[i] if i >= 0 else 0


def _set_depths(t: str, phrases: list[_Phrase], depths: _Depths) -> None:
    for phrase in phrases:
        phrase.depth = depths.at(phrase.end)


# ---------------------------------------------------------------------------
# 3. Number tokens
# ---------------------------------------------------------------------------

@dataclass
class _Token:
    start: int
    end: int
    raw: str
    number: str | None   # normalized approval number, or None when not NSFC-shaped
    phrase: _Phrase | None = None
    how: str = ""        # "forward", "reverse", "respectively"


# Alphanumeric parts, optionally hyphen-joined ("2035-00247B", "NSFC-61772368").
_ALNUM_RE = re.compile(r"[A-Za-z0-9]+(?:[-‐–][A-Za-z0-9]+)*")
_DIGIT_RE = re.compile(r"\d")
_PART_RE = re.compile(r"[A-Za-z0-9]+")
_GLUED_PREFIX_RE = re.compile(r"^(?:nos?|nr|grants?|nsfc|nnsfc)(?=[UTLJWutljw]?\d{7})", re.IGNORECASE)
_SHORT_DIGITS_RE = re.compile(r"^[UTLJWutljw]?\d{1,7}$")
_YEAR_RE = re.compile(r"^(?:19|20)\d\d$")


def _try_number(raw: str) -> str | None:
    try:
        return normalize_approval_number(raw)
    except InvalidIdentifier:
        return None


def _token_number(text: str) -> str | None:
    """`_try_number` for an ASCII alphanumeric token: an approval number has 8-11
    characters, and most tokens (years, page numbers, OCR digit groups) are turned away
    here without the cost of a raised exception."""
    return _try_number(text) if 8 <= len(text) <= 11 else None


def _part_tokens(t: str) -> list[_Token]:
    """Alphanumeric runs with a digit, split at hyphens; parts hyphen-joined to other
    digit parts (dates, phone numbers, DOIs) are not grant numbers."""
    tokens: list[_Token] = []
    for match in _ALNUM_RE.finditer(t):
        compound = match.group()
        if not _DIGIT_RE.search(compound):
            continue
        if compound.isalnum():   # one part (most tokens): no hyphen-joined neighbours to weigh
            tokens.append(_Token(match.start(), match.end(), compound, _number_of(compound)))
            continue
        parts = list(_PART_RE.finditer(compound))
        for i, part in enumerate(parts):
            text = part.group()
            if not any(c.isdigit() for c in text):
                continue
            neighbours = [p.group() for p in (parts[i - 1:i] + parts[i + 1:i + 2])]
            glued = any(any(c.isdigit() for c in n) and _token_number(n) is None for n in neighbours)
            start = match.start() + part.start()
            tokens.append(_Token(start, start + len(text), text, None if glued else _number_of(text)))
            if glued:
                tokens[-1].raw = compound
    return _join_ocr_splits(t, tokens)


def _number_of(text: str) -> str | None:
    number = _token_number(text)
    if number is None:
        prefix = _GLUED_PREFIX_RE.match(text)
        if prefix:
            number = _token_number(text[prefix.end():])
    return number


def _join_ocr_splits(t: str, tokens: list[_Token]) -> list[_Token]:
    """'6177 2368' -> 61772368: short digit groups one space apart that only together
    make an approval number. Tokens with fewer than five digits are then dropped: they
    are years or page numbers, nobody's grant number."""
    out: list[_Token] = []
    i = 0
    while i < len(tokens):
        joined = _join_from(t, tokens, i)
        if joined is None:
            out.append(tokens[i])
            i += 1
        else:
            out.append(joined[0])
            i = joined[1] + 1
    return [tok for tok in out if sum(map(str.isdigit, tok.raw)) >= 5]


def _join_from(t: str, tokens: list[_Token], i: int) -> tuple[_Token, int] | None:
    first = tokens[i]
    if first.number is not None or not _SHORT_DIGITS_RE.match(first.raw):
        return None
    raw = first.raw
    for j in range(i + 1, min(i + 4, len(tokens))):
        prev, nxt = tokens[j - 1], tokens[j]
        if nxt.start != prev.end + 1 or t[prev.end] != " " or not nxt.raw.isdigit() or len(nxt.raw) >= 8:
            return None
        if _YEAR_RE.match(prev.raw) and _YEAR_RE.match(nxt.raw):
            return None  # "2015 2019"
        raw += nxt.raw
        digits = len(raw) - (not raw[0].isdigit())   # an optional letter prefix, then digits only
        if digits > 11:
            return None
        # The shape test first: normalizing every partial join would cost an exception each.
        if digits in (7, 8, 11) and len(raw) >= 8:
            number = _token_number(raw)
            if number is not None:
                return _Token(first.start, nxt.end, raw, number), j
    return None


# ---------------------------------------------------------------------------
# 4. Attribution
# ---------------------------------------------------------------------------

# Between two numbers of one list: "61772368, 61772369", "and No. 41804016", "、", "/".
_LIST_SEP_RE = re.compile(
    r"^\s?[,;/、&]?\s?(?:(?:and|or|as well as|和|及|与)\s?)?(?:(?:grants?|nos?|numbers?)\.?\s?:?\s?)*$",
    re.IGNORECASE,
)
# Between the last number of a list and a funder named after it.
# No comma: "grants X and Y, by the Beijing Nova Program" starts a new clause.
_REVERSE_LINK_RE = re.compile(
    r"^\)?\s?(?:(?:awarded|funded|provided|supported|granted|sponsored)\s+)?"
    r"(?:from|by|of)\s+(?:the\s+)?$|^\s?\(\s?$",
    re.IGNORECASE,
)
_SENTENCE_END_RE = re.compile(r"[;。!?！？]|\.(?=\s[A-Z\u4e00-\u9fff])")
_ABBREVIATIONS = frozenset("no nos nr dr prof mr ms mrs st co ltd inc jr vs al eg ie e.g i.e fig ref grant p r".split())
_CUE_RE = re.compile(
    r"\b(?:grants?|nos?|numbers?|awards?|contracts?)\b|批准号|资助号|基金号|项目号|编号|资助项目|项目编号|资助",
    re.IGNORECASE,
)
_GROUP_LINK_RE = re.compile(r"^\s?(?:,|and|&|as well as|和|与|及|、)\s?(?:and\s)?(?:by\s)?(?:the\s)?$", re.IGNORECASE)


# A ';' or '.' followed by more numbers or a number cue continues the same list:
# "Grant Nos. 61772368; 61772369", "... of China. Grant No. 61772368".
_LIST_GOES_ON_RE = re.compile(r"\s?(?:(?:grants?|nos?|numbers?|awards?|批准号|项目编号)\b\.?\s?:?\s?){0,3}[UTLJW]?\d", re.IGNORECASE)


def _boundaries(t: str) -> list[int]:
    positions = []
    for match in _SENTENCE_END_RE.finditer(t):
        dot = match.start()
        if match.group() in ".;" and _LIST_GOES_ON_RE.match(t, dot + 1):
            continue
        if match.group() == "." and _is_abbreviation(t, dot):
            continue
        positions.append(dot)
    return positions


def _is_abbreviation(t: str, dot: int) -> bool:
    word = re.search(r"[A-Za-z.]{1,6}$", t[max(0, dot - 6):dot])
    return bool(word) and (len(word.group().strip(".")) <= 1 or word.group().lower().strip(".") in _ABBREVIATIONS)


def _attribute_reverse(t: str, tokens: list[_Token], phrases: list[_Phrase]) -> None:
    """'Grants 61772368 and 61772369 from the NSFC': the list just before a funder
    phrase, linked by from/by/of or an opening bracket, belongs to that funder."""
    by_end = {tok.end: idx for idx, tok in enumerate(tokens)}
    for phrase in phrases:
        link = _reverse_link(t, phrase.start, by_end)
        if link is None:
            continue
        idx = link
        while idx >= 0:
            tokens[idx].phrase, tokens[idx].how = phrase, "reverse"
            if idx == 0 or not _same_list(t, tokens[idx - 1], tokens[idx]):
                break
            idx -= 1


def _same_list(t: str, left: _Token, right: _Token) -> bool:
    return right.start - left.end <= 40 and bool(_LIST_SEP_RE.match(t[left.end:right.start]))


def _reverse_link(t: str, phrase_start: int, by_end: dict[int, int]) -> int | None:
    window_start = max(0, phrase_start - 30)
    for end in range(phrase_start, window_start - 1, -1):
        if end in by_end and _REVERSE_LINK_RE.match(t[end:phrase_start]):
            return by_end[end]
    return None


def _attribute_forward(t: str, tokens: list[_Token], phrases: list[_Phrase], depths: _Depths) -> list[list[_Phrase]]:
    """Each remaining number goes to the nearest preceding funder phrase of its segment.

    Returns the funder groups ("the NSFC and the Jiangsu NSF under Grants x and y") for
    the positional pass.
    """
    events: list[tuple[int, int, object]] = [(p.start, 1, p) for p in phrases]
    events += [(pos, 0, None) for pos in _boundaries(t)]
    events += [(tok.start, 2, tok) for tok in tokens]
    events.sort(key=lambda e: (e[0], e[1]))

    current: _Phrase | None = None
    anchor = 0
    group: list[_Phrase] = []
    groups: list[list[_Phrase]] = []
    assigned_in_segment = 0
    for pos, kind, item in events:
        if kind == 0:
            if current is not None and depths.at(pos) <= current.depth:
                current, group = None, []
        elif kind == 1:
            phrase = item
            assert isinstance(phrase, _Phrase)
            if current is not None and current.joint and assigned_in_segment == 0 and phrase.start - current.end < 120 and not phrase.nsfc:
                continue  # the second party of a joint fund, not a new funder
            if current is not None and phrase.start < current.end:
                continue  # nested inside the current phrase
            if current is not None and assigned_in_segment == 0 and _linked_names(t, current, phrase):
                group.append(phrase)
            else:
                group = [phrase]
                groups.append(group)
            current, anchor, assigned_in_segment = phrase, phrase.end, 0
        else:
            token = item
            assert isinstance(token, _Token)
            if current is None or token.start - anchor > MAX_GAP or token.start < current.end:
                continue
            if token.phrase is None:
                token.phrase, token.how = current, "forward"
            anchor = token.end
            assigned_in_segment += 1
    return groups


def _linked_names(t: str, left: _Phrase, right: _Phrase) -> bool:
    """'the NSFC and the Natural Science Foundation of Jiangsu Province': one group."""
    return right.start - left.end <= 30 and bool(_GROUP_LINK_RE.match(t[left.end:right.start]))


def _attribute_respectively(t: str, tokens: list[_Token], groups: list[list[_Phrase]]) -> None:
    """'the NSFC and the Natural Science Foundation of Jiangsu Province under Grants
    61772368 and BK20201234, respectively': k funders, k numbers -> by position."""
    by_phrase: dict[int, list[_Token]] = {}
    for tok in tokens:
        if tok.phrase is not None and tok.how == "forward":
            by_phrase.setdefault(id(tok.phrase), []).append(tok)
    for group in groups:
        if len(group) < 2 or not any(p.nsfc for p in group):
            continue
        listed = by_phrase.get(id(group[-1]), [])
        if len(listed) != len(group):
            continue
        for phrase, token in zip(group, listed):
            token.phrase, token.how = phrase, "respectively"


# ---------------------------------------------------------------------------
# 5. Public API
# ---------------------------------------------------------------------------

def find_nsfc_grants(text: str) -> list[GrantMention]:
    """NSFC approval numbers tied to NSFC in `text`, unique, in order of appearance."""
    if not text or not isinstance(text, str):
        return []
    norm = _normalize(text)
    t = norm.text
    depths = _Depths(t)
    phrases = _find_phrases(t, depths)
    if not any(p.nsfc for p in phrases):
        return []  # cheap exit: most statements of other funders stop here
    tokens = _part_tokens(t)
    _attribute_reverse(t, tokens, phrases)
    groups = _attribute_forward(t, tokens, phrases, depths)
    _attribute_respectively(t, tokens, groups)

    mentions: list[GrantMention] = []
    seen: set[str] = set()
    cues = _Cues(t)
    for token in tokens:
        if token.phrase is None or not token.phrase.nsfc or token.number is None or token.number in seen:
            continue
        seen.add(token.number)
        mentions.append(_mention(text, norm, token, cues))
    return mentions


class _Cues:
    """Where the number cues ("Grant No.", 批准号) are, found once per text.

    The stretch between a funder phrase and a number of its list can be as long as the
    list; searching it again for every number made a long list quadratic. Matches of one
    scan are disjoint and in order, so "a cue inside [a, b)" is one bisection.
    """

    def __init__(self, t: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for match in _CUE_RE.finditer(t):
            self.starts.append(match.start())
            self.ends.append(match.end())

    def within(self, a: int, b: int) -> bool:
        i = bisect_left(self.starts, a)
        return i < len(self.starts) and self.ends[i] <= b


# How far before a number of a reversed list ("Grant Nos. 1, 2 from the NSFC") a cue may stand.
_REVERSE_CUE_REACH = 25


def _mention(original: str, norm: _Normalized, token: _Token, cues: _Cues) -> GrantMention:
    phrase = token.phrase
    assert phrase is not None and token.number is not None
    t = norm.text
    if token.how == "reverse":
        a, b = token.start, phrase.end
        cued = bool(_CUE_RE.search(t, max(0, token.start - _REVERSE_CUE_REACH), token.start)) \
            or cues.within(token.end, phrase.start)
    else:
        a, b = phrase.start, token.end
        cued = cues.within(phrase.start, token.start)
    start, end = norm.original_span(a, b)
    tok_start, tok_end = norm.original_span(token.start, token.end)
    # Keep the number in the evidence when the stretch is longer than allowed.
    if end - start > MAX_EVIDENCE:
        if token.how == "reverse":
            start, end = tok_start, tok_start + MAX_EVIDENCE
        else:
            start = max(start, tok_end - MAX_EVIDENCE)
    return GrantMention(
        approval_number=token.number,
        start=start,
        end=end,
        evidence=original[start:end],
        confidence=_confidence(phrase, token, cued),
        method=f"ack-{'reverse' if token.how == 'reverse' else 'pattern'}-{phrase.lang}",
    )


def _confidence(phrase: _Phrase, token: _Token, cued: bool) -> float:
    """`cued`: a number cue ("Grant No.", 批准号) stands between the funder and the number."""
    score = phrase.strength
    if cued:
        score += 0.05
    if token.how == "respectively":
        score -= 0.15
    if token.how == "forward" and token.start - phrase.end > 40:
        score -= 0.05  # a long stretch between name and number
    return round(max(0.0, min(score, 0.99)), 2)


def split_award_string(award: str) -> list[str]:
    """Approval numbers from a structured award field ('61932008, 61772368',
    'Nos. 61932008; 61772368'); tokens that are not NSFC-shaped are dropped."""
    if not award:
        return []
    text = _normalize(str(award)).text
    numbers: list[str] = []
    for token in _part_tokens(text):
        if token.number is not None and token.number not in numbers:
            numbers.append(token.number)
    return numbers


_FUNDER_DOI_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?10\.13039/501100001809$", re.IGNORECASE)


def is_nsfc_funder_name(name: str) -> bool:
    """True for NSFC's names in English and Chinese, its acronyms and its Crossref
    funder DOI; False for provincial natural science foundations and other funders."""
    if not name:
        return False
    text = _normalize(str(name)).text.strip()
    if _FUNDER_DOI_RE.match(text):
        return True
    return any(p.nsfc for p in _find_phrases(text))


# ---------------------------------------------------------------------------
# 6. Evaluation
# ---------------------------------------------------------------------------

def _gold_numbers(row: dict) -> tuple[set[str], set[str]]:
    """Gold numbers the normalizer accepts, and those it rejects (as written)."""
    valid, rejected = set(), set()
    for raw in row.get("nsfc_grant_numbers", []):
        number = _try_number(raw)
        if number is None:
            rejected.add(str(raw).strip().upper())
        else:
            valid.add(number)
    return valid, rejected


def evaluate(rows: Iterable[dict]) -> dict:
    """Micro precision/recall/F1 of `find_nsfc_grants` over labelled rows.

    A row marked "ambiguous" has a malformed labelled number that no normalizer can
    accept; it is not counted as missed. Other rejected gold numbers count as missed.
    """
    tp = fp = fn = 0
    for row in rows:
        predicted = {m.approval_number for m in find_nsfc_grants(row["text"])}
        valid, rejected = _gold_numbers(row)
        tp += len(predicted & valid)
        fp += len(predicted - valid)
        fn += len(valid - predicted) + (0 if row.get("ambiguous") else len(rejected))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn}
