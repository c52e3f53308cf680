"""Person names across scripts and shapes: 王伟, "Wei Wang", "Wang, W.", "WANG Wei", "Xiao-Ming Li".

A name is parsed into one or more `NameForm`s, each a (family, given, initials) reading
in lower-case pinyin-like letters:

- Chinese characters give every plausible reading: the surname by the surname table
  (单 is Shan as a surname, 曾 Zeng, 解 Xie, 区 Ou, 仇 Qiu …, plus the dictionary
  reading that machine transliteration produces), compound surnames (欧阳, 司马 …), the
  given name by each character's readings (pypinyin, heteronyms included), and common
  non-pinyin spellings of the surname (Wong, Lee, Chan …) where they are no other
  surname's pinyin.
- Latin names are split by shape: "Family, Given", an upper-case family ("WANG Wei"),
  initials ("Li XM", "X.-M. Li"), hyphenated given names; a plain "Wei Wang" whose order
  cannot be told gives both readings.

Two names are compared with `compare`: EXACT (same characters), FULL (same family and
full given name), INITIALS (same family, initials agree), or NONE. Different Chinese
characters are never the same name, however alike their pinyin (王伟 / 王巍).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from pypinyin import Style, pinyin

NONE, INITIALS, FULL, EXACT = 0, 1, 2, 3
LEVEL_NAMES = {NONE: "different", INITIALS: "initials agree", FULL: "same name", EXACT: "same characters"}

# Standard pinyin syllables (ü written v), for splitting "xiaoming" into xiao-ming.
_SYLLABLES = frozenset("""
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen ceng cha
chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui
cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du duan dui dun duo e ei en eng er
fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha
hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong
jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao
le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men
meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu
nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian
qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai
san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun
shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa
wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin
ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi
zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
""".split())

# Surnames read differently from the dictionary's first reading, with the dictionary
# reading kept as a variant where machine transliteration produces it.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan", "dan"), "曾": ("zeng", "ceng"), "解": ("xie", "jie"), "区": ("ou", "qu"),
    "仇": ("qiu", "chou"), "朴": ("piao", "pu"), "查": ("zha", "cha"), "盖": ("ge", "gai"),
    "尉": ("yu", "wei"), "缪": ("miao", "mou"), "覃": ("qin", "tan"), "翟": ("zhai", "di"),
    "乐": ("yue", "le"), "秘": ("bi", "mi"), "种": ("chong", "zhong"), "句": ("gou", "ju"),
    "员": ("yun", "yuan"), "宿": ("su",), "折": ("she", "zhe"), "召": ("shao", "zhao"),
    "隗": ("wei", "kui"), "冼": ("xian",), "洗": ("xian", "xi"), "繁": ("po", "fan"),
    "王": ("wang",), "石": ("shi",), "任": ("ren",), "华": ("hua",), "吕": ("lv", "lu"),
    "闫": ("yan",), "阎": ("yan",), "沈": ("shen",), "和": ("he",), "都": ("du",), "长": ("chang",),
    "万俟": ("moqi",), "尉迟": ("yuchi",), "长孙": ("zhangsun",), "令狐": ("linghu",),
}
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯",
    "长孙", "宇文", "端木", "万俟", "轩辕", "独孤", "南宫", "西门", "申屠", "澹台", "公冶", "太史",
})
# Non-pinyin spellings of common surnames (Cantonese, Wade-Giles, Hokkien), only where
# the spelling is not another surname's pinyin (so "Tang" is not listed for 邓).
SURNAME_VARIANTS: dict[str, tuple[str, ...]] = {
    "wang": ("wong",), "huang": ("wong", "hwang"), "li": ("lee",), "chen": ("chan",),
    "zhang": ("cheung",), "liu": ("lau",), "lin": ("lam", "lim"), "zhou": ("chow", "chau"),
    "wu": ("ng", "woo"), "xu": ("hsu", "tsui"), "he": ("ho",), "guo": ("kwok", "kuo"),
    "yang": ("yeung",), "liang": ("leung",), "luo": ("law",), "xie": ("hsieh", "tse"),
    "zeng": ("tsang", "tseng"), "cai": ("tsai", "choi"), "zhao": ("chiu",), "jiang": ("chiang",),
    "ye": ("yip", "yeh"), "gao": ("kao",), "zheng": ("cheang",), "lv": ("lyu", "lue"),
    "qiu": ("yau", "chiu"), "su": ("soo",), "feng": ("fung",), "deng": ("teng",),
}
# Every known surname reading: a Latin token that is one is probably a family name.
_KNOWN_FAMILIES = frozenset(
    [r for readings in SURNAME_READINGS.values() for r in readings]
    + [v for variants in SURNAME_VARIANTS.values() for v in variants] + list(SURNAME_VARIANTS)
    + """an bai bao bi bian cao cen chai chang che cheng chi cui dai deng ding dong du duan fan fang fei fu gan
    ge geng gong gu guan han hao hong hou hu jia jin kang kong lai lan lei liao long lou lu lv ma mao meng mi miao mo mu
    ni nie ning niu ou pan pang pei peng qi qian qiao qin shao shen sheng shi song sun tan tang tao tian tong wan wei wen
    weng xia xiang xiao xing xiong xue yan yao yi yin ying yu yuan yue zhai zhan zhong zhu zhuang zou ouyang sima zhuge
    shangguan situ dongfang huangfu gongsun murong linghu xiahou zhangsun yuwen duanmu moqi xuanyuan yuchi""".split())
# Traditional characters common in names (Hong Kong, Taiwan, older records) -> simplified,
# so that 張偉 and 张伟 are the same characters.
_TRADITIONAL = str.maketrans(
    "張劉陳楊黃趙吳周鄭孫馬朱胡郭何羅梁謝宋唐許韓馮鄧曹彭曾蕭田董袁潘蔣蔡餘杜葉程蘇魏呂丁沈姚盧姜崔鍾譚陸汪範金"
    "廖賈夏韋傅方鄒孟熊秦邱江尹薛閻段雷侯龍史黎賀顧毛郝龔邵萬錢嚴覃歐陽諸葛司馬單區仇樸查蓋尉繆翟樂"
    "偉華國軍紅麗強傑濤鵬輝龍東峰濤鑫亮儀婷穎琳欣晨雲興龍嬌瑩瑤潔靜鳳蘭艷燕貞紀綱書賢寶慶義榮誠聰詩萬"
    "長順開進達運遠連鐵鋒銘錦鎮鐘順頌頻顯飛馳驍鴻鵬鶴麟齊齡龐叢嶺峯偉傳億僑儉憲懷應戰擁敏曉暉書會楨樹橋檢"
    "歡歲滬漢潔澤濟濱灣煒燁爾獻瑋環璣產畢異疇發盡監碩禎禮穩築簡紹經維綠緯縣繼聖聯聲職與興舉艦藝虹蘊處蟲術衛"
    "裝見規親覺觀詠誼諾謀謙講證識譯護讓貴賓贊躍軒輪輯農邁郵鄉釗鈞鋼錄鎖鏡長閩闖陳陽隆雙雞電靈韜頂順領頤風飆"
    "馨騰驊魯鯤鳴鷹麥黃齊",
    "张刘陈杨黄赵吴周郑孙马朱胡郭何罗梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金"
    "廖贾夏韦傅方邹孟熊秦邱江尹薛阎段雷侯龙史黎贺顾毛郝龚邵万钱严覃欧阳诸葛司马单区仇朴查盖尉缪翟乐"
    "伟华国军红丽强杰涛鹏辉龙东峰涛鑫亮仪婷颖琳欣晨云兴龙娇莹瑶洁静凤兰艳燕贞纪纲书贤宝庆义荣诚聪诗万"
    "长顺开进达运远连铁锋铭锦镇钟顺颂频显飞驰骁鸿鹏鹤麟齐龄庞丛岭峰伟传亿侨俭宪怀应战拥敏晓晖书会桢树桥检"
    "欢岁沪汉洁泽济滨湾炜烨尔献玮环玑产毕异畴发尽监硕祯礼稳筑简绍经维绿纬县继圣联声职与兴举舰艺虹蕴处虫术卫"
    "装见规亲觉观咏谊诺谋谦讲证识译护让贵宾赞跃轩轮辑农迈邮乡钊钧钢录锁镜长闽闯陈阳隆双鸡电灵韬顶顺领颐风飙"
    "馨腾骅鲁鲲鸣鹰麦黄齐")
_HONORIFICS = frozenset({"prof", "professor", "dr", "mr", "ms", "mrs", "phd", "md", "jr", "sr"})

_CJK = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·•・]{2,16}$")
_LATIN_KEEP = re.compile(r"[^a-z.,'\- ]+")
_SPACES = re.compile(r"\s+")
_NOT_LETTER = re.compile(r"[^a-z]")
_LETTER = re.compile(r"[a-z]")
_UPPER_SHORT = re.compile(r"[A-Z]{1,3}")
_GIVEN_SPLIT = re.compile(r"[-' ]+")
_PUNCT = re.compile(r"[(),;]")
_INITIALS_TOKEN = re.compile(r"^(?:[a-z]\.-?)+[a-z]?\.?$|^[a-z]$")


@dataclass(frozen=True)
class NameForm:
    """One reading of a name: family and given in lower-case letters (ü as v)."""

    family: str
    given: str       # full given name, '' when only initials are known
    initials: str    # one letter per given syllable ('xm'); '' when no given name

    @property
    def block_key(self) -> str:
        """family + first initial: names that could be the same person share it."""
        return f"{self.family}|{self.initials[:1]}"


@dataclass(frozen=True)
class ParsedName:
    text: str
    zh: str                        # the characters when the name is written in Chinese, else ''
    forms: tuple[NameForm, ...]

    @property
    def full_keys(self) -> frozenset[str]:
        """family|given for every form with a full given name (the key of name+institution blocks)."""
        return frozenset(f"{f.family}|{f.given}" for f in self.forms if f.given)


# ---------------------------------------------------------------------------------- parsing
@lru_cache(maxsize=1 << 18)
def parse_name(text: str) -> ParsedName:
    """All readings of a name as printed (cached: the same names recur across sources)."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    compact = _SPACES.sub("", cleaned).translate(_TRADITIONAL)
    if _CJK.match(compact):
        return ParsedName(cleaned, compact, _chinese_forms(compact))
    return ParsedName(cleaned, "", _latin_forms(cleaned))


