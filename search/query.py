"""User text and filters -> a small, safe query tree that each engine compiles.

Raw user syntax never reaches an engine. The parser understands words, "quoted phrases",
-exclusions, OR between two parts, and a trailing wildcard on at least three characters
(quant*). Everything else a query language would offer is refused with a friendly error,
because it is what makes a search engine slow: measured here, one `*a*` on Whoosh took
29 s and an open range 132 s on 20,000 documents. Year ranges are bounded filters.

Matching rules, the same for both engines:
- every part of the query must match the text (titles, keywords, abstracts …); a part
  may be a word, a glossary term (matched in either language), a Chinese word, a phrase
  or a prefix; Chinese words that stand together score higher than scattered ones;
- a query that reads as a person's name also matches the name keys of people (and of the
  people on projects, outputs and works), whatever the rest says.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from kg import concepts
from kg import vocab as V
from kg.errors import QueryBoundExceeded, QueryError
from search import glossary
from search.analysis import (adjacent_pairs, fold, has_cjk, latin_token, may_be_name, query_name_key,
                             segment_precise, tokens)
from search.model import FILTER_KEYS, KINDS, SORTS
from search.regions import normalize_region

MAX_QUERY_CHARS = 256
MAX_PARTS = 24
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000  # page * per_page
MIN_PREFIX_CHARS = 3
MAX_YEAR_SPAN = 60
MAX_FILTER_VALUES = 50

# A match in a name or an identifier counts most; within the text, titles count three times
# and keywords twice, by repetition (search.engine.weighted_text).
TEXT_FIELD = "text"
NAME_FIELDS = {"name": 5.0, "people_names": 1.5}
IDENT_FIELD = "ident"
FACET_FIELDS = ("kind", "department", "application_code", "project_type", "output_kind", "work_kind", "tier",
                "institution", "region", "year", "popularized", "in_pool", "job_title", "unpopularized")
SHOWN_FACETS = ("kind", "department", "application_code", "project_type", "output_kind", "work_kind", "tier",
                "institution", "region", "year", "popularized", "in_pool")
# The facets that mean something for one kind of entity (each facet costs a pass over the hits).
FACETS_BY_KIND = {
    None: SHOWN_FACETS,
    "project": ("department", "application_code", "project_type", "tier", "institution", "region", "year",
                "popularized"),
    "output": ("department", "application_code", "project_type", "output_kind", "tier", "institution", "region",
               "year", "popularized"),
    "work": ("department", "work_kind", "year"),
    "researcher": ("department", "institution", "region", "popularized", "in_pool"),
    "institution": ("region",),
}
UNPOPULARIZED_FACETS = ("kind", "department", "application_code", "project_type", "output_kind", "tier",
                        "institution", "region", "year")
FILTER_FIELDS = {key: key for key in FILTER_KEYS}
FILTER_FIELDS.update({"application_code": "codes", "title": "job_title"})


# The tree --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    field: str
    words: tuple[str, ...]
    boost: float = 1.0
    slop: int = 0  # how many other tokens may stand between the words


@dataclass(frozen=True)
class Prefix:
    field: str
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class AnyOf:
    """A filter: the field holds one of the values (no part in the score)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class And:
    items: tuple
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    items: tuple
    boost: float = 1.0


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class Everything:
    pass


Node = Term | Phrase | Prefix | AnyOf | And | Or | Not | Everything


def any_field(token: str) -> Term:
    return Term(TEXT_FIELD, token)


def name_clause(key: str) -> Or:
    return Or(tuple(Term(f, key, w) for f, w in NAME_FIELDS.items()))


# Parsing user text -----------------------------------------------------------------------------
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_DOI = re.compile(r"^10\.\d{4,9}/\S+$", re.I)
_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$", re.I)
_APPROVAL = re.compile(r"^(?:[A-Z]\d{7,10}|\d{8}|\d{10,11})$", re.I)
_RANGE_SYNTAX = re.compile(r"[\[\]{}]|\bTO\b")
_SPLIT = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff*?'’-]+")


def check_length(text: str) -> str:
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryBoundExceeded(f"The query is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed.",
                                 "Shorten it to the words that matter most.", limit=MAX_QUERY_CHARS)
    return text


