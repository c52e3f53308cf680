"""`scipop validate`: SHACL shapes run on each source graph, with readable violations."""
from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from kg import concepts
from kg import vocab as V
from kg.validation import Violation, format_violations, source_graphs, validate, validate_graph

DATA = Path(__file__).resolve().parent / "data" / "validation"
KG = "https://kg.scipop.example.org/"

# (entity, property) of every mistake in invalid.ttl: one of each kind.
EXPECTED = {
    ("project/p1", "sp:approvalNumber"),
    ("project/61000002", "schema:name|dcterms:title"),  # no title
    ("project/61000003", "dcterms:title"),          # no language tag
    ("project/61000004", "sp:projectType"),         # a department, not a project type
    ("project/61000005", "sp:amountWan"),           # negative
    ("project/61000006", "sp:approvalYear"),        # 1970
    ("project/61000007", "sp:reviewStatus"),        # missing
    ("project/61000008", "sp:principalInvestigator"),  # not typed as a researcher
    ("project/61000009", "schema:startDate"),       # plain text '2018-13'
    ("project/61000010", "sp:hostedBy"),            # text instead of an IRI
    ("code/X99", "skos:notation"),
    ("person/nsfc-1", "schema:name|dcterms:title"),  # a researcher record without a name
    ("person/nsfc-2", "sp:orcid"),
    ("affiliation/a3", "sp:affiliationOrg"),
    ("talent-pool/t1", "^sp:talentPoolMembership"),
    ("talent-pool/t2", "sp:nominatedBy"),          # a name, not an organization
    ("org/h-1", "schema:name"),
    ("org/h-2", "sp:ror"),
    ("output/o1", "bibo:doi"),
    ("output/o2", "sp:publicationYear"),
    ("authorship/o3/1", "sp:authorRank"),           # 0
    ("output/o4", "schema:name|dcterms:title"),     # an output record without a title
    ("work/w1", "sp:workKind"),
    ("work/w2", "sp:views"),
    ("work/w3", "sp:reviewStatus"),
    ("work/w4", "sp:likes"),
    ("link/l1", "sp:confidence"),
    ("link/l2", "sp:linkMethod"),
    ("link/l3", "sp:linkObject"),
    ("graph/source/bad", "sp:sha256"),
}


def load(name: str) -> Graph:
    return Graph().parse(DATA / name, format="turtle")


def local(violation: Violation) -> tuple[str, str]:
    return violation.focus.removeprefix(KG), violation.path


def test_shapes_parse_and_target_only_declared_classes():
    shapes = Graph().parse(concepts.SHAPES_PATH, format="turtle")
    ontology = concepts.ontology_graph()
    targets = set(shapes.objects(None, V.SH.targetClass))
    assert len(targets) >= 12
    for cls in targets:
        declared = (cls, RDF.type, V.OWL.Class) in ontology or cls == V.Organization
        assert declared, cls


def test_every_entity_class_has_a_shape():
    shapes = Graph().parse(concepts.SHAPES_PATH, format="turtle")
    targets = set(shapes.objects(None, V.SH.targetClass))
    for cls in (V.FundedProject, V.Researcher, V.SupportingInstitution, V.Organization, V.ResearchOutput,
                V.Authorship, V.PopularScienceWork, V.QualifiedLink, V.TalentPoolMembership, V.Affiliation,
                V.SourceFile, V.ApplicationCode):
        assert cls in targets, cls


def test_a_valid_graph_covering_every_class_has_no_violations():
    data = load("valid.ttl")
    classes = set(data.objects(None, RDF.type))
    assert {V.FundedProject, V.Researcher, V.SupportingInstitution, V.Organization, V.ResearchOutput,
            V.Authorship, V.PopularScienceWork, V.QualifiedLink, V.TalentPoolMembership, V.Affiliation,
            V.SourceFile, V.ApplicationCode} <= classes
    assert validate_graph(data) == []


def test_links_to_entities_in_other_files_are_not_violations():
    """An output's project and a work's project live in other files: only the IRI is checked."""
    data = load("valid.ttl")
    work = URIRef(KG + "work/popsci-w1")
    dangling = data.value(work, V.popularizes)
    assert (dangling, None, None) not in data
    assert validate_graph(data) == []


def test_validate_graph_does_not_modify_its_input():
    data = load("valid.ttl")
    before = set(data)
    validate_graph(data)
    assert set(data) == before