def _chinese_forms(chars: str) -> tuple[NameForm, ...]:
    if "·" in chars or "•" in chars or "・" in chars:
        return ()   # transcribed non-Han names (迪丽热巴·迪力木拉提): compared by characters only
    if chars[:2] in COMPOUND_SURNAMES and len(chars) >= 3:
        surname, given = chars[:2], chars[2:]
    else:
        surname, given = chars[:1], chars[1:]
    if not given:
        return ()
    families = _surname_readings(surname)
    per_char = [_char_readings(c) for c in given]
    combos = list(product(*per_char))[:16]   # a bound: a few heteronyms multiply fast
    forms = []
    for family in families:
        for combo in combos:
            forms.append(NameForm(family, "".join(combo), "".join(s[0] for s in combo)))
    return tuple(dict.fromkeys(forms))


@lru_cache(maxsize=4096)
def _surname_readings(surname: str) -> tuple[str, ...]:
    readings = SURNAME_READINGS.get(surname)
    if readings is None:
        readings = tuple("".join(p) for p in product(*[_char_readings(c) for c in surname]))[:4]
    variants = [v for r in readings for v in SURNAME_VARIANTS.get(r, ())]
    return tuple(dict.fromkeys(list(readings) + variants))


@lru_cache(maxsize=1 << 14)
def _char_readings(char: str) -> tuple[str, ...]:
    readings = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore", v_to_u=False)
    found = [r.replace("ü", "v") for r in (readings[0] if readings else []) if r.isalpha()]
    return tuple(dict.fromkeys(found)) or (char,)


