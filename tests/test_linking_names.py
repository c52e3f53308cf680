"""Names across scripts and shapes: the same researcher printed by a funder export, a
journal, a repository and an ORCID record must compare as the same name; different
characters, different given names and common-name look-alikes must not."""
from __future__ import annotations

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.linking.names import EXACT, FULL, INITIALS, NONE, NameSet, compare, compare_sets, parse_name, split_syllables


def level(a: str, b: str) -> int:
    return compare(parse_name(a), parse_name(b))


@pytest.mark.parametrize("printed", ["Wei Wang", "WANG Wei", "Wei WANG", "Wang, Wei", "Wang Wei", "王 伟", "Prof. Wei Wang"])
def test_every_shape_of_wang_wei_is_the_full_name_of_王伟(printed):
    assert level("王伟", printed) >= FULL


@pytest.mark.parametrize("printed", ["Xiao-Ming Li", "Xiaoming Li", "Li Xiaoming", "Li Xiao-Ming", "Li, Xiaoming",
                                     "LI Xiaoming", "Xiao Ming Li"])
def test_two_syllable_given_names_in_every_order_and_hyphenation(printed):
    assert level("李晓明", printed) == FULL


@pytest.mark.parametrize("printed", ["Li XM", "X.-M. Li", "Li, X.-M.", "Li, X. M.", "Li X"])
def test_initials_agree_but_are_weaker_than_a_full_name(printed):
    assert level("李晓明", printed) == INITIALS


@pytest.mark.parametrize("chinese, latin", [
    ("单田芳", "Tianfang Shan"),   # 单 is Shan as a surname (dan in the dictionary)
    ("单田芳", "Dan Tianfang"),    # … and machine transliteration writes Dan
    ("曾国藩", "Guofan Zeng"),     # not Ceng
    ("解晓东", "Xiaodong Xie"),    # not Jie
    ("区志坚", "Zhijian Ou"),      # not Qu
    ("仇英", "Ying Qiu"),          # not Chou
    ("朴成浩", "Chenghao Piao"),
    ("查建英", "Jianying Zha"),
    ("盖伟", "Wei Ge"),
    ("覃宏", "Hong Qin"),
    ("翟志刚", "Zhigang Zhai"),
    ("乐嘉", "Jia Yue"),
])
def test_polyphonic_surnames_read_as_surnames(chinese, latin):
    assert level(chinese, latin) == FULL


@pytest.mark.parametrize("chinese, latin", [
    ("欧阳晓明", "Xiaoming Ouyang"), ("欧阳晓明", "OUYANG Xiaoming"), ("司马光", "Guang Sima"), ("诸葛亮", "Liang Zhuge"),
])
def test_compound_surnames(chinese, latin):
    assert level(chinese, latin) == FULL


@pytest.mark.parametrize("latin", ["Wei Lyu", "Lü Wei", "LV Wei", "Wei Lu"])
def test_lü_spellings_all_match_吕(latin):
    assert level("吕伟", latin) == FULL


@pytest.mark.parametrize("chinese, latin", [("黄伟", "Wei Wong"), ("陈伟", "Wei Chan"), ("李伟", "Wei Lee"), ("张伟", "Wei Cheung")])
def test_hong_kong_and_taiwan_surname_spellings(chinese, latin):
    assert level(chinese, latin) == FULL


def test_traditional_and_simplified_characters_are_the_same_name():
    assert level("張偉", "张伟") == EXACT
    assert parse_name("歐陽曉明").zh == "欧阳晓明"


@pytest.mark.parametrize("a, b", [
    ("王伟", "王巍"),            # the same pinyin, different people
    ("李娜", "李纳"),
    ("张敏", "章敏"),
    ("王伟", "Wen Wang"),
    ("王伟", "Wang, X."),
    ("Wei Wang", "Wei Zhang"),
    ("李晓明", "Li, X.-H."),
])
def test_different_names_never_match(a, b):
    assert level(a, b) == NONE


def test_different_characters_rule_out_a_match_even_when_pinyin_spellings_agree():
    wang_wei = (parse_name("王伟"), parse_name("Wei Wang"))
    wang_wei_other = (parse_name("王巍"), parse_name("Wei Wang"))
    assert compare_sets(wang_wei, wang_wei_other) == NONE


