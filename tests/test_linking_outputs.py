"""One entity per research output: DOI-less records of one paper join on title, year and
first author; different papers with similar records do not."""
from __future__ import annotations

from kg.linking.outputs import OutputRecord, dedup_outputs


def same(a: OutputRecord, b: OutputRecord) -> bool:
    links = dedup_outputs([a, b])
    return links.clusters.find(0) == links.clusters.find(1)


OPENALEX = OutputRecord("output/openalex-1", titles={"Autophagic flux in zebrafish neurons imaged in vivo"}, year=2021,
                        venues={"Autophagy"}, first_authors={"Zhiqiang Zeng"})


def test_a_repository_copy_without_doi_is_the_same_paper():
    oai = OutputRecord("output/oai-1", titles={"Autophagic flux in zebrafish neurons imaged in vivo."}, year=2021,
                       venues={"Autophagy"}, first_authors={"Zeng, Zhiqiang"})
    links = dedup_outputs([OPENALEX, oai])
    assert links.clusters.find(0) == links.clusters.find(1)
    assert links.canonical[links.clusters.find(0)] == "output/oai-1"   # no DOI on either: the smallest IRI
    assert "same title" in links.clusters.decisions[0].text


def test_the_doi_record_is_canonical_and_online_first_years_may_differ_by_one():
    crossref = OutputRecord("output/doi/10.5555%2Fa", titles={"AUTOPHAGIC FLUX IN ZEBRAFISH NEURONS IMAGED IN VIVO"},
                            year=2022, doi="10.5555/a", first_authors={"Z. Zeng"})
    links = dedup_outputs([OPENALEX, crossref])
    assert links.canonical[links.clusters.find(0)] == "output/doi/10.5555%2Fa"


def test_a_different_first_author_year_or_venue_is_a_different_paper():
    assert not same(OPENALEX, OutputRecord("o/2", titles=set(OPENALEX.titles), year=2021, first_authors={"Min Zhang"}))
    assert not same(OPENALEX, OutputRecord("o/3", titles=set(OPENALEX.titles), year=2023, first_authors={"Zhiqiang Zeng"}))
    assert not same(OPENALEX, OutputRecord("o/4", titles=set(OPENALEX.titles), year=2021, venues={"Cell Research"},
                                           first_authors={"Zhiqiang Zeng"}))


def test_two_dois_are_two_outputs_even_with_one_title():
    preprint = OutputRecord("output/doi/10.1101%2Fp", titles=set(OPENALEX.titles), year=2021, doi="10.1101/p",
                            first_authors={"Zhiqiang Zeng"})
    article = OutputRecord("output/doi/10.5555%2Fa", titles=set(OPENALEX.titles), year=2021, doi="10.5555/a",
                           first_authors={"Zhiqiang Zeng"})
    assert not same(preprint, article)


def test_generic_or_short_titles_never_join():
    for title in ("Editorial", "前言", "Reply"):
        assert not same(OutputRecord("o/1", titles={title}, year=2020, first_authors={"Wei Wang"}),
                        OutputRecord("o/2", titles={title}, year=2020, first_authors={"Wei Wang"}))


def test_chinese_titles_join_when_they_are_the_same_paper():
    a = OutputRecord("o/1", titles={"肝癌免疫微环境中调节性T细胞的单细胞转录组分析"}, year=2022, first_authors={"李娜"})
    b = OutputRecord("o/2", titles={"肝癌免疫微环境中调节性 T 细胞的单细胞转录组分析"}, year=2022, first_authors={"Na Li"})
    assert same(a, b)


def test_a_curator_split_wins_over_the_bibliography():
    oai = OutputRecord("output/oai-1", titles=set(OPENALEX.titles), year=2021, first_authors={"Zeng, Zhiqiang"})
    links = dedup_outputs([OPENALEX, oai], splits=[(0, 1, "curator Zhao split them: two conference versions")])
    assert links.clusters.find(0) != links.clusters.find(1)