def _latin(text: str) -> str:
    """Lower-case ASCII letters and name punctuation; ü -> v so Lü and Lv agree."""
    text = text.replace("ü", "v").replace("Ü", "V")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _LATIN_KEEP.sub(" ", text.lower())


def _family_key(token: str) -> str:
    key = _NOT_LETTER.sub("", _latin(token))
    return {"lyu": "lv", "lue": "lv", "nyu": "nv"}.get(key, key)


def _is_initials(raw: str) -> bool:
    """'X.', 'X.-M.', 'XM' (upper case, up to 3 letters), 'x'."""
    if _UPPER_SHORT.fullmatch(raw) and raw.lower() not in _KNOWN_FAMILIES:
        return True
    return bool(_INITIALS_TOKEN.match(raw.lower()))


def _given(tokens: list[str], initials_only: bool) -> tuple[str, str]:
    """(full given, initials) from the given-name tokens."""
    if initials_only:
        return "", "".join(_LETTER.findall(" ".join(tokens).lower()))
    parts = [_NOT_LETTER.sub("", p) for t in tokens for p in _GIVEN_SPLIT.split(_latin(t))]
    parts = [p for p in parts if p]
    full = "".join(parts)
    if len(parts) > 1:
        return full, "".join(p[0] for p in parts)
    syllables = split_syllables(full)
    return full, "".join(s[0] for s in syllables) if syllables else full[:1]