def test_an_invalid_graph_gives_exactly_one_violation_per_mistake():
    violations = validate_graph(load("invalid.ttl"))
    found = [local(v) for v in violations]
    assert sorted(found) == sorted(EXPECTED)
    assert {v.severity for v in violations} == {"Violation"}
    assert {v.graph for v in violations} == {""}


def test_messages_are_plain_english_with_the_offending_value():
    by_key = {local(v): v.message for v in validate_graph(load("invalid.ttl"))}
    assert by_key[("project/p1", "sp:approvalNumber")] == (
        "A project needs exactly one approval number of 8-11 characters (digits, optionally after one "
        "capital letter), e.g. 61772368. (found: '1234' (text))")
    assert by_key[("project/61000004", "sp:projectType")].endswith("(found: sp:DeptA)")
    assert by_key[("project/61000006", "sp:approvalYear")].endswith("(found: '1970' (xsd:integer))")
    assert "exactly one review status" in by_key[("project/61000007", "sp:reviewStatus")]
    assert by_key[("link/l1", "sp:confidence")].startswith("A qualified link needs a confidence, a decimal between 0 and 1.")


def test_readable_lines_name_entity_property_and_problem():
    violation = Violation(focus=KG + "project/1234", path="sp:approvalNumber",
                          message="A project needs exactly one approval number.", severity="Violation",
                          graph=KG + "graph/source/projects-csv")
    assert format_violations([violation]) == [
        f"{KG}project/1234, sp:approvalNumber, A project needs exactly one approval number. "
        f"(in {KG}graph/source/projects-csv)"]
    lines = format_violations(validate_graph(load("invalid.ttl")))
    assert f"{KG}output/o1, bibo:doi, A DOI must be one bare, lower-case DOI like 10.1234/abc. " \
           "(found: 'https://doi.org/10.1000/x1' (text))" in lines
    assert f"{KG}talent-pool/t1, ^sp:talentPoolMembership, A talent-pool membership must belong to a researcher " \
           "(nobody points to it with sp:talentPoolMembership)." in lines


def test_each_mistake_alone_is_caught():
    """Adding one bad statement to the valid graph gives exactly that one violation."""
    data = load("valid.ttl")
    project = URIRef(KG + "project/61772368")
    data.add((project, V.approvalYear, Literal("1970", datatype=V.XSD.integer)))
    assert [local(v) for v in validate_graph(data)] == [("project/61772368", "sp:approvalYear")]


# The store: every source graph and its restricted twin, nothing else ------------------

@pytest.fixture
def kg(tmp_path):
    store = pytest.importorskip("kg.store")
    from kg.config import Settings

    graph = store.KnowledgeGraph(Settings(data_dir=tmp_path / "data"))
    yield graph
    graph.close()


def test_validate_runs_on_each_source_graph_and_its_restricted_twin(kg):
    public = kg.minter.source_graph("good-ttl")
    restricted = kg.minter.restricted_graph(kg.minter.source_graph("bad-ttl"))
    with kg.write():
        kg.dataset.graph(public).parse(DATA / "valid.ttl", format="turtle")
        kg.dataset.graph(restricted).parse(DATA / "invalid.ttl", format="turtle")
        # Not a source graph: never validated, even though it is not valid.
        kg.dataset.graph(kg.minter.curation_graph()).parse(DATA / "invalid.ttl", format="turtle")
    violations = validate(kg)
    assert {v.graph for v in violations} == {str(restricted)}
    assert sorted(local(v) for v in violations) == sorted(EXPECTED)
    assert validate(kg, [public]) == []
    assert all(line.endswith(f"(in {restricted})") for line in format_violations(violations))


def test_validate_on_an_empty_store_finds_nothing(kg):
    assert validate(kg) == []


def test_ingested_files_validate_cleanly(kg):
    """A funder export, one approved and one pending project, ingested as a user would."""
    pipeline = pytest.importorskip("ingest.pipeline")
    pipeline.ingest_paths(kg, [DATA / "projects.csv"], fmt="nsfc-projects")
    graphs = source_graphs(kg)
    assert len(graphs) == 2  # the file's public graph and its restricted twin
    assert len(kg.select("SELECT ?p WHERE { GRAPH ?g { ?p a <%s> } }" % V.FundedProject)) == 2
    assert format_violations(validate(kg)) == []
