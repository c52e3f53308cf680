"""Person resolution on small worlds of records: who the evidence says is one person.

Each world is written the way the hand-labelled pairs are (kg.linking.pairs): registered
researchers (nsfc-…, orcid-…), OpenAlex authors (openalex-…) and name-only mentions, the
projects they lead or belong to, the papers and works tied to those grants.
"""
from __future__ import annotations

from pathlib import Path

from kg.linking.pairs import build_input, evaluate_pairs, load_pairs, same_person
from kg.linking.persons import resolve_persons

PAIRS = Path(__file__).resolve().parent / "data" / "linking" / "person_pairs.jsonl"


def world(persons: dict, pair=("a", "b"), **links) -> dict:
    return {"persons": persons, "pair": list(pair), **links}


def test_two_wang_wei_at_different_institutions_with_no_other_evidence_stay_apart():
    assert not same_person(world({
        "a": {"iri": "nsfc-100001", "names": ["王伟", "Wei Wang"], "orgs": ["清华大学"]},
        "b": {"iri": "nsfc-100002", "names": ["王伟", "WANG Wei"], "orgs": ["浙江大学"]},
    }))
    # … nor does a paper's "Wei Wang" without a grant or an institution join either of them.
    lone = world({
        "a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"]},
        "b": {"iri": "h-paper", "names": ["Wang, Wei"]},
    }, outputs=[{"id": "10.5555/x1", "authors": ["b"]}])
    assert not same_person(lone)


def test_a_paper_acknowledging_the_grant_ties_its_author_to_the_pi():
    assert same_person(world({
        "a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"]},
        "b": {"iri": "openalex-A1", "names": ["Wei Wang"], "orgs": ["Tsinghua University"]},
    }, projects=[{"id": "61772368", "pi": "a"}], outputs=[{"id": "10.5555/x1", "grants": ["61772368"], "authors": ["b"]}]))


def test_initials_alone_need_more_than_one_grant_acknowledgement():
    persons = {"a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"]},
               "b": {"iri": "h-b", "names": ["Wang, W."], "orgs": ["Tsinghua University"]}}
    projects = [{"id": "61772368", "pi": "a"}]
    assert same_person(world(persons, projects=projects,
                             outputs=[{"id": "10.5555/x1", "grants": ["61772368"], "authors": ["b"]}]))  # + institution
    persons["b"]["orgs"] = []
    assert not same_person(world(persons, projects=projects,
                                 outputs=[{"id": "10.5555/x1", "grants": ["61772368"], "authors": ["b"]}]))
    assert same_person(world(persons, projects=projects,
                             outputs=[{"id": f"10.5555/x{i}", "grants": ["61772368"], "authors": ["b"]} for i in range(3)]))


def test_two_team_members_who_could_be_the_author_leave_the_author_unresolved():
    """王伟 leads the grant and 王巍 is a member: 'Wei Wang' on the paper may be either."""
    persons = {"a": {"iri": "nsfc-100001", "names": ["王伟"]}, "c": {"iri": "nsfc-100006", "names": ["王巍"]},
               "b": {"iri": "openalex-A1", "names": ["Wei Wang"]}}
    links = {"projects": [{"id": "61772368", "pi": "a", "members": ["c"]}],
             "outputs": [{"id": "10.5555/x1", "grants": ["61772368"], "authors": ["b"]}]}
    assert not same_person(world(persons, ("a", "b"), **links))
    assert not same_person(world(persons, ("c", "b"), **links))


def test_the_same_orcid_is_the_same_person():
    assert same_person(world({
        "a": {"iri": "nsfc-100005", "names": ["李娜"], "orcid": "0000-0002-1694-233X"},
        "b": {"iri": "orcid-0000-0002-1694-233X", "names": ["Na Li"]},
    }))


def test_an_orcid_record_claiming_a_grant_is_its_pi():
    assert same_person(world({
        "a": {"iri": "h-pi", "names": ["李娜"], "orgs": ["中山大学"]},
        "b": {"iri": "orcid-0000-0002-1694-233X", "names": ["Na Li"]},
    }, projects=[{"id": "81972011", "pi": "a", "claims": ["b"]}]))


def test_a_pi_known_by_name_in_one_export_and_by_id_in_another_is_one_person():
    assert same_person(world({
        "a": {"iri": "nsfc-100003", "names": ["曾志强"]},
        "b": {"iri": "h-dailycafi", "names": ["曾志强"], "orgs": ["华中科技大学"]},
    }, projects=[{"id": "32071234", "pi": "a"}, {"id": "32071234", "pi": "b"}]))


def test_the_same_chinese_name_at_the_same_institution_needs_a_unique_registered_bearer():
    one = world({"a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"]},
                 "b": {"iri": "h-pi", "names": ["王伟"], "orgs": ["清华大学"]}})
    assert same_person(one)
    two = world({"a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"]},
                 "c": {"iri": "nsfc-100009", "names": ["王伟"], "orgs": ["清华大学"]},
                 "b": {"iri": "h-pi", "names": ["王伟"], "orgs": ["清华大学"]}})
    assert not same_person(two)