def test_western_names_compare_by_family_and_given_name():
    assert level("John Smith", "Smith, John") == FULL
    assert level("John Smith", "Smith, J.") == INITIALS
    assert level("John Smith", "Jane Smith") == NONE


def test_a_transcribed_minority_name_compares_by_its_characters_only():
    assert level("迪丽热巴·迪力木拉提", "迪丽热巴·迪力木拉提") == EXACT
    assert parse_name("迪丽热巴·迪力木拉提").forms == ()


def test_pinyin_given_names_split_into_syllables_for_their_initials():
    assert split_syllables("xiaoming") == ("xiao", "ming")
    assert split_syllables("jianguo") == ("jian", "guo")
    assert parse_name("Jianguo Liu").forms[0].initials == "jg"
    assert split_syllables("smith") == ()


# A cluster's names, kept as a NameSet, must agree with another cluster's whenever some
# pair of their printed names could be one person (compare_sets), and a lone initial
# fits a name with more ('W. Wang' / 'W.-W. Wang': journals that print one initial), however
# many names and spellings the clusters have gathered: small fields are kept as tuples,
# large ones as sets, and both must answer as sets of every item would.
PRINTED = ["王伟", "王偉", "Wang Wei", "Wei Wang", "W. Wang", "Wang W.", "王维", "汪伟", "Wang Weiwei", "Weiwei Wang",
           "W.-W. Wang", "欧阳明", "Ouyang Ming", "Ming Ouyang", "M. Ouyang", "单雪", "Shan Xue", "Xue Shan", "Dan Xue",
           "曾强", "Zeng Qiang", "Qiang Zeng", "Q. Zeng", "吕芳", "Lü Fang", "Lu Fang", "Lv Fang", "Fang Lyu",
           "张晓明", "Zhang Xiaoming", "Xiao-Ming Zhang", "X. M. Zhang", "X. Zhang", "Zhang X.", "Cheung Hok Ming",
           "John Smith", "J. Smith", "Smith John", "Jane Smith", "迪丽热巴·迪力木拉提", "李娜", "Li Na", "Na Li", "N. Li",
           "李", "Li", "陈", "Chen Jing", "Jing Chen", "J. Chen", "陈静", "陈晶", "Chan Ching", "解放", "Xie Fang", "Jie Fang"]


def agree_as_sets(a: NameSet, b: NameSet) -> bool:
    """NameSet.agrees spelled out over plain sets of every item."""
    if not a.texts or not b.texts:
        return True
    if a.zh and b.zh:
        return bool(set(a.zh) & set(b.zh))

    def short_fits(x: NameSet, y: NameSet) -> bool:
        return any(s in set(y.initials) or (len(s[1]) == 1 and s in set(y.first)) for s in x.short)
    return bool(set(a.full) & set(b.full)) or short_fits(a, b) or short_fits(b, a)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(PRINTED), min_size=1, max_size=4), min_size=1, max_size=6),
       st.lists(st.lists(st.sampled_from(PRINTED), min_size=1, max_size=4), min_size=1, max_size=6))
def test_a_clusters_names_agree_whenever_some_pair_of_names_could_be_one_person(left, right):
    def cluster(records: list[list[str]]) -> tuple[NameSet, tuple]:
        records = [tuple(parse_name(n) for n in names) for names in records]
        names = NameSet(records[0])
        for more in records[1:]:
            grown = NameSet()   # as a merge grows a cluster's names (persons._NameClusters.after_merge)
            grown.update(names)
            grown.update(NameSet(more))
            names = grown
        return names, tuple(name for names in records for name in names)

    (a, a_names), (b, b_names) = cluster(left), cluster(right)
    assert a.agrees(b) == b.agrees(a) == agree_as_sets(a, b)
    if compare_sets(a_names, b_names) != NONE:
        assert a.agrees(b)


def test_many_spellings_of_one_name_grow_past_a_tuple_and_still_agree():
    names = NameSet()
    for printed in PRINTED[:12]:
        grown = NameSet()
        grown.update(names)
        grown.update(NameSet((parse_name(printed),)))
        names = grown
    assert isinstance(names.texts, set) and len(names.texts) == 12
    assert names.agrees(NameSet((parse_name("Wei Wang"),)))
    assert not names.agrees(NameSet((parse_name("John Smith"),)))