def parse_text(text: str) -> Node:
    """The query tree for what a user typed (Everything for an empty query)."""
    text = check_length(text).strip()
    if not text:
        return Everything()
    if text.count('"') % 2:
        raise QueryError("The query has an opening quote without a closing one.",
                         'Close the phrase with a second " or remove the quote.')
    if text.count("(") != text.count(")"):
        raise QueryError("The query has unbalanced parentheses.", "Remove them: every word must match anyway.")
    if _RANGE_SYNTAX.search(text):
        raise QueryError("Ranges are not part of the search syntax.",
                         "Use the year filter instead, with a bounded range: year=2018-2020 (--year on the command line).")
    groups = _or_groups(text)
    alternatives = [_parse_group(group) for group in groups]
    alternatives = [a for a in alternatives if a is not None]
    if not alternatives:
        return Everything()
    main = alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives))
    key = query_name_key(text.replace('"', " "))
    if key and len(groups) == 1:
        return Or((main, name_clause(key)))
    return main


def _or_groups(text: str) -> list[list[tuple[str, bool]]]:
    """Split into OR-separated groups of (piece, quoted) pairs."""
    groups: list[list[tuple[str, bool]]] = [[]]
    for quoted, bare in _TOKEN.findall(text):
        if bare == "OR":
            groups.append([])
            continue
        groups[-1].append((quoted, True) if quoted or not bare else (bare, False))
    if any(not g for g in groups):
        raise QueryError("OR needs something on both sides.", "Write e.g. 量子计算 OR quantum computing.")
    return groups


def _parse_group(pieces: list[tuple[str, bool]]) -> Node | None:
    positive: list[Node] = []
    negative: list[Node] = []
    words: list[str] = []  # consecutive plain words, grouped into glossary terms at the end

    def flush() -> None:
        positive.extend(_word_units(words))
        words.clear()

    for piece, quoted in pieces:
        if quoted:
            flush()
            unit = _phrase_unit(piece)
            if unit is not None:
                positive.append(unit)
            continue
        if piece.startswith("-") and len(piece) > 1:
            flush()
            unit = _and(_word_units(_split_words(piece[1:])))
            if unit is not None:
                negative.append(Not(unit))
            continue
        identifier = _identifier_unit(piece)
        if identifier is not None:
            flush()
            positive.append(identifier)
            continue
        for word in _split_words(piece):
            if "*" in word or "?" in word:
                flush()
                positive.append(_prefix_unit(word))
            else:
                words.append(word)
    flush()
    if len(positive) + len(negative) > MAX_PARTS:
        raise QueryBoundExceeded(f"The query has more than {MAX_PARTS} parts.", "Search for fewer words at a time.")
    if not positive:
        return None if not negative else And((Everything(), *negative))
    return And(tuple(positive + negative)) if len(positive) + len(negative) > 1 else positive[0]


def _split_words(piece: str) -> list[str]:
    return [w for w in _SPLIT.split(piece) if w and w.strip("-'’")]


def _and(items: list[Node]) -> Node | None:
    if not items:
        return None
    return items[0] if len(items) == 1 else And(tuple(items))


def _identifier_unit(piece: str) -> Node | None:
    """DOIs, ORCID iDs and approval numbers match the identifier field exactly."""
    value = piece.strip(".,;，；")
    if _DOI.match(value) or _ORCID.match(value):
        return Term(IDENT_FIELD, value.lower(), 5.0)
    if _APPROVAL.match(value):
        return Or((Term(IDENT_FIELD, value.lower(), 5.0), any_field(fold(value))))
    return None


def _prefix_unit(word: str) -> Node:
    stem_part = fold(word)
    if stem_part.startswith(("*", "?")) or "?" in stem_part or stem_part.count("*") > 1 or not stem_part.endswith("*"):
        raise QueryError(f"'{word}': only a trailing * is allowed in a word.",
                         f"Write at least {MIN_PREFIX_CHARS} letters before the *, e.g. quant*.")
    prefix = stem_part[:-1]
    if len(prefix) < MIN_PREFIX_CHARS:
        raise QueryBoundExceeded(f"'{word}': a wildcard needs at least {MIN_PREFIX_CHARS} characters before it.",
                                 f"Write e.g. {_long_enough(prefix)}*.")
    return Prefix(TEXT_FIELD, prefix)


def _long_enough(prefix: str) -> str:
    """An example prefix as long as a wildcard needs: the user's, padded ('ab' -> 'abx')."""
    example = prefix or "qua"
    return example + "x" * max(0, MIN_PREFIX_CHARS - len(example))


def _phrase_unit(text: str) -> Node | None:
    """A quoted phrase: Latin words in order; Chinese runs as their words (all must match)."""
    parts: list[Node] = []
    latin: list[str] = []
    for word in _split_words(text):
        if has_cjk(word):
            parts.extend(_cjk_units(word))
        else:
            token = latin_token(fold(word))
            if token:
                latin.append(token)
    if len(latin) == 1:
        parts.append(any_field(latin[0]))
    elif latin:
        parts.append(Phrase(TEXT_FIELD, tuple(latin)))
    return _and(parts)