def test_a_researcher_who_moved_is_found_at_the_former_institution():
    moved = world({
        "a": {"iri": "nsfc-100008", "names": ["张敏", "Min Zhang"], "orgs": ["华中科技大学", "武汉大学"]},
        "b": {"iri": "openalex-A10", "names": ["Min Zhang"], "orgs": ["Wuhan University"]},
    })
    assert same_person(moved)


def test_a_name_only_mention_standing_for_two_people_joins_neither():
    """'Wang, Wei' in a repository without affiliations: one paper is 王伟's grant, the other 王伟's (another one)."""
    persons = {"a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"]},
               "c": {"iri": "nsfc-100002", "names": ["王伟"], "orgs": ["浙江大学"]},
               "b": {"iri": "h-name-only", "names": ["Wang, Wei"], "name_only": True}}
    links = {"projects": [{"id": "61772368", "pi": "a"}, {"id": "61902001", "pi": "c"}],
             "outputs": [{"id": "10.5555/x1", "grants": ["61772368"], "authors": ["b"]},
                         {"id": "10.5555/x2", "grants": ["61902001"], "authors": ["b"]}]}
    data, position = build_input(world(persons, **links))
    links_found = resolve_persons(data)
    assert links_found.clusters.find(position["b"]) not in {links_found.clusters.find(position["a"]),
                                                             links_found.clusters.find(position["c"])}
    assert links_found.ambiguous_mentions == 1


def test_a_name_only_mention_counts_the_evidence_of_records_already_placed_with_the_researcher():
    """'Luo, M.' in a repository without affiliations, on six papers. Two are also in
    OpenAlex, whose 'Min Luo' (author #1 of both) is 罗敏's by a grant; a third acknowledges
    罗敏's grant, which both have acknowledged. The evidence speaks for three of its six
    papers (the OpenAlex records count once 'Min Luo' is placed with 罗敏) and for the
    shared grant, though only one paper ties the mention to 罗敏 directly.
    Another registered 罗敏 makes the name common: the mention must earn its place."""
    persons = {"a": {"iri": "nsfc-100100", "names": ["罗敏"], "orgs": ["清华大学"]},
               "c": {"iri": "nsfc-100200", "names": ["罗敏"], "orgs": ["浙江大学"]},
               "x": {"iri": "openalex-A30", "names": ["Min Luo"]},
               "m": {"iri": "h-repo", "names": ["Luo, M."], "name_only": True}}
    papers = [{"id": "10.5555/z0", "grants": ["31570172"], "authors": ["x"]},
              {"id": "10.5555/z1", "authors": ["x"]},
              {"id": "10.5555/z1", "authors": ["m"]},              # the repository's record of the same DOI
              {"id": "10.5555/z2", "authors": ["x"]},
              {"id": "10.5555/z2", "authors": ["m"]},
              {"id": "oai-3", "grants": ["31570172"], "authors": ["m"]},
              {"id": "oai-4", "authors": ["m"]}, {"id": "oai-5", "authors": ["m"]}, {"id": "oai-6", "authors": ["m"]}]
    projects = [{"id": "31570172", "pi": "a"}]
    assert same_person(world(persons, ("a", "x"), projects=projects, outputs=papers))
    assert same_person(world(persons, ("a", "m"), projects=projects, outputs=papers))
    assert not same_person(world(persons, ("c", "m"), projects=projects, outputs=papers))
    # Three more papers by some 'Luo, M.': the evidence no longer speaks for half of them.
    more = papers + [{"id": f"oai-{i}", "authors": ["m"]} for i in (7, 8, 9)]
    assert not same_person(world(persons, ("a", "m"), projects=projects, outputs=more))


def test_one_paper_seen_through_two_records_of_the_researcher_counts_once():
    """'Luo, M.' is on four papers; only one of them (z1) is also known elsewhere, through two
    records (OpenAlex's 'Min Luo' and Crossref's 'M. Luo', both placed with 罗敏). That is
    one paper of four, not two."""
    persons = {"a": {"iri": "nsfc-100100", "names": ["罗敏"], "orgs": ["清华大学"]},
               "c": {"iri": "nsfc-100200", "names": ["罗敏"], "orgs": ["浙江大学"]},
               "x": {"iri": "openalex-A30", "names": ["Min Luo"]},
               "y": {"iri": "h-crossref", "names": ["M. Luo"], "name_only": True},
               "m": {"iri": "h-repo", "names": ["Luo, M."], "name_only": True}}
    papers = [{"id": "10.5555/z0", "grants": ["31570172"], "authors": ["x"]},
              {"id": "10.5555/z1", "authors": ["x"]},
              {"id": "10.5555/z1", "authors": ["y"]},
              {"id": "10.5555/z1", "authors": ["m"]},
              {"id": "oai-3", "authors": ["m"]}, {"id": "oai-4", "authors": ["m"]}, {"id": "oai-5", "authors": ["m"]}]
    projects = [{"id": "31570172", "pi": "a"}]
    assert same_person(world(persons, ("a", "y"), projects=projects, outputs=papers))
    assert not same_person(world(persons, ("a", "m"), projects=projects, outputs=papers))