def _latin_forms(text: str) -> tuple[NameForm, ...]:
    raw_tokens = [t for t in _SPACES.split(_PUNCT.sub(lambda m: " , " if m.group() == "," else " ", text)) if t]
    raw_tokens = [t for t in raw_tokens if t.lower().strip(".") not in _HONORIFICS]
    if "," in raw_tokens:
        cut = raw_tokens.index(",")
        family_part = [t for t in raw_tokens[:cut] if t != ","]
        given_part = [t for t in raw_tokens[cut + 1:] if t != ","]
        return _forms(family_part, given_part)
    tokens = [t for t in raw_tokens if t != ","]
    if len(tokens) < 2:
        return ()
    # An upper-case token next to mixed-case ones is the family name ("WANG Wei", "Wei WANG").
    upper = [i for i, t in enumerate(tokens) if len(t) > 1 and t.isupper() and t.isalpha()
             and not _is_initials(t)]
    if len(upper) == 1 and len(tokens) > len(upper):
        i = upper[0]
        return _forms([tokens[i]], tokens[:i] + tokens[i + 1:])
    if _is_initials(tokens[-1]) and not _is_initials(tokens[0]):
        return _forms(tokens[:1], tokens[1:])            # PubMed "Li XM", "Li X"
    if _is_initials(tokens[0]):
        return _forms(tokens[-1:], tokens[:-1])          # "X.-M. Li", "X. Li"
    if "-" in tokens[0]:
        return _forms(tokens[-1:], tokens[:-1])          # "Xiao-Ming Li"
    if "-" in tokens[-1]:
        return _forms(tokens[:1], tokens[1:])            # "Li Xiao-Ming"
    first_is_family = _family_key(tokens[0]) in _KNOWN_FAMILIES
    last_is_family = _family_key(tokens[-1]) in _KNOWN_FAMILIES
    if first_is_family and not last_is_family:
        return _forms(tokens[:1], tokens[1:])            # "Li Xiaoming"
    if last_is_family and first_is_family:
        # "Wang Wei" / "Wei Wang": the order cannot be told; Western order first.
        return tuple(dict.fromkeys(_forms(tokens[-1:], tokens[:-1]) + _forms(tokens[:1], tokens[1:])))
    return _forms(tokens[-1:], tokens[:-1])              # Western order: "Xiaoming Li", "John Smith"


def _forms(family_tokens: list[str], given_tokens: list[str]) -> tuple[NameForm, ...]:
    family = _family_key(" ".join(family_tokens))
    if not family or not given_tokens:
        return ()
    initials_only = all(_is_initials(t) for t in given_tokens)
    given, initials = _given(given_tokens, initials_only)
    if not initials:
        return ()
    return (NameForm(family, given, initials),)


@lru_cache(maxsize=1 << 16)
def split_syllables(letters: str) -> tuple[str, ...]:
    """The fewest pinyin syllables that spell `letters` ('xiaoming' -> xiao, ming); () if none."""
    n = len(letters)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(1, n + 1):
        for start in range(max(0, end - 6), end):
            prefix = best[start]
            if prefix is not None and letters[start:end] in _SYLLABLES:
                candidate = prefix + (letters[start:end],)
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[n] or ()


# -------------------------------------------------------------------------------- comparing
def form_level(a: NameForm, b: NameForm) -> int:
    if a.family != b.family:
        return NONE
    if a.given and b.given:
        return FULL if a.given == b.given else NONE
    short, other = (a, b) if not a.given else (b, a)
    if other.initials == short.initials:
        return INITIALS
    if len(short.initials) == 1 and other.initials.startswith(short.initials):
        return INITIALS
    return NONE


def compare(a: ParsedName, b: ParsedName) -> int:
    """How well two printed names agree (NONE, INITIALS, FULL, EXACT)."""
    if a.zh and b.zh:
        return EXACT if a.zh == b.zh else NONE
    best = NONE
    for fa in a.forms:
        for fb in b.forms:
            level = form_level(fa, fb)
            if level > best:
                best = level
                if best == FULL:
                    return best
    return best


