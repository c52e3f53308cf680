"""Text analysis shared by both engines: one tokenizer, so Whoosh and Tantivy agree.

Each engine indexes the space-joined tokens produced here with a plain whitespace
tokenizer; queries are analysed by the same functions. Chinese runs are segmented with
jieba's search mode (words plus the shorter words inside them, so that a query for
"量子计算" matches a title that jieba splits as "量子 / 计算"); Latin words are
lower-cased, folded to ASCII and Porter-stemmed ("computing" -> "comput"), which is what
makes "quantum computing" match "Quantum Computation".

Names get their own keys (see `name_keys`): the characters, and pinyin without tones in
the orders and forms people type ("wang wei", "wangwei", "wei wang", "wang w").
"""
from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

import jieba
from pypinyin.pinyin_dict import pinyin_dict
from whoosh.lang.porter import stem as porter_stem

jieba.setLogLevel(logging.WARNING)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([0-9A-Za-z]+(?:['’][A-Za-z]+)?)")
_HAS_CJK = re.compile(f"[{_CJK}]")
_LATIN_WORD = re.compile(r"[a-z]+")
_WORDS = re.compile(r"[0-9a-z]+")
STOP_WORDS = frozenset(
    "a an and are as at based be by for from in into is it of on or the their this to towards via with".split())
MAX_TOKEN_CHARS = 60

# pypinyin reads a character as a word; as a surname these characters are read otherwise.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "区": "ou", "查": "zha", "仇": "qiu", "朴": "piao",
    "乐": "yue", "覃": "qin", "盖": "ge", "缪": "miao", "翟": "zhai", "重": "chong", "秘": "bi",
    "种": "chong", "繁": "po", "折": "she", "薄": "bo", "都": "du", "藏": "zang", "卜": "bu",
    "祭": "zhai", "阚": "kan", "召": "shao", "尉迟": "yuchi", "万俟": "moqi", "长孙": "zhangsun",
}
# The most common surnames (about 90% of the population): a Chinese word that starts with one
# of these may be a name, so a query word like 王伟 is also looked up among names.
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴莫孔向常汤"
    "康易乔赖文施洪葛牛严柴申庞樊兰殷童温季")
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 令狐 夏侯 长孙 宇文 司徒 西门 端木 独孤 南宫 万俟 "
    "闻人 轩辕 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 钟离 鲜于 闾丘 司空".split())


def fold(text: str) -> str:
    """NFKC (full-width to half-width), lower case, accents removed."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def words(text: str) -> list[str]:
    """Folded Latin words and numbers of a text, as typed: how glossary terms are matched."""
    return _WORDS.findall(fold(text))


def has_cjk(text: str) -> bool:
    return bool(text) and not text.isascii() and bool(_HAS_CJK.search(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return porter_stem(word)


@lru_cache(maxsize=50_000)
def _segment(run: str) -> tuple[str, ...]:
    """The index tokens of one run of Chinese characters (cached: keywords repeat).

    Search-mode words (a long word and the dictionary words inside it), plus every pair of
    adjacent precise-mode words joined ("量子" + "计算" -> "量子计算"): a query whose words
    stand together in a text then also matches that one token and scores higher, which is
    what a phrase query would do, at the cost of a term lookup (phrases are slow on Whoosh).
    """
    precise = segment_precise(run)
    return tuple(_search_words(precise) + [a + b for a, b in zip(precise, precise[1:])])


def _search_words(precise: list[str]) -> list[str]:
    """jieba's search mode (`cut_for_search`) computed from precise-mode words already cut.

    cut_for_search cuts the text in precise mode itself and adds the dictionary 2- and
    3-grams inside each longer word; doing that here from the words `_segment` needs
    anyway halves the jieba work of indexing (segmentation is most of the analysis time).
    """
    freq = jieba.dt.FREQ
    words: list[str] = []
    for w in precise:
        if len(w) > 2:
            words += [w[i:i + 2] for i in range(len(w) - 1) if freq.get(w[i:i + 2])]
        if len(w) > 3:
            words += [w[i:i + 3] for i in range(len(w) - 2) if freq.get(w[i:i + 3])]
        words.append(w)
    return words


def adjacent_pairs(words: list[str]) -> list[str]:
    """The joined pairs of adjacent words that `_segment` indexes for a run with these words."""
    return [a + b for a, b in zip(words, words[1:]) if has_cjk(a) and has_cjk(b)]


def segment_precise(run: str) -> list[str]:
    """Precise-mode words of a run of Chinese characters (how a query is split into units)."""
    return [w for w in jieba.cut(run, HMM=False) if w.strip()]


def sub_words(word: str) -> list[str]:
    """The shorter dictionary words inside a Chinese word that search mode also indexes."""
    return [w for w in _segment(word) if w != word and len(w) >= 2]


def latin_token(word: str) -> str | None:
    """The indexed form of one Latin word or number, or None for a stop word."""
    word = word.replace("’", "'").split("'")[0] if "'" in word or "’" in word else word
    if not word or word in STOP_WORDS or len(word) > MAX_TOKEN_CHARS:
        return None
    return stem(word) if word.isalpha() else word


def _analyse(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for cjk, latin in _RUNS.findall(fold(text)):
        if cjk:
            out.extend(_segment(cjk))
        else:
            token = latin_token(latin)
            if token:
                out.append(token)
    return tuple(out)


@lru_cache(maxsize=20_000)
def _tokens(text: str) -> tuple[str, ...]:
    return _analyse(text)


def tokens(text: str) -> list[str]:
    """Index tokens of any text, Chinese and English mixed."""
    return list(_tokens(text)) if text else []


# Titles, keywords and names recur (a researcher's document repeats the titles of their
# projects and outputs), so their analysed form is cached, as one string (less memory and
# no per-token join); abstracts are analysed once each and would only push the titles out.
SHORT_TEXT = 300


@lru_cache(maxsize=1_000_000)
def _short_text(text: str) -> str:
    return " ".join(_analyse(text))


def _analysed(text: str) -> str:
    return _short_text(text) if len(text) <= SHORT_TEXT else " ".join(_analyse(text))


def analyze(texts) -> str:
    """Space-joined index tokens of several texts: what the engines' text fields hold."""
    return " ".join(joined for joined in map(_analysed, filter(None, texts)) if joined)