def test_shared_co_authors_and_grants_tie_an_unaffiliated_author_to_the_researcher():
    persons = {"a": {"iri": "nsfc-100010", "names": ["刘洋"], "orgs": ["南开大学"]},
               "pi": {"iri": "nsfc-100011", "names": ["陈静"], "orgs": ["南开大学"]},
               "x": {"iri": "openalex-A20", "names": ["Yang Liu"], "orgs": ["Nankai University"]},
               "y": {"iri": "openalex-A21", "names": ["Jing Chen"], "orgs": ["Nankai University"]},
               "b": {"iri": "h-repo", "names": ["Liu, Yang"]}}
    links = {"projects": [{"id": "21901234", "pi": "pi"}],
             "outputs": [{"id": "10.5555/y1", "grants": ["21901234"], "authors": ["x", "y"]},
                         {"id": "oai-1", "grants": ["21901234"], "authors": ["b", "y"]}]}
    assert same_person(world(persons, ("a", "x"), **links))     # name, institution, department of the grant
    assert same_person(world(persons, ("a", "b"), **links))     # co-author 陈静 and grant 21901234 in common


def test_curators_merge_across_two_nsfc_ids_and_split_against_strong_evidence():
    persons = {"a": {"iri": "nsfc-100001", "names": ["王伟"]}, "b": {"iri": "nsfc-200001", "names": ["王伟"]}}
    data, position = build_input(world(persons))
    data.merges.append((position["a"], position["b"], "curator Zhao merged them: one person, two registry ids"))
    links = resolve_persons(data)
    assert links.clusters.find(position["a"]) == links.clusters.find(position["b"])
    assert links.canonical[links.clusters.find(position["a"])] == "nsfc-100001"

    strong = world({"a": {"iri": "nsfc-100001", "names": ["王伟"]}, "b": {"iri": "openalex-A1", "names": ["Wei Wang"]}},
                   projects=[{"id": "61772368", "pi": "a"}],
                   outputs=[{"id": f"10.5555/x{i}", "grants": ["61772368"], "authors": ["b"]} for i in range(4)])
    data, position = build_input(strong)
    data.splits.append((position["a"], position["b"], "curator Zhao split them"))
    links = resolve_persons(data)
    assert links.clusters.find(position["a"]) != links.clusters.find(position["b"])
    refused = [d for d in links.decisions if not d.same]
    assert refused and "curator split" in refused[0].text


def test_the_canonical_iri_is_the_nsfc_id_else_the_orcid_else_the_smallest():
    data, position = build_input(world({
        "a": {"iri": "openalex-A1", "names": ["Na Li"]}, "b": {"iri": "orcid-0000-0002-1694-233X", "names": ["Na Li"]},
        "c": {"iri": "nsfc-100005", "names": ["李娜"], "orcid": "0000-0002-1694-233X"},
    }, outputs=[{"id": "10.5555/z", "authors": ["a"], "claims": ["b"]}]))
    links = resolve_persons(data)
    root = links.clusters.find(position["a"])
    assert {links.clusters.find(position[k]) for k in "abc"} == {root}
    assert links.canonical[root] == "nsfc-100005"


def test_the_hand_labelled_pairs_meet_the_issue_targets():
    result = evaluate_pairs(load_pairs(PAIRS))
    assert result["pairs"] >= 100
    assert result["precision"] >= 0.98, result["errors"]
    assert result["recall"] >= 0.90, result["errors"]


def test_a_resolver_is_let_go_when_it_returns_even_with_the_cycle_collector_off(monkeypatch):
    """Linking turns the cycle collector off (millions of long-lived objects). Evidence keeps
    the resolver's wording methods, so resolving must drop it: the resolver, its evidence
    and its caches go as soon as it returns, not when the collector next runs."""
    import gc
    import weakref

    from kg.linking import persons

    made = []

    class Watched(persons._Resolver):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(persons, "_Resolver", Watched)
    data, position = build_input(world({
        "a": {"iri": "nsfc-100001", "names": ["王伟"], "orgs": ["清华大学"]},
        "b": {"iri": "openalex-A1", "names": ["Wei Wang"], "orgs": ["Tsinghua University"]},
    }, projects=[{"id": "61772368", "pi": "a"}], outputs=[{"id": "10.5555/x1", "grants": ["61772368"], "authors": ["b"]}]))
    gc.disable()
    try:
        links = resolve_persons(data, decided=lambda decisions: None)
        assert links.clusters.find(position["a"]) == links.clusters.find(position["b"])
        assert made and made[0]() is None
    finally:
        gc.enable()
