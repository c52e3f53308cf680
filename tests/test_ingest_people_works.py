"""Researchers, ORCID records and popular-science works (CSV, JSON lines, schema.org JSON-LD).

Each story: a small realistic file -> records -> the expected triples, then one test per
quirk and per error (the message names the file, the line or record, and the field).
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF

from ingest import jsonld, orcid, popsci_works, researchers
from ingest.base import IngestContext, MappedRecord
from kg import vocab as V
from kg.errors import InputError
from kg.iri import Minter
from mapping_helpers import assert_same_graph, graph_of, read_records

BASE = "https://kg.example.org/"
MINT = Minter(BASE)
PEOPLE = Path(__file__).resolve().parent / "data" / "people"
WORKS = Path(__file__).resolve().parent / "data" / "works"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


# Helpers ------------------------------------------------------------------------------
def read(module, path: Path, source_id: str | None = None) -> tuple[list[MappedRecord], list[InputError]]:
    return read_records(module, path, MINT, source_id=source_id)


def assert_same_as_file(actual: Graph, expected_ttl: Path) -> None:
    assert_same_graph(actual, Graph().parse(expected_ttl, format="turtle"))


def person(scheme: str, local: str) -> URIRef:
    return MINT.person(scheme, local)


def messages(errors: list[InputError]) -> list[str]:
    return [e.message for e in errors]


# Researchers ---------------------------------------------------------------------------
def test_researcher_csv_maps_to_the_expected_triples():
    records, errors = read(researchers, PEOPLE / "researchers.csv")
    assert errors == []
    assert [r.key for r in records] == ["P1001", "P1001#contact", "P1002"]
    assert_same_as_file(graph_of(records), PEOPLE / "researchers_csv_expected.ttl")


def test_researcher_jsonl_maps_dated_affiliations_and_name_variants():
    records, errors = read(researchers, PEOPLE / "researchers.jsonl")
    assert errors == []
    assert_same_as_file(graph_of(records), PEOPLE / "researchers_jsonl_expected.ttl")
    graph = graph_of(records)
    p = person("nsfc", "P2001")
    assert graph.value(p, V.orcid) == Literal("0000-0001-5109-3700")   # URL form normalized
    assert Literal("ZHANG Min", lang="en") in set(graph.objects(p, V.alternateName))
    starts = {str(graph.value(a, V.startDate)) for a in graph.objects(p, V.affiliation)}
    assert starts == {"2010-09", "2015-09"}


def test_email_is_always_a_separate_restricted_record():
    for path in (PEOPLE / "researchers.csv", PEOPLE / "researchers.jsonl"):
        records, _ = read(researchers, path)
        with_email = [r for r in records if any(p == V.email for _, p, _ in r.triples)]
        assert with_email, path
        for record in with_email:
            assert record.public is False
            assert record.key.endswith("#contact")
            assert all(p == V.email for _, p, _ in record.triples)
    # P1001 is approved (public) but its e-mail record is not.
    records, _ = read(researchers, PEOPLE / "researchers.csv")
    by_key = {r.key: r for r in records}
    assert by_key["P1001"].public is True and by_key["P1001#contact"].public is False


def test_researcher_review_status_defaults_to_approved_and_pending_is_restricted():
    records, _ = read(researchers, PEOPLE / "researchers.csv")
    by_key = {r.key: r for r in records}
    assert by_key["P1002"].public is False
    assert (person("nsfc", "P1002"), V.reviewStatus, V.Pending) in by_key["P1002"].triples
    records, _ = read(researchers, PEOPLE / "researchers.jsonl")
    assert (person("nsfc", "P2001"), V.reviewStatus, V.Approved) in records[0].triples


def test_researcher_errors_name_the_line_and_field():
    records, errors = read(researchers, PEOPLE / "researchers_bad.csv")
    assert [r.key for r in records] == ["P3006"]
    located = [(e.location.line, e.location.field) for e in errors]
    assert located == [(2, "orcid"), (3, "department"), (4, "email"), (5, "talent_pool_since"), (6, "person_id")]
    assert "wrong ORCID check digit" in errors[0].message
    assert all("researchers_bad.csv" in m for m in messages(errors))


def test_researcher_unknown_column_refuses_the_file(tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text("person_id,name_zh,favourite_colour\nP1,王伟,blue\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown column 'favourite_colour'"):
        read(researchers, path)


def test_a_researcher_given_twice_with_other_values_is_refused_and_an_exact_repeat_is_loaded_once(tmp_path: Path):
    path = tmp_path / "people.jsonl"
    path.write_text('{"person_id": "P1", "name_zh": "王伟", "institution": "清华大学"}\n'
                    '{"person_id": "P1", "name_zh": "王伟", "institution": "清华大学"}\n'
                    '{"person_id": "P1", "name_zh": "王伟", "institution": "北京大学"}\n'
                    '{"person_id": "P2", "姓名": "李娜", "name_zh": "李娜"}\n'
                    '{"person_id": "P3", "姓名": "张敏", "name_zh": "张民"}\n'
                    '{"person_id": "P4", "name_zh": "赵磊", "Name_ZH": "赵蕾"}\n', encoding="utf-8")
    records, errors = read(researchers, path)
    assert [r.key for r in records if r.kind] == ["P1", "P2"]
    assert [(e.location.line, e.location.record, e.location.field) for e in errors] == [
        (3, "P1", None), (5, None, "name_zh"), (6, None, None)]
    assert "already given on line 1, with other values" in errors[0].message
    assert "the columns '姓名' and 'name_zh' give this field different values" in errors[1].message
    assert "the object gives one column as 'name_zh' and 'Name_ZH'" in errors[2].message


def test_a_researcher_row_repeated_with_another_email_is_a_reject_not_a_lost_address(tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text("person_id,name_zh,email\nP1,王伟,wang@a.edu.cn\nP1,王伟,wang@b.edu.cn\nP1,王伟,wang@a.edu.cn\n",
                    encoding="utf-8")
    records, errors = read(researchers, path)
    assert [r.key for r in records] == ["P1", "P1#contact"]
    assert [e.location.line for e in errors] == [3] and "with other values" in errors[0].message


def test_researcher_gb18030_file_is_read(tmp_path: Path):
    path = tmp_path / "people_gbk.csv"
    path.write_bytes("人员ID,姓名,学部\nP9,欧阳娜娜,信息科学部\n".encode("gb18030"))
    records, errors = read(researchers, path)
    assert errors == []
    assert (person("nsfc", "P9"), V.department, V.concept("DeptF")) in records[0].triples


# ORCID ---------------------------------------------------------------------------------
ORCID_FIXTURE = PEOPLE / "orcid_0000-0002-1825-0097.json"


def test_orcid_record_maps_to_the_expected_triples():
    records, errors = read(orcid, ORCID_FIXTURE)
    assert errors == []
    assert len(records) == 1 and records[0].public
    assert_same_as_file(graph_of(records), PEOPLE / "orcid_expected.ttl")


def test_orcid_links_only_nsfc_fundings_with_valid_approval_numbers():
    graph = graph_of(read(orcid, ORCID_FIXTURE)[0])
    me = person("orcid", "0000-0002-1825-0097")
    assert set(graph.subjects(V.member, me)) == {MINT.project("61772368")}   # not the Beijing NSF grant
    link = next(graph.subjects(V.linkMethod, V.MethodFunderMetadata))
    assert graph.value(link, V.linkSubject) == MINT.project("61772368")


def test_orcid_works_with_a_doi_become_authorships_and_placeholders_are_skipped():
    graph = graph_of(read(orcid, ORCID_FIXTURE)[0])
    me = person("orcid", "0000-0002-1825-0097")
    authorships = list(graph.subjects(V.author, me))
    assert len(authorships) == 1   # "work:doi" is not a DOI: skipped, not invented
    assert graph.value(predicate=V.authorship, object=authorships[0]) == MINT.output(doi="10.1145/3448016.3452841")
    assert Literal("{}", lang="en") not in set(graph.objects(me, V.alternateName))


def test_orcid_bad_checksum_is_an_error_naming_the_field(tmp_path: Path):
    data = json.loads(ORCID_FIXTURE.read_text(encoding="utf-8"))
    data["orcid-identifier"]["path"] = "0000-0002-1825-0098"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    records, errors = read(orcid, path)
    assert records == []
    assert errors[0].location.field == "orcid-identifier.path"
    assert "check digit" in errors[0].message


def test_orcid_file_that_is_not_a_record_is_refused(tmp_path: Path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="not an ORCID record"):
        read(orcid, path)
    path.write_text('{"orcid-identifier": ', encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        read(orcid, path)


def test_real_orcid_v3_sample_record():
    path = REALDATA / "orcid" / "orcid-model_sample_record-full-3.0.json"
    if not path.exists():
        pytest.skip("realdata ORCID sample is absent")
    records, errors = read(orcid, path)
    assert errors == []
    graph = graph_of(records)
    me = person("orcid", "0000-0002-7319-2192")
    assert graph.value(me, V.name) == Literal("Three releasecandidate1", lang="en")
    # Placeholder other names such as "{}" and "{yo}"-like junk without letters are dropped.
    assert Literal("Other Name", lang="en") in set(graph.objects(me, V.alternateName))
    assert Literal("{}", lang="en") not in set(graph.objects(me, V.alternateName))
    assert Literal("keyword1", lang="en") in set(graph.objects(me, V.expertise))
    assert list(graph.subjects(V.member, me)) == []   # Wellcome Trust funding: not NSFC
    outputs = set(graph.subjects(V.authorship, None))
    assert outputs == {MINT.output(doi="10.1087/20120404")}   # "work:doi" skipped
    # The employment's organization is disambiguated by FundRef, not ROR: no ror.
    orgs = {graph.value(a, V.affiliationOrg) for a in graph.objects(me, V.affiliation)}
    assert orgs == {MINT.institution("common:name")}


def test_real_orcid_v2_record_reads_where_the_shape_allows():
    path = REALDATA / "orcid" / "orcid_v2_public_record_0000-0003-3953-765X.json"
    if not path.exists():
        pytest.skip("realdata ORCID v2 record is absent")
    records, errors = read(orcid, path)
    assert errors == []
    graph = graph_of(records)
    me = person("orcid", "0000-0003-3953-765X")
    assert graph.value(me, V.name) == Literal("Man-Hui Li", lang="en")
    assert graph.value(me, V.orcid) == Literal("0000-0003-3953-765X")
    assert list(graph.objects(me, V.affiliation)) == []   # its activities are empty


# Popular-science works: CSV ------------------------------------------------------------
def test_works_csv_maps_to_the_expected_triples():
    records, errors = read(popsci_works, WORKS / "works.csv", source_id="works")
    assert errors == []
    assert_same_as_file(graph_of(records), WORKS / "works_expected.ttl")


def test_works_default_to_pending_and_only_approved_works_are_public():
    records, _ = read(popsci_works, WORKS / "works.csv", source_id="works")
    by_key = {r.key: r for r in records}
    assert by_key["W001"].public is True      # 已审核
    assert by_key["W002"].public is False     # no status: pending
    assert (MINT.work("works", "W002"), V.reviewStatus, V.Pending) in by_key["W002"].triples
    assert by_key["W003"].public is False     # 待审核


def test_work_creators_by_id_orcid_name_and_parallel_columns():
    graph = graph_of(read(popsci_works, WORKS / "works.csv", source_id="works")[0])
    w1, w2, w3 = (MINT.work("works", w) for w in ("W001", "W002", "W003"))
    mention = MINT.person_by_name("Li Na")
    assert set(graph.objects(w1, V.creator)) == {person("nsfc", "P1001"), mention}   # '王伟 <P1001>'
    assert (mention, RDF.type, V.Researcher) in graph
    assert set(graph.objects(w2, V.creator)) == {person("orcid", "0000-0001-5109-3700")}
    assert set(graph.objects(w3, V.creator)) == {person("nsfc", "P2001"), person("nsfc", "P1002")}


def test_work_links_to_projects_and_outputs_are_qualified():
    graph = graph_of(read(popsci_works, WORKS / "works.csv", source_id="works")[0])
    w1 = MINT.work("works", "W001")
    assert set(graph.objects(w1, V.popularizes)) == {
        MINT.project("61772368"), MINT.project("U1832123"), MINT.output(doi="10.1145/3448016.3452841")}
    for target in graph.objects(w1, V.popularizes):
        link = MINT.link(w1, V.popularizes, target, V.MethodStatedByWork)
        assert graph.value(link, V.linkMethod) == V.MethodStatedByWork
        assert float(graph.value(link, V.confidence)) == 1.0


def test_work_errors_name_the_line_and_field():
    records, errors = read(popsci_works, WORKS / "works_bad.csv")
    assert [r.key for r in records] == ["B012"]
    located = [(e.location.line, e.location.field) for e in errors]
    assert located == [(2, "kind"), (3, "views"), (4, "views"), (5, "date"), (6, "grant_numbers"), (7, "dois"),
                       (8, "event"), (9, "creator_ids"), (10, "review_status"), (11, "work_id"), (12, "title")]
    assert "negative" in errors[1].message and "not a whole number" in errors[2].message


def test_work_jsonl_rows_may_hold_lists_and_numbers(tmp_path: Path):
    path = tmp_path / "works.jsonl"
    row = {"work_id": "J1", "title": "Video", "kind": "video", "views": 12, "awards": ["A, with comma", "B"],
           "grant_numbers": ["61772368"], "creator_ids": ["P1"], "creators": ["Wang, Wei"]}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n" + json.dumps({**row, "views": 1.5}) + "\n", encoding="utf-8")
    records, errors = read(popsci_works, path, source_id="j")
    graph = graph_of(records)
    w = MINT.work("j", "J1")
    assert graph.value(w, V.views) == Literal(12)
    assert set(graph.objects(w, V.award)) == {Literal("A, with comma", lang="en"), Literal("B", lang="en")}
    assert set(graph.objects(w, V.creator)) == {person("nsfc", "P1")}
    assert [(e.location.line, e.location.field) for e in errors] == [(2, "views")]


# Popular-science works: schema.org JSON-LD --------------------------------------------
def test_jsonld_works_give_the_same_triples_as_their_csv_rows():
    from_csv = graph_of(read(popsci_works, WORKS / "works.csv", source_id="works")[0])
    records, errors = read(jsonld, WORKS / "works.jsonld", source_id="works")
    assert errors == []
    assert [r.key for r in records] == ["W001", "W002", "W003"]
    assert [r.public for r in records] == [True, False, False]   # Published / default / 待审核
    graph = graph_of(records)
    if not isomorphic(graph, from_csv):
        _, missing, extra = graph_diff(to_isomorphic(from_csv), to_isomorphic(graph))
        pytest.fail(f"missing:\n{missing.serialize(format='nt')}\nunexpected:\n{extra.serialize(format='nt')}")


def test_jsonld_http_context_graph_references_and_about_iris():
    records, errors = read(jsonld, WORKS / "posts.json", source_id="works")
    assert errors == []   # the Person node is data the post refers to, not a work
    assert_same_as_file(graph_of(records), WORKS / "posts_expected.ttl")
    graph = graph_of(records)
    post = MINT.work("works", "https://example.org/posts/42")
    assert set(graph.objects(post, V.creator)) == {person("orcid", "0000-0002-1825-0097")}
    # The NSF grant is another funder's: not an approval number, not a link.
    assert set(graph.objects(post, V.statedGrant)) == {Literal("61772368")}


def test_jsonld_record_errors_name_the_record_and_field():
    records, errors = read(jsonld, WORKS / "bad_records.jsonld")
    assert [r.key for r in records] == ["X10"]
    located = [(e.location.record, e.location.field) for e in errors]
    assert located == [("#1", "@type"), ("#2", "@id"), ("#3", "name"), ("#4", "interactionStatistic"),
                       ("#5", "funding"), ("#6", "datePublished"), ("#7", "creator"), ("#8", "creativeWorkStatus"),
                       ("#9", None)]


@pytest.mark.parametrize("name, context", [
    ("remote_context.jsonld", "https://example.org/contexts/evil.jsonld"),
    ("nested_remote_context.jsonld", "http://example.org/ctx"),
    ("import_context.jsonld", "https://example.org/ctx.jsonld"),
])
def test_jsonld_remote_contexts_are_refused(name: str, context: str):
    with pytest.raises(InputError) as caught:
        read(jsonld, WORKS / name)
    assert name in caught.value.message and context in caught.value.message


def test_jsonld_never_fetches_a_context(monkeypatch):
    import rdflib.plugins.shared.jsonld.context as rdflib_context

    def no_fetch(*args, **kwargs):
        raise AssertionError("a JSON-LD context was fetched")

    monkeypatch.setattr(rdflib_context, "source_to_json", no_fetch)
    records, errors = read(jsonld, WORKS / "works.jsonld", source_id="works")
    assert len(records) == 3 and errors == []


# Sniffing ------------------------------------------------------------------------------
def test_each_module_recognizes_its_files():
    def head(path: Path) -> bytes:
        return path.read_bytes()[:16384]

    assert researchers.MODULE.sniff(PEOPLE / "researchers.csv", head(PEOPLE / "researchers.csv"))
    assert researchers.MODULE.sniff(PEOPLE / "researchers.jsonl", head(PEOPLE / "researchers.jsonl"))
    assert not researchers.MODULE.sniff(WORKS / "works.csv", head(WORKS / "works.csv"))
    assert popsci_works.MODULE.sniff(WORKS / "works.csv", head(WORKS / "works.csv"))
    assert not popsci_works.MODULE.sniff(PEOPLE / "researchers.csv", head(PEOPLE / "researchers.csv"))
    assert orcid.MODULE.sniff(ORCID_FIXTURE, head(ORCID_FIXTURE))
    assert not orcid.MODULE.sniff(WORKS / "posts.json", head(WORKS / "posts.json"))
    assert jsonld.MODULE.sniff(WORKS / "posts.json", head(WORKS / "posts.json"))
    assert jsonld.MODULE.sniff(WORKS / "works.jsonld", b"")
    assert not jsonld.MODULE.sniff(ORCID_FIXTURE, head(ORCID_FIXTURE))


# Fuzzing: arbitrary input only ever gives InputError ----------------------------------
def drain(module, suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            for item in module.MODULE.read(IngestContext(path=path, source_id="fuzz", minter=MINT)):
                assert isinstance(item, (MappedRecord, InputError))
        except InputError:
            pass


CSV_HEADER = b"work_id,title,kind,views,date,grant_numbers,creators,creator_ids,review_status\n"
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["@context", "@graph", "@type", "@id", "name", "identifier", "creator", "funding", "about",
                         "interactionStatistic", "userInteractionCount", "interactionType", "datePublished",
                         "creativeWorkStatus", "sameAs", "@value", "@language", "@list", "x"]) | st.text(max_size=8),
        children, max_size=5),
    max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_csv_readers_only_raise_input_errors(data: bytes):
    drain(popsci_works, ".csv", CSV_HEADER + data)
    drain(researchers, ".csv", b"person_id,name_zh,orcid,affiliations,talent_pool_since\n" + data)
    drain(popsci_works, ".jsonl", data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json)
def test_fuzz_jsonld_reader_only_raises_input_errors(value):
    doc = {"@context": "https://schema.org/", "@graph": [value]} if not isinstance(value, dict) else \
        {"@context": "https://schema.org/", **value}
    drain(jsonld, ".jsonld", json.dumps(doc).encode("utf-8"))
    drain(jsonld, ".jsonld", json.dumps(value).encode("utf-8"))
    drain(orcid, ".json", json.dumps({"orcid-identifier": {"path": "0000-0002-1825-0097"},
                                      "person": value, "activities-summary": value}).encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_jsonld_bytes_only_raise_input_errors(data: bytes):
    drain(jsonld, ".jsonld", data)
    drain(orcid, ".json", data)


# End to end ----------------------------------------------------------------------------
def test_ingested_works_answer_which_approved_works_popularize_a_project(tmp_path: Path):
    pipeline = pytest.importorskip("ingest.pipeline", reason="ingest/pipeline.py is not importable yet",
                                   exc_type=ImportError)
    from kg.config import Settings
    from kg.store import KnowledgeGraph, prefix_block

    with KnowledgeGraph(Settings(data_dir=tmp_path / "kg", base_iri=BASE)) as graph:
        pipeline.ingest_paths(graph, [WORKS / "works.csv", PEOPLE / "researchers.csv"])
        # "Which approved popular-science works popularize project 61772368, and who made them?"
        rows = graph.select(prefix_block() + """
            SELECT ?title ?creator WHERE {
              ?w a sp:PopularScienceWork ; sp:reviewStatus sp:Approved ; dcterms:title ?title ;
                 sp:popularizes ?p ; dcterms:creator ?c .
              ?c schema:name ?creator .
              FILTER(STRENDS(STR(?p), "/project/61772368"))
            }""")
        assert {(str(r["title"]), str(r["creator"])) for r in rows} >= {("知识图谱如何帮助科学普及", "王伟")}


def test_a_day_the_calendar_does_not_have_is_an_error_naming_the_field(kg, tmp_path):
    """Found by review: 2024-02-30 loaded as an invalid xsd:date, and later queries failed on it."""
    from ingest.pipeline import ingest_paths
    from ingest.orcid import fuzzy_date
    from kg.errors import InputError

    works = tmp_path / "works.csv"
    works.write_text("work_id,title,kind,date\nW1,t,video,2024-02-30\n", encoding="utf-8")
    with pytest.raises(InputError, match="value: '2024-02-30'") as caught:
        ingest_paths(kg, [works])
    assert caught.value.location.line == 2 and caught.value.location.field == "date"
    works.write_text("work_id,title,kind,date\nW1,t,video,2024-02-29\n", encoding="utf-8")
    ingest_paths(kg, [works])   # a leap day is a day
    # ORCID dates are kept to the precision they have: a day that does not exist is dropped.
    assert fuzzy_date({"year": {"value": "2020"}, "month": {"value": "02"}, "day": {"value": "30"}}) == ("2020-02", "gYearMonth")