# Names ------------------------------------------------------------------------------------
def may_be_name(word: str) -> bool:
    """A 2–4 character Chinese word that starts with a common or compound surname."""
    return 2 <= len(word) <= 4 and (word[0] in COMMON_SURNAMES or word[:2] in COMPOUND_SURNAMES)


def _split_chinese_name(name: str) -> tuple[str, str]:
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


@lru_cache(maxsize=30_000)
def syllable(char: str) -> str:
    """The first (most common) reading of a character in pypinyin's table, without tone; ü as v.

    Names are read character by character: pypinyin's phrase dictionary, which lazy_pinyin
    consults, knows words, not given names, and costs a hundred times more per name.
    """
    readings = pinyin_dict.get(ord(char))
    if not readings:
        return fold(char)
    decomposed = unicodedata.normalize("NFD", readings.split(",")[0])
    return fold(decomposed.replace("u\u0308", "v"))


def chinese_name_syllables(name: str) -> tuple[list[str], list[str]]:
    """(surname syllables, given-name syllables) of a name written in characters."""
    surname, given = _split_chinese_name(name)
    reading = SURNAME_READINGS.get(surname)
    family = [reading] if reading else [syllable(c) for c in surname]
    return family, [syllable(c) for c in given]


def latin_name_parts(name: str) -> list[list[str]]:
    """Candidate (family, given) splits of a romanized name: 'Wei Wang', 'WANG Wei', 'Wang, Wei'."""
    if "," in name:
        family, _, given = name.partition(",")
        return [[" ".join(_LATIN_WORD.findall(fold(family))), " ".join(_LATIN_WORD.findall(fold(given)))]]
    words = _LATIN_WORD.findall(fold(name.replace("-", "")))
    if len(words) < 2:
        return [[words[0], ""]] if words else []
    upper = [w for w in re.findall(r"[A-Za-z]+", name) if len(w) > 1 and w.isupper()]
    if upper and len(upper) < len(words):
        family = fold(upper[0])
        return [[family, " ".join(w for w in words if w != family)]]
    # 'Wei Wang' (given first) is the usual English order, 'Wang Wei' the Chinese one: keep both.
    return [[words[-1], " ".join(words[:-1])], [words[0], " ".join(words[1:])]]


def _keys_from_parts(family: str, given: str) -> set[str]:
    family, given = family.replace(" ", ""), given.replace(" ", "")
    if not family:
        return set()
    if not given:
        return {family}
    return {family + given, given + family, f"{family}_{given[0]}"}


def name_keys(names) -> set[str]:
    """Every key a name can be found by: characters, pinyin in both orders, 'wang_w' initials."""
    keys: set[str] = set()
    for name in names:
        if name:
            keys |= _name_keys(name)
    return keys


@lru_cache(maxsize=200_000)
def _name_keys(name: str) -> frozenset[str]:
    keys: set[str] = set()
    folded = fold(name).strip()
    if has_cjk(folded):
        chars = re.sub(r"[\s·•.]", "", folded)
        keys.add(chars)
        if len(chars) <= 4:
            family, given = (("".join(part)) for part in chinese_name_syllables(chars))
            # ü is typed v (pypinyin), u or yu (吕 = Lv, Lu, Lyu): index all three.
            for u in ("v", "u", "yu") if "v" in family + given else ("v",):
                keys |= _keys_from_parts(family.replace("v", u), given.replace("v", u))
    else:
        for family, given in latin_name_parts(unicodedata.normalize("NFKC", name)):
            keys |= _keys_from_parts(family, given)
    return frozenset(k for k in keys if k)


def query_name_key(text: str) -> str | None:
    """The one key a typed name maps to: '王伟' -> '王伟', 'Wei Wang' -> 'weiwang', 'Wang W' -> 'wang_w'."""
    folded = fold(text).strip()
    if not folded:
        return None
    if has_cjk(folded):
        chars = re.sub(r"[\s·•.]", "", folded)
        # Any 2–4 characters may be a name (rare surnames too); longer text is not one.
        return chars if 2 <= len(chars) <= 4 and _HAS_CJK.fullmatch(chars[0]) else None
    words = _LATIN_WORD.findall(folded.replace("-", ""))
    if not 1 <= len(words) <= 4:
        return None
    if len(words) >= 2 and len(words[-1]) == 1:      # 'Wang W'
        return f"{''.join(words[:-1])}_{words[-1]}"
    if len(words) >= 2 and len(words[0]) == 1:       # 'W. Wang'
        return f"{''.join(words[1:])}_{words[0]}"
    return "".join(words)
