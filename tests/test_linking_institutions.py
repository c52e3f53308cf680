"""One institution across Chinese names, English names, abbreviations, historical names,
affiliation strings and ROR ids, without collapsing an institute into its academy or a
university into its foreign namesake."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.linking.institutions import OrgRecord, affiliation_keys, aliases_from_ror, link_institutions


def clusters(*records: OrgRecord, extra=()) -> list[set[str]]:
    """The groups of organization IRIs that linking makes one institution."""
    links = link_institutions(list(records), extra=extra)
    groups: dict[str, set[str]] = {}
    for index, record in enumerate(links.records):
        groups.setdefault(links.canonical_of(index), set()).add(record.iri)
    return sorted(groups.values(), key=sorted)


def org(iri: str, *names: str, ror: str = "", supporting: bool = False) -> OrgRecord:
    return OrgRecord(iri=iri, names=set(names), rors={ror} if ror else set(), supporting=supporting,
                     ror_minted=bool(ror) and iri == f"org/ror-{ror}")


def together(groups: list[set[str]], *iris: str) -> bool:
    return any(set(iris) <= group for group in groups)


def test_a_cas_institute_is_one_entity_in_chinese_english_and_abbreviation_but_not_the_academy():
    groups = clusters(
        org("org/h-1", "中国科学院物理研究所", supporting=True),
        org("org/h-2", "Institute of Physics, Chinese Academy of Sciences, Beijing 100190, China"),
        org("org/h-3", "IOP CAS"),
        org("org/h-4", "Institute of Physics, CAS"),
        org("org/ror-034t30j35", "Chinese Academy of Sciences", ror="034t30j35"),
        org("org/h-5", "University of Chinese Academy of Sciences"),
    )
    assert together(groups, "org/h-1", "org/h-2", "org/h-3", "org/h-4")
    assert not together(groups, "org/h-1", "org/ror-034t30j35")
    assert not together(groups, "org/h-5", "org/ror-034t30j35")


def test_a_university_by_ror_name_and_department_affiliation_string():
    groups = clusters(
        org("org/h-tsinghua", "清华大学", supporting=True),
        org("org/ror-03cve4549", "Tsinghua University", ror="03cve4549"),
        org("org/h-dept", "Department of Physics, Tsinghua University, Beijing 100084, China"),
        org("org/h-zh-dept", "清华大学物理系"),
        org("org/h-pku", "Peking University"),
    )
    assert together(groups, "org/h-tsinghua", "org/ror-03cve4549", "org/h-dept", "org/h-zh-dept")
    assert not together(groups, "org/h-tsinghua", "org/h-pku")
    assert link_institutions([org("org/h-tsinghua", "清华大学", supporting=True),
                              org("org/ror-03cve4549", "Tsinghua University", ror="03cve4549")]
                             ).canonical_of(0) == "org/ror-03cve4549"   # the ROR IRI is canonical


def test_historical_names_and_predecessors_are_the_same_institution():
    groups = clusters(
        org("org/h-hust", "华中科技大学", supporting=True),
        org("org/h-old", "华中理工大学"),
        org("org/h-beihang", "北京航空航天大学", supporting=True),
        org("org/h-buaa", "Beijing University of Aeronautics and Astronautics"),
        org("org/h-sysu", "中山大学", supporting=True),
        org("org/h-zsu", "Zhongshan University"),
    )
    assert together(groups, "org/h-hust", "org/h-old")
    assert together(groups, "org/h-beihang", "org/h-buaa")
    assert together(groups, "org/h-sysu", "org/h-zsu")


def test_a_foreign_namesake_stays_apart():
    groups = clusters(
        org("org/h-neu", "东北大学", supporting=True),
        org("org/h-boston", "Northeastern University, Boston, MA 02115, USA"),
        org("org/h-shenyang", "College of Information Science and Engineering, Northeastern University, Shenyang 110819, China"),
    )
    assert together(groups, "org/h-neu", "org/h-shenyang")
    assert not together(groups, "org/h-neu", "org/h-boston")


def test_a_string_naming_two_institutions_joins_neither():
    found = affiliation_keys("School of Physics, Peking University; Department of Chemistry, Tsinghua University",
                             {"pekinguniversity": "alias:北京大学", "tsinghuauniversity": "ror:03cve4549"})
    assert found == set()


def test_a_chinese_affiliation_with_a_hospital_is_not_its_university():
    assert affiliation_keys("清华大学附属北京清华长庚医院", {"清华大学": "ror:03cve4549"}) == set()


def test_two_different_ror_ids_never_merge_even_with_the_same_name():
    groups = clusters(org("org/ror-aaaaaaa01", "Institute of Chemistry", ror="aaaaaaa01"),
                      org("org/ror-bbbbbbb02", "Institute of Chemistry", ror="bbbbbbb02"))
    assert not together(groups, "org/ror-aaaaaaa01", "org/ror-bbbbbbb02")


def test_unknown_institutions_join_only_on_the_same_written_name():
    groups = clusters(org("org/h-a", "Shenzhen Bay Laboratory"), org("org/h-b", "SHENZHEN BAY LABORATORY"),
                      org("org/h-c", "Shenzhen Bay Laboratory of Medicine"))
    assert together(groups, "org/h-a", "org/h-b")
    assert not together(groups, "org/h-a", "org/h-c")


def test_names_the_graph_pairs_with_a_ror_id_teach_the_other_language():
    """A ROR node named in English by one source and in Chinese by another links both names."""
    groups = clusters(
        org("org/ror-04ypx8c21", "Zhengzhou University", ror="04ypx8c21"),
        org("org/ror-04ypx8c21b", "郑州大学", ror="04ypx8c21"),
        org("org/h-zzu", "郑州大学", supporting=True),
        org("org/h-zzu-en", "School of Life Sciences, Zhengzhou University, Zhengzhou 450001, China"),
    )
    assert together(groups, "org/ror-04ypx8c21", "org/ror-04ypx8c21b", "org/h-zzu", "org/h-zzu-en")


def test_real_ror_records_extend_the_alias_table(realdata: Path):
    paths = sorted((realdata / "ror").glob("*.json"))
    if not paths:
        pytest.skip("no ROR records in realdata")
    entries = aliases_from_ror(paths)
    by_ror = {entry.ror: entry for entry in entries}
    assert "华中科技大学" in by_ror["00p991c53"].names and "HUST" in by_ror["00p991c53"].names
    assert by_ror["01h0zpd94"].zh == "国家自然科学基金委员会"   # v1 and v2 records both read
    groups = clusters(org("org/h-1", "华中科技大学", supporting=True), org("org/h-2", "Huázhōng Kējì Dàxué"),
                      org("org/h-3", "浙江省科普联合会"), org("org/h-4", "Zhejiang Provincial Federation for Science Popularization"),
                      extra=entries)
    assert together(groups, "org/h-1", "org/h-2")
    assert together(groups, "org/h-3", "org/h-4")
