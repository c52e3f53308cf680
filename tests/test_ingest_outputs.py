"""Research outputs from OAR harvests and bibliographic sources: OAI-PMH, OpenAlex, Crossref, PubMed.

Each story reads a small realistic file and compares the triples with an expected Turtle
file, then checks one quirk or one error at a time. The real third-party samples in
shared/realdata are read where present (never copied here).
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from ingest import crossref, oai_pmh, openalex, pubmed
from ingest.pipeline import ingest_paths
from ingest.base import IngestContext, MappedRecord
from ingest.safexml import REFUSED_MESSAGE
from kg import catalog
from kg import vocab as V
from kg.errors import InputError
from kg.iri import Minter
from kg.store import prefix_block
from kg.validation import format_violations, validate_graph
from mapping_helpers import graph_of, read_records

DATA = Path(__file__).resolve().parent / "data" / "outputs"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
BASE = "https://kg.example.org/"
MINTER = Minter(BASE)
SHARED_DOI_IRI = MINTER.output(doi="10.1234/scipop.2021.001")


# Helpers ------------------------------------------------------------------------------
def context(path: Path) -> IngestContext:
    return IngestContext(path=path, source_id=path.name, minter=MINTER)


def read(module, path: Path) -> tuple[list[MappedRecord], list[InputError]]:
    return read_records(module, path, MINTER)


def graph(records: list[MappedRecord]) -> Graph:
    return graph_of(records)


def expected(name: str) -> Graph:
    return Graph().parse(DATA / name, format="turtle")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def real(*parts: str) -> Path:
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real sample {path} is not available here")
    return path


def links(g: Graph, output: URIRef) -> dict[str, URIRef]:
    """approval number -> link method, for every qualified resultOf link of an output."""
    found = {}
    for link in g.subjects(V.linkSubject, output):
        project = g.value(link, V.linkObject)
        found[str(project).rsplit("/", 1)[-1]] = g.value(link, V.linkMethod)
    return found


OAI_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
            '<responseDate>2024-03-01T08:00:00Z</responseDate>\n')


def oai_record(identifier: str, dc_body: str) -> str:
    return (f"<record><header><identifier>{identifier}</identifier><datestamp>2024-01-01</datestamp></header>"
            '<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/">{dc_body}</oai_dc:dc></metadata></record>')


def oai_page(*records: str) -> str:
    return OAI_HEAD + "<ListRecords>" + "".join(records) + "</ListRecords></OAI-PMH>\n"


# OAI-PMH ------------------------------------------------------------------------------
def test_an_oai_dc_page_maps_to_the_expected_outputs():
    records, errors = read(oai_pmh, DATA / "oai_listrecords.xml")
    assert errors == []
    assert isomorphic(graph(records), expected("oai_listrecords.expected.ttl"))


def test_oai_links_say_how_they_were_found():
    g = graph(read(oai_pmh, DATA / "oai_listrecords.xml")[0])
    # The OpenAIRE project statement is the repository's own claim; the sentence is mined.
    assert links(g, SHARED_DOI_IRI) == {"31970123": V.MethodOARField, "32071234": V.MethodAcknowledgementMining}
    # A non-NSFC grantAgreement (EC/H2020) gives nothing.
    assert (SHARED_DOI_IRI, V.acknowledgedGrant, Literal("101000001")) not in g


def test_deleted_oai_records_produce_nothing_but_are_counted():
    stream = oai_pmh.MODULE.read(context(DATA / "oai_listrecords.xml"))
    records = list(stream)
    assert [r.key for r in records] == ["oai:oar.example.edu.cn:1001", "oai:oar.example.edu.cn:1003"]
    assert stream.deleted == 1
    assert stream.resumption_token == "page-2-token"


def test_an_oai_record_without_doi_is_minted_from_its_oai_identifier():
    g = graph(read(oai_pmh, DATA / "oai_listrecords.xml")[0])
    iri = MINTER.output(source="oai", local_id="oai:oar.example.edu.cn:1003")
    assert (iri, V.oarHandle, Literal("oai:oar.example.edu.cn:1003")) in g
    assert (iri, V.outputKind, V.concept("OutputDataset")) in g


def test_no_records_match_is_an_empty_page(tmp_path):
    path = write(tmp_path, "empty.xml", OAI_HEAD + '<request verb="ListRecords">x</request>'
                 '<error code="noRecordsMatch">No matching records</error></OAI-PMH>')
    assert read(oai_pmh, path) == ([], [])


def test_other_oai_errors_name_the_code(tmp_path):
    path = write(tmp_path, "bad.xml", OAI_HEAD + '<error code="badResumptionToken">expired</error></OAI-PMH>')
    with pytest.raises(InputError) as info:
        read(oai_pmh, path)
    assert "badResumptionToken" in info.value.message and str(path) in info.value.message


def test_an_identify_response_is_refused(tmp_path):
    path = write(tmp_path, "identify.xml", OAI_HEAD + "<Identify><repositoryName>X</repositoryName></Identify></OAI-PMH>")
    with pytest.raises(InputError, match="Identify response holds no records"):
        read(oai_pmh, path)


def test_a_file_that_is_not_oai_pmh_is_refused(tmp_path):
    path = write(tmp_path, "other.xml", "<rss><channel/></rss>")
    with pytest.raises(InputError, match="not <OAI-PMH>"):
        read(oai_pmh, path)


def test_an_unreadable_dc_date_rejects_only_that_record(tmp_path):
    path = write(tmp_path, "dates.xml", oai_page(
        oai_record("oai:x:1", "<dc:title>Good</dc:title><dc:date>2019</dc:date>"),
        oai_record("oai:x:2", "<dc:title>Bad</dc:title><dc:date>sometime</dc:date>")))
    records, errors = read(oai_pmh, path)
    assert [r.key for r in records] == ["oai:x:1"]
    assert len(errors) == 1
    assert errors[0].location.record == "oai:x:2" and errors[0].location.field == "dc:date"
    assert str(path) in errors[0].message


def test_a_malformed_nsfc_grant_agreement_is_a_record_error(tmp_path):
    path = write(tmp_path, "grant.xml", oai_page(
        oai_record("oai:x:9", "<dc:title>T</dc:title><dc:relation>info:eu-repo/grantAgreement/NSFC/General/12AB</dc:relation>")))
    _, errors = read(oai_pmh, path)
    assert errors[0].location.field == "dc:relation" and "12AB" in errors[0].message


def test_an_unsupported_metadata_format_is_named(tmp_path):
    record = ("<record><header><identifier>oai:x:3</identifier></header><metadata>"
              '<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo/></mods></metadata></record>')
    path = write(tmp_path, "mods.xml", oai_page(record))
    _, errors = read(oai_pmh, path)
    assert "<mods> is not supported" in errors[0].message and errors[0].location.record == "oai:x:3"


def test_real_arxiv_getrecord_oai_dc():
    records, errors = read(oai_pmh, real("oai_pmh", "arxiv_GetRecord_oai_dc_1507.03011.xml"))
    assert errors == [] and len(records) == 1
    g = graph(records)
    iri = MINTER.output(source="oai", local_id="oai:arXiv.org:1507.03011")
    assert (iri, V.oarHandle, Literal("oai:arXiv.org:1507.03011")) in g
    assert (iri, V.publicationYear, Literal(2015)) in g
    assert (iri, V.url, Literal("http://arxiv.org/abs/1507.03011")) in g
    names = {str(g.value(a, V.authorName)): int(g.value(a, V.authorRank)) for a in g.objects(iri, V.authorship)}
    assert names == {"Young, J. E.": 1, "de Naray, Rachel Kuzio": 2, "Wang, Sharon X.": 3}
    title = str(g.value(iri, V.title))
    assert title.startswith("The Distribution of Star Formation") and "  " not in title and "\n" not in title


def test_real_arxiv_native_listrecords():
    records, errors = read(oai_pmh, real("oai_pmh", "arxiv_ListRecords_arXivFormat_cs_2015-01-16.xml"))
    assert errors == [] and len(records) == 46
    g = graph(records)
    iri = MINTER.output(doi="10.1016/j.acha.2012.03.009")
    assert (iri, V.title, Literal("Reproducing Kernel Banach Spaces with the l1 Norm", lang="en")) in g
    assert len(list(g.objects(iri, V.authorship))) == 3


def test_real_sickle_pages():
    stream = oai_pmh.MODULE.read(context(real("oai_pmh", "sickle_ListRecords.xml")))
    records = list(stream)
    assert len(records) == 1 and stream.deleted == 1 and stream.resumption_token == "ListRecords2.xml"
    assert read(oai_pmh, real("oai_pmh", "sickle_noRecordsMatch.xml")) == ([], [])
    with pytest.raises(InputError, match="badResumptionToken"):
        read(oai_pmh, real("oai_pmh", "sickle_badResumptionToken.xml"))
    g = graph(read(oai_pmh, real("oai_pmh", "sickle_GetRecord_utf8test.xml"))[0])
    assert Literal("某人", lang="zh") in set(g.objects(None, V.authorName))


# OpenAlex -----------------------------------------------------------------------------
def test_openalex_works_map_to_the_expected_outputs():
    records, errors = read(openalex, DATA / "openalex_works.jsonl")
    assert errors == []
    assert isomorphic(graph(records), expected("openalex_works.expected.ttl"))


def test_openalex_nsfc_is_found_by_funder_id_or_name_and_other_funders_ignored():
    g = graph(read(openalex, DATA / "openalex_works.jsonl")[0])
    assert links(g, SHARED_DOI_IRI) == {"31970123": V.MethodFunderMetadata, "32071234": V.MethodFunderMetadata}


def test_openalex_old_grants_field_is_still_read(tmp_path):
    work = {"id": "https://openalex.org/W1", "doi": "10.1234/old", "title": "Old", "grants": [
        {"funder": "https://openalex.org/F4320321001", "funder_display_name": "NSFC", "award_id": "61772368"}]}
    records, _ = read(openalex, write(tmp_path, "old.json", json.dumps(work, indent=2)))
    assert links(graph(records), MINTER.output(doi="10.1234/old")) == {"61772368": V.MethodFunderMetadata}


def test_a_bad_openalex_line_rejects_only_that_line(tmp_path):
    good = json.dumps({"id": "https://openalex.org/W2", "title": "Fine"})
    path = write(tmp_path, "works.jsonl", good + "\n{not json\n" + good.replace("W2", "W3") + "\n")
    records, errors = read(openalex, path)
    assert [r.key for r in records] == ["openalex:W2", "openalex:W3"]
    assert errors[0].location.line == 2 and "malformed JSON" in errors[0].message


def test_a_malformed_pretty_printed_openalex_file_names_the_line(tmp_path):
    path = write(tmp_path, "work.json", '{\n  "id": "https://openalex.org/W1",\n  "title": oops\n}\n')
    with pytest.raises(InputError) as info:
        read(openalex, path)
    assert info.value.location.line == 3 and str(path) in info.value.message


def test_an_openalex_bad_orcid_names_record_and_field(tmp_path):
    work = {"id": "https://openalex.org/W5", "title": "T", "authorships": [
        {"author": {"display_name": "X", "orcid": "https://orcid.org/0000-0002-1825-0098"}}]}
    _, errors = read(openalex, write(tmp_path, "w.jsonl", json.dumps(work) + "\n"))
    assert errors[0].location.record == "W5" and errors[0].location.field == "authorships[0].author.orcid"
    assert errors[0].location.line == 1


def test_real_openalex_samples_have_no_nsfc_links():
    for name in ("openalex_work_10.1145_3448016.3452841.json", "openalex_work_10.1016_j.ejphar.2015.03.018.json",
                 "openalex_work_10.1038_hdy.2013.26.json", "openalex_work_10.3389_fpls.2019.00816.json"):
        records, errors = read(openalex, real("publications", "openalex", name))
        assert errors == [] and len(records) == 1
        assert not list(graph(records).triples((None, V.resultOf, None)))
    g = graph(read(openalex, real("publications", "openalex", "openalex_work_10.1145_3448016.3452841.json"))[0])
    iri = MINTER.output(doi="10.1145/3448016.3452841")
    assert (iri, V.outputKind, V.concept("OutputConferencePaper")) in g
    assert len(list(g.objects(iri, V.authorship))) == 6
    assert (MINTER.person("orcid", "0000-0001-5576-0320"), V.name, Literal("Prashant Pandey", lang="en")) in g


# Crossref -----------------------------------------------------------------------------
def test_a_crossref_envelope_maps_to_the_expected_output():
    records, errors = read(crossref, DATA / "crossref_work.json")
    assert errors == []
    assert isomorphic(graph(records), expected("crossref_work.expected.ttl"))


def test_crossref_funder_doi_in_any_form_and_mined_funder_names():
    g = graph(read(crossref, DATA / "crossref_work.json")[0])
    # DOI funder entry in URL upper case; "31970123, 32071234" is two numbers; a funder
    # name carrying its own number is mined; provincial and key R&D awards are not NSFC.
    assert links(g, SHARED_DOI_IRI) == {"31970123": V.MethodFunderMetadata, "32071234": V.MethodFunderMetadata,
                                        "U1832123": V.MethodAcknowledgementMining}


def test_crossref_work_lists_and_json_lines(tmp_path):
    works = [{"DOI": "10.1234/a", "title": ["A"]}, {"DOI": "10.1234/b", "title": ["B"]}]
    page = {"status": "ok", "message-type": "work-list", "message": {"items": works}}
    records, _ = read(crossref, write(tmp_path, "list.json", json.dumps(page)))
    assert [r.key for r in records] == ["doi:10.1234/a", "doi:10.1234/b"]
    lines = "\n".join(json.dumps(w) for w in [page, works[0]])
    assert len(read(crossref, write(tmp_path, "lines.jsonl", lines))[0]) == 3


def test_crossref_problems_name_where_they_are(tmp_path):
    lines = [json.dumps({"title": ["no DOI"]}), json.dumps({"DOI": "not-a-doi"}),
             json.dumps({"DOI": "10.1234/c", "title": ["C"], "issued": {"date-parts": [["spring"]]}}),
             json.dumps({"DOI": "10.1234/d", "title": []}),
             json.dumps({"status": "failed", "message-type": "validation-failure", "message": []})]
    _, errors = read(crossref, write(tmp_path, "bad.jsonl", "\n".join(lines)))
    assert [(e.location.line, e.location.field) for e in errors] == [(1, "DOI"), (2, "DOI"), (3, "issued"), (4, "title"), (5, None)]
    assert "needs a title" in errors[3].message and errors[3].location.record == "10.1234/d"
    assert "status 'failed'" in errors[4].message


def test_real_crossref_macrel_nsfc_awards():
    records, errors = read(crossref, real("publications", "crossref", "crossref_work_10.7717_peerj.10555_macrel_NSFC.json"))
    assert errors == []
    g = graph(records)
    iri = MINTER.output(doi="10.7717/peerj.10555")
    assert links(g, iri) == {"61932008": V.MethodFunderMetadata, "61772368": V.MethodFunderMetadata}
    link = next(g.subjects(V.linkObject, MINTER.project("61772368")))
    assert "61932008, 61772368" in str(g.value(link, V.evidence))


def test_real_crossref_samples_without_nsfc():
    for name in ("crossref_api_work_10.1145_3448016.3452841.json", "crossref_api_work_10.1371_journal.ppat.1008184.json",
                 "crossref_api_work_10.7554_elife.01567.json", "fatcat_crossref-works.single.json"):
        records, errors = read(crossref, real("publications", "crossref", name))
        assert errors == [] and len(records) == 1
        assert not list(graph(records).triples((None, V.resultOf, None)))


# The graphs fit the shapes, and load end to end ------------------------------------------
FIXTURES = [(oai_pmh, "oai_listrecords.xml"), (openalex, "openalex_works.jsonl"),
            (crossref, "crossref_work.json"), (pubmed, "pubmed_set.xml")]


@pytest.mark.parametrize("module, name", FIXTURES)
def test_fixture_graphs_conform_to_the_shapes(module, name):
    assert format_violations(validate_graph(graph(read(module, DATA / name)[0]))) == []


@pytest.mark.parametrize("module, name", FIXTURES)
def test_a_harvest_loads_and_answers_which_outputs_came_from_a_project(kg, tmp_path, module, name):
    """Ingest one file with format auto-detection, then ask what a programme officer would ask."""
    path = tmp_path / name
    path.write_bytes((DATA / name).read_bytes())
    ingest_paths(kg, [path], skip_invalid=True)
    rows = kg.select(prefix_block() + """
        SELECT ?number ?doi ?method WHERE {
          ?output a sp:ResearchOutput ; sp:resultOf ?project ; bibo:doi ?doi .
          ?link sp:linkSubject ?output ; sp:linkObject ?project ; sp:linkMethod ?method .
          BIND(STRAFTER(STR(?project), "/project/") AS ?number)
        }""")
    found = {(str(r["number"]), str(r["doi"]), r["method"]) for r in rows}
    expected_links = {
        "oai_listrecords.xml": {("31970123", "10.1234/scipop.2021.001", V.MethodOARField),
                                ("32071234", "10.1234/scipop.2021.001", V.MethodAcknowledgementMining)},
        "openalex_works.jsonl": {("31970123", "10.1234/scipop.2021.001", V.MethodFunderMetadata),
                                 ("32071234", "10.1234/scipop.2021.001", V.MethodFunderMetadata)},
        "crossref_work.json": {("31970123", "10.1234/scipop.2021.001", V.MethodFunderMetadata),
                               ("32071234", "10.1234/scipop.2021.001", V.MethodFunderMetadata),
                               ("U1832123", "10.1234/scipop.2021.001", V.MethodAcknowledgementMining)},
        "pubmed_set.xml": {("31772345", "10.1234/cje.2020.042", V.MethodFunderMetadata)},
    }[name]
    assert found == expected_links
    [entry] = catalog.sources(kg)
    assert str(entry["format"]) == module.MODULE.name


# The same DOI from different sources is one output -------------------------------------
def test_one_doi_in_three_sources_is_one_output():
    iris = set()
    for module, name in ((oai_pmh, "oai_listrecords.xml"), (openalex, "openalex_works.jsonl"), (crossref, "crossref_work.json")):
        iris |= set(graph(read(module, DATA / name)[0]).subjects(V.doi, Literal("10.1234/scipop.2021.001")))
    assert iris == {SHARED_DOI_IRI}


def test_real_openalex_and_crossref_share_the_acm_output_iri():
    a = graph(read(openalex, real("publications", "openalex", "openalex_work_10.1145_3448016.3452841.json"))[0])
    b = graph(read(crossref, real("publications", "crossref", "crossref_api_work_10.1145_3448016.3452841.json"))[0])
    assert set(a.subjects(V.doi, None)) == set(b.subjects(V.doi, None)) == {MINTER.output(doi="10.1145/3448016.3452841")}


# PubMed -------------------------------------------------------------------------------
def test_a_pubmed_set_maps_to_the_expected_output_and_rejects_a_bad_year():
    records, errors = read(pubmed, DATA / "pubmed_set.xml")
    assert isomorphic(graph(records), expected("pubmed_set.expected.ttl"))
    assert len(errors) == 1
    assert errors[0].location.record == "pmid:33000002" and errors[0].location.field == "PubDate"


def test_pubmed_only_nsfc_grants_link():
    g = graph(read(pubmed, DATA / "pubmed_set.xml")[0])
    assert links(g, MINTER.output(doi="10.1234/cje.2020.042")) == {"31772345": V.MethodFunderMetadata}


def test_a_pubmed_grant_id_naming_nsfc_is_mined(tmp_path):
    text = (DATA / "pubmed_set.xml").read_text(encoding="utf-8").replace(
        "<GrantID>20202BAB205001</GrantID>", "<GrantID>NSFC 81570001</GrantID>")
    g = graph(read(pubmed, write(tmp_path, "p.xml", text))[0])
    assert links(g, MINTER.output(doi="10.1234/cje.2020.042"))["81570001"] == V.MethodAcknowledgementMining


def test_real_pubmed_samples():
    records, errors = read(pubmed, real("publications", "pubmed", "pubmed_2019_sample_8_with_GrantList.xml"))
    assert errors == [] and len(records) == 8
    assert not list(graph(records).triples((None, V.resultOf, None)))   # NIH/MRC grants only
    records, errors = read(pubmed, real("publications", "pubmed", "pubmed_19129924.xml"))
    g = graph(records)
    iri = MINTER.output(doi="10.3389/neuro.11.006.2008")
    assert (iri, V.sourceRecordId, Literal("pmid:19129924")) in g
    assert (iri, V.venue, Literal("Frontiers in neuroinformatics", lang="en")) in g
    assert (iri, V.publicationYear, Literal(2008)) in g


# Safe XML -----------------------------------------------------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<{root}>&lol9;</{root}>
"""