def _word_units(words: list[str]) -> list[Node]:
    """Plain words: Chinese runs and Latin words, with glossary terms found in either language."""
    units: list[Node] = []
    latin: list[str] = []
    for word in words:
        if has_cjk(word):
            units.extend(_latin_units(latin))
            latin = []
            units.extend(_cjk_units(word))
        else:
            latin.append(word)
    units.extend(_latin_units(latin))
    return units


def _latin_units(words: list[str]) -> list[Node]:
    stems = [latin_token(fold(w)) for w in words]
    units: list[Node] = []
    i = 0
    while i < len(words):
        matched = False
        for size in range(min(glossary.MAX_EN_WORDS, len(words) - i), 1, -1):
            key = tuple(s for s in stems[i:i + size] if s)
            chinese = glossary.en_to_zh().get(key)
            if chinese and stems[i] and stems[i + size - 1]:
                own = And(tuple(any_field(s) for s in key))
                units.append(Or((own, *[_zh_term(zh) for zh in chinese])))
                i += size
                matched = True
                break
        if not matched:
            if stems[i]:
                single = glossary.en_to_zh().get((stems[i],))
                word = any_field(stems[i])
                units.append(Or((word, *[_zh_term(zh) for zh in single])) if single else word)
            i += 1
    return units


def _zh_term(term: str) -> Node:
    return _and(_cjk_word_units(segment_precise(fold(term)))) or Everything()


def _cjk_units(run: str) -> list[Node]:
    """A run of Chinese characters: its words, with glossary terms among them also searched in English."""
    words = segment_precise(fold(run))
    table = glossary.zh_to_en()
    units: list[Node] = []
    plain: list[str] = []
    i = 0
    while i < len(words):
        # The longest run of whole words that spells a glossary term (量子 + 计算 = 量子计算).
        end = next((j for j in range(min(len(words), i + 6), i, -1) if "".join(words[i:j]) in table), None)
        if end is None:
            plain.append(words[i])
            i += 1
            continue
        units.extend(_cjk_word_units(plain))
        plain = []
        own = _and(_cjk_word_units(words[i:end]))
        units.append(Or((own, *[_en_term(en) for en in table["".join(words[i:end])]])))
        i = end
    units.extend(_cjk_word_units(plain))
    return units


def _cjk_word_units(words: list[str]) -> list[Node]:
    """Chinese words, all required; adjacent words (量子 计算) score higher than scattered ones."""
    units = _cjk_words(words)
    pairs = adjacent_pairs(words)
    if len(units) > 1 and pairs:
        # A document holding a joined pair holds its two words side by side (search.analysis),
        # so this OR matches the same documents as the AND alone; it only adds to the score
        # of those where the words stand together, as a phrase would.
        return [Or((And(tuple(units)), *(Term(TEXT_FIELD, pair, 2.0) for pair in pairs)))]
    return units


def _cjk_words(words: list[str]) -> list[Node]:
    units: list[Node] = []
    for word in words:
        if not has_cjk(word):
            token = latin_token(word)
            if token:
                units.append(any_field(token))
            continue
        # The word itself is enough: search-mode indexing also stores the dictionary words
        # inside longer ones, so a text holding these characters almost always holds the word.
        alternatives: list[Node] = [any_field(word)]
        if may_be_name(word):
            alternatives.append(name_clause(word))  # 王伟 in "王伟 量子计算"
        units.append(alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives)))
    return units


def _en_term(term: str) -> Node:
    stems = [t for t in tokens(term)]
    return And(tuple(any_field(s) for s in stems)) if len(stems) > 1 else any_field(stems[0])


def topic_terms(texts: list[str], limit: int = 24) -> Node:
    """An OR query over the words of a record (for 'who could popularize this'): more shared words rank higher."""
    seen: list[str] = []
    for text in texts:
        for token in tokens(text):
            if token not in seen and (len(token) >= 2 or not has_cjk(token)):
                seen.append(token)
    if not seen:
        return Everything()
    return Or(tuple(any_field(t) for t in seen[:limit]))


# Filters ---------------------------------------------------------------------------------------
_YES = {"yes", "y", "true", "1", "是", "有"}
_NO = {"no", "n", "false", "0", "否", "无"}
_SCHEMES = {"department": V.DepartmentScheme, "project_type": V.ProjectTypeScheme, "tier": V.ObligationTierScheme,
            "output_kind": V.OutputKindScheme, "work_kind": V.WorkKindScheme}