def compare_sets(a: tuple[ParsedName, ...], b: tuple[ParsedName, ...]) -> int:
    """Agreement of two people's names: different characters on both sides rule a match out."""
    zh_a = {n.zh for n in a if n.zh}
    zh_b = {n.zh for n in b if n.zh}
    if zh_a and zh_b:
        return EXACT if zh_a & zh_b else NONE
    best = NONE
    for na in a:
        for nb in b:
            level = compare(na, nb)
            if level > best:
                best = level
                if best >= FULL:
                    return best
    return best


def block_keys(names: tuple[ParsedName, ...]) -> frozenset[str]:
    return frozenset(f.block_key for n in names for f in n.forms)


# A NameSet field holds a handful of items for almost every cluster: kept as a tuple (40
# bytes + 8 an item) it costs a fifth of a set (216 bytes empty), and looking through eight
# items is as quick as hashing one. A field that grows past SMALL (a researcher printed in
# dozens of spellings) becomes a set, owned by its NameSet alone; tuples are shared freely.
SMALL = 8
Items = tuple | set


def _with(found: Items, item) -> Items:
    if item in found:
        return found
    if type(found) is tuple:
        if len(found) < SMALL:
            return found + (item,)
        found = set(found)
    found.add(item)
    return found


def _joined(found: Items, more: Items) -> Items:
    if not more:
        return found
    if not found:
        return more if type(more) is tuple else set(more)   # a set is never shared: it grows in place
    new = [item for item in more if item not in found]
    if not new:
        return found
    if type(found) is tuple:
        if len(found) + len(new) <= SMALL:
            return found + tuple(new)
        found = set(found)
    found.update(new)
    return found


def _meets(a: Items, b: Items) -> bool:
    """Whether two fields share an item."""
    if type(a) is set:
        return not a.isdisjoint(b)
    if type(b) is set:
        return not b.isdisjoint(a)
    return any(item in b for item in a)


class NameSet:
    """The names of a cluster, kept field by field so that two clusters compare in a few lookups.

    `agrees(other)` holds whenever `compare_sets(...) != NONE`, without comparing every pair
    of names: different characters on both sides rule out; otherwise some full name is
    shared, or an initials-only form of one side fits a form of the other (a lone initial
    fits any form it starts: 'W. Wang' and 'W.-W. Wang', which compare_sets tells apart).
    """

    __slots__ = ("texts", "zh", "full", "initials", "first", "short")

    # A NameSet per cluster and per distinct set of names: over a million at 200,000 projects.
    def __init__(self, names: tuple[ParsedName, ...] = ()) -> None:
        self.texts: Items = ()
        self.zh: Items = ()
        self.full: Items = ()       # (family, given) of full forms
        self.initials: Items = ()   # (family, initials) of every form
        self.first: Items = ()      # (family, first initial) of every form
        self.short: Items = ()      # (family, initials) of initials-only forms
        for name in names:
            self.add(name)

    def add(self, name: ParsedName) -> None:
        self.texts = _with(self.texts, name.text)
        if name.zh:
            self.zh = _with(self.zh, name.zh)
        for form in name.forms:
            if form.given:
                self.full = _with(self.full, (form.family, form.given))
            else:
                self.short = _with(self.short, (form.family, form.initials))
            self.initials = _with(self.initials, (form.family, form.initials))
            self.first = _with(self.first, (form.family, form.initials[:1]))

    def update(self, other: "NameSet") -> None:
        self.texts = _joined(self.texts, other.texts)
        self.zh = _joined(self.zh, other.zh)
        self.full = _joined(self.full, other.full)
        self.initials = _joined(self.initials, other.initials)
        self.first = _joined(self.first, other.first)
        self.short = _joined(self.short, other.short)

    def _short_fits(self, other: "NameSet") -> bool:
        for family, initials in self.short:
            if (family, initials) in other.initials or (len(initials) == 1 and (family, initials) in other.first):
                return True
        return False

    def agrees(self, other: "NameSet") -> bool:
        if not self.texts or not other.texts:
            return True
        if self.zh and other.zh:
            return _meets(self.zh, other.zh)
        return _meets(self.full, other.full) or self._short_fits(other) or other._short_fits(self)