@pytest.mark.parametrize("module, root", [(oai_pmh, "OAI-PMH"), (pubmed, "PubmedArticleSet")])
def test_a_billion_laughs_file_is_refused_before_parsing(tmp_path, module, root):
    path = write(tmp_path, "bomb.xml", BILLION_LAUGHS.replace("{root}", root))
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        read(module, path)
    assert REFUSED_MESSAGE in info.value.message and str(path) in info.value.message
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE r [<!ATTLIST r a CDATA "x">]>',                       # an internal subset, even without entities
    '<!DOCTYPE r SYSTEM "x.dtd" [<!ENTITY e SYSTEM "file:///etc/passwd">]>',   # external entity
])
def test_internal_dtd_subsets_and_external_entities_are_refused(tmp_path, doctype):
    path = write(tmp_path, "dtd.xml", f'<?xml version="1.0"?>\n{doctype}\n<OAI-PMH/>')
    with pytest.raises(InputError, match=REFUSED_MESSAGE):
        read(oai_pmh, path)


def test_a_utf16_entity_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb16.xml"
    path.write_bytes(BILLION_LAUGHS.replace("{root}", "OAI-PMH").replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"))
    with pytest.raises(InputError, match=REFUSED_MESSAGE):
        read(oai_pmh, path)


def test_an_entity_declared_after_a_long_comment_is_still_refused(tmp_path):
    padding = "<!--" + "x" * 70_000 + "-->"
    path = write(tmp_path, "late.xml", '<?xml version="1.0"?>\n' + padding + BILLION_LAUGHS.split("\n", 1)[1].replace("{root}", "OAI-PMH"))
    with pytest.raises(InputError, match=REFUSED_MESSAGE):
        read(oai_pmh, path)


def test_a_bare_public_doctype_as_in_real_pubmed_exports_is_read():
    records, errors = read(pubmed, DATA / "pubmed_set.xml")   # carries <!DOCTYPE PubmedArticleSet PUBLIC ...>
    assert len(records) == 1


def test_malformed_xml_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.xml", OAI_HEAD + "<ListRecords>\n<record>\n</ListRecords></OAI-PMH>")
    with pytest.raises(InputError) as info:
        read(oai_pmh, path)
    assert info.value.location.line == 6 and "line 6" in info.value.message and str(path) in info.value.message


# Sniffing -----------------------------------------------------------------------------
def test_each_fixture_is_sniffed_by_its_own_module_only():
    modules = (oai_pmh, pubmed, openalex, crossref)
    for path, owner in ((DATA / "oai_listrecords.xml", oai_pmh), (DATA / "pubmed_set.xml", pubmed),
                        (DATA / "openalex_works.jsonl", openalex), (DATA / "crossref_work.json", crossref)):
        head = path.read_bytes()[:16384]
        assert [m for m in modules if m.MODULE.sniff(path, head)] == [owner], path.name


# Fuzz: any bytes in, only InputError out ------------------------------------------------
READERS = [(oai_pmh, ".xml"), (pubmed, ".xml"), (openalex, ".json"), (crossref, ".json"), (openalex, ".jsonl")]


def consume(module, suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            for _ in module.MODULE.read(context(path)):
                pass
        except InputError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(READERS), st.binary(max_size=600))
def test_arbitrary_bytes_raise_only_input_errors(reader, data):
    consume(*reader, data)


XML_PIECES = st.sampled_from(['<?xml version="1.0"?>', "<OAI-PMH>", "</OAI-PMH>", '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">',
                              "<ListRecords>", "</ListRecords>", "<record>", "</record>", "<header>", "</header>",
                              '<header status="deleted">', "<identifier>oai:x</identifier>", "<metadata>", "</metadata>",
                              '<dc xmlns="http://purl.org/dc/elements/1.1/">', "</dc>", "<date>2020</date>", "<date>x</date>",
                              '<error code="badArgument"/>', "<PubmedArticleSet>", "</PubmedArticleSet>", "<PubmedArticle>",
                              "</PubmedArticle>", "<MedlineCitation><PMID>1</PMID><Article>", "</Article></MedlineCitation>",
                              "<ArticleTitle>t</ArticleTitle>", "<!DOCTYPE a>", "&amp;", "&x;", "<", "]]>"])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([oai_pmh, pubmed]), st.lists(XML_PIECES, max_size=25))
def test_xml_shaped_noise_raises_only_input_errors(module, pieces):
    consume(module, ".xml", "".join(pieces).encode("utf-8"))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["10.1234/x", "https://openalex.org/F4320321001", "61772368", "NSFC", "0000-0002-1825-0097"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "doi", "DOI", "title", "type", "authorships", "author", "institutions", "awards",
                         "funder", "award", "name", "funder_id", "funder_display_name", "funder_award_id", "orcid",
                         "ORCID", "message", "message-type", "status", "items", "issued", "date-parts",
                         "publication_year", "cited_by_count", "is-referenced-by-count", "affiliation", "ror",
                         "primary_location", "source", "display_name", "abstract_inverted_index", "results", "meta"]),
        children, max_size=6),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([openalex, crossref]), JSON_VALUES)
def test_arbitrary_json_raises_only_input_errors(module, value):
    consume(module, ".json", json.dumps(value).encode("utf-8"))