def filter_nodes(filters: dict[str, list[str]], kind: str | None) -> list[AnyOf]:
    """Validated filters as AnyOf nodes, values normalized to what the index holds."""
    nodes: list[AnyOf] = []
    filters = dict(filters or {})
    if kind:
        filters["kind"] = [kind]
    for key, values in filters.items():
        if key not in FILTER_FIELDS:
            raise QueryError(f"Unknown filter '{key}'.", "Use one of: " + ", ".join(FILTER_KEYS) + ".")
        if isinstance(values, str):
            values = [values]
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            continue
        if len(values) > MAX_FILTER_VALUES:
            raise QueryBoundExceeded(f"The {key} filter has {len(values)} values; at most {MAX_FILTER_VALUES} are allowed.",
                                     "Filter on fewer values at a time.")
        normalized = sorted({n for v in values for n in _normalize(key, v)})
        nodes.append(AnyOf(FILTER_FIELDS[key], tuple(normalized)))
    return nodes


def _normalize(key: str, value: str) -> list[str]:
    if key == "kind":
        kind = value.lower()
        if kind not in KINDS:
            raise QueryError(f"Unknown kind '{value}'.", "Use one of: " + ", ".join(KINDS) + ".")
        return [kind]
    if key in _SCHEMES:
        concept = concepts.lookup(_SCHEMES[key], value)
        if concept is None:
            choices = ", ".join(concepts.notation(c) for c in concepts.members(_SCHEMES[key]))
            raise QueryError(f"Unknown {key.replace('_', ' ')} '{value}'.", f"Use one of: {choices}.")
        return [concepts.notation(concept)]
    if key in ("popularized", "in_pool"):
        folded = fold(value)
        if folded in _YES:
            return ["yes"]
        if folded in _NO:
            return ["no"]
        raise QueryError(f"The {key} filter takes yes or no, not '{value}'.", "Use yes or no.")
    if key == "year":
        return _years(value)
    if key == "region":
        return [normalize_region(value) or value]
    if key == "application_code":
        return [value.upper()]
    return [value]


def _years(value: str) -> list[str]:
    # A Chinese input method types full-width digits (２０２０～２０２２): \d matches them, the index does not.
    value = unicodedata.normalize("NFKC", value)
    match = re.fullmatch(r"\s*(\d{4})?\s*(?:-|–|~|\.\.)\s*(\d{4})?\s*", value)
    if match is None:
        if re.fullmatch(r"\d{4}", value.strip()):
            return [value.strip()]
        raise QueryError(f"'{value}' is not a year or a range of years.", "Write e.g. 2020 or 2018-2020.")
    start, end = match.groups()
    if start is None or end is None:
        raise QueryBoundExceeded(f"The year range '{value}' is open.", "Give both ends, e.g. 2015-2020.")
    low, high = sorted((int(start), int(end)))
    if high - low > MAX_YEAR_SPAN:
        raise QueryBoundExceeded(f"The year range '{value}' spans more than {MAX_YEAR_SPAN} years.", "Narrow it.")
    return [str(y) for y in range(low, high + 1)]


def check_paging(page: int, per_page: int, sort: str) -> None:
    if sort not in SORTS:
        raise QueryError(f"Unknown sort '{sort}'.", "Use one of: " + ", ".join(SORTS) + ".")
    if page < 1 or per_page < 1:
        raise QueryError("Pages and page sizes start at 1.", "Ask for page 1 or more.")
    if per_page > MAX_PER_PAGE:
        raise QueryBoundExceeded(f"At most {MAX_PER_PAGE} hits per page.", f"Use a page size up to {MAX_PER_PAGE}.")
    if page * per_page > MAX_RESULT_WINDOW:
        raise QueryBoundExceeded(f"Only the first {MAX_RESULT_WINDOW} hits can be paged through.",
                                 "Narrow the query with filters instead of paging further.")


def query_terms(text: str) -> list[str]:
    """The surface forms to highlight in snippets: words, Chinese runs, glossary translations."""
    found: list[str] = []
    for quoted, bare in _TOKEN.findall(check_length(text)):
        piece = quoted or bare
        if piece == "OR" or piece.startswith("-"):
            continue
        for word in _split_words(piece):
            word = word.rstrip("*")
            if word:
                found.append(word)
    extra: list[str] = []
    joined = fold(" ".join(found))
    for zh, en, zh_folded, en_folded in _folded_glossary():
        if zh_folded in joined or en_folded in joined:
            extra += [zh, en]
    return found + extra


@lru_cache(maxsize=1)
def _folded_glossary() -> tuple[tuple[str, str, str, str], ...]:
    return tuple((zh, en, fold(zh), fold(en)) for zh, en in glossary.TERMS)
